import { setTimeout as sleep } from 'node:timers/promises';
import PgBoss from 'pg-boss';
import { insertRows, type SqlConnection } from '../outcomes/sql-connection.js';
import { emptyResult, mergeResults, type IndicatorCounts, type PartitionResult } from './partition-result.js';
import type { ReleaseRef } from './population-knowledge.js';

/** The pg-boss queue of partition jobs. */
export const PARTITION_QUEUE = 'loopcds-population-partition';

/** A job: evaluate one partition of one run. */
export interface PartitionJob {
  runId: string;
  partition: number;
}

/** What a worker needs to know of a run. */
export interface RunForWorker {
  now: string;
  releases: ReleaseRef[];
}

/**
 * PostgreSQL errors that a concurrent start can cause and a retry cures: deadlock (40P01), serialization
 * failure (40001), and the table, type or row the other process created first (42P07, 23505).
 */
const CONCURRENT_START_ERRORS = new Set(['40P01', '40001', '42P07', '23505']);

/**
 * Starts pg-boss on the store's database (it keeps its tables in its own schema, `pgboss`) and makes sure
 * the partition queue exists. Several `loopcds worker` processes usually start together; pg-boss's queue
 * creation takes table locks, so two of them creating the queue at once can deadlock. The queue is only
 * created when missing, and a start that loses such a race looks again after a short random pause.
 */
export async function startQueue(databaseUrl: string, attempts = 6): Promise<PgBoss> {
  const boss = new PgBoss({ connectionString: databaseUrl, max: 4, application_name: 'loopcds-population' });
  boss.on('error', () => undefined); // connection blips are retried by pg-boss; jobs are not lost
  try {
    await boss.start();
    for (let attempt = 1; ; attempt++) {
      if ((await boss.getQueue(PARTITION_QUEUE)) !== null) break;
      try {
        await boss.createQueue(PARTITION_QUEUE, {
          name: PARTITION_QUEUE,
          retryLimit: 2,
          retryDelay: 2,
          expireInSeconds: 3600,
        });
        break;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (attempt >= attempts || typeof code !== 'string' || !CONCURRENT_START_ERRORS.has(code))
          throw error;
        await sleep(50 + Math.random() * 200 * attempt);
      }
    }
    return boss;
  } catch (error) {
    await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
    throw error;
  }
}

/**
 * The partitions of a distributed run in PostgreSQL (tables in population-schema.ts): the coordinator puts
 * each partition's records there and a job on the queue; a worker takes the job, evaluates, and in one
 * transaction adds the partition's counts and marks it done (a job run twice adds nothing the second
 * time: the counts' key includes the partition). The counts are summed in SQL; the rest of each
 * partition's result (action list, errors, exclusions) is kept as JSON until the report is written, then
 * deleted with the records.
 */
export class PartitionQueue {
  constructor(private readonly db: SqlConnection) {}

  async addPartition(runId: string, partition: number, payload: string): Promise<void> {
    await this.db.run(
      `INSERT INTO population_partition (run_id, partition, status, payload, updated_at) VALUES ($1, $2, 'waiting', $3, $4)
       ON CONFLICT DO NOTHING`,
      [runId, partition, payload, new Date().toISOString()],
    );
  }

  async runForWorker(runId: string): Promise<RunForWorker | undefined> {
    const rows = await this.db.all<{ evaluated_at: string; releases: string }>(
      `SELECT evaluated_at, releases FROM population_run WHERE id = $1`,
      [runId],
    );
    const row = rows[0];
    return row === undefined
      ? undefined
      : { now: row.evaluated_at, releases: JSON.parse(row.releases) as ReleaseRef[] };
  }

  /** The records of a waiting partition; undefined when it is done already (a repeated job). */
  async payload(job: PartitionJob): Promise<string | undefined> {
    const rows = await this.db.all<{ status: string; payload: string | null }>(
      `SELECT status, payload FROM population_partition WHERE run_id = $1 AND partition = $2`,
      [job.runId, job.partition],
    );
    const row = rows[0];
    return row === undefined || row.status === 'done' || row.payload === null ? undefined : row.payload;
  }

  async complete(job: PartitionJob, result: PartitionResult, worker: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await insertRows(
        tx,
        'population_partition_count',
        [
          'run_id',
          'partition',
          'practice_id',
          'release_id',
          'denominator',
          'numerator',
          'incomplete',
          'errors',
        ],
        result.counts.map((c) => [
          job.runId,
          job.partition,
          c.practiceId,
          c.release,
          c.denominator,
          c.numerator,
          c.incomplete,
          c.errors,
        ]),
      );
      await tx.run(
        `UPDATE population_partition SET status = 'done', payload = NULL, outcome = $3, worker = $4, updated_at = $5
         WHERE run_id = $1 AND partition = $2 AND status <> 'done'`,
        [
          job.runId,
          job.partition,
          JSON.stringify({ ...result, counts: [] }),
          worker,
          new Date().toISOString(),
        ],
      );
    });
  }

  async fail(job: PartitionJob, message: string, worker: string): Promise<void> {
    await this.db.run(
      `UPDATE population_partition SET status = 'failed', outcome = $3, worker = $4, updated_at = $5 WHERE run_id = $1 AND partition = $2 AND status = 'waiting'`,
      [job.runId, job.partition, JSON.stringify({ error: message }), worker, new Date().toISOString()],
    );
  }

  /** How far a run has got: partitions by status, and patients evaluated in the done ones. */
  async progress(runId: string): Promise<{ waiting: number; done: number; failed: string[] }> {
    const rows = await this.db.all<{ status: string; outcome: string | null }>(
      `SELECT status, CASE WHEN status = 'failed' THEN outcome ELSE NULL END AS outcome FROM population_partition WHERE run_id = $1`,
      [runId],
    );
    return {
      waiting: rows.filter((r) => r.status === 'waiting').length,
      done: rows.filter((r) => r.status === 'done').length,
      failed: rows
        .filter((r) => r.status === 'failed')
        .map((r) => (JSON.parse(r.outcome ?? '{}') as { error?: string }).error ?? 'failed'),
    };
  }

  /** The run's result: counts summed in PostgreSQL, the rest merged from the partitions' outcomes. */
  async result(runId: string): Promise<PartitionResult> {
    const counts = await this.db.all<{
      practice_id: string;
      release_id: string;
      denominator: string;
      numerator: string;
      incomplete: string;
      errors: string;
    }>(
      `SELECT practice_id, release_id, SUM(denominator) AS denominator, SUM(numerator) AS numerator,
              SUM(incomplete) AS incomplete, SUM(errors) AS errors
       FROM population_partition_count WHERE run_id = $1 GROUP BY practice_id, release_id`,
      [runId],
    );
    const outcomes = await this.db.all<{ outcome: string }>(
      `SELECT outcome FROM population_partition WHERE run_id = $1 AND status = 'done' ORDER BY partition`,
      [runId],
    );
    const merged = mergeResults(outcomes.map((o) => JSON.parse(o.outcome) as PartitionResult));
    const summed: IndicatorCounts[] = counts
      .map((c) => ({
        practiceId: c.practice_id,
        release: c.release_id,
        denominator: Number(c.denominator),
        numerator: Number(c.numerator),
        incomplete: Number(c.incomplete),
        errors: Number(c.errors),
      }))
      .sort((a, b) => a.release.localeCompare(b.release) || a.practiceId.localeCompare(b.practiceId));
    return { ...(outcomes.length === 0 ? emptyResult(-1) : merged), counts: summed };
  }

  /** Deletes what the partitions held (patient records, action lists) once the run is reported. */
  async clear(runId: string): Promise<void> {
    await this.db.run(`UPDATE population_partition SET payload = NULL, outcome = NULL WHERE run_id = $1`, [
      runId,
    ]);
  }
}
