import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnService, type SpawnedService } from '../support/spawned-service.js';
import { ROOT } from '../support/test-service.js';
import { BACKENDS, scratchDatabase, type ScratchDatabase } from './store-backends.js';

const REQUEST = JSON.parse(
  readFileSync(path.join(ROOT, 'fixtures/requests/pincer-a-order-sign.json'), 'utf8'),
) as {
  hookInstance: string;
};
const PER_PHASE = 30; // calls acknowledged before each SIGKILL, with requests in flight
const MAX_LOAD_MS = 45_000; // under LOOPCDS_OUTCOME_FLUSH_MS=60000, so phase 1 never writes a batch
const WORKERS = 8;

interface Acknowledged {
  hookInstances: string[];
  /** Cards whose feedback was answered 200. */
  feedbackCards: string[];
}

/**
 * Drives hook calls (and feedback for every third card) until the service is killed; a call counts as
 * acknowledged only when its whole response was received.
 */
async function drive(url: string, state: { killed: boolean }, acked: Acknowledged): Promise<void> {
  let n = 0;
  const worker = async () => {
    while (!state.killed) {
      const hookInstance = randomUUID();
      try {
        const res = await fetch(`${url}/cds-services/pincer-order-sign`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...REQUEST, hookInstance }),
        });
        const body = (await res.json()) as {
          cards?: Array<{ uuid: string; suggestions?: Array<{ uuid: string }> }>;
        };
        if (res.status !== 200) throw new Error(`hook answered ${res.status}: ${JSON.stringify(body)}`);
        acked.hookInstances.push(hookInstance);
        const card = body.cards?.[0];
        if (card !== undefined && n++ % 3 === 0) {
          const fb = await fetch(`${url}/cds-services/pincer-order-sign/feedback`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              feedback: [
                {
                  card: card.uuid,
                  outcome: 'accepted',
                  acceptedSuggestions: [{ id: card.suggestions![0]!.uuid }],
                  outcomeTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
                },
              ],
            }),
          });
          await fb.text();
          if (fb.status === 200) acked.feedbackCards.push(card.uuid);
        }
      } catch (error) {
        if (!state.killed) throw error; // before the kill, every call must succeed
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
}

/** Drives load until `count` more calls are acknowledged, then kills the service with SIGKILL. */
async function loadThenKill(service: SpawnedService, acked: Acknowledged, count: number): Promise<void> {
  const state = { killed: false };
  const target = acked.hookInstances.length + count;
  const load = drive(service.url, state, acked);
  const started = performance.now();
  while (acked.hookInstances.length < target && performance.now() - started < MAX_LOAD_MS) {
    await new Promise((r) => setTimeout(r, 10));
  }
  state.killed = true; // set first: the calls the kill cuts short are not acknowledged
  service.child.kill('SIGKILL');
  await load;
  const signal =
    service.child.exitCode !== null || service.child.signalCode !== null
      ? service.child.signalCode
      : await new Promise<NodeJS.Signals | null>((r) => service.child.once('exit', (_code, sig) => r(sig)));
  expect(signal).toBe('SIGKILL');
  expect(acked.hookInstances.length).toBeGreaterThanOrEqual(target);
}

async function storedHookInstances(db: ScratchDatabase): Promise<Set<string>> {
  const store = db.open();
  try {
    return new Set((await store.listHookCalls({ limit: 1_000_000 })).map((c) => c.hookInstance));
  } finally {
    await store.close();
  }
}

describe.each(BACKENDS)('a service on the %s store killed with SIGKILL under load', (backend) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('has every acknowledged call and feedback in the store after it restarts', async () => {
    const db: ScratchDatabase = await scratchDatabase(backend);
    const dir = mkdtempSync(path.join(tmpdir(), 'loopcds-sigkill-'));
    cleanups.push(async () => {
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    });
    const env = {
      ...db.env,
      LOOPCDS_DB_AUTO_MIGRATE: 'true',
      LOOPCDS_PSEUDONYM_KEY: 'sigkill-test-key-'.padEnd(40, 'x'),
      LOOPCDS_OUTCOME_JOURNAL: path.join(dir, 'outcome-journal.ndjson'),
    };
    const acked: Acknowledged = { hookInstances: [], feedbackCards: [] };

    // 1. Batches held for a minute: at the kill, every acknowledged record is in the journal only.
    await loadThenKill(await spawnService({ ...env, LOOPCDS_OUTCOME_FLUSH_MS: '60000' }), acked, PER_PHASE);
    const afterFirstKill = await storedHookInstances(db);
    expect(afterFirstKill.size).toBe(0);

    // 2. Restarted with the default batching: it replays the journal while answering new load; killed again.
    await loadThenKill(await spawnService(env), acked, PER_PHASE);
    const afterSecondKill = await storedHookInstances(db);

    // 3. Restarted and stopped: whatever the journal still held is written.
    const last = await spawnService(env);
    expect(await last.stop('SIGTERM')).toBe(0);

    const stored = await storedHookInstances(db);
    const missing = acked.hookInstances.filter((h) => !stored.has(h));
    const store = db.open();
    const feedbackMissing: string[] = [];
    for (const card of acked.feedbackCards) {
      if ((await store.feedbackHistory(card)).length !== 1) feedbackMissing.push(card);
    }
    await store.close();
    process.stdout.write(
      `[${backend}] acknowledged ${acked.hookInstances.length} calls and ${acked.feedbackCards.length} feedback ` +
        `over two kills; stored after the first kill: ${afterFirstKill.size}, after the second: ` +
        `${afterSecondKill.size}; after restart: ${stored.size} stored, ` +
        `${missing.length + feedbackMissing.length} acknowledged missing\n`,
    );
    expect(missing).toEqual([]);
    expect(feedbackMissing).toEqual([]);
    expect(acked.feedbackCards.length).toBeGreaterThan(0);
  });
});
