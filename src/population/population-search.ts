import { randomUUID } from 'node:crypto';
import type { Pseudonymiser } from '../outcomes/pseudonymiser.js';
import type { ActionRow } from './partition-result.js';
import {
  runPopulationSearch,
  type PartitionPlan,
  type PopulationRunOptions,
  type PopulationRunResult,
} from './population-run.js';
import { writeReport } from './report-writer.js';
import { artefactOf, buildRunReport, numeratorRows, type RunReport } from './run-report.js';
import type { RunStore, StoredNumerator, StoredRate, StoredRun } from './run-store.js';
import type { PartitionResult } from './partition-result.js';

/** The pseudonym site of population runs: the same patient id gives the same pseudonym in every run. */
export const POPULATION_SITE = 'population';

export interface SearchOptions extends Omit<PopulationRunOptions, 'evaluatePartitions'> {
  runId?: string;
  /** Where the run is stored, and earlier runs found; absent: no trend, nothing stored. */
  store?: RunStore;
  /** Makes the pseudonyms of numerator patients (the outcome store's key); needed with a store. */
  pseudonymiser?: Pseudonymiser;
  /** The folder for the outputs (action lists, rates, MeasureReports); absent: nothing written. */
  outDir?: string;
  /**
   * Evaluates the partitions elsewhere (a distributed run). Called once the run is stored as running.
   */
  evaluatePartitions?: (plan: PartitionPlan, runId: string) => Promise<PartitionResult>;
}

/** A finished search: the report (no patient data), the action list, and the files written. */
export interface SearchResult {
  runId: string;
  report: RunReport;
  actions: ActionRow[];
  /** Per action row: new since the last run, in the last run too, or no last run (null). */
  newFlags: Array<boolean | null>;
  files: string[];
  run: PopulationRunResult;
}

/**
 * A population search from start to report: runs the search, compares it with the previous stored run
 * (rates, patients resolved and new) and with the other practices (rank, percentile, deciles), stores it
 * (date, releases, rates, numerator pseudonyms) and writes the outputs. A failed run is stored as failed.
 */
export async function searchPopulation(options: SearchOptions): Promise<SearchResult> {
  const runId = options.runId ?? randomUUID();
  const store = options.store;
  if (store !== undefined && options.pseudonymiser === undefined)
    throw new Error('A run store needs the pseudonym key (numerator patients are stored by pseudonym only)');
  let stored: StoredRun | undefined;
  const begin = async (releases: PopulationRunResult['releases'], now: string) => {
    stored = {
      id: runId,
      createdAt: new Date().toISOString(),
      asOf: options.asOf,
      now,
      source: '',
      releases,
      status: 'running',
      patients: 0,
      finishedAt: null,
      summary: {},
    };
    await store?.beginRun(stored);
  };
  let run: PopulationRunResult;
  try {
    const { evaluatePartitions: distributed, ...runOptions } = options;
    run = await runPopulationSearch({
      ...runOptions,
      ...(distributed === undefined
        ? {}
        : {
            evaluatePartitions: async (plan: PartitionPlan) => {
              await begin(plan.releases, plan.now);
              return distributed(plan, runId);
            },
          }),
    });
    if (stored === undefined) await begin(run.releases, run.now);
  } catch (error) {
    if (stored !== undefined)
      await store?.failRun(runId, error instanceof Error ? error.message : String(error));
    throw error;
  }
  const actions = run.result.actions;
  const pseudonyms = actions.map((a) => options.pseudonymiser?.pseudonym(POPULATION_SITE, a.patientId) ?? '');
  const history = store === undefined ? [] : await historyOf(store, runId);
  const previous = [...history]
    .filter((h) => h.run.asOf <= options.asOf)
    .sort(
      (a, b) => b.run.asOf.localeCompare(a.run.asOf) || b.run.createdAt.localeCompare(a.run.createdAt),
    )[0];
  const previousNumerators: StoredNumerator[] =
    previous === undefined ? [] : await store!.numeratorsOf(previous.run.id);
  const report = buildRunReport({
    runId,
    asOf: run.asOf,
    now: run.now,
    source: run.source,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    releases: run.releases,
    result: run.result,
    practiceNames: run.practiceNames,
    pseudonyms,
    history,
    previousNumerators,
  });
  const was = new Set(
    previousNumerators.map((n) => `${n.practiceId}\u0000${n.artefactId}\u0000${n.pseudonym}`),
  );
  const newFlags = actions.map((a, i) =>
    previous === undefined
      ? null
      : !was.has(`${a.practiceId}\u0000${artefactOf(a.release)}\u0000${pseudonyms[i]!}`),
  );
  if (store !== undefined) {
    const rates: StoredRate[] = report.rates.map((r) => ({
      runId,
      practiceId: r.practiceId,
      practiceName: r.practiceName,
      release: r.release,
      artefactId: r.artefactId,
      listSize: r.listSize,
      denominator: r.denominator,
      numerator: r.numerator,
      incomplete: r.incomplete,
      errors: r.errors,
    }));
    await store.completeRun(
      {
        ...stored!,
        source: run.source,
        patients: run.result.patients,
        finishedAt: run.finishedAt,
        status: 'complete',
        summary: summaryOf(run),
      },
      rates,
      numeratorRows(actions, pseudonyms),
    );
  }
  const files =
    options.outDir === undefined
      ? []
      : writeReport(options.outDir, { report, actions, newFlags, errors: run.result.errors });
  return { runId, report, actions, newFlags, files, run };
}

/** What a run records about itself besides rates: counts and timings, no patient data. */
function summaryOf(run: PopulationRunResult): Record<string, unknown> {
  return {
    excluded: run.result.excluded,
    recordsWithoutPatient: run.result.recordsWithoutPatient,
    errors: run.result.errors.length,
    paths: run.result.paths,
    scan: {
      lines: run.scan.lines,
      kept: run.scan.kept,
      invalid: run.scan.invalid,
      orphans: run.scan.orphans,
      sourceErrors: run.scan.sourceErrors,
    },
    timings: run.timings,
  };
}

async function historyOf(
  store: RunStore,
  exclude: string,
): Promise<Array<{ run: StoredRun; rates: StoredRate[] }>> {
  const runs = (await store.listRuns({ status: 'complete', limit: 36 })).filter((r) => r.id !== exclude);
  const rates = await store.ratesOf(runs.map((r) => r.id));
  return runs.map((run) => ({ run, rates: rates.filter((r) => r.runId === run.id) }));
}
