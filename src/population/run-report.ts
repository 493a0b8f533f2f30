import { deciles, standing } from './deciles.js';
import type { ActionRow, PartitionResult } from './partition-result.js';
import type { ReleaseRef } from './population-knowledge.js';
import type { StoredNumerator, StoredRate, StoredRun } from './run-store.js';
import { wilsonInterval } from './wilson-interval.js';

/** One practice's figures for one indicator, placed among its peers and against its last run. */
export interface PracticeIndicator {
  practiceId: string;
  practiceName: string;
  release: string;
  artefactId: string;
  title: string;
  listSize: number;
  denominator: number;
  numerator: number;
  incomplete: number;
  errors: number;
  /** numerator / denominator; null without a denominator (or an artefact without `Denominator`). */
  rate: number | null;
  /** 95% Wilson score interval of the rate. */
  ci: { low: number; high: number } | null;
  /** 1 = the highest rate among practices with a denominator; null without a rate. */
  rank: number | null;
  peers: number;
  percentile: number | null;
  previous: PreviousFigures | null;
}

/** The same practice and indicator in the previous run: the before/after of an intervention. */
export interface PreviousFigures {
  runId: string;
  asOf: string;
  release: string;
  denominator: number;
  numerator: number;
  rate: number | null;
  /** This run's rate less the previous one (percentage points as a fraction). */
  change: number | null;
  /** Patients in the previous numerator and not in this one. */
  resolved: number;
  /** Patients in this numerator and not in the previous one. */
  new: number;
}

/** An indicator across practices, with the deciles of practice rates now and in earlier runs. */
export interface IndicatorSummary {
  release: string;
  artefactId: string;
  title: string;
  denominator: number;
  numerator: number;
  incomplete: number;
  errors: number;
  rate: number | null;
  ci: { low: number; high: number } | null;
  /** Practices with a denominator (the peers of the decile chart). */
  practices: number;
  /** 10th…90th percentiles of practice rates (OpenSAFELY decile chart). */
  deciles: number[];
  /** Earlier runs and this one, oldest first: index date, deciles, and each practice's rate. */
  history: Array<{ runId: string; asOf: string; deciles: number[]; rates: Record<string, number> }>;
}

/** The report of a run: what is written as rates.json, and what the HTML pages show. No patient data. */
export interface RunReport {
  runId: string;
  asOf: string;
  now: string;
  source: string;
  startedAt: string;
  finishedAt: string;
  releases: ReleaseRef[];
  patients: number;
  excluded: Record<string, number>;
  recordsWithoutPatient: number;
  practices: Array<{ id: string; name: string; listSize: number }>;
  indicators: IndicatorSummary[];
  rates: PracticeIndicator[];
  errors: number;
  previousRun: { id: string; asOf: string } | null;
}

export interface ReportInput {
  runId: string;
  asOf: string;
  now: string;
  source: string;
  startedAt: string;
  finishedAt: string;
  releases: ReleaseRef[];
  result: PartitionResult;
  practiceNames: Record<string, string>;
  /** The pseudonym of each action row's patient (same order), for the comparison with the last run. */
  pseudonyms: readonly string[];
  /** Earlier complete runs, any order, with their rates. */
  history: ReadonlyArray<{ run: StoredRun; rates: readonly StoredRate[] }>;
  /** The previous run's numerators, when there is a previous run. */
  previousNumerators: readonly StoredNumerator[];
}

/**
 * Builds a run's report: rates with 95% Wilson intervals per practice and indicator, each practice's rank
 * and percentile among practices with a denominator, the deciles of practice rates (this run and the
 * stored ones: the OpenSAFELY decile chart), and the change since the previous run: rate, patients
 * resolved and patients new. Deterministic: the same results give the same report, wherever the
 * partitions were evaluated.
 */
export function buildRunReport(input: ReportInput): RunReport {
  const { result, releases } = input;
  const name = (id: string) => input.practiceNames[id] ?? id;
  const practiceIds = [
    ...new Set([...Object.keys(result.listSizes), ...result.counts.map((c) => c.practiceId)]),
  ].sort();
  const previous = latestBefore(input.history, input.asOf);
  const prevRates = new Map((previous?.rates ?? []).map((r) => [`${r.practiceId}\u0000${r.artefactId}`, r]));
  const prevNumerators = groupPseudonyms(input.previousNumerators);
  const nowNumerators = groupPseudonyms(
    result.actions.flatMap((a, i) =>
      a.inNumerator
        ? [{ artefactId: artefactOf(a.release), practiceId: a.practiceId, pseudonym: input.pseudonyms[i]! }]
        : [],
    ),
  );
  const rates: PracticeIndicator[] = [];
  const indicators: IndicatorSummary[] = [];
  for (const release of releases) {
    const counts = new Map(
      result.counts.filter((c) => c.release === release.key).map((c) => [c.practiceId, c]),
    );
    const rows = practiceIds.map((practiceId) => {
      const c = counts.get(practiceId);
      const denominator = c?.denominator ?? 0;
      const numerator = c?.numerator ?? 0;
      return {
        practiceId,
        denominator,
        numerator,
        incomplete: c?.incomplete ?? 0,
        errors: c?.errors ?? 0,
        rate: denominator > 0 ? numerator / denominator : null,
      };
    });
    const peerRates = rows.flatMap((r) => (r.rate === null ? [] : [r.rate]));
    for (const r of rows) {
      const place = r.rate === null ? undefined : standing(r.rate, peerRates);
      const key = `${r.practiceId}\u0000${release.id}`;
      const before = prevRates.get(key);
      const was = prevNumerators.get(key) ?? new Set<string>();
      const is = nowNumerators.get(key) ?? new Set<string>();
      rates.push({
        practiceId: r.practiceId,
        practiceName: name(r.practiceId),
        release: release.key,
        artefactId: release.id,
        title: release.title,
        listSize: result.listSizes[r.practiceId] ?? 0,
        denominator: r.denominator,
        numerator: r.numerator,
        incomplete: r.incomplete,
        errors: r.errors,
        rate: r.rate,
        ci: wilsonInterval(r.numerator, r.denominator) ?? null,
        rank: place?.rank ?? null,
        peers: peerRates.length,
        percentile: place?.percentile ?? null,
        previous:
          previous === undefined
            ? null
            : {
                runId: previous.run.id,
                asOf: previous.run.asOf,
                release: before?.release ?? '',
                denominator: before?.denominator ?? 0,
                numerator: before?.numerator ?? 0,
                rate:
                  before !== undefined && before.denominator > 0
                    ? before.numerator / before.denominator
                    : null,
                change:
                  r.rate !== null && before !== undefined && before.denominator > 0
                    ? r.rate - before.numerator / before.denominator
                    : null,
                resolved: [...was].filter((p) => !is.has(p)).length,
                new: [...is].filter((p) => !was.has(p)).length,
              },
      });
    }
    const denominator = rows.reduce((s, r) => s + r.denominator, 0);
    const numerator = rows.reduce((s, r) => s + r.numerator, 0);
    const now = {
      runId: input.runId,
      asOf: input.asOf,
      deciles: deciles(peerRates),
      rates: Object.fromEntries(rows.flatMap((r) => (r.rate === null ? [] : [[r.practiceId, r.rate]]))),
    };
    indicators.push({
      release: release.key,
      artefactId: release.id,
      title: release.title,
      denominator,
      numerator,
      incomplete: rows.reduce((s, r) => s + r.incomplete, 0),
      errors: rows.reduce((s, r) => s + r.errors, 0),
      rate: denominator > 0 ? numerator / denominator : null,
      ci: wilsonInterval(numerator, denominator) ?? null,
      practices: peerRates.length,
      deciles: now.deciles,
      history: [...historyOf(input.history, release.id, input.asOf), now],
    });
  }
  return {
    runId: input.runId,
    asOf: input.asOf,
    now: input.now,
    source: input.source,
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    releases,
    patients: result.patients,
    excluded: result.excluded,
    recordsWithoutPatient: result.recordsWithoutPatient,
    practices: practiceIds.map((id) => ({ id, name: name(id), listSize: result.listSizes[id] ?? 0 })),
    indicators,
    rates,
    errors: result.errors.length,
    previousRun: previous === undefined ? null : { id: previous.run.id, asOf: previous.run.asOf },
  };
}

/** `pincer-a` of `pincer-a@1.0.0`. */
export function artefactOf(release: string): string {
  return release.slice(0, release.lastIndexOf('@'));
}

/** The numerator patients of a run as stored rows. */
export function numeratorRows(
  actions: readonly ActionRow[],
  pseudonyms: readonly string[],
): StoredNumerator[] {
  return actions.flatMap((a, i) =>
    a.inNumerator
      ? [{ artefactId: artefactOf(a.release), practiceId: a.practiceId, pseudonym: pseudonyms[i]! }]
      : [],
  );
}

function latestBefore(
  history: ReportInput['history'],
  asOf: string,
): { run: StoredRun; rates: readonly StoredRate[] } | undefined {
  return [...history]
    .filter((h) => h.run.status === 'complete' && h.run.asOf <= asOf)
    .sort(
      (a, b) => b.run.asOf.localeCompare(a.run.asOf) || b.run.createdAt.localeCompare(a.run.createdAt),
    )[0];
}

function historyOf(
  history: ReportInput['history'],
  artefactId: string,
  asOf: string,
): IndicatorSummary['history'] {
  return [...history]
    .filter((h) => h.run.status === 'complete' && h.run.asOf <= asOf)
    .sort((a, b) => a.run.asOf.localeCompare(b.run.asOf) || a.run.createdAt.localeCompare(b.run.createdAt))
    .map((h) => {
      const rates = h.rates.filter((r) => r.artefactId === artefactId && r.denominator > 0);
      return {
        runId: h.run.id,
        asOf: h.run.asOf,
        deciles: deciles(rates.map((r) => r.numerator / r.denominator)),
        rates: Object.fromEntries(rates.map((r) => [r.practiceId, r.numerator / r.denominator])),
      };
    })
    .filter((h) => h.deciles.length > 0);
}

function groupPseudonyms(rows: readonly StoredNumerator[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of rows) {
    const key = `${r.practiceId}\u0000${r.artefactId}`;
    const set = out.get(key) ?? new Set<string>();
    set.add(r.pseudonym);
    out.set(key, set);
  }
  return out;
}
