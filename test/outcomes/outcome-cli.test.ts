import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runDbCommand } from '../../src/cli/db-command.js';
import { runReportCommand } from '../../src/cli/report-command.js';
import { loadConfig, type LoopcdsConfig } from '../../src/config/config.js';
import { SqlOutcomeStore } from '../../src/outcomes/sql-outcome-store.js';
import { SqliteConnection } from '../../src/outcomes/sqlite-connection.js';
import { ROOT } from '../support/test-service.js';
import { RECORDED_CALLS, RECORDED_FEEDBACK } from './recorded-outcomes.js';

/** Runs a command as `loopcds` does, capturing what it prints. */
async function capture(work: () => Promise<number>): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  try {
    return { code: await work(), stdout };
  } finally {
    spy.mockRestore();
  }
}

describe('loopcds db and report', () => {
  let config: LoopcdsConfig;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'loopcds-cli-'));
    config = loadConfig({ root: ROOT, env: { LOOPCDS_SQLITE_PATH: path.join(dir, 'loopcds.sqlite') } });
    const migrated = await capture(() => runDbCommand(config, ['migrate']));
    expect(migrated.stdout).toMatch(/applied migration 1, 2; now at schema version 2/);
    const store = new SqlOutcomeStore(new SqliteConnection(config.sqlitePath), 'test');
    // Recorded long ago, but for one call recorded now: prune must take the old ones only.
    const old = '2020-01-01T00:00:00.000Z';
    await store.write({
      hookCalls: RECORDED_CALLS.map((c, i) => ({
        ...c,
        recordedAt: i === 0 ? new Date().toISOString() : old,
      })),
      feedback: RECORDED_FEEDBACK.map((f) => ({ ...f, receivedAt: old })),
    });
    await store.close();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('says the schema is current and counts the records', async () => {
    const status = await capture(() => runDbCommand(config, ['status']));
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/schema: +version 2 \(this loopcds: 2\)/);
    expect(status.stdout).toMatch(/8 calls, 18 evaluations, 10 cards, 7 feedback/);
  });

  it('writes the figures as CSV to a file', async () => {
    const out = path.join(dir, 'figures.csv');
    const args = ['figures', '--group-by', 'release', '--format', 'csv', '--out', out];
    expect((await capture(() => runReportCommand(config, args))).code).toBe(0);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\r\n');
    expect(lines.map((l) => l.split(',')[0])).toEqual([
      'release',
      'pincer-a@1.0.0',
      'pincer-a@1.1.0',
      'pincer-b@1.0.0',
    ]);
  });

  it('writes MeasureReports for one week as a FHIR Bundle', async () => {
    const args = ['measure-reports', '--from', '2026-W47', '--to', '2026-W47'];
    const bundle = JSON.parse((await capture(() => runReportCommand(config, args))).stdout);
    expect(bundle.resourceType).toBe('Bundle');
    expect(bundle.entry.map((e: any) => e.resource.identifier[0].value).sort()).toEqual([
      'pincer-a@1.0.0/all-sites/2026-W47',
      'pincer-a@1.1.0/all-sites/2026-W47',
    ]);
  });

  it('compares the shadow release with the active one as CSV', async () => {
    const report = await capture(() => runReportCommand(config, ['compare', '--format', 'csv']));
    expect(report.stdout.split('\r\n')).toHaveLength(1 + 1 + 1); // header, one pair, final newline
  });

  it('deletes what is older than the retention period, and keeps the rest', async () => {
    const pruned = await capture(() => runDbCommand(config, ['prune', '--days', '30']));
    expect(pruned.stdout).toMatch(/deleted 7 calls .* and 7 feedback entries .* \(30 days\)/);
    const status = await capture(() => runDbCommand(config, ['status']));
    expect(status.stdout).toMatch(/1 calls, 2 evaluations, 2 cards, 0 feedback/);
  });
});
