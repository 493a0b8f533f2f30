import { createReadStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { evaluationTime } from '../engine/evaluation-time.js';
import type { FhirResource } from '../engine/patient-bundle.js';
import type { KnowledgeLocations } from '../knowledge/knowledge-base.js';
import { addScanStats, countSourceErrors, emptyScanStats, scanLines, type ScanStats } from './line-scan.js';
import { listNdjsonFiles, scanRanges } from './ndjson-folder.js';
import { listPartitions, PartitionWriter, readLines, splitLines } from './partition-files.js';
import { mergeResults, type PartitionResult } from './partition-result.js';
import { describeSource, SOURCE_ERROR_TYPE, type PopulationSource } from './population-source.js';
import { loadPopulationKnowledge, selectReleases, type ReleaseRef } from './population-knowledge.js';
import { readPracticeMapping } from './practice-mapping.js';
import { ResourceScanner } from './resource-scanner.js';
import { evaluableReleases } from './artefact-library.js';
import { WorkerPool } from './worker-pool.js';

export interface PopulationRunOptions {
  knowledge: KnowledgeLocations;
  source: PopulationSource;
  /** Artefact selection (`pincer`, `pincer-a,pincer-b`, `pincer-a@1.0.0`). */
  artefacts: string;
  /** The index date, YYYY-MM-DD: `now` is noon on it, local time. */
  asOf: string;
  /** IANA time zone whose offset `now` carries (Europe/London). */
  timeZone: string;
  /** Worker threads; default one per core. */
  workers?: number;
  /** Partitions; default from the source's size. */
  partitions?: number;
  /** Where temporary partition files go (removed at the end). */
  scratchDir?: string;
  /** A CSV mapping patients to practices. */
  practiceMapping?: string;
  /** Check every shortcut against a full evaluation (slow; tests). */
  verify?: boolean;
  onProgress?: (progress: RunProgress) => void;
  signal?: AbortSignal;
  /**
   * Evaluates the partitions instead of the local worker threads (distributed runs: jobs on a queue).
   * Receives the partition files; resolves to the summed result.
   */
  evaluatePartitions?: (plan: PartitionPlan) => Promise<PartitionResult>;
}

/** What a run reports as it goes. */
export interface RunProgress {
  phase: 'reading' | 'evaluating' | 'done';
  patientsDone: number;
  patientsTotal: number;
  /** Bytes of the source read, when known. */
  bytesDone: number;
  bytesTotal: number;
}

/** The partitions of a run, ready to evaluate. */
export interface PartitionPlan {
  releases: ReleaseRef[];
  now: string;
  partitions: Array<{ partition: number; files: string[]; bytes: number }>;
  patients: number;
  /** Reports evaluated patients as they come. */
  progress: (patients: number) => void;
}

/** A finished run, before it is stored and reported. */
export interface PopulationRunResult {
  asOf: string;
  now: string;
  source: string;
  releases: ReleaseRef[];
  startedAt: string;
  finishedAt: string;
  scan: ScanStats;
  /** Practice names by id (Organization resources, the mapping file). */
  practiceNames: Record<string, string>;
  result: PartitionResult;
  timings: { readMs: number; evaluateMs: number };
}

/**
 * Runs a population search: reads the source into partitions by patient (worker threads scanning a
 * folder in parallel, or the main thread scanning a remote stream), then evaluates one partition per
 * worker thread at a time and sums the results by practice and indicator (design.md §2, "A population
 * run"). Temporary files are removed whatever happens.
 */
export async function runPopulationSearch(options: PopulationRunOptions): Promise<PopulationRunResult> {
  const startedAt = new Date().toISOString();
  const { knowledge } = await loadPopulationKnowledge(options.knowledge);
  const releases = selectReleases(knowledge, options.artefacts);
  const now = noonOn(options.asOf, options.timeZone);
  const evaluable = evaluableReleases(knowledge);
  const artefacts = releases.map((r) => evaluable.get(r.key)!);
  const scanner = new ResourceScanner(artefacts, knowledge.valueSets, now);
  const base = options.scratchDir ?? tmpdir();
  mkdirSync(base, { recursive: true });
  const scratch = mkdtempSync(path.join(base, 'loopcds-population-'));
  const files = options.source.kind === 'folder' ? listNdjsonFiles(options.source.dir) : [];
  const bytesTotal = files.reduce((s, f) => s + f.bytes, 0);
  const partitions =
    options.partitions ?? Math.max(16, Math.min(4096, Math.ceil(bytesTotal / (64 * 1024 * 1024))));
  const progress: RunProgress = {
    phase: 'reading',
    patientsDone: 0,
    patientsTotal: 0,
    bytesDone: 0,
    bytesTotal,
  };
  const report = () => options.onProgress?.({ ...progress });
  let pool: WorkerPool | undefined;
  let starting: Promise<WorkerPool> | undefined;
  try {
    const medications = await readMedications(
      files.filter((f) => f.declaredType === 'Medication').map((f) => f.file),
    );
    const workers = Math.max(1, options.workers ?? availableParallelism());
    // The threads load their knowledge while a remote source is read (the main thread scans it), once
    // the source has answered: a refused kick-off starts no threads.
    const startPool = () =>
      (starting ??= WorkerPool.start(
        workers,
        (i) => ({
          knowledge: options.knowledge,
          releases,
          now,
          scratchDir: scratch,
          partitions,
          writerId: `w${i}`,
          medications,
          verify: options.verify === true,
        }),
        (patients) => {
          progress.patientsDone += patients;
          report();
        },
      ));
    const readStarted = performance.now();
    const scan = emptyScanStats();
    const main = new PartitionWriter(scratch, partitions, 'main');
    const practiceNames: Record<string, string> = {};
    if (options.practiceMapping !== undefined)
      for (const [id, name] of await readPracticeMapping(options.practiceMapping, main))
        practiceNames[id] = name;
    if (options.source.kind === 'folder') {
      pool = await startPool();
      const scanning = pool;
      const wanted = files.filter((f) => f.declaredType === undefined || !scanner.skipsType(f.declaredType));
      await Promise.all(
        scanRanges(wanted).map(async (range) => {
          throwIfAborted(options.signal);
          addScanStats(scan, await scanning.run<ScanStats>({ type: 'scan', ...range }));
          progress.bytesDone +=
            range.range === undefined
              ? (files.find((f) => f.file === range.file)?.bytes ?? 0)
              : range.range.end - range.range.start;
          progress.patientsTotal = scan.patients;
          report();
        }),
      );
      progress.bytesDone = bytesTotal;
    } else {
      for (const [reference, resource] of medications) scanner.addMedication(reference, resource);
      for await (const stream of options.source.open([...scanner.types], options.signal)) {
        throwIfAborted(options.signal);
        // Awaited below; a failure to start while the source is read must not go unhandled meanwhile.
        startPool().catch(() => undefined);
        if (stream.type === SOURCE_ERROR_TYPE) await countSourceErrors(stream.lines, scan);
        else await scanLines(stream.lines, scanner, main, scan);
        progress.patientsTotal = scan.patients;
        report();
      }
      pool = await startPool();
    }
    main.close();
    await pool.broadcast({ type: 'close-partitions' });
    for (const [id, name] of scan.organizations) practiceNames[id] ??= name;
    const readMs = performance.now() - readStarted;

    progress.phase = 'evaluating';
    progress.patientsTotal = scan.patients;
    report();
    const evaluateStarted = performance.now();
    const plan: PartitionPlan = {
      releases,
      now,
      partitions: [...listPartitions(scratch).entries()]
        .map(([partition, p]) => ({ partition, ...p }))
        .sort((a, b) => b.bytes - a.bytes), // largest first: the run ends sooner
      patients: scan.patients,
      progress: (patients) => {
        progress.patientsDone += patients;
        report();
      },
    };
    let result: PartitionResult;
    if (options.evaluatePartitions !== undefined) {
      await pool.close();
      pool = undefined;
      result = await options.evaluatePartitions(plan);
    } else {
      const local = pool;
      result = mergeResults(
        await Promise.all(
          plan.partitions.map(async (p) => {
            throwIfAborted(options.signal);
            return local.run<PartitionResult>({ type: 'evaluate', partition: p.partition, files: p.files });
          }),
        ),
      );
    }
    progress.phase = 'done';
    progress.patientsDone = result.patients;
    report();
    return {
      asOf: options.asOf,
      now,
      source: describeSource(options.source),
      releases,
      startedAt,
      finishedAt: new Date().toISOString(),
      scan,
      practiceNames,
      result,
      timings: { readMs, evaluateMs: performance.now() - evaluateStarted },
    };
  } finally {
    await (pool ?? (await starting?.catch(() => undefined)))?.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Noon on the index date, local time, with its offset (UK clocks: GMT or BST), e.g. 2026-07-01T12:00:00.000+01:00. */
export function noonOn(asOf: string, timeZone: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf)) throw new Error(`--as-of must be a date (YYYY-MM-DD): ${asOf}`);
  const guess = new Date(`${asOf}T12:00:00.000Z`);
  const offset = evaluationTime(guess, timeZone).slice(-6);
  const sign = offset.startsWith('-') ? -1 : 1;
  const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  return evaluationTime(new Date(guess.getTime() - minutes * 60_000), timeZone);
}

async function readMedications(files: readonly string[]): Promise<Array<[string, FhirResource]>> {
  const out: Array<[string, FhirResource]> = [];
  for (const file of files) {
    const lines = file.endsWith('.gz')
      ? splitLines(createReadStream(file).pipe(createGunzip()))
      : readLines(file);
    for await (const line of lines) {
      const r = JSON.parse(line) as FhirResource;
      if (r.resourceType === 'Medication' && typeof r.id === 'string') out.push([`Medication/${r.id}`, r]);
    }
  }
  return out;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new Error('The population run was cancelled');
}
