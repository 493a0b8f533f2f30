import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { prepareOutcomeSchema } from '../../src/outcomes/open-outcome-store.js';
import type { OutcomeStore } from '../../src/outcomes/outcome-store.js';
import { ALL_MIGRATIONS } from '../../src/outcomes/migrations/all-migrations.js';
import { SchemaError } from '../../src/outcomes/schema-migrator.js';
import { ROOT } from '../support/test-service.js';
import { RECORDED_CALLS, RECORDED_FEEDBACK, UNKNOWN_CARD, cardOf, RELEASES } from './recorded-outcomes.js';
import { BACKENDS, scratchDatabase, type ScratchDatabase } from './store-backends.js';

const logger = pino({ level: 'silent' });

describe.each(BACKENDS)('the %s outcome store', (backend) => {
  let db: ScratchDatabase;
  let store: OutcomeStore;

  beforeAll(async () => {
    db = await scratchDatabase(backend);
    store = db.open();
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  it('starts empty, migrates to the latest schema, and applies nothing the second time', async () => {
    const before = await store.schemaStatus();
    expect(before.current).toBe(0);
    expect(before.pending.map((m) => m.version)).toEqual(ALL_MIGRATIONS.map((m) => m.version));
    expect(await store.migrate()).toEqual(ALL_MIGRATIONS.map((m) => m.version));
    expect(await store.migrate()).toEqual([]);
    const after = await store.schemaStatus();
    expect(after).toMatchObject({
      current: ALL_MIGRATIONS.length,
      latest: ALL_MIGRATIONS.length,
      pending: [],
      unknown: [],
      altered: [],
    });
  });

  it('stores a call with its evaluations and cards, and reads it back as it was', async () => {
    await store.write({ hookCalls: [RECORDED_CALLS[6]!], feedback: [] });
    const [stored] = await store.listHookCalls({ hookInstance: RECORDED_CALLS[6]!.hookInstance });
    expect(stored).toEqual(RECORDED_CALLS[6]);
  });

  it('stores an entry written twice once, so a replayed journal adds nothing', async () => {
    const batch = { hookCalls: [...RECORDED_CALLS], feedback: [...RECORDED_FEEDBACK] };
    await store.write(batch);
    await store.write(batch);
    expect(await store.countRecords()).toEqual({
      hookCalls: 8,
      evaluations: 18,
      cards: 10,
      feedback: 7,
    });
  });

  it('keeps an error evaluation with its OperationOutcome', async () => {
    const [c6] = await store.listHookCalls({ hookInstance: RECORDED_CALLS[5]!.hookInstance });
    expect(c6!.evaluations[0]).toMatchObject({
      result: 'error',
      error: { resourceType: 'OperationOutcome', issue: [{ diagnostics: 'CQL failed' }] },
    });
  });

  it('keeps repeated feedback for a card as its history, oldest first', async () => {
    const history = await store.feedbackHistory(cardOf(1, RELEASES.A1));
    expect(history.map((f) => f.outcome)).toEqual(['overridden', 'accepted']);
    expect(history[1]).toMatchObject({
      outcomeTimestamp: '2026-11-16T11:06:00+01:00',
      outcomeAt: '2026-11-16T10:06:00.000Z',
      acceptedSuggestions: [expect.any(String)],
    });
    expect(history[0]!.overrideReason).toEqual({ system: RELEASES.REASONS, code: 'patient-ineligible' });
  });

  it('reports feedback for a card it has never seen, and keeps it', async () => {
    const unmatched = await store.unmatchedFeedback();
    expect(unmatched).toEqual([
      expect.objectContaining({ cardUuid: UNKNOWN_CARD, outcome: 'accepted', hasComment: false }),
    ]);
  });

  it('refuses a schema newer than the code, and one whose migration was edited', async () => {
    const config = loadConfig({ root: ROOT, env: db.env });
    await expect(prepareOutcomeSchema(store, config, logger)).resolves.toBeUndefined();
    const history = scratchHistory(store);
    await history.insertVersion(999);
    await expect(prepareOutcomeSchema(store, config, logger)).rejects.toThrow(
      /newer than this loopcds knows/,
    );
    await expect(store.migrate()).rejects.toBeInstanceOf(SchemaError);
    await history.deleteVersion(999);
    await history.alterChecksum(1);
    await expect(prepareOutcomeSchema(store, config, logger)).rejects.toThrow(/differs/);
    await history.restoreChecksum(1);
    await expect(prepareOutcomeSchema(store, config, logger)).resolves.toBeUndefined();
  });

  it('deletes records older than the retention period, with their evaluations and cards', async () => {
    const fresh = {
      ...RECORDED_CALLS[0]!,
      id: crypto.randomUUID(),
      recordedAt: '2027-01-10T00:00:00.000Z',
      evaluations: [],
    };
    await store.write({ hookCalls: [fresh], feedback: [] });
    const result = await store.prune(new Date('2027-01-01T00:00:00Z'));
    expect(result).toEqual({ cutoff: '2027-01-01T00:00:00.000Z', hookCalls: 8, feedback: 7 });
    expect(await store.countRecords()).toEqual({ hookCalls: 1, evaluations: 0, cards: 0, feedback: 0 });
  });
});

describe.each(BACKENDS)('starting on an unmigrated %s store', (backend) => {
  it(
    backend === 'sqlite'
      ? 'migrates the embedded store by default'
      : 'refuses to start unless migrated or told to migrate',
    async () => {
      const db = await scratchDatabase(backend);
      const store = db.open();
      try {
        const config = loadConfig({ root: ROOT, env: db.env });
        if (backend === 'sqlite') {
          await prepareOutcomeSchema(store, config, logger);
          expect((await store.schemaStatus()).current).toBe(ALL_MIGRATIONS.length);
        } else {
          await expect(prepareOutcomeSchema(store, config, logger)).rejects.toThrow(/loopcds db migrate/);
          const auto = loadConfig({ root: ROOT, env: { ...db.env, LOOPCDS_DB_AUTO_MIGRATE: 'true' } });
          await prepareOutcomeSchema(store, auto, logger);
          expect((await store.schemaStatus()).current).toBe(ALL_MIGRATIONS.length);
        }
      } finally {
        await store.close();
        await db.drop();
      }
    },
  );
});

/** Direct edits of the migration history, to stand for a newer release or an edited migration. */
function scratchHistory(store: OutcomeStore) {
  // The store's connection is private; the test reaches it the way a DBA would, with SQL.
  const db = (store as unknown as { db: { run(sql: string, params?: unknown[]): Promise<number> } }).db;
  let checksum = '';
  return {
    insertVersion: (v: number) =>
      db.run(`INSERT INTO loopcds_schema_migration VALUES ($1, 'future', 'x', '2030-01-01T00:00:00Z')`, [v]),
    deleteVersion: (v: number) => db.run(`DELETE FROM loopcds_schema_migration WHERE version = $1`, [v]),
    alterChecksum: async (v: number) => {
      const rows = await (
        db as unknown as { all(sql: string, p: unknown[]): Promise<Array<{ checksum: string }>> }
      ).all(`SELECT checksum FROM loopcds_schema_migration WHERE version = $1`, [v]);
      checksum = rows[0]!.checksum;
      await db.run(`UPDATE loopcds_schema_migration SET checksum = 'edited' WHERE version = $1`, [v]);
    },
    restoreChecksum: (v: number) =>
      db.run(`UPDATE loopcds_schema_migration SET checksum = $1 WHERE version = $2`, [checksum, v]),
  };
}
