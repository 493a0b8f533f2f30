import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateCdsHooksResponse } from '../support/cds-hooks-response-validator.js';
import { startLoopbackFhirServer, type LoopbackFhirServer } from '../support/loopback-fhir-server.js';
import { codingFrom, draft, issue, patient, searchset } from '../support/pincer-fixtures.js';
import { post, startTestService } from '../support/test-service.js';

// Index date 15 June 2026 (BST): the 3-month window is [2026-03-15, 2026-06-15] (clinical-spec §0).
const NOW = '2026-06-15T10:00:00.000+01:00';

type Resource = { resourceType: string; id?: string; [k: string]: unknown };

const methotrexate = () => codingFrom('pincer-met', 'Methotrexate 2.5mg tablets');
const warfarin = () => codingFrom('pincer-warfarin', 'Warfarin 1mg tablets');

const ONCE_WEEKLY = [
  {
    text: 'Take FOUR tablets once a week on Mondays',
    timing: { repeat: { frequency: 1, period: 1, periodUnit: 'wk' } },
  },
];
const DAILY = [
  { text: 'Take FOUR tablets daily', timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } } },
];

function withDosage(resource: Resource, dosageInstruction: unknown[]): Resource {
  return { ...resource, dosageInstruction };
}

/** A laboratory result coded from a PINCER test value set, taken on `date`. */
function result(patientId: string, valueSetId: string, display: string, date: string): Resource {
  const coding = codingFrom(valueSetId, display);
  return {
    resourceType: 'Observation',
    id: `obs-${randomUUID().slice(0, 8)}`,
    status: 'final',
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' },
        ],
      },
    ],
    code: { coding: [coding], text: coding.display },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: date,
  };
}

/** A request to a monitoring service with every prefetch key of cds-hooks/pincer-monitoring-*.json filled. */
function request(
  hook: 'patient-view' | 'order-sign',
  pt: Resource,
  history: Resource[],
  drafts: Resource[] = [],
) {
  const labResults = history.filter((r) => r.resourceType === 'Observation');
  return {
    hook,
    hookInstance: randomUUID(),
    context: {
      userId: 'Practitioner/gp-1',
      patientId: pt.id,
      ...(hook === 'order-sign'
        ? {
            draftOrders: {
              resourceType: 'Bundle',
              type: 'collection',
              entry: drafts.map((resource) => ({ resource })),
            },
          }
        : {}),
    },
    prefetch: {
      patient: pt,
      medications: searchset(history.filter((r) => r.resourceType === 'MedicationRequest')),
      labResults: labResults.length > 0 ? searchset(labResults) : null,
    },
    extension: { 'org.loopcds.evaluation-time': NOW },
  };
}

let service: Awaited<ReturnType<typeof startTestService>>;
let ehr: LoopbackFhirServer;
beforeAll(async () => {
  service = await startTestService({ fhirDeadlineMs: 400 });
  ehr = await startLoopbackFhirServer([
    patient('p-ehr', '1960-01-01'),
    withDosage(issue('p-ehr', methotrexate(), '2026-01-20'), ONCE_WEEKLY),
    withDosage(issue('p-ehr', methotrexate(), '2026-05-20'), ONCE_WEEKLY),
    result('p-ehr', 'pincer-fbc', 'Full blood count', '2026-05-01'),
  ]);
});
afterAll(async () => {
  await service.close();
  await ehr.close();
});

async function call(serviceId: string, body: unknown) {
  const res = await post(`${service.url}/cds-services/${serviceId}`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(validateCdsHooksResponse(res.body)).toEqual([]);
  return res.body as { cards: Array<Record<string, any>> };
}

describe('PINCER monitoring at patient-view', () => {
  it('shows a missing full blood count on methotrexate as an info card that requests the test', async () => {
    const pt = patient('p1', '1960-01-01');
    const { cards } = await call(
      'pincer-monitoring-patient-view',
      request('patient-view', pt, [
        withDosage(issue('p1', methotrexate(), '2026-01-20'), ONCE_WEEKLY),
        withDosage(issue('p1', methotrexate(), '2026-05-20'), ONCE_WEEKLY),
        result('p1', 'pincer-lft', 'Liver function test', '2026-05-01'),
      ]),
    );
    expect(cards.map((c) => `${c.indicator}: ${c.summary}`)).toEqual([
      'info: Methotrexate for 3 months or more with no full blood count in the last 3 months',
    ]);
    const card = cards[0]!;
    expect(card.source.topic.code).toBe('pincer-me-fbc');
    expect(card.links.map((l: { url: string }) => l.url)).toContain(
      'https://www.sps.nhs.uk/monitorings/methotrexate-monitoring/',
    );
    const action = card.suggestions[0].actions[0];
    expect(action.type).toBe('create');
    expect(action.resource.resourceType).toBe('ServiceRequest');
    expect(action.resource.code.coding[0]).toEqual(codingFrom('pincer-fbc', 'Complete blood count'));
    expect(action.resource.reasonCode[0].text).toContain('no full blood count since 2026-03-15');
  });

  it('runs warfarin without an INR in shadow: recorded as fired, no card returned', async () => {
    const pt = patient('p2', '1950-01-01');
    const { cards } = await call(
      'pincer-monitoring-patient-view',
      request('patient-view', pt, [
        issue('p2', warfarin(), '2026-01-20'),
        issue('p2', warfarin(), '2026-05-20'),
      ]),
    );
    expect(cards).toEqual([]);
    const record = service.recorder.hookCalls.find((c) => c.patientId === 'p2');
    const shadow = record?.evaluations.find((e) => e.release === 'pincer-warfarin-inr@1.0.0');
    expect(shadow?.role).toBe('shadow');
    expect(shadow?.result).toBe('fired');
  });
});

describe('PINCER monitoring at order-sign', () => {
  it('warns about a daily methotrexate order with no full blood count, naming the drug in both cards', async () => {
    const pt = patient('p3', '1960-01-01');
    const { cards } = await call(
      'pincer-monitoring-order-sign',
      request(
        'order-sign',
        pt,
        [
          withDosage(issue('p3', methotrexate(), '2026-01-20'), ONCE_WEEKLY),
          result('p3', 'pincer-lft', 'Liver function test', '2026-05-01'),
        ],
        [withDosage(draft('p3', methotrexate(), 'draft-mtx'), DAILY)],
      ),
    );
    expect(cards.map((c) => `${c.indicator}: ${c.summary}`).sort()).toEqual([
      'warning: Methotrexate 2.5mg tablets ordered without a once-weekly instruction',
      'warning: Methotrexate 2.5mg tablets with no full blood count in the last 3 months',
    ]);
    const weekly = cards.find((c) => c.source.topic.code === 'pincer-mtx-weekly')!;
    expect(weekly.suggestions[0].actions).toEqual([
      {
        type: 'delete',
        description: 'Cancel the draft order for Methotrexate 2.5mg tablets (no once-weekly instruction)',
        resourceId: 'MedicationRequest/draft-mtx',
      },
    ]);
  });

  it('stays silent when the order being signed is not a monitored drug, though a gap exists', async () => {
    const pt = patient('p4', '1960-01-01');
    const { cards } = await call(
      'pincer-monitoring-order-sign',
      request(
        'order-sign',
        pt,
        [
          withDosage(issue('p4', methotrexate(), '2026-01-20'), ONCE_WEEKLY),
          withDosage(issue('p4', methotrexate(), '2026-05-20'), ONCE_WEEKLY),
        ],
        [draft('p4', codingFrom('pincer-ppi', 'Omeprazole 20mg gastro-resistant capsules'))],
      ),
    );
    expect(cards).toEqual([]);
  });

  it('fetches missing prefetch from the EHR, laboratory results by category', async () => {
    const body = {
      hook: 'patient-view',
      hookInstance: randomUUID(),
      context: { userId: 'Practitioner/gp-1', patientId: 'p-ehr' },
      fhirServer: ehr.baseUrl,
      fhirAuthorization: {
        access_token: 'token',
        token_type: 'Bearer',
        expires_in: 300,
        scope: 'patient/*.read',
        subject: 'loopcds',
      },
      extension: { 'org.loopcds.evaluation-time': NOW },
    };
    const { cards } = await call('pincer-monitoring-patient-view', body);
    expect(ehr.requests.map((r) => r.url).sort()).toEqual([
      '/fhir/MedicationRequest?patient=p-ehr&_include=MedicationRequest:medication',
      '/fhir/Observation?patient=p-ehr&category=laboratory',
      '/fhir/Patient/p-ehr',
    ]);
    // The FBC came from the EHR; the LFT is missing, so only that card shows.
    expect(cards.map((c) => c.summary)).toEqual([
      'Methotrexate for 3 months or more with no liver function test in the last 3 months',
    ]);
  });
});
