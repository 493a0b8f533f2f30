import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresConnection } from '../../src/outcomes/postgres-connection.js';
import { Pseudonymiser } from '../../src/outcomes/pseudonymiser.js';
import { distributedEvaluation } from '../../src/population/distributed-evaluation.js';
import { PartitionQueue, startQueue } from '../../src/population/partition-queue.js';
import { searchPopulation, type SearchResult } from '../../src/population/population-search.js';
import { SqlRunStore } from '../../src/population/sql-run-store.js';
import { scratchDatabase, type ScratchDatabase } from '../outcomes/store-backends.js';
import { ROOT } from '../support/test-service.js';
import { AS_OF, KNOWLEDGE, testPopulation } from './support/test-population.js';

/**
 * Issue 6: "a run split across two or more `loopcds worker` processes against a real PostgreSQL gives the
 * same report as a single-process run". The database is a scratch one on the PostgreSQL that .ci/run
 * starts (LOOPCDS_TEST_DATABASE_URL); the workers are real processes running the CLI.
 */
const ARTEFACTS = 'pincer-a,pincer-ac,pincer-d,pincer-g,pincer-k';
const KEY = 'a-pseudonym-key-for-the-distributed-search-test';
let database: ScratchDatabase;
let population: Awaited<ReturnType<typeof testPopulation>>;
const workers: ChildProcess[] = [];
const scratch = mkdtempSync(path.join(tmpdir(), 'loopcds-distributed-'));
let single: SearchResult;
let distributed: SearchResult;
let db: PostgresConnection;

function startWorker(url: string): Promise<ChildProcess> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    LOOPCDS_DATABASE_URL: url,
    LOOPCDS_LOG_LEVEL: 'silent',
  };
  delete env['LOOPCDS_TEST_DATABASE_URL'];
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'src/cli/loopcds.ts'), 'worker', '--threads', '1'],
    {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  workers.push(child);
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('waiting for partition jobs')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${stderr}`)));
  });
}

beforeAll(async () => {
  database = await scratchDatabase('postgres');
  const url = database.env['LOOPCDS_DATABASE_URL']!;
  population = await testPopulation(160, 4, 424242);
  const common = {
    knowledge: KNOWLEDGE,
    source: { kind: 'folder' as const, dir: population.dir },
    artefacts: ARTEFACTS,
    asOf: AS_OF,
    timeZone: 'Europe/London',
    workers: 1,
    partitions: 12,
    scratchDir: scratch,
  };
  const ready = Promise.all([startWorker(url), startWorker(url)]);
  single = await searchPopulation(common);
  await ready;
  db = new PostgresConnection(url, { poolSize: 4 });
  const store = await SqlRunStore.open(db);
  const boss = await startQueue(url);
  try {
    distributed = await searchPopulation({
      ...common,
      store,
      pseudonymiser: new Pseudonymiser(KEY),
      evaluatePartitions: distributedEvaluation({ queue: new PartitionQueue(db), boss, pollMs: 200 }),
    });
  } finally {
    await boss.stop({ graceful: false, wait: true });
  }
}, 240_000);

afterAll(async () => {
  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(
    workers.map((w) => (w.exitCode === null ? new Promise((r) => w.once('exit', r)) : Promise.resolve())),
  );
  await db?.close();
  await database?.drop();
  population?.remove();
  rmSync(scratch, { recursive: true, force: true });
}, 60_000);

describe('a search split into jobs for loopcds worker processes', () => {
  it('gives the same report as a single-process run', () => {
    const strip = (r: SearchResult) => ({
      patients: r.report.patients,
      excluded: r.report.excluded,
      practices: r.report.practices,
      indicators: r.report.indicators.map((i) => ({ ...i, history: i.history.map((h) => h.deciles) })),
      rates: r.report.rates,
      actions: r.actions,
    });
    expect(strip(distributed)).toEqual(strip(single));
    expect(distributed.report.indicators.some((i) => i.numerator > 0)).toBe(true);
  });

  it('had its partitions evaluated by both worker processes and its counts summed in PostgreSQL', async () => {
    const runId = distributed.runId;
    const byWorker = await db.all<{ worker: string; n: string }>(
      `SELECT worker, COUNT(*) AS n FROM population_partition WHERE run_id = $1 GROUP BY worker`,
      [runId],
    );
    expect(byWorker.length).toBeGreaterThanOrEqual(2);
    const sums = await db.all<{ numerator: string }>(
      `SELECT SUM(numerator) AS numerator FROM population_partition_count WHERE run_id = $1`,
      [runId],
    );
    expect(Number(sums[0]!.numerator)).toBe(
      distributed.report.indicators.reduce((s, i) => s + i.numerator, 0),
    );
  });

  it('keeps no patient records in the database once the run is reported, and stores the run', async () => {
    const left = await db.all(
      `SELECT 1 FROM population_partition WHERE run_id = $1 AND (payload IS NOT NULL OR outcome IS NOT NULL)`,
      [distributed.runId],
    );
    expect(left).toEqual([]);
    const runs = await db.all<{ status: string; releases: string }>(
      `SELECT status, releases FROM population_run WHERE id = $1`,
      [distributed.runId],
    );
    expect(runs[0]?.status).toBe('complete');
    expect((JSON.parse(runs[0]!.releases) as Array<{ id: string }>).map((r) => r.id)).toEqual(
      ARTEFACTS.split(','),
    );
  });
});
