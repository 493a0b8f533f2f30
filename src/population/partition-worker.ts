import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import type PgBoss from 'pg-boss';
import type { KnowledgeLocations } from '../knowledge/knowledge-base.js';
import { PostgresConnection } from '../outcomes/postgres-connection.js';
import {
  PARTITION_QUEUE,
  PartitionQueue,
  startQueue,
  type PartitionJob,
  type RunForWorker,
} from './partition-queue.js';
import type { PartitionResult } from './partition-result.js';
import { preparePopulationSchema } from './population-schema.js';
import { WorkerPool } from './worker-pool.js';

export interface PartitionWorkerOptions {
  databaseUrl: string;
  knowledge: KnowledgeLocations;
  /** Partitions evaluated at the same time (worker threads). */
  threads: number;
  scratchDir?: string;
  /** Names this worker in the partition table (host and process by default). */
  name?: string;
  /** Called after each partition, with the patients it held. */
  onPartition?: (job: PartitionJob, patients: number) => void;
}

/**
 * A `loopcds worker`: takes partition jobs of distributed runs from the PostgreSQL queue (pg-boss), and
 * evaluates each in one of its worker threads with its own knowledge, which must hold exactly the
 * releases the run was started with (checked by content hash when the threads start). Any number of
 * these, on any machines sharing the database and the knowledge, can serve one run.
 */
export class PartitionWorker {
  private pool: { key: string; pool: Promise<WorkerPool> } | undefined;
  private readonly scratch: string;
  private readonly name: string;

  private constructor(
    private readonly options: PartitionWorkerOptions,
    private readonly db: PostgresConnection,
    private readonly queue: PartitionQueue,
    private readonly boss: PgBoss,
  ) {
    this.scratch = mkdtempSync(path.join(options.scratchDir ?? tmpdir(), 'loopcds-worker-'));
    this.name = options.name ?? `${hostname()}:${process.pid}`;
  }

  static async start(options: PartitionWorkerOptions): Promise<PartitionWorker> {
    const db = new PostgresConnection(options.databaseUrl, { poolSize: Math.max(2, options.threads + 1) });
    let boss: PgBoss;
    try {
      await preparePopulationSchema(db);
      boss = await startQueue(options.databaseUrl);
    } catch (error) {
      // A worker that cannot start must exit, not linger on an open pool.
      await db.close().catch(() => undefined);
      throw error;
    }
    const worker = new PartitionWorker(options, db, new PartitionQueue(db), boss);
    for (let i = 0; i < Math.max(1, options.threads); i++) {
      await boss.work<PartitionJob>(
        PARTITION_QUEUE,
        { batchSize: 1, pollingIntervalSeconds: 0.5 },
        async (jobs) => {
          for (const job of jobs) await worker.handle(job.data);
        },
      );
    }
    return worker;
  }

  async stop(): Promise<void> {
    await this.boss.offWork(PARTITION_QUEUE).catch(() => undefined);
    await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 }).catch(() => undefined);
    const pool = this.pool;
    this.pool = undefined;
    if (pool !== undefined) await (await pool.pool.catch(() => undefined))?.close();
    await this.db.close();
    rmSync(this.scratch, { recursive: true, force: true });
  }

  private async handle(job: PartitionJob): Promise<void> {
    try {
      const run = await this.queue.runForWorker(job.runId);
      const payload = await this.queue.payload(job);
      if (run === undefined || payload === undefined) return; // done already, or the run was removed
      const pool = await this.poolFor(run);
      const file = path.join(this.scratch, `part-${job.runId}-${job.partition}.tsv`);
      writeFileSync(file, payload);
      try {
        const result = await pool.run<PartitionResult>({
          type: 'evaluate',
          partition: job.partition,
          files: [file],
        });
        await this.queue.complete(job, result, this.name);
        this.options.onPartition?.(job, result.patients);
      } finally {
        unlinkSync(file);
      }
    } catch (error) {
      await this.queue.fail(job, error instanceof Error ? error.message : String(error), this.name);
    }
  }

  /** One pool of threads per run (its `now` and releases); a new run's replaces the last. */
  private poolFor(run: RunForWorker): Promise<WorkerPool> {
    const key = `${run.now}|${run.releases.map((r) => `${r.key}#${r.hash}`).join(',')}`;
    if (this.pool?.key !== key) {
      const old = this.pool;
      const pool = WorkerPool.start(this.options.threads, (i) => ({
        knowledge: this.options.knowledge,
        releases: run.releases,
        now: run.now,
        scratchDir: this.scratch,
        partitions: 1,
        writerId: `x${i}`,
        medications: [],
        verify: false,
      }));
      this.pool = { key, pool };
      void old?.pool.then(
        (p) => p.close(),
        () => undefined,
      );
    }
    return this.pool.pool;
  }
}
