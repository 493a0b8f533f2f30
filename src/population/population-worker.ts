import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { createGunzip } from 'node:zlib';
import type { FhirResource } from '../engine/patient-bundle.js';
import type { KnowledgeLocations } from '../knowledge/knowledge-base.js';
import { emptyScanStats, scanLines, scanNdjsonFile } from './line-scan.js';
import { PartitionWriter, splitLines } from './partition-files.js';
import { patientGroups } from './partition-groups.js';
import { evaluatePartition } from './partition-evaluation.js';
import { PopulationEvaluator } from './population-evaluator.js';
import { assertSameReleases, loadPopulationKnowledge, type ReleaseRef } from './population-knowledge.js';
import { ResourceScanner } from './resource-scanner.js';
import { evaluableReleases } from './artefact-library.js';

/** What a population worker thread is started with. */
export interface PopulationWorkerData {
  knowledge: KnowledgeLocations;
  releases: ReleaseRef[];
  now: string;
  scratchDir: string;
  partitions: number;
  /** Names this worker's partition files. */
  writerId: string;
  /** Medications by `Medication/<id>`, read from the source before scanning. */
  medications: Array<[string, FhirResource]>;
  verify: boolean;
}

/** A task for a population worker. */
export type PopulationTask =
  | { id: number; type: 'scan'; file: string; gzip: boolean; range?: { start: number; end: number } }
  | { id: number; type: 'close-partitions' }
  | { id: number; type: 'evaluate'; partition: number; files: string[] };

/** What a worker posts back. */
export type PopulationWorkerMessage =
  | { type: 'ready' }
  | { type: 'init-failed'; message: string }
  | { type: 'progress'; patients: number }
  | { id: number; type: 'done'; result: unknown }
  | { id: number; type: 'failed'; message: string };

/**
 * A worker thread of a population run: long-lived, it holds its own knowledge base and evaluators
 * (cql-execution is single-threaded and its Executors mutable), scans byte ranges of the source into its
 * own partition files, then evaluates whole partitions, one at a time, posting progress as it goes.
 */
async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('population-worker must run in a worker thread');
  const data = workerData as PopulationWorkerData;
  let evaluator: PopulationEvaluator;
  let scanner: ResourceScanner;
  try {
    const { knowledge } = await loadPopulationKnowledge(data.knowledge);
    assertSameReleases(knowledge, data.releases);
    const keys = data.releases.map((r) => r.key);
    evaluator = new PopulationEvaluator({ knowledge, releases: keys, now: data.now, verify: data.verify });
    const evaluable = evaluableReleases(knowledge);
    scanner = new ResourceScanner(
      keys.map((k) => evaluable.get(k)!),
      knowledge.valueSets,
      data.now,
    );
    for (const [reference, resource] of data.medications) scanner.addMedication(reference, resource);
  } catch (error) {
    port.postMessage({
      type: 'init-failed',
      message: (error as Error).message,
    } satisfies PopulationWorkerMessage);
    return;
  }
  const writer = new PartitionWriter(data.scratchDir, data.partitions, data.writerId);
  const post = (m: PopulationWorkerMessage) => port.postMessage(m);
  let queue = Promise.resolve();
  port.on('message', (task: PopulationTask) => {
    // One task at a time, in order: the thread is the unit of parallelism.
    queue = queue.then(async () => {
      try {
        post({ id: task.id, type: 'done', result: await run(task) });
      } catch (error) {
        post({
          id: task.id,
          type: 'failed',
          message: error instanceof Error ? error.message : String(error),
        });
      }
    });
  });
  post({ type: 'ready' });

  async function run(task: PopulationTask): Promise<unknown> {
    switch (task.type) {
      case 'scan': {
        if (!task.gzip) return scanNdjsonFile(task.file, task.range, scanner, writer, emptyScanStats());
        return scanLines(
          splitLines(createReadStream(task.file).pipe(createGunzip())),
          scanner,
          writer,
          emptyScanStats(),
        );
      }
      case 'close-partitions':
        writer.close();
        return null;
      case 'evaluate':
        return evaluatePartition(
          task.partition,
          patientGroups(task.files, data.scratchDir),
          evaluator,
          (patients) => post({ type: 'progress', patients }),
        );
    }
  }
}

await main();
