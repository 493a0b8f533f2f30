import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { startServer, type RunningServer } from '../../src/http/server.js';
import type { OutcomeRecorderMetrics } from '../../src/outcomes/outcome-metrics.js';
import { SqlOutcomeStore } from '../../src/outcomes/sql-outcome-store.js';
import { SqliteConnection } from '../../src/outcomes/sqlite-connection.js';
import { post, ROOT } from '../support/test-service.js';

const REQUEST = JSON.parse(
  readFileSync(path.join(ROOT, 'fixtures/requests/pincer-a-order-sign.json'), 'utf8'),
) as {
  context: { patientId: string };
};
const NOW = '2026-11-23T10:00:00.000+00:00'; // a Monday: ISO week 2026-W48
const REASON = {
  system: 'http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes',
  code: 'patient-ineligible',
};

/** The operator token the outcomes API asks for (LOOPCDS_ADMIN_TOKEN). */
const ADMIN_TOKEN = 'outcomes-api-test-admin-token-0123456789';

async function get(
  url: string,
  token: string | null = ADMIN_TOKEN,
): Promise<{ status: number; type: string | null; body: any }> {
  const res = await fetch(url, token === null ? {} : { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
}

describe('the service with its embedded outcome store', () => {
  let dir: string;
  let service: RunningServer;
  let card: { uuid: string; suggestions: Array<{ uuid: string }> };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'loopcds-api-'));
    const config = loadConfig({
      root: ROOT,
      overrides: {
        port: 0,
        host: '127.0.0.1',
        logLevel: 'silent',
        auth: 'off',
        allowEvaluationTimeOverride: true,
        sqlitePath: path.join(dir, 'loopcds.sqlite'),
        outcomeJournalPath: path.join(dir, 'outcome-journal.ndjson'),
        pseudonymKeyFile: path.join(dir, 'pseudonym.key'),
        outcomeFlushMs: 0,
        adminToken: ADMIN_TOKEN,
      },
    });
    service = await startServer(config, pino({ level: 'silent' }));
    const hook = await post(`${service.url}/cds-services/pincer-order-sign`, {
      ...REQUEST,
      extension: { 'org.loopcds.evaluation-time': NOW },
    });
    expect(hook.status).toBe(200);
    card = hook.body.cards.find((c: { extension?: Record<string, unknown> }) =>
      JSON.stringify(c).includes('pincer-a@1.0.0'),
    );
    const feedback = (cardUuid: string, comment: string) =>
      post(`${service.url}/cds-services/pincer-order-sign/feedback`, {
        feedback: [
          {
            card: cardUuid,
            outcome: 'overridden',
            overrideReason: { reason: REASON, userComment: comment },
            outcomeTimestamp: '2026-11-23T10:01:00Z',
          },
        ],
      });
    expect((await feedback(card.uuid, 'Short course')).status).toBe(200);
    expect((await feedback('11111111-1111-4111-8111-111111111111', 'Which card?')).status).toBe(200);
    const recorder = service.recorder as unknown as { metrics(): OutcomeRecorderMetrics };
    for (let i = 0; i < 200 && recorder.metrics().written < 3; i++)
      await new Promise((r) => setTimeout(r, 20));
  });
  afterAll(async () => {
    if (service.server.listening) await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('made a pseudonym key once, readable by its owner only', () => {
    const key = path.join(dir, 'pseudonym.key');
    expect(existsSync(key)).toBe(true);
    expect(readFileSync(key, 'utf8').trim().length).toBe(64);
  });

  it('serves the figures of each release by site and week as JSON', async () => {
    const res = await get(`${service.url}/api/outcomes/figures?release=pincer-a@1.0.0`);
    expect(res.status).toBe(200);
    expect(res.body.figures).toEqual([
      expect.objectContaining({
        release: 'pincer-a@1.0.0',
        site: 'unknown', // no LOOPCDS_SITE, no fhirServer in the request
        week: '2026-W48',
        evaluations: 1,
        results: { fired: 1, notFired: 0, incomplete: 0, error: 0 },
        cardsShown: 1,
        overridden: 1,
        overrideRate: 1,
        overrideReasons: [expect.objectContaining({ code: 'patient-ineligible', count: 1 })],
      }),
    ]);
  });

  it('stores a pseudonym, never the patient id', async () => {
    const store = new SqlOutcomeStore(new SqliteConnection(path.join(dir, 'loopcds.sqlite')), 'test');
    const calls = await store.listHookCalls();
    await store.close();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.patientPseudonym).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(calls)).not.toContain(REQUEST.context.patientId);
  });

  it('serves MeasureReports as a FHIR Bundle', async () => {
    const res = await get(`${service.url}/api/outcomes/measure-reports?artefact=pincer-a`);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/application\/fhir\+json/);
    expect(res.body).toMatchObject({ resourceType: 'Bundle', type: 'collection', total: 1 });
    expect(res.body.entry[0].resource).toMatchObject({
      resourceType: 'MeasureReport',
      type: 'summary',
      measure: 'https://loopcds.org/fhir/Measure/pincer-a|1.0.0',
      period: { start: '2026-11-23', end: '2026-11-29' },
    });
  });

  it("serves a card's feedback history without the free-text comment", async () => {
    const res = await get(`${service.url}/api/outcomes/cards/${card.uuid}/feedback`);
    expect(res.body.feedback).toEqual([
      expect.objectContaining({ outcome: 'overridden', overrideReason: REASON, hasComment: true }),
    ]);
    expect(JSON.stringify(res.body)).not.toContain('Short course');
  });

  it('reports feedback for an unknown card', async () => {
    const res = await get(`${service.url}/api/outcomes/feedback/unmatched`);
    expect(res.body.unmatched).toEqual([
      expect.objectContaining({ cardUuid: '11111111-1111-4111-8111-111111111111', hasComment: true }),
    ]);
  });

  it('answers 401 to a call without the operator token, or with a wrong one', async () => {
    for (const token of [null, `${ADMIN_TOKEN}x`]) {
      const res = await get(`${service.url}/api/outcomes/figures`, token);
      expect(res.status).toBe(401);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(JSON.stringify(res.body)).not.toContain('pincer-a');
    }
  });

  it('answers 400 with an OperationOutcome to a query it cannot read', async () => {
    const res = await get(`${service.url}/api/outcomes/figures?from=last-tuesday`);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].diagnostics).toMatch(/^from:/);
  });

  it('leaves no journal behind once everything is stored and the service stops', async () => {
    await service.close();
    expect(existsSync(path.join(dir, 'outcome-journal.ndjson'))).toBe(false);
    expect(existsSync(path.join(dir, 'outcome-journal.ndjson.lock'))).toBe(false);
  });
});

describe('the service with outcome recording off', () => {
  it('answers 503 on the outcomes API', async () => {
    const config = loadConfig({
      root: ROOT,
      overrides: {
        port: 0,
        host: '127.0.0.1',
        logLevel: 'silent',
        auth: 'off',
        outcomeRecording: 'off',
        adminToken: ADMIN_TOKEN,
      },
    });
    const service = await startServer(config, pino({ level: 'silent' }));
    try {
      const res = await get(`${service.url}/api/outcomes/figures`);
      expect(res.status).toBe(503);
      expect(res.body.issue[0].details.coding[0].code).toBe('LOOPCDS_ERR_OUTCOME_STORE_UNAVAILABLE');
    } finally {
      await service.close();
    }
  });
});
