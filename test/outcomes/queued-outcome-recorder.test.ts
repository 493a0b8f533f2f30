import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutcomeBatch } from '../../src/outcomes/outcome-entry.js';
import { OutcomeJournal } from '../../src/outcomes/outcome-journal.js';
import type { HookCallRecord } from '../../src/outcomes/outcome-recorder.js';
import type { OutcomeStore } from '../../src/outcomes/outcome-store.js';
import { Pseudonymiser } from '../../src/outcomes/pseudonymiser.js';
import { QueuedOutcomeRecorder } from '../../src/outcomes/queued-outcome-recorder.js';
import { BACKENDS, scratchDatabase, type ScratchDatabase } from './store-backends.js';

const logger = pino({ level: 'silent' });

/** A real store whose writes can be made to fail, standing for a database that is down. */
class Outage {
  down = false;
  constructor(readonly store: OutcomeStore) {}
  wrap(): OutcomeStore {
    return new Proxy(this.store, {
      get: (target, name, receiver) => {
        if (name === 'write') {
          return (batch: OutcomeBatch) =>
            this.down ? Promise.reject(new Error('connection refused')) : target.write(batch);
        }
        const value: unknown = Reflect.get(target, name, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
}

function hookCall(n: number): HookCallRecord {
  return {
    serviceId: 'pincer-order-sign',
    hook: 'order-sign',
    hookInstance: `hook-instance-${n}`,
    at: '2026-11-23T10:00:00.000+00:00',
    patientId: `patient-${n}`,
    fhirServer: 'https://ehr.example.org/fhir',
    prefetch: { supplied: ['patient'], fetched: [], missing: [] },
    timings: { prefetchMs: 1, fallbackMs: 0, evaluationMs: 3 },
    evaluations: [
      {
        release: 'pincer-a@1.0.0',
        hash: 'h',
        role: 'active',
        result: 'not-fired',
        missingData: [],
        cards: [],
        evaluationMs: 3,
      },
    ],
  };
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.each(BACKENDS)('the queued recorder on the %s store', (backend) => {
  let db: ScratchDatabase;
  let store: OutcomeStore;
  let dir: string;
  const dirs: string[] = [];

  beforeAll(async () => {
    db = await scratchDatabase(backend);
    store = db.open();
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function recorder(
    outage: Outage,
    options: { queueMax?: number; flushMs?: number; maxBytes?: number } = {},
  ) {
    dir = mkdtempSync(path.join(tmpdir(), 'loopcds-journal-'));
    dirs.push(dir);
    return new QueuedOutcomeRecorder({
      store: outage.wrap(),
      journal: OutcomeJournal.open({
        file: path.join(dir, 'outcome-journal.ndjson'),
        sync: 'write',
        maxBytes: options.maxBytes ?? 1024 * 1024,
      }),
      pseudonymiser: new Pseudonymiser('k'.repeat(32)),
      queueMax: options.queueMax ?? 100,
      batchSize: 2,
      flushMs: options.flushMs ?? 5,
      logger,
    });
  }

  async function stored(prefix: string): Promise<string[]> {
    const calls = await store.listHookCalls({ limit: 100_000 });
    return calls
      .map((c) => c.hookInstance)
      .filter((h) => h.startsWith(prefix))
      .sort();
  }

  it('returns at once and writes pseudonymised calls to the store in batches', async () => {
    const outage = new Outage(store);
    const r = recorder(outage);
    for (let n = 100; n < 105; n++) r.recordHookCall({ ...hookCall(n), hookInstance: `batch-${n}` });
    expect(r.metrics().written).toBe(0); // nothing waited for the store
    await until(() => r.metrics().written === 5, 'five writes');
    const [call] = await store.listHookCalls({ hookInstance: 'batch-100' });
    expect(call!.patientPseudonym).toBe(
      new Pseudonymiser('k'.repeat(32)).pseudonym(call!.site, 'patient-100'),
    );
    expect(call!.site).toBe('https://ehr.example.org/fhir');
    expect(JSON.stringify(call)).not.toContain('patient-100');
    await r.close();
    expect(readdirSync(dir)).toEqual([]); // everything reached the store: no journal left
  });

  it('keeps records while the store is down, and writes them when it returns', async () => {
    const outage = new Outage(store);
    outage.down = true;
    const r = recorder(outage);
    for (let n = 0; n < 4; n++) r.recordHookCall({ ...hookCall(n), hookInstance: `down-${n}` });
    await until(() => r.metrics().writeErrors > 0, 'a failed write');
    expect(r.metrics()).toMatchObject({ queueDepth: 4, storeUp: false, dropped: 0 });
    expect(await r.registry.metrics()).toMatch(/loopcds_outcome_queue_depth 4/);
    outage.down = false;
    await until(() => r.metrics().written === 4, 'the backlog written');
    expect(await stored('down-')).toEqual(['down-0', 'down-1', 'down-2', 'down-3']);
    expect(r.metrics().storeUp).toBe(true);
    await r.close();
  });

  it('spills to the journal when the memory queue is full, and replays it when the store returns', async () => {
    const outage = new Outage(store);
    outage.down = true;
    const r = recorder(outage, { queueMax: 2 });
    for (let n = 0; n < 5; n++) r.recordHookCall({ ...hookCall(n), hookInstance: `spill-${n}` });
    expect(r.metrics()).toMatchObject({ queueDepth: 2, spilled: 3, dropped: 0 });
    outage.down = false;
    await until(async () => (await stored('spill-')).length === 5, 'the spilled records replayed');
    await until(() => r.metrics().journalFilesWaiting === 0, 'the journal emptied');
    await r.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('drops, counts and reports records only when the queue and the journal are both full', async () => {
    const outage = new Outage(store);
    outage.down = true;
    const r = recorder(outage, { queueMax: 1, maxBytes: 1 });
    r.recordHookCall(hookCall(1));
    r.recordHookCall(hookCall(2));
    expect(r.metrics()).toMatchObject({ recorded: 2, queueDepth: 1, dropped: 1 });
    outage.down = false;
    await r.close();
  });

  it('drains the queue on close, and leaves what the store did not take in the journal for the next start', async () => {
    const outage = new Outage(store);
    const slow = recorder(outage, { flushMs: 60_000 });
    for (let n = 0; n < 3; n++) slow.recordHookCall({ ...hookCall(n), hookInstance: `close-${n}` });
    await slow.close();
    expect(await stored('close-')).toEqual(['close-0', 'close-1', 'close-2']);

    outage.down = true;
    const stuck = recorder(outage, { flushMs: 60_000 });
    const journalDir = dir;
    for (let n = 0; n < 3; n++) stuck.recordHookCall({ ...hookCall(n), hookInstance: `restart-${n}` });
    await stuck.close(200);
    expect(existsSync(path.join(journalDir, 'outcome-journal.ndjson'))).toBe(true);

    // The next start replays the journal it finds.
    outage.down = false;
    const next = new QueuedOutcomeRecorder({
      store: outage.wrap(),
      journal: OutcomeJournal.open({
        file: path.join(journalDir, 'outcome-journal.ndjson'),
        sync: 'write',
        maxBytes: 1024 * 1024,
      }),
      pseudonymiser: new Pseudonymiser('k'.repeat(32)),
      queueMax: 100,
      batchSize: 2,
      flushMs: 5,
      logger,
    });
    await until(() => next.metrics().replayed === 3, 'the replay');
    expect(await stored('restart-')).toEqual(['restart-0', 'restart-1', 'restart-2']);
    await next.close();
    expect(readdirSync(journalDir)).toEqual([]);
  });

  it('records feedback, unknown cards included', async () => {
    const outage = new Outage(store);
    const r = recorder(outage);
    const card = crypto.randomUUID();
    r.recordFeedback([
      {
        serviceId: 'pincer-order-sign',
        card,
        outcome: 'accepted',
        acceptedSuggestions: ['s1'],
        outcomeTimestamp: '2026-11-23T10:00:00Z',
        receivedAt: '2026-11-23T10:00:01.000Z',
      },
    ]);
    await r.close();
    expect((await store.unmatchedFeedback()).map((f) => f.cardUuid)).toContain(card);
  });
});
