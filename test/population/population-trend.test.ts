import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pseudonymiser } from '../../src/outcomes/pseudonymiser.js';
import { SqliteConnection } from '../../src/outcomes/sqlite-connection.js';
import { searchPopulation, type SearchResult } from '../../src/population/population-search.js';
import { SqlRunStore } from '../../src/population/sql-run-store.js';
import { KNOWLEDGE, testPopulation } from './support/test-population.js';

/**
 * Issue 6 §6: runs are stored with their date and releases; the report places each practice among its
 * peers and against its own previous run (change in rate, patients resolved, patients new), and §5:
 * patient-identifiable outputs are written only under --out, in the action lists.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'loopcds-trend-'));
let population: Awaited<ReturnType<typeof testPopulation>>;
let store: SqlRunStore;
let first: SearchResult;
let second: SearchResult;
const ARTEFACTS = 'pincer-a,pincer-d,pincer-i';

beforeAll(async () => {
  population = await testPopulation(150, 4, 777);
  store = await SqlRunStore.open(new SqliteConnection(path.join(dir, 'store.sqlite')));
  const common = {
    knowledge: KNOWLEDGE,
    source: { kind: 'folder' as const, dir: population.dir },
    artefacts: ARTEFACTS,
    timeZone: 'Europe/London',
    workers: 2,
    scratchDir: dir,
    store,
    pseudonymiser: new Pseudonymiser('a-pseudonym-key-for-the-population-trend-test'),
  };
  // The same records a month and a half later: NSAID courses age out of the 3-month window.
  first = await searchPopulation({ ...common, asOf: '2026-10-01', outDir: path.join(dir, 'out-1') });
  second = await searchPopulation({ ...common, asOf: '2026-11-15', outDir: path.join(dir, 'out-2') });
}, 180_000);

afterAll(async () => {
  await store?.close();
  population?.remove();
  rmSync(dir, { recursive: true, force: true });
});

const numeratorIds = (r: SearchResult, practiceId: string, release: string) =>
  new Set(
    r.actions
      .filter((a) => a.inNumerator && a.practiceId === practiceId && a.release === release)
      .map((a) => a.patientId),
  );

describe('comparison with the previous run and with peers', () => {
  it('stores each run with its index date and releases, and finds the previous one', async () => {
    const runs = await store.listRuns();
    expect(runs.map((r) => [r.asOf, r.status])).toEqual([
      ['2026-11-15', 'complete'],
      ['2026-10-01', 'complete'],
    ]);
    expect(runs[0]!.releases.map((r) => r.key)).toEqual([
      'pincer-a@1.0.0',
      'pincer-d@1.0.0',
      'pincer-i@1.0.0',
    ]);
    expect(first.report.previousRun).toBeNull();
    expect(second.report.previousRun).toEqual({ id: first.runId, asOf: '2026-10-01' });
  });

  it('gives, per practice and indicator, the change in rate and the patients resolved and new', () => {
    let resolved = 0;
    for (const r of second.report.rates) {
      const before = first.report.rates.find(
        (x) => x.practiceId === r.practiceId && x.release === r.release,
      )!;
      const was = numeratorIds(first, r.practiceId, r.release);
      const is = numeratorIds(second, r.practiceId, r.release);
      expect(r.previous).toMatchObject({
        runId: first.runId,
        denominator: before.denominator,
        numerator: before.numerator,
        resolved: [...was].filter((p) => !is.has(p)).length,
        new: [...is].filter((p) => !was.has(p)).length,
      });
      if (r.rate !== null && before.rate !== null)
        expect(r.previous!.change).toBeCloseTo(r.rate - before.rate, 12);
      resolved += r.previous!.resolved;
    }
    expect(resolved).toBeGreaterThan(0);
    expect(second.newFlags.every((f) => typeof f === 'boolean')).toBe(true);
    expect(first.newFlags.every((f) => f === null)).toBe(true);
  });

  it('ranks practices and draws deciles over both runs, oldest first', () => {
    const a = second.report.indicators.find((i) => i.artefactId === 'pincer-a')!;
    expect(a.history.map((h) => h.asOf)).toEqual(['2026-10-01', '2026-11-15']);
    expect(a.deciles).toHaveLength(9);
    const ranked = second.report.rates.filter((r) => r.release === a.release && r.rate !== null);
    const top = ranked.reduce((m, r) => Math.max(m, r.rate!), 0);
    expect(ranked.filter((r) => r.rank === 1).every((r) => r.rate === top)).toBe(true);
    expect(ranked.every((r) => r.ci !== null && r.ci.low <= r.rate! && r.rate! <= r.ci.high)).toBe(true);
  });
});

describe('outputs', () => {
  const out = () => path.join(dir, 'out-2');
  const ids = () => second.actions.map((a) => a.patientId);

  it('writes rates as CSV, JSON and FHIR MeasureReports without any patient id', () => {
    for (const file of ['rates.csv', 'rates.json', 'measure-reports.json', 'report.html']) {
      const text = readFileSync(path.join(out(), file), 'utf8');
      for (const id of ids()) expect(text).not.toContain(id);
    }
    const bundle = JSON.parse(readFileSync(path.join(out(), 'measure-reports.json'), 'utf8')) as {
      entry: Array<{ resource: { type: string; measure: string } }>;
    };
    expect(bundle.entry.every((e) => e.resource.type === 'summary')).toBe(true);
    expect(bundle.entry[0]!.resource.measure).toMatch(
      /^https:\/\/loopcds\.org\/fhir\/Measure\/population\/pincer-a\|1\.0\.0$/,
    );
  });

  it('writes each practice its action list (CSV and HTML) and subject-list MeasureReports naming its patients', () => {
    for (const practice of second.report.practices) {
      const folder = path.join(out(), 'practices', practice.id);
      expect(readdirSync(folder).sort()).toEqual([
        'action-list.csv',
        'action-list.html',
        'measure-reports.json',
      ]);
      const csv = readFileSync(path.join(folder, 'action-list.csv'), 'utf8');
      const mine = second.actions.filter((a) => a.practiceId === practice.id);
      expect(csv.trim().split('\r\n')).toHaveLength(mine.length + 1);
      for (const a of mine) expect(csv).toContain(a.patientId);
      const html = readFileSync(path.join(folder, 'action-list.html'), 'utf8');
      expect(html).toContain('<svg');
      const reports = JSON.parse(readFileSync(path.join(folder, 'measure-reports.json'), 'utf8')) as {
        entry: Array<{ resource: { type: string; contained?: Array<{ entry: unknown[] }> } }>;
      };
      const lists = reports.entry.filter((e) => e.resource.type === 'subject-list');
      expect(lists.reduce((s, e) => s + e.resource.contained![0]!.entry.length, 0)).toBe(
        mine.filter((a) => a.inNumerator).length,
      );
    }
  });
});
