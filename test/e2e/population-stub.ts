import express, { type Router } from 'express';
import type { RunReport, RunStatus, ActionRow } from '../../console/src/population-types.js';

/**
 * A stand-in for the population API (src/population), serving one finished run and its report in the
 * shapes of src/population/run-report.ts, so that the population pages are driven in the browser until
 * the real API is mounted. Three practices, two indicators, two runs.
 */
export function populationStub(): { router: Router; report: RunReport; actions: ActionRow[] } {
  const practices = [
    { id: 'P1', name: 'Riverside Surgery', listSize: 5200 },
    { id: 'P2', name: 'Hillview Practice', listSize: 3100 },
    { id: 'P3', name: 'Station Road Medical Centre', listSize: 7800 },
  ];
  const counts: Record<string, Record<string, [number, number]>> = {
    'pincer-a': { P1: [12, 400], P2: [3, 210], P3: [30, 610] },
    'pincer-k': { P1: [2, 50], P2: [0, 22], P3: [5, 81] },
  };
  const wilson = (x: number, n: number) => {
    const z = 1.959964;
    const p = x / n;
    const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
    const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
    return { low: centre - half, high: centre + half };
  };
  const rates = Object.entries(counts).flatMap(([artefactId, byPractice]) =>
    practices.map((p) => {
      const [numerator, denominator] = byPractice[p.id] ?? [0, 0];
      const rate = numerator / denominator;
      const all = Object.values(byPractice).map(([x, n]) => x / n);
      return {
        practiceId: p.id,
        practiceName: p.name,
        release: `${artefactId}@1.0.0`,
        artefactId,
        title: artefactId.toUpperCase(),
        listSize: p.listSize,
        denominator,
        numerator,
        incomplete: 1,
        errors: 0,
        rate,
        ci: wilson(numerator, denominator),
        rank: all.filter((r) => r > rate).length + 1,
        peers: all.length,
        percentile: Math.round((1000 * all.filter((r) => r <= rate).length) / all.length) / 10,
        previous: {
          runId: 'run-1',
          asOf: '2026-01-01',
          rate: rate + 0.01,
          change: -0.01,
          resolved: 2,
          new: 1,
        },
      };
    }),
  );
  const indicators = Object.keys(counts).map((artefactId) => ({
    release: `${artefactId}@1.0.0`,
    artefactId,
    title: artefactId.toUpperCase(),
    denominator: 0,
    numerator: 0,
    rate: null,
    practices: 3,
    deciles: [0.01, 0.012, 0.014, 0.016, 0.02, 0.025, 0.03, 0.04, 0.05],
    history: [
      {
        runId: 'run-1',
        asOf: '2026-01-01',
        deciles: [0.02, 0.022, 0.024, 0.026, 0.03, 0.035, 0.04, 0.05, 0.06],
        rates: { P1: 0.04, P2: 0.02, P3: 0.06 },
      },
      {
        runId: 'run-2',
        asOf: '2026-04-01',
        deciles: [0.01, 0.012, 0.014, 0.016, 0.02, 0.025, 0.03, 0.04, 0.05],
        rates: Object.fromEntries(
          rates.filter((r) => r.artefactId === artefactId).map((r) => [r.practiceId, r.rate]),
        ),
      },
    ],
  }));
  const report: RunReport = {
    runId: 'run-2',
    asOf: '2026-04-01',
    source: 'ndjson:/data/synth',
    patients: 16100,
    practices,
    indicators,
    rates,
    errors: 0,
    previousRun: { id: 'run-1', asOf: '2026-01-01' },
  };
  const run: RunStatus = {
    id: 'run-2',
    createdAt: '2026-04-01T08:00:00.000Z',
    asOf: '2026-04-01',
    source: report.source,
    status: 'complete',
    patients: 16100,
    finishedAt: '2026-04-01T08:00:20.000Z',
    releases: indicators.map((i) => ({ key: i.release, id: i.artefactId })),
  };
  const actions: ActionRow[] = [
    {
      practiceId: 'P1',
      patientId: 'pt-1',
      nhsNumber: '9990000018',
      name: 'Margaret Hale',
      birthDate: '1953-05-02',
      gender: 'female',
      release: 'pincer-a@1.0.0',
      summary: 'Ibuprofen 400mg tablets with no gastroprotection in a 72-year-old',
      evidence: { drug: 'Ibuprofen 400mg tablets', lastIssued: '2026-03-20' },
      missingData: [],
      inNumerator: true,
    },
    {
      practiceId: 'P1',
      patientId: 'pt-2',
      nhsNumber: '9990000026',
      name: 'Arthur Bennett',
      birthDate: '1960-01-01',
      gender: 'male',
      release: 'pincer-k@1.0.0',
      summary: 'Ibuprofen 400mg tablets with eGFR 44 (below 45)',
      evidence: { drug: 'Ibuprofen 400mg tablets', egfr: 44 },
      missingData: [],
      inNumerator: true,
    },
  ];
  const router = express.Router();
  router.get('/runs', (_req, res) => void res.json({ runs: [run] }));
  router.get('/runs/:id', (_req, res) => void res.json({ run }));
  router.get('/runs/:id/report', (_req, res) => void res.json(report));
  router.get(
    '/runs/:id/practices/:practice/actions',
    (req, res) => void res.json({ rows: actions.filter((a) => a.practiceId === req.params.practice) }),
  );
  return { router, report, actions };
}
