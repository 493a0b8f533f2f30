import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { comparisonsCsv, figuresCsv } from '../../src/outcomes/figures-csv.js';
import { MEASURE_POPULATION_SYSTEM, toMeasureReport } from '../../src/outcomes/measure-report.js';
import type { OutcomeStore, ReleaseFigures } from '../../src/outcomes/outcome-store.js';
import { RECORDED_CALLS, RECORDED_FEEDBACK, RELEASES } from './recorded-outcomes.js';
import { BACKENDS, scratchDatabase, type ScratchDatabase } from './store-backends.js';

const { A1, A2, B1, REASONS } = RELEASES;
const INELIGIBLE = { system: REASONS, code: 'patient-ineligible' };

/** Figures worked out by hand from the table in recorded-outcomes.ts. */
const EXPECTED_BY_SITE_AND_WEEK: ReadonlyArray<Partial<ReleaseFigures>> = [
  {
    release: A1,
    site: 'site-A',
    week: '2026-W47',
    evaluations: 4,
    activeEvaluations: 4,
    shadowEvaluations: 0,
    results: { fired: 2, notFired: 1, incomplete: 1, error: 0 },
    firingRate: 2 / 3, // c1, c2 of c1–c3 (c4 could not decide)
    cardsShown: 2,
    cardsWithFeedback: 2,
    accepted: 1, // c1: overridden, then accepted: the latest counts
    overridden: 1, // c2
    acceptanceRate: 1 / 2,
    overrideRate: 1 / 2,
    overrideReasons: [{ ...INELIGIBLE, display: 'Patient does not meet eligibility', count: 1 }],
    suggestionsTaken: 1,
    incompleteDataRate: 1 / 4,
    errorRate: 0,
    evaluationMs: { median: 20, p95: 40 }, // 10 20 30 40: ranks ⌈2⌉ and ⌈3.8⌉
  },
  {
    release: A1,
    site: 'site-A',
    week: '2026-W48',
    evaluations: 2,
    results: { fired: 1, notFired: 0, incomplete: 0, error: 1 },
    firingRate: 1,
    cardsShown: 1,
    accepted: 0,
    overridden: 1, // c5, comment only
    acceptanceRate: 0,
    overrideRate: 1,
    overrideReasons: [{ system: null, code: null, display: null, count: 1 }],
    suggestionsTaken: 0,
    incompleteDataRate: 0,
    errorRate: 1 / 2,
    evaluationMs: { median: 50, p95: 60 },
  },
  {
    release: A1,
    site: 'site-B',
    week: '2026-W48',
    evaluations: 2,
    results: { fired: 1, notFired: 1, incomplete: 0, error: 0 },
    firingRate: 1 / 2,
    cardsShown: 1,
    accepted: 1,
    overridden: 0,
    acceptanceRate: 1,
    overrideRate: 0,
    overrideReasons: [],
    suggestionsTaken: 2,
    evaluationMs: { median: 70, p95: 80 },
  },
  {
    release: A2,
    site: 'site-A',
    week: '2026-W47',
    evaluations: 4,
    activeEvaluations: 0,
    shadowEvaluations: 4,
    results: { fired: 2, notFired: 1, incomplete: 1, error: 0 },
    cardsShown: 0, // shadow cards are never shown
    acceptanceRate: null,
    overrideRate: null,
    evaluationMs: { median: 14, p95: 18 },
  },
  { release: A2, site: 'site-A', week: '2026-W48', evaluations: 2, evaluationMs: { median: 20, p95: 22 } },
  { release: A2, site: 'site-B', week: '2026-W48', evaluations: 2, evaluationMs: { median: 24, p95: 26 } },
  {
    release: B1,
    site: 'site-B',
    week: '2026-W48',
    evaluations: 2,
    results: { fired: 1, notFired: 1, incomplete: 0, error: 0 },
    cardsShown: 1,
    overridden: 1,
    overrideRate: 1,
    overrideReasons: [{ system: REASONS, code: 'recipient-concerns-outcomes', display: null, count: 1 }],
    evaluationMs: { median: 5, p95: 7 },
  },
];

describe.each(BACKENDS)('learning figures from the %s store', (backend) => {
  let db: ScratchDatabase;
  let store: OutcomeStore;

  beforeAll(async () => {
    db = await scratchDatabase(backend);
    store = db.open();
    await store.migrate();
    await store.write({ hookCalls: [...RECORDED_CALLS], feedback: [...RECORDED_FEEDBACK] });
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  it('gives each release its figures by site and ISO week', async () => {
    const figures = await store.figures();
    expect(figures).toHaveLength(EXPECTED_BY_SITE_AND_WEEK.length);
    for (const expected of EXPECTED_BY_SITE_AND_WEEK) {
      const row = figures.find(
        (f) => f.release === expected.release && f.site === expected.site && f.week === expected.week,
      );
      expect(row, JSON.stringify(expected)).toMatchObject(expected);
    }
  });

  it('adds up every site and week of a release when asked to', async () => {
    const [a1] = await store.figures({ release: A1, groupBy: [] });
    expect(a1).toMatchObject({
      release: A1,
      artefactId: 'pincer-a',
      version: '1.0.0',
      site: null,
      week: null,
      evaluations: 8,
      results: { fired: 4, notFired: 2, incomplete: 1, error: 1 },
      firingRate: 4 / 6,
      cardsShown: 4,
      cardsWithFeedback: 4,
      accepted: 2,
      overridden: 2,
      acceptanceRate: 1 / 2,
      overrideRate: 1 / 2,
      suggestionsTaken: 3,
      incompleteDataRate: 1 / 8,
      errorRate: 1 / 8,
      evaluationMs: { median: 40, p95: 80 }, // 10 … 80: ranks ⌈4⌉ and ⌈7.6⌉
    });
    expect(a1!.overrideReasons.map((r) => [r.code, r.count])).toEqual([
      [null, 1],
      ['patient-ineligible', 1],
    ]);
  });

  it('filters by week, site and artefact, and groups by week alone', async () => {
    const w48 = await store.figures({
      from: '2026-W48',
      to: '2026-W48',
      artefact: 'pincer-a',
      groupBy: ['week'],
    });
    expect(w48.map((f) => [f.release, f.week, f.evaluations, f.cardsShown])).toEqual([
      [A1, '2026-W48', 4, 2],
      [A2, '2026-W48', 4, 0],
    ]);
    const siteB = await store.figures({ site: 'site-B', to: '2026-11-25', groupBy: ['site'] });
    expect(siteB.map((f) => [f.release, f.evaluations])).toEqual([
      [A1, 1],
      [A2, 1],
      [B1, 1],
    ]);
  });

  it('compares the shadow release with the active one on the same calls', async () => {
    const [comparison, ...others] = await store.comparisons({ groupBy: [] });
    expect(others).toEqual([]);
    expect(comparison).toEqual({
      artefactId: 'pincer-a',
      a: A1,
      b: A2,
      site: null,
      week: null,
      calls: 8,
      agreed: 5, // c1 c4 c5 c7 c8
      disagreed: 3, // c2 c3 c6
      disagreementRate: 3 / 8,
      onlyAFired: 1, // c2
      onlyBFired: 1, // c3
      cardCountDiffered: 1, // c7: 1 card against 2
      matrix: {
        fired: { fired: 3, 'not-fired': 1, incomplete: 0, error: 0 },
        'not-fired': { fired: 1, 'not-fired': 1, incomplete: 0, error: 0 },
        incomplete: { fired: 0, 'not-fired': 0, incomplete: 1, error: 0 },
        error: { fired: 0, 'not-fired': 1, incomplete: 0, error: 0 },
      },
    });
    const byWeek = await store.comparisons({ releases: [A2, A1], groupBy: ['week'] });
    expect(byWeek.map((c) => [c.a, c.b, c.week, c.calls, c.disagreed, c.onlyAFired, c.onlyBFired])).toEqual([
      [A2, A1, '2026-W47', 4, 2, 1, 1],
      [A2, A1, '2026-W48', 4, 1, 0, 0],
    ]);
  });

  it('writes one MeasureReport per release and week, with HL7 populations and scores', async () => {
    const [a1w47] = await store.figures({ release: A1, to: '2026-W47', groupBy: ['week'] });
    const report = toMeasureReport(a1w47!, { generatedAt: new Date('2026-12-01T00:00:00Z') });
    expect(report).toMatchObject({
      resourceType: 'MeasureReport',
      status: 'complete',
      type: 'summary',
      measure: 'https://loopcds.org/fhir/Measure/pincer-a|1.0.0',
      period: { start: '2026-11-16', end: '2026-11-22' },
    });
    expect(report.reporter).toBeUndefined();
    const groupOf = (code: string) => report.group.find((g) => g.code.coding?.[0]?.code === code)!;
    const counts = (code: string) =>
      Object.fromEntries(groupOf(code).population.map((p) => [p.code.coding![0]!.code, p.count]));
    expect(counts('firing-rate')).toEqual({
      'initial-population': 4,
      'denominator-exclusion': 1,
      denominator: 3,
      numerator: 2,
    });
    expect(groupOf('firing-rate').measureScore).toEqual({ value: 0.666667 });
    expect(groupOf('acceptance-rate').measureScore).toEqual({ value: 0.5 });
    expect(groupOf('override-rate').stratifier![0]!.stratum).toEqual([
      expect.objectContaining({
        value: { coding: [{ ...INELIGIBLE, display: 'Patient does not meet eligibility' }] },
      }),
    ]);
    expect(groupOf('evaluation-time-p95').measureScore).toMatchObject({ value: 40, code: 'ms' });
    expect(groupOf('firing-rate').population[0]!.code.coding![0]!.system).toBe(MEASURE_POPULATION_SYSTEM);
  });

  it('writes the figures and the comparisons as CSV', async () => {
    const csv = figuresCsv(await store.figures({ release: A1, groupBy: [] }));
    const [header, row] = csv.trimEnd().split('\r\n');
    const cells = Object.fromEntries(header!.split(',').map((h, i) => [h, row!.split(',')[i]]));
    expect(cells).toMatchObject({
      release: A1,
      site: 'all',
      evaluations: '8',
      firing_rate: '0.666667',
      acceptance_rate: '0.5',
      override_reasons: '(comment only)=1; patient-ineligible=1',
      evaluation_ms_median: '40',
    });
    const comparison = comparisonsCsv(await store.comparisons({ groupBy: [] }));
    expect(comparison.split('\r\n')[1]).toMatch(
      /^pincer-a,pincer-a@1\.0\.0,pincer-a@1\.1\.0,all,all,8,5,3,0\.375,1,1,1,3,1,/,
    );
  });
});
