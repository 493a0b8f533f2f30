import type { OperationOutcome } from '../errors/operation-outcome.js';
import type { PrefetchReport } from '../context/patient-data-builder.js';

/** The result of one artefact release on one hook call. */
export type EvaluationResult = 'fired' | 'not-fired' | 'incomplete' | 'error';

/** What one artefact release did on one hook call (active or shadow). */
export interface ReleaseEvaluation {
  release: string; // id@version
  hash: string;
  role: 'active' | 'shadow';
  result: EvaluationResult;
  missingData: string[];
  error?: OperationOutcome;
  cards: Array<{ uuid: string; indicator: string; summary: string; suggestions: string[] }>;
  evaluationMs: number;
}

/** One hook call, as the outcome store records it: never the token, never the patient record. */
export interface HookCallRecord {
  serviceId: string;
  hook: string;
  hookInstance: string;
  at: string;
  patientId: string;
  fhirServer?: string | undefined;
  /** The verified caller's `iss` (CDS Hooks 2.0 §Trusting CDS Clients): names the site when LOOPCDS_SITE does not. */
  issuer?: string | undefined;
  /** The verified caller's `tenant` claim, recorded beside the site. */
  tenant?: string | undefined;
  prefetch: PrefetchReport;
  timings: { prefetchMs: number; fallbackMs: number; evaluationMs: number };
  evaluations: ReleaseEvaluation[];
}

export interface FeedbackRecord {
  serviceId: string;
  card: string;
  outcome: 'accepted' | 'overridden';
  acceptedSuggestions: string[];
  overrideReason?: { system: string; code: string; display?: string } | undefined;
  userComment?: string | undefined;
  outcomeTimestamp: string;
  receivedAt: string;
}

/**
 * The seam between the hook path and the outcome store. Recording never blocks or fails a hook call:
 * implementations queue and return at once.
 */
export interface OutcomeRecorder {
  recordHookCall(record: HookCallRecord): void;
  recordFeedback(records: readonly FeedbackRecord[]): void;
  close(): Promise<void>;
}

/** Records nothing: `LOOPCDS_OUTCOME_RECORDING=off`. */
export class DiscardingOutcomeRecorder implements OutcomeRecorder {
  recordHookCall(): void {}

  recordFeedback(): void {}

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Keeps records in memory: for tests and for running without a store. */
export class MemoryOutcomeRecorder implements OutcomeRecorder {
  readonly hookCalls: HookCallRecord[] = [];
  readonly feedback: FeedbackRecord[] = [];

  recordHookCall(record: HookCallRecord): void {
    this.hookCalls.push(record);
  }

  recordFeedback(records: readonly FeedbackRecord[]): void {
    this.feedback.push(...records);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
