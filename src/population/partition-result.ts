import type { EvaluationPath, HazardEvidence } from './indicator-outcome.js';

/** The practice key of patients registered with no known practice. */
export const UNASSIGNED_PRACTICE = '(unassigned)';

/** Counts of one indicator release in one practice, over its measure population. */
export interface IndicatorCounts {
  practiceId: string;
  release: string;
  denominator: number;
  numerator: number;
  /** Not fired, with data missing that the rule needs (never scored as normal). */
  incomplete: number;
  errors: number;
}

/** A patient at risk, for the pharmacist's action list. Patient-identifiable: written only under --out. */
export interface ActionRow {
  practiceId: string;
  patientId: string;
  nhsNumber: string;
  name: string;
  birthDate: string;
  gender: string;
  release: string;
  summary: string;
  /** The card detail (Markdown): the rule's own account of the hazard and what to do. */
  detail: string;
  evidence: HazardEvidence;
  missingData: string[];
  /** False for a patient outside the measure population (no practice, not registered, sex not M/F). */
  inMeasure: boolean;
  /** Counted in the practice's numerator (in the measure population and the denominator). */
  inNumerator: boolean;
}

/** A patient whose evaluation failed: recorded with its error, the run goes on. */
export interface PatientError {
  practiceId: string;
  patientId: string;
  release: string;
  message: string;
}

/** What evaluating one partition produced; partition results are summed into a run's results. */
export interface PartitionResult {
  partition: number;
  /** Patients evaluated (every Patient resource). */
  patients: number;
  /** Patients outside the measure population, by reason. */
  excluded: Record<string, number>;
  /** Patients in the measure population, by practice (the practice's list size). */
  listSizes: Record<string, number>;
  counts: IndicatorCounts[];
  actions: ActionRow[];
  errors: PatientError[];
  paths: Record<EvaluationPath, number>;
  /** Records of a patient id without a Patient resource. */
  recordsWithoutPatient: number;
}

/** An empty result, the unit of {@link mergeResults}. */
export function emptyResult(partition: number): PartitionResult {
  return {
    partition,
    patients: 0,
    excluded: {},
    listSizes: {},
    counts: [],
    actions: [],
    errors: [],
    paths: { 'trigger-skip': 0, shared: 0, operands: 0, full: 0 },
    recordsWithoutPatient: 0,
  };
}

/** Sums partition results (counts by practice and release; lists concatenated). */
export function mergeResults(results: readonly PartitionResult[]): PartitionResult {
  const out = emptyResult(-1);
  const counts = new Map<string, IndicatorCounts>();
  for (const r of results) {
    out.patients += r.patients;
    out.recordsWithoutPatient += r.recordsWithoutPatient;
    addTo(out.excluded, r.excluded);
    addTo(out.listSizes, r.listSizes);
    addTo(out.paths, r.paths);
    for (const c of r.counts) {
      const key = `${c.practiceId}\u0000${c.release}`;
      const sum = counts.get(key);
      if (sum === undefined) counts.set(key, { ...c });
      else {
        sum.denominator += c.denominator;
        sum.numerator += c.numerator;
        sum.incomplete += c.incomplete;
        sum.errors += c.errors;
      }
    }
    out.actions.push(...r.actions);
    out.errors.push(...r.errors);
  }
  out.counts = [...counts.values()].sort(
    (a, b) => a.release.localeCompare(b.release) || a.practiceId.localeCompare(b.practiceId),
  );
  out.actions.sort(byPatient);
  out.errors.sort(byPatient);
  return out;
}

function byPatient(
  a: { practiceId: string; patientId: string; release: string },
  b: { practiceId: string; patientId: string; release: string },
): number {
  return (
    a.practiceId.localeCompare(b.practiceId) ||
    a.patientId.localeCompare(b.patientId) ||
    a.release.localeCompare(b.release)
  );
}

function addTo<K extends string>(into: Record<K, number>, from: Record<K, number>): void {
  for (const [k, v] of Object.entries(from) as Array<[K, number]>) into[k] = (into[k] ?? 0) + v;
}
