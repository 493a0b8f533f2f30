import { afterAll, beforeAll, expect, it } from 'vitest';
import type PgBoss from 'pg-boss';
import { PARTITION_QUEUE, startQueue } from '../../src/population/partition-queue.js';
import { scratchDatabase, type ScratchDatabase } from '../outcomes/store-backends.js';

/**
 * `loopcds worker` processes usually start together on a fresh database; pg-boss's queue creation takes
 * table locks, and two creations at once deadlocked one worker, which then never took a job.
 */
let database: ScratchDatabase;

beforeAll(async () => {
  database = await scratchDatabase('postgres');
}, 60_000);

afterAll(async () => {
  await database?.drop();
}, 60_000);

it('starts four queues at once on a fresh database, each seeing the one partition queue', async () => {
  const url = database.env['LOOPCDS_DATABASE_URL']!;
  const started = await Promise.allSettled([1, 2, 3, 4].map(() => startQueue(url)));
  const bosses = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  try {
    expect(started.filter((s) => s.status === 'rejected')).toEqual([]);
    const queues = await Promise.all(bosses.map((b: PgBoss) => b.getQueue(PARTITION_QUEUE)));
    expect(queues.map((q) => q?.name)).toEqual([
      PARTITION_QUEUE,
      PARTITION_QUEUE,
      PARTITION_QUEUE,
      PARTITION_QUEUE,
    ]);
  } finally {
    await Promise.all(bosses.map((b) => b.stop({ graceful: false, wait: true })));
  }
}, 120_000);
