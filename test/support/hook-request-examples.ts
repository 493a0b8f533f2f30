/**
 * Example CDS Hooks 2.0.1 request bodies, one per hook loopcds answers: a UK general practice (EMIS/TPP-style ids,
 * SNOMED CT/dm+d medicines) seeing a 72-year-old about to be prescribed ibuprofen — the PINCER NSAID scenario.
 * Tests copy and change these with `structuredClone`; never mutate them.
 */
import type { FhirResource, HookRequest } from '../../src/http/cds-hooks-request-schema.js';

export const PATIENT_ID = 'pat-7fd3a1';
export const ENCOUNTER_ID = 'enc-20250114-0942';
export const PRACTITIONER = 'Practitioner/gp-4521';
export const FHIR_SERVER = 'https://ehr.example.nhs.uk/fhir/R4';

/**
 * Ibuprofen 400mg tablets: a dm+d VMP, coded in SNOMED CT (the dm+d is the UK Drug Extension of SNOMED CT).
 * In the OpenSAFELY PINCER NSAID codelist (/work/shared/codelists/opensafely-pincer/pincer-nsaid.csv).
 */
export const IBUPROFEN_400MG_TABLETS = {
  system: 'http://snomed.info/sct',
  code: '329653008',
  display: 'Ibuprofen 400mg tablets',
} as const;

export const patient: FhirResource = {
  resourceType: 'Patient',
  id: PATIENT_ID,
  identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9000000009' }],
  name: [{ use: 'official', family: 'Hartley', given: ['Margaret'] }],
  gender: 'female',
  birthDate: '1952-06-14',
};

/** A draft NSAID order, complete as a prescriber would sign it. */
export const ibuprofenDraft: FhirResource = {
  resourceType: 'MedicationRequest',
  id: 'draft-ibuprofen-1',
  status: 'draft',
  intent: 'order',
  medicationCodeableConcept: {
    coding: [{ ...IBUPROFEN_400MG_TABLETS }],
    text: IBUPROFEN_400MG_TABLETS.display,
  },
  subject: { reference: `Patient/${PATIENT_ID}` },
  encounter: { reference: `Encounter/${ENCOUNTER_ID}` },
  authoredOn: '2025-01-14T09:42:00Z',
  requester: { reference: PRACTITIONER },
  dosageInstruction: [
    {
      text: 'One tablet three times a day with or after food',
      timing: { repeat: { frequency: 3, period: 1, periodUnit: 'd' } },
      route: { coding: [{ system: 'http://snomed.info/sct', code: '26643006', display: 'Oral route' }] },
      doseAndRate: [{ doseQuantity: { value: 1, unit: 'tablet' } }],
    },
  ],
  dispenseRequest: {
    quantity: { value: 84, unit: 'tablet' },
    expectedSupplyDuration: { value: 28, unit: 'day', system: 'http://unitsofmeasure.org', code: 'd' },
  },
};

/** A blood test requested earlier in the same ordering session, not yet signed (code from pincer-electro.csv). */
export const electrolytesDraft: FhirResource = {
  resourceType: 'ServiceRequest',
  id: 'draft-electrolytes-1',
  status: 'draft',
  intent: 'order',
  code: {
    coding: [
      { system: 'http://snomed.info/sct', code: '20109005', display: 'Electrolytes measurement, serum' },
    ],
  },
  subject: { reference: `Patient/${PATIENT_ID}` },
  requester: { reference: PRACTITIONER },
};

/** A searchset with no matches: the client ran the template and found nothing (not `null`, which is a read). */
export const noGastroprotection: FhirResource = { resourceType: 'Bundle', type: 'searchset', total: 0 };

export const patientViewRequest: HookRequest<'patient-view'> = {
  hook: 'patient-view',
  hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea',
  fhirServer: FHIR_SERVER,
  fhirAuthorization: {
    access_token: 'opaque-access-token-7c1e0f',
    token_type: 'Bearer',
    expires_in: 300,
    scope: 'user/Patient.read user/MedicationRequest.read user/Observation.read',
    subject: 'loopcds',
  },
  context: { userId: PRACTITIONER, patientId: PATIENT_ID, encounterId: ENCOUNTER_ID },
  prefetch: { patient },
};

export const orderSelectRequest: HookRequest<'order-select'> = {
  hook: 'order-select',
  hookInstance: '8f3c2a7e-5b1d-4e9a-9c0f-2d6b7a1e4c35',
  fhirServer: FHIR_SERVER,
  context: {
    userId: PRACTITIONER,
    patientId: PATIENT_ID,
    encounterId: ENCOUNTER_ID,
    selections: ['MedicationRequest/draft-ibuprofen-1'],
    draftOrders: {
      resourceType: 'Bundle',
      entry: [{ resource: electrolytesDraft }, { resource: ibuprofenDraft }],
    },
  },
  prefetch: { patient, gastroprotection: noGastroprotection },
};

export const orderSignRequest: HookRequest<'order-sign'> = {
  hook: 'order-sign',
  hookInstance: '4b9e1f02-7c3a-4d58-8e6b-91a0c2f5d7e4',
  fhirServer: FHIR_SERVER,
  context: {
    userId: 'PractitionerRole/gp-4521-role',
    patientId: PATIENT_ID,
    encounterId: ENCOUNTER_ID,
    draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: ibuprofenDraft }] },
  },
  prefetch: { patient, gastroprotection: noGastroprotection, lastEgfr: null },
};

export const encounterStartRequest: HookRequest<'encounter-start'> = {
  hook: 'encounter-start',
  hookInstance: 'c2a5e8d1-3f6b-4a90-b7c4-5e1d9f0a2b63',
  context: { userId: PRACTITIONER, patientId: PATIENT_ID, encounterId: ENCOUNTER_ID },
};

export const appointmentBookRequest: HookRequest<'appointment-book'> = {
  hook: 'appointment-book',
  hookInstance: '0e7d4c19-a2b8-4f35-9d6e-c8b1a3f5e720',
  context: {
    userId: 'Patient/pat-7fd3a1',
    patientId: PATIENT_ID,
    appointments: {
      resourceType: 'Bundle',
      entry: [
        {
          resource: {
            resourceType: 'Appointment',
            id: 'appt-medication-review',
            status: 'proposed',
            description: 'Structured medication review',
            start: '2025-02-03T10:20:00Z',
            end: '2025-02-03T10:40:00Z',
            participant: [
              { actor: { reference: `Patient/${PATIENT_ID}` }, status: 'accepted' },
              { actor: { reference: 'Practitioner/pharm-0193' }, status: 'needs-action' },
            ],
          },
        },
      ],
    },
  },
};

/** Every example, by hook. */
export const hookRequestExamples = {
  'patient-view': patientViewRequest,
  'order-select': orderSelectRequest,
  'order-sign': orderSignRequest,
  'encounter-start': encounterStartRequest,
  'appointment-book': appointmentBookRequest,
} as const;

/** Passed to {@link withMember} to delete the member instead of replacing it. */
export const REMOVE: unique symbol = Symbol('remove');

/**
 * A deep copy of `example` with the member at `path` (member names and array indexes) replaced by `value`,
 * or deleted when `value` is {@link REMOVE}. The result is `unknown`: it is meant to be fed to a validator.
 */
export function withMember(example: object, path: ReadonlyArray<string | number>, value: unknown): unknown {
  const copy = structuredClone(example) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const segment of path.slice(0, -1)) {
    const child = parent[segment];
    if (typeof child !== 'object' || child === null)
      throw new Error(`withMember: nothing at ${path.join('.')}`);
    parent = child as Record<string | number, unknown>;
  }
  const last = path.at(-1);
  if (last === undefined) throw new Error('withMember: empty path');
  if (value === REMOVE) delete parent[last];
  else parent[last] = value;
  return copy;
}
