import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startTestService } from '../support/test-service.js';
import { AS_OF, testPopulation } from './support/test-population.js';

/**
 * Issue 6 §7: the HTTP API for the console starts a run, reports its progress and returns its results;
 * it needs the admin token, because action lists name patients.
 */
const ADMIN = 'an-admin-token-of-at-least-thirty-two-characters';
const dir = mkdtempSync(path.join(tmpdir(), 'loopcds-population-api-'));
let service: Awaited<ReturnType<typeof startTestService>>;
let population: Awaited<ReturnType<typeof testPopulation>>;
const auth = { authorization: `Bearer ${ADMIN}` };

beforeAll(async () => {
  population = await testPopulation(80, 3, 99);
  service = await startTestService({
    adminToken: ADMIN,
    sqlitePath: path.join(dir, 'loopcds.sqlite'),
    pseudonymKeyFile: path.join(dir, 'pseudonym.key'),
  });
}, 120_000);

afterAll(async () => {
  await service?.close();
  population?.remove();
  rmSync(dir, { recursive: true, force: true });
});

const get = async (url: string, headers: Record<string, string> = auth) => {
  const res = await fetch(url, { headers });
  return { status: res.status, body: (await res.json()) as any };
};

describe('/api/population', () => {
  it('refuses a caller without the admin token, with an OperationOutcome', async () => {
    const res = await post(`${service.url}/api/population/runs`, {
      source: { folder: population.dir },
      asOf: AS_OF,
    });
    expect(res.status).toBe(401);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  it('rejects a malformed request naming what is wrong', async () => {
    const res = await post(
      `${service.url}/api/population/runs`,
      { source: { folder: population.dir }, asOf: '1 Oct' },
      auth,
    );
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('asOf');
  });

  it('starts a run, reports its progress, and returns its rates and a practice’s action list', async () => {
    const started = await post(
      `${service.url}/api/population/runs`,
      { source: population.dir, artefacts: 'pincer-a,pincer-d', asOf: AS_OF },
      auth,
    );
    expect(started.status).toBe(202);
    const location = started.headers.get('location')!;
    expect(location).toBe(`/api/population/runs/${started.body.run.id}`);
    let status: any;
    for (let i = 0; i < 600; i++) {
      status = (await get(`${service.url}${location}`)).body.run;
      if (status.status !== 'running') break;
      expect(status.progress.patientsDone).toBeLessThanOrEqual(Math.max(status.progress.patientsTotal, 0));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status.status).toBe('complete');
    expect(status.progress).toMatchObject({ phase: 'done', patientsDone: 80 });
    expect(status.releases.map((r: { key: string }) => r.key)).toEqual(['pincer-a@1.0.0', 'pincer-d@1.0.0']);
    const report = await get(`${service.url}${location}/report`);
    expect(report.body.indicators.map((i: { artefactId: string }) => i.artefactId)).toEqual([
      'pincer-a',
      'pincer-d',
    ]);
    expect(report.body.patients).toBe(80);
    const practice = report.body.practices[0].id as string;
    const actions = await get(`${service.url}${location}/practices/${practice}/actions`);
    expect(actions.status).toBe(200);
    const rate = report.body.rates.filter((r: { practiceId: string }) => r.practiceId === practice);
    expect(actions.body.rows.filter((a: { inNumerator: boolean }) => a.inNumerator)).toHaveLength(
      rate.reduce((s: number, r: { numerator: number }) => s + r.numerator, 0),
    );
    expect((await get(`${service.url}/api/population/runs`)).body.runs[0].id).toBe(started.body.run.id);
  }, 120_000);

  it('answers 404 for a run it does not know', async () => {
    expect((await get(`${service.url}/api/population/runs/not-a-run`)).status).toBe(404);
  });
});
