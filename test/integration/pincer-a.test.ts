import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateCdsHooksResponse } from '../support/cds-hooks-response-validator.js';
import { draft, drugs, issue, orderRequest, patient } from '../support/pincer-fixtures.js';
import { post, startTestService } from '../support/test-service.js';

// Index date 15 June 2026, during British Summer Time: Today() is 2026-06-15 and the 3-month window
// is [2026-03-15, 2026-06-15], both ends included (clinical-spec §0).
const NOW = '2026-06-15T10:00:00.000+01:00';
const AGED_65_TODAY = '1961-06-15';
const AGED_64_UNTIL_TOMORROW = '1961-06-16';
const AGED_72 = '1953-05-02';
const EXACTLY_3_MONTHS_AGO = '2026-03-15';
const THREE_MONTHS_AND_A_DAY_AGO = '2026-03-14';

let service: Awaited<ReturnType<typeof startTestService>>;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service.close();
});

async function call(body: Record<string, unknown>, serviceId = 'pincer-order-sign') {
  const res = await post(`${service.url}/cds-services/${serviceId}`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(validateCdsHooksResponse(res.body)).toEqual([]);
  return res.body as { cards: Array<Record<string, any>>; extension?: Record<string, unknown> };
}

describe('PINCER A at order-sign', () => {
  it('warns when a 73-year-old is prescribed ibuprofen with no gastroprotection', async () => {
    const pt = patient('p1', AGED_72);
    const { cards } = await call(
      orderRequest('order-sign', pt, [], [draft('p1', drugs.ibuprofen(), 'draft-ibu')], NOW),
    );
    expect(cards).toHaveLength(1);
    const card = cards[0]!;
    expect(card.indicator).toBe('warning');
    expect(card.summary).toBe('Ibuprofen 400mg tablets with no gastroprotection in a 73-year-old');
    expect(card.source.topic.code).toBe('pincer-a');
    expect(card.source.url).toMatch(/^https:\/\//);
    expect(card.detail).toContain('Age on 2026-06-15: **73**');
    expect(card.detail).toContain('Ibuprofen 400mg tablets, being ordered now');
    expect(card.detail).toContain('issued from 2026-03-15 to today: **none found**');
    expect(card.selectionBehavior).toBe('at-most-one');
    const [add, cancel] = card.suggestions;
    expect(add.label).toBe('Add omeprazole 20 mg capsules, one daily');
    const resource = add.actions[0].resource;
    expect(add.actions[0].type).toBe('create');
    expect(resource.medicationCodeableConcept.coding[0]).toEqual(drugs.omeprazole());
    expect(resource.subject.reference).toBe('Patient/p1');
    expect(resource.requester.reference).toBe('Practitioner/gp-1');
    expect(resource.dosageInstruction[0].timing.repeat).toEqual({ frequency: 1, period: 1, periodUnit: 'd' });
    expect(cancel.actions).toEqual([
      {
        type: 'delete',
        description: 'Cancel the draft order for Ibuprofen 400mg tablets',
        resourceId: 'MedicationRequest/draft-ibu',
      },
    ]);
    expect(card.overrideReasons.length).toBeGreaterThan(0);
    expect(card.links.map((l: { url: string }) => l.url)).toContain(
      'https://cks.nice.org.uk/topics/nsaids-prescribing-issues/',
    );
  });

  it('fires on the 65th birthday', async () => {
    const { cards } = await call(
      orderRequest('order-sign', patient('p', AGED_65_TODAY), [], [draft('p', drugs.naproxen())], NOW),
    );
    expect(cards).toHaveLength(1);
    expect(cards[0]!.summary).toContain('65-year-old');
  });

  it('does not fire the day before the 65th birthday', async () => {
    const { cards } = await call(
      orderRequest(
        'order-sign',
        patient('p', AGED_64_UNTIL_TOMORROW),
        [],
        [draft('p', drugs.naproxen())],
        NOW,
      ),
    );
    expect(cards).toEqual([]);
  });

  it('fires on an NSAID issued exactly 3 months ago, with no NSAID being ordered', async () => {
    const pt = patient('p', AGED_72);
    const { cards } = await call(
      orderRequest('order-sign', pt, [issue('p', drugs.ibuprofen(), EXACTLY_3_MONTHS_AGO)], [], NOW),
    );
    expect(cards).toHaveLength(1);
    expect(cards[0]!.indicator).toBe('info');
    expect(cards[0]!.summary).toBe('Oral NSAID in the last 3 months with no gastroprotection, aged 73');
    expect(cards[0]!.detail).toContain(`issued ${EXACTLY_3_MONTHS_AGO}`);
    // Nothing is being ordered, so there is nothing to cancel; gastroprotection is still offered.
    expect(cards[0]!.suggestions.map((s: { label: string }) => s.label)).toEqual([
      'Add omeprazole 20 mg capsules, one daily',
    ]);
  });

  it('does not fire on an NSAID issued 3 months and 1 day ago', async () => {
    const pt = patient('p', AGED_72);
    const { cards } = await call(
      orderRequest('order-sign', pt, [issue('p', drugs.ibuprofen(), THREE_MONTHS_AND_A_DAY_AGO)], [], NOW),
    );
    expect(cards).toEqual([]);
  });

  it('does not fire when a PPI was issued inside the window', async () => {
    const pt = patient('p', AGED_72);
    const history = [issue('p', drugs.omeprazole(), EXACTLY_3_MONTHS_AGO)];
    expect(
      (await call(orderRequest('order-sign', pt, history, [draft('p', drugs.ibuprofen())], NOW))).cards,
    ).toEqual([]);
  });

  it('fires when the only PPI was issued just outside the window', async () => {
    const pt = patient('p', AGED_72);
    const history = [issue('p', drugs.omeprazole(), THREE_MONTHS_AND_A_DAY_AGO)];
    expect(
      (await call(orderRequest('order-sign', pt, history, [draft('p', drugs.ibuprofen())], NOW))).cards,
    ).toHaveLength(1);
  });

  it('counts an H2-receptor antagonist as gastroprotection', async () => {
    const pt = patient('p', AGED_72);
    const history = [issue('p', drugs.famotidine(), '2026-05-20')];
    expect(
      (await call(orderRequest('order-sign', pt, history, [draft('p', drugs.ibuprofen())], NOW))).cards,
    ).toEqual([]);
  });

  it('does not fire on a combination NSAID and PPI product', async () => {
    const pt = patient('p', AGED_72);
    expect(
      (await call(orderRequest('order-sign', pt, [], [draft('p', drugs.naproxenEsomeprazole())], NOW))).cards,
    ).toEqual([]);
  });

  it('does not fire when a PPI is ordered together with the NSAID', async () => {
    const pt = patient('p', AGED_72);
    const drafts = [draft('p', drugs.ibuprofen(), 'd1'), draft('p', drugs.omeprazole(), 'd2')];
    expect((await call(orderRequest('order-sign', pt, [], drafts, NOW))).cards).toEqual([]);
  });

  it('ignores cancelled and entered-in-error issues', async () => {
    const pt = patient('p', AGED_72);
    const history = [
      issue('p', drugs.ibuprofen(), '2026-05-01', 'cancelled'),
      issue('p', drugs.ibuprofen(), '2026-05-02', 'entered-in-error'),
    ];
    expect((await call(orderRequest('order-sign', pt, history, [], NOW))).cards).toEqual([]);
  });

  it('resolves a contained medicationReference to its code', async () => {
    const pt = patient('p', AGED_72);
    const order = {
      resourceType: 'MedicationRequest',
      id: 'draft-ref',
      status: 'draft',
      intent: 'order',
      contained: [{ resourceType: 'Medication', id: 'med1', code: { coding: [drugs.naproxen()] } }],
      medicationReference: { reference: '#med1' },
      subject: { reference: 'Patient/p' },
    };
    const { cards } = await call(orderRequest('order-sign', pt, [], [order], NOW));
    expect(cards).toHaveLength(1);
    expect(cards[0]!.suggestions[1].actions[0].resourceId).toBe('MedicationRequest/draft-ref');
  });

  it('resolves a medicationReference to a Medication included in the prefetch bundle', async () => {
    const pt = patient('p', AGED_72);
    const medication = { resourceType: 'Medication', id: 'm-ibu', code: { coding: [drugs.ibuprofen()] } };
    const mr = {
      ...issue('p', drugs.ibuprofen(), '2026-06-01'),
      medicationCodeableConcept: undefined,
      medicationReference: { reference: 'Medication/m-ibu' },
    };
    const body = orderRequest('order-sign', pt, [mr, medication], [], NOW);
    expect((await call(body)).cards).toHaveLength(1);
  });

  it('reports an unknown age as incomplete rather than as not aged 65', async () => {
    const pt = patient('p', undefined);
    const body = await call(orderRequest('order-sign', pt, [], [draft('p', drugs.ibuprofen())], NOW));
    expect(body.cards).toEqual([]);
    expect(body.extension).toEqual({
      'org.loopcds.evaluations': [
        { release: 'pincer-a@1.0.0', result: 'incomplete', missingData: ['Patient.birthDate'] },
      ],
    });
  });
});

describe('PINCER A at order-select and patient-view', () => {
  it('warns at order-select on the drug being selected', async () => {
    const pt = patient('p', AGED_72);
    const { cards } = await call(
      orderRequest('order-select', pt, [], [draft('p', drugs.naproxen(), 'sel-1')], NOW),
      'pincer-order-select',
    );
    expect(cards.map((c) => [c.indicator, c.summary])).toEqual([
      ['warning', 'Naproxen 500mg tablets with no gastroprotection in a 73-year-old'],
    ]);
  });

  it('shows an existing hazard as an info card at patient-view', async () => {
    const pt = patient('p', AGED_72);
    const body = {
      hook: 'patient-view',
      hookInstance: crypto.randomUUID(),
      context: { userId: 'Practitioner/gp-1', patientId: 'p' },
      prefetch: {
        patient: pt,
        conditions: null,
        egfr: null,
        medications: {
          resourceType: 'Bundle',
          type: 'searchset',
          entry: [{ resource: issue('p', drugs.ibuprofen(), '2026-06-01') }],
        },
      },
      extension: { 'org.loopcds.evaluation-time': NOW },
    };
    const { cards } = await call(body, 'pincer-patient-view');
    expect(cards.map((c) => c.indicator)).toEqual(['info']);
  });

  it('records every evaluation with its release and card', async () => {
    const before = service.recorder.hookCalls.length;
    const pt = patient('p', AGED_72);
    const { cards } = await call(orderRequest('order-sign', pt, [], [draft('p', drugs.ibuprofen())], NOW));
    const record = service.recorder.hookCalls[before]!;
    expect(record.serviceId).toBe('pincer-order-sign');
    // The service runs every PINCER prescribing-hazard release; only A fires for this patient.
    expect(record.evaluations).toEqual([
      expect.objectContaining({
        release: 'pincer-a@1.0.0',
        role: 'active',
        result: 'fired',
        cards: [expect.objectContaining({ uuid: cards[0]!.uuid })],
      }),
      ...['b', 'c', 'd', 'e', 'f', 'g', 'i', 'k'].map((x) =>
        expect.objectContaining({
          release: `pincer-${x}@1.0.0`,
          role: 'active',
          result: 'not-fired',
          cards: [],
        }),
      ),
    ]);
    expect(record.prefetch.supplied.sort()).toEqual(['conditions', 'egfr', 'medications', 'patient']);
    expect(JSON.stringify(record)).not.toContain('birthDate');
  });
});
