import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { ensureDevIssuer, mintDevToken } from '../../src/http/auth/dev-issuer.js';
import { SharedReplayCache, type TokenMemory } from '../../src/http/auth/replay-cache.js';
import { startServer, type RunningServer } from '../../src/http/server.js';
import { scratchDatabase, type ScratchDatabase } from '../outcomes/store-backends.js';
import { post, ROOT } from '../support/test-service.js';

/**
 * Issue 7: the `jti` replay cache is "shared through the store when several instances run". Two real
 * instances behind one public URL (as behind a load balancer) share one PostgreSQL store: a token used
 * on one is refused by the other.
 */
const PUBLIC_URL = 'https://cds.example.org';
const SERVICE = 'pincer-order-sign';
const REQUEST = JSON.parse(
  readFileSync(path.join(ROOT, 'fixtures/requests/pincer-a-order-sign.json'), 'utf8'),
);

describe('two instances sharing one PostgreSQL store', () => {
  let database: ScratchDatabase;
  let dir: string;
  const instances: RunningServer[] = [];

  beforeAll(async () => {
    database = await scratchDatabase('postgres');
    dir = mkdtempSync(path.join(tmpdir(), 'loopcds-replay-'));
    for (const name of ['a', 'b']) {
      const config = loadConfig({
        root: ROOT,
        env: { ...database.env, LOOPCDS_DB_AUTO_MIGRATE: 'true' },
        overrides: {
          port: 0,
          host: '127.0.0.1',
          logLevel: 'silent',
          publicUrl: PUBLIC_URL,
          devIssuerDir: path.join(dir, 'dev-issuer'),
          pseudonymKey: 'a-shared-pseudonym-key-for-the-replay-test-0123456789',
          outcomeJournalPath: path.join(dir, `journal-${name}.ndjson`),
          knowledgeWatch: 'off',
        },
      });
      instances.push(await startServer(config, pino({ level: 'silent' })));
    }
  }, 120_000);

  afterAll(async () => {
    for (const instance of instances) await instance.close();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (instance: RunningServer, token: string) =>
    post(`${instance.url}/cds-services/${SERVICE}`, REQUEST, { authorization: `Bearer ${token}` });
  const token = () =>
    mintDevToken({ dir: path.join(dir, 'dev-issuer'), audience: `${PUBLIC_URL}/cds-services/${SERVICE}` });

  it('refuses on one instance a token already used on the other, and takes a fresh one', async () => {
    const [a, b] = instances as [RunningServer, RunningServer];
    const used = await token();
    expect((await call(a, used)).status).toBe(200);
    const replayed = await call(b, used);
    expect(replayed.status).toBe(401);
    expect(replayed.body.resourceType).toBe('OperationOutcome');
    expect((await call(b, await token())).status).toBe(200);
  });

  it("records each call under the verified caller's issuer, which is its site", async () => {
    const { iss } = await ensureDevIssuer(path.join(dir, 'dev-issuer'));
    const store = database.open();
    try {
      let calls: Awaited<ReturnType<typeof store.listHookCalls>> = [];
      for (let i = 0; i < 100 && calls.length < 2; i++) {
        calls = await store.listHookCalls();
        if (calls.length < 2) await new Promise((r) => setTimeout(r, 100));
      }
      expect(calls.length).toBe(2);
      for (const c of calls) expect({ issuer: c.issuer, site: c.site }).toEqual({ issuer: iss, site: iss });
    } finally {
      await store.close();
    }
  });
});

describe('SharedReplayCache', () => {
  const logger = pino({ level: 'silent' });

  it("answers from this instance's memory when the store does not answer in time", async () => {
    const silent: TokenMemory = { rememberToken: () => new Promise<boolean>(() => undefined) };
    const cache = new SharedReplayCache(silent, logger, 50);
    const started = performance.now();
    await expect(cache.remember('https://ehr.example.org', 'jti-1', 300)).resolves.toBe(true);
    expect(performance.now() - started).toBeLessThan(1_000);
    await expect(cache.remember('https://ehr.example.org', 'jti-1', 300)).resolves.toBe(false);
  });

  it('refuses a token the store has seen, though this instance has not', async () => {
    const seen = new Set<string>(['https://ehr.example.org jti-2']);
    const store: TokenMemory = {
      rememberToken: (iss, jti) => Promise.resolve(!seen.has(`${iss} ${jti}`)),
    };
    const cache = new SharedReplayCache(store, logger);
    await expect(cache.remember('https://ehr.example.org', 'jti-2', 300)).resolves.toBe(false);
    await expect(cache.remember('https://ehr.example.org', 'jti-3', 300)).resolves.toBe(true);
  });
});
