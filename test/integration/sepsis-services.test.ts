import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateCdsHooksResponse } from '../support/cds-hooks-response-validator.js';
import { post, startTestService } from '../support/test-service.js';

// 15 June 2026, British Summer Time: the 1-hour observation window is [09:00, 10:00] +01:00.
const NOW = '2026-06-15T10:00:00.000+01:00';
const TAKEN = '2026-06-15T09:30:00+01:00';
const LOINC = 'http://loinc.org';
const SCT = 'http://snomed.info/sct';

type Resource = Record<string, unknown>;

function reading(id: string, system: string, code: string, value: Record<string, unknown>): Resource {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system, code }] },
    subject: { reference: 'Patient/p1' },
    effectiveDateTime: TAKEN,
    ...value,
  };
}

const quantity = (value: number, code: string) => ({
  valueQuantity: { value, unit: code, system: 'http://unitsofmeasure.org', code },
});

/** RR 25, SpO2 97 on air, SBP 90, pulse 131, alert, 37.0 °C: NEWS2 9; qSOFA 2 (RR and SBP). */
const unwell: Resource[] = [
  reading('rr', LOINC, '9279-1', quantity(25, '/min')),
  reading('spo2', LOINC, '59408-5', quantity(97, '%')),
  reading('air', SCT, '722742002', {}),
  reading('sbp', LOINC, '8480-6', quantity(90, 'mm[Hg]')),
  reading('hr', LOINC, '8867-4', quantity(131, '/min')),
  reading('acvpu', SCT, '1104441000000107', {
    valueCodeableConcept: { coding: [{ system: SCT, code: '248234008' }] },
  }),
  reading('temp', LOINC, '8310-5', quantity(37, 'Cel')),
];

const bundle = (resources: Resource[]) => ({
  resourceType: 'Bundle',
  type: 'searchset',
  entry: resources.map((resource) => ({ resource })),
});

function request(hook: string, prefetchKeys: string[], resources: Resource[]) {
  const prefetch: Record<string, unknown> = {
    patient: { resourceType: 'Patient', id: 'p1', birthDate: '1950-04-01', gender: 'male' },
  };
  // CDS Hooks 2.0 §Prefetch: null means "no data"; every other key is answered from the same bundle.
  for (const key of prefetchKeys) prefetch[key] = key === 'vitals' ? bundle(resources) : null;
  return {
    hook,
    hookInstance: crypto.randomUUID(),
    context: {
      userId: 'Practitioner/dr-1',
      patientId: 'p1',
      ...(hook === 'encounter-start' ? { encounterId: 'enc-1' } : {}),
    },
    prefetch,
    extension: { 'org.loopcds.evaluation-time': NOW },
  };
}

let service: Awaited<ReturnType<typeof startTestService>>;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service.close();
});

async function call(serviceId: string, hook: string, keys: string[], resources: Resource[]) {
  const res = await post(`${service.url}/cds-services/${serviceId}`, request(hook, keys, resources));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(validateCdsHooksResponse(res.body)).toEqual([]);
  return res.body as { cards: Array<Record<string, any>> };
}

const NEWS2_KEYS = ['vitals', 'assessments', 'conditions', 'goals'];

describe('sepsis services', () => {
  it('shows a critical NEWS2 card at patient-view for NEWS2 9', async () => {
    const { cards } = await call('sepsis-news2-patient-view', 'patient-view', NEWS2_KEYS, unwell);
    expect(cards).toHaveLength(1);
    expect(cards[0]!.indicator).toBe('critical');
    expect(cards[0]!.summary).toBe(
      'NEWS2 9: high risk of severe illness or death from sepsis if infection suspected (antimicrobials within 1 h)',
    );
    expect(cards[0]!.source.topic.code).toBe('sepsis-news2');
    expect(cards[0]!.detail).toContain('| pulse | 131/min | 2026-06-15T09:30:00+01:00 | 3 |');
  });

  it('shows the same NEWS2 card at encounter-start', async () => {
    const { cards } = await call('sepsis-encounter-start', 'encounter-start', NEWS2_KEYS, unwell);
    expect(cards.map((c) => c.indicator)).toEqual(['critical']);
  });

  it('shows a qSOFA card, not a NEWS2 card, on the service whose parameters choose qSOFA', async () => {
    const { cards } = await call('sepsis-qsofa-patient-view', 'patient-view', NEWS2_KEYS, unwell);
    expect(cards).toHaveLength(1);
    expect(cards[0]!.indicator).toBe('warning');
    expect(cards[0]!.summary).toBe(
      'qSOFA 2/3: positive; higher risk of a poor outcome if infection is suspected (Sepsis-3)',
    );
  });

  it('shows a critical card for NICE community high-risk criteria', async () => {
    const { cards } = await call(
      'sepsis-community-patient-view',
      'patient-view',
      ['vitals', 'assessments', 'conditions', 'procedures'],
      unwell,
    );
    expect(cards).toHaveLength(1);
    expect(cards[0]!.indicator).toBe('critical');
    expect(cards[0]!.summary).toBe(
      'NICE high-risk sepsis criteria met (RR 25/min, SBP 90 mmHg, HR 131/min): if infection suspected, refer for emergency care',
    );
  });

  it('shows no card when every vital sign is older than the window', async () => {
    const stale = unwell.map((r) => ({ ...r, effectiveDateTime: '2026-06-15T08:45:00+01:00' }));
    const { cards } = await call('sepsis-news2-patient-view', 'patient-view', NEWS2_KEYS, stale);
    expect(cards).toEqual([]);
  });
});
