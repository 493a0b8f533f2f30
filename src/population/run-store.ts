import type { ReleaseRef } from './population-knowledge.js';

/** A stored population run. */
export interface StoredRun {
  id: string;
  createdAt: string;
  /** The index date, YYYY-MM-DD. */
  asOf: string;
  /** The evaluation date-time used as `now`. */
  now: string;
  /** How the source was named (no credentials). */
  source: string;
  releases: ReleaseRef[];
  status: 'running' | 'complete' | 'failed';
  patients: number;
  finishedAt: string | null;
  /** Run statistics (excluded patients, scan counts, evaluation paths, timings); no patient data. */
  summary: Record<string, unknown>;
}

/** One practice's figures for one indicator release in a run. */
export interface StoredRate {
  runId: string;
  practiceId: string;
  practiceName: string;
  release: string;
  artefactId: string;
  listSize: number;
  denominator: number;
  numerator: number;
  incomplete: number;
  errors: number;
}

/** A patient in a numerator, by pseudonym: what the next run compares with. */
export interface StoredNumerator {
  artefactId: string;
  practiceId: string;
  pseudonym: string;
}

/**
 * Where population runs are kept (design.md §2: "writes the run … to outcomes"): the outcome store's
 * database, SQLite or PostgreSQL (sql-run-store.ts). Rates and pseudonyms only: patient-identifiable
 * outputs go to the folder the user names, never here.
 */
export interface RunStore {
  readonly backend: 'sqlite' | 'postgres';
  /** Records a run as running (before its partitions are evaluated). */
  beginRun(run: StoredRun): Promise<void>;
  /** Stores a finished run's rates and numerators and marks it complete, in one transaction. */
  completeRun(
    run: StoredRun,
    rates: readonly StoredRate[],
    numerators: readonly StoredNumerator[],
  ): Promise<void>;
  failRun(id: string, message: string): Promise<void>;
  getRun(id: string): Promise<StoredRun | undefined>;
  /** Runs, newest index date first. */
  listRuns(options?: { status?: StoredRun['status']; limit?: number }): Promise<StoredRun[]>;
  ratesOf(runIds: readonly string[]): Promise<StoredRate[]>;
  numeratorsOf(runId: string): Promise<StoredNumerator[]>;
  close(): Promise<void>;
}
