import type { FhirResource } from '../../engine/patient-bundle.js';
import type { SynthDosage, SynthPatientFacts, SynthPractice } from './synth-facts.js';

/** NHS number identifier system (NHS England FHIR identifiers). */
const NHS_NUMBER = 'https://fhir.nhs.uk/Id/nhs-number';
/** ODS organisation code identifier system (NHS England FHIR identifiers). */
const ODS_CODE = 'https://fhir.nhs.uk/Id/ods-organization-code';
/** HL7 v3 ActCode: the Encounter class AMB (ambulatory), http://terminology.hl7.org/CodeSystem/v3-ActCode. */
const ENCOUNTER_CLASS = {
  system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  code: 'AMB',
  display: 'ambulatory',
};
const UCUM = 'http://unitsofmeasure.org';

/** The practice as a FHIR Organization. */
export function practiceResource(practice: SynthPractice): FhirResource {
  return {
    resourceType: 'Organization',
    id: practice.id,
    identifier: [{ system: ODS_CODE, value: practice.id }],
    active: true,
    name: practice.name,
  };
}

/**
 * A patient's facts as FHIR R4 resources, typed as a GP system exports them (clinical-spec §0): issues
 * are MedicationRequests with authoredOn, diagnoses Conditions with onset, tests Observations with
 * effective[x], consultations Encounters. Resources are lean (no narrative, no meta).
 */
export function patientResources(p: SynthPatientFacts): Record<string, FhirResource[]> {
  const subject = { reference: `Patient/${p.id}` };
  const patient: FhirResource = {
    resourceType: 'Patient',
    id: p.id,
    identifier: [{ system: NHS_NUMBER, value: p.nhsNumber }],
    name: [{ family: p.family, given: [p.given] }],
    gender: p.gender,
    birthDate: p.birthDate,
    ...(p.deceased === undefined ? {} : { deceasedDateTime: p.deceased }),
    generalPractitioner: [{ reference: `Organization/${p.practiceId}` }],
  };
  const medicationRequests = p.issues.map((issue, i) => ({
    resourceType: 'MedicationRequest',
    id: `${p.id}-m${i}`,
    status: 'completed',
    intent: 'order',
    medicationCodeableConcept: { coding: [issue.coding] },
    subject,
    authoredOn: issue.date,
    dosageInstruction: [dosage(issue.dosage)],
  }));
  const conditions = p.events.map((event, i) => ({
    resourceType: 'Condition',
    id: `${p.id}-c${i}`,
    clinicalStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
    },
    verificationStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }],
    },
    code: { coding: [event.coding] },
    subject,
    onsetDateTime: event.date,
    recordedDate: event.date,
  }));
  const observations = p.tests.map((test, i) => ({
    resourceType: 'Observation',
    id: `${p.id}-o${i}`,
    status: 'final',
    code: { coding: [test.coding] },
    subject,
    effectiveDateTime: test.date,
    ...(test.value === undefined
      ? {}
      : {
          valueQuantity: {
            value: test.value.value,
            unit: test.value.unit,
            system: UCUM,
            code: test.value.unit,
          },
        }),
  }));
  const encounters = p.encounters.map((date, i) => ({
    resourceType: 'Encounter',
    id: `${p.id}-e${i}`,
    status: 'finished',
    class: ENCOUNTER_CLASS,
    subject,
    period: { start: date, end: date },
  }));
  return {
    Patient: [patient],
    MedicationRequest: medicationRequests,
    Condition: conditions,
    Observation: observations,
    Encounter: encounters,
  };
}

/** The dosage instruction (FHIR Dosage) of an issue; timing per http://hl7.org/fhir/R4/datatypes.html#Timing. */
function dosage(d: SynthDosage): Record<string, unknown> {
  switch (d.kind) {
    case 'daily':
      return {
        text: 'One to be taken each day',
        timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } },
      };
    case 'weekly':
      return {
        text: 'Take four tablets once a week on the same day each week',
        timing: { repeat: { frequency: 1, period: 1, periodUnit: 'wk' } },
      };
    case 'mg':
      return {
        text: `${d.mg}mg ${d.perDay === 1 ? 'once' : `${d.perDay} times`} a day`,
        timing: { repeat: { frequency: d.perDay, period: 1, periodUnit: 'd' } },
        doseAndRate: [{ doseQuantity: { value: d.mg, unit: 'mg', system: UCUM, code: 'mg' } }],
      };
  }
}
