/**
 * What the population pages read from the population API (`/console/api/population/…`, the router the
 * app also serves at `/api/population`): runs as src/population/run-store.ts keeps them, with their
 * progress (population-run.ts RunProgress), and a run's report (run-report.ts RunReport). Rates are
 * proportions (0–1); deciles are the 10th…90th percentiles of practice rates.
 */
export interface RunStatus {
  id: string;
  createdAt: string;
  asOf: string;
  source: string;
  status: 'running' | 'complete' | 'failed';
  patients: number;
  finishedAt: string | null;
  releases: Array<{ key: string; id: string; title?: string }>;
  progress?: {
    phase: string;
    patientsDone: number;
    patientsTotal: number;
    bytesDone: number;
    bytesTotal: number;
  };
  error?: string;
}

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
  rate: number | null;
  ci: { low: number; high: number } | null;
  rank: number | null;
  peers: number;
  percentile: number | null;
  previous: {
    runId: string;
    asOf: string;
    rate: number | null;
    change: number | null;
    resolved: number;
    new: number;
  } | null;
}

export interface IndicatorSummary {
  release: string;
  artefactId: string;
  title: string;
  denominator: number;
  numerator: number;
  rate: number | null;
  practices: number;
  deciles: number[];
  history: Array<{ runId: string; asOf: string; deciles: number[]; rates: Record<string, number> }>;
}

export interface RunReport {
  runId: string;
  asOf: string;
  source: string;
  patients: number;
  practices: Array<{ id: string; name: string; listSize: number }>;
  indicators: IndicatorSummary[];
  rates: PracticeIndicator[];
  errors: number;
  previousRun: { id: string; asOf: string } | null;
}

/** A patient at risk, as src/population/partition-result.ts ActionRow gives it (with the API's `sinceLastRun`). */
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
  /** The evidence the rule read (src/population/indicator-outcome.ts HazardEvidence). */
  evidence: {
    drugs: Array<{ drug: string; issued: string }>;
    tests: Array<{ test: string; taken: string }>;
    events: Array<{ term: string; dated: string }>;
  };
  missingData: string[];
  /** False for a patient outside the measure population (no practice, not registered, sex not M/F). */
  inMeasure: boolean;
  inNumerator: boolean;
  /** In this run's list and not the last run's (true), in both (false), or no last run (null). */
  sinceLastRun: boolean | null;
}
