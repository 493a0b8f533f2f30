import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type PgBoss from 'pg-boss';
import { PARTITION_QUEUE, type PartitionJob, type PartitionQueue } from './partition-queue.js';
import type { PartitionResult } from './partition-result.js';
import type { PartitionPlan } from './population-run.js';

/**
 * Evaluates a run's partitions as jobs on the PostgreSQL queue (design.md §6): each partition's records
 * go into the database with a job; `loopcds worker` processes anywhere (and this process's own, if it
 * starts some) take the jobs; this waits until every partition is done, then sums the counts in SQL.
 * A partition that fails fails the run, naming the error.
 */
export function distributedEvaluation(deps: {
  queue: PartitionQueue;
  boss: PgBoss;
  /** How often progress is read, in milliseconds. */
  pollMs?: number;
}): (plan: PartitionPlan, runId: string) => Promise<PartitionResult> {
  return async (plan, runId) => {
    const totalBytes = plan.partitions.reduce((s, p) => s + p.bytes, 0);
    for (const p of plan.partitions) {
      const payload = p.files.map((f) => readFileSync(f, 'utf8')).join('');
      await deps.queue.addPartition(runId, p.partition, payload);
    }
    await deps.boss.insert(
      plan.partitions.map((p) => ({
        name: PARTITION_QUEUE,
        data: { runId, partition: p.partition } satisfies PartitionJob,
      })),
    );
    const bytes = new Map(plan.partitions.map((p) => [p.partition, p.bytes]));
    let reported = 0;
    for (;;) {
      const progress = await deps.queue.progress(runId);
      if (progress.failed.length > 0)
        throw new Error(`A partition of run ${runId} failed: ${progress.failed[0]}`);
      // Patients done are estimated from the bytes of the partitions done (exact figures come at the end).
      const doneBytes = totalBytes === 0 ? 0 : (progress.done / Math.max(1, bytes.size)) * totalBytes;
      const estimate = Math.round((plan.patients * doneBytes) / Math.max(1, totalBytes));
      if (estimate > reported) {
        plan.progress(estimate - reported);
        reported = estimate;
      }
      if (progress.waiting === 0) break;
      await sleep(deps.pollMs ?? 500);
    }
    const result = await deps.queue.result(runId);
    await deps.queue.clear(runId);
    return result;
  };
}
