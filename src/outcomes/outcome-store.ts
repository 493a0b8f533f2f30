import type { FeedbackEntry, HookCallEntry, OutcomeBatch } from './outcome-entry.js';
import type { SchemaStatus } from './schema-migrator.js';

/** The dimensions figures can be broken down by, besides the release (always). */
export type FigureDimension = 'site' | 'week';

/** Which records figures and comparisons count. Dates are local calendar dates, both ends included. */
export interface OutcomeFilter {
  from?: string | undefined;
  to?: string | undefined;
  /** One release, `id@version`. */
  release?: string | undefined;
  /** Every release of one artefact. */
  artefact?: string | undefined;
  site?: string | undefined;
  service?: string | undefined;
}

export interface FigureQuery extends OutcomeFilter {
  /** Default: both, i.e. one row per release, site and ISO week. */
  groupBy?: readonly FigureDimension[] | undefined;
}

/** What one rule release did over a period (see docs/outcome-store.md for every definition). */
export interface ReleaseFigures {
  release: string;
  artefactId: string;
  version: string;
  /** `null` when the figures add up every site (or every week). */
  site: string | null;
  week: string | null;
  evaluations: number;
  activeEvaluations: number;
  shadowEvaluations: number;
  results: { fired: number; notFired: number; incomplete: number; error: number };
  /** fired ÷ (fired + not fired): of the evaluations that could decide, how many fired. */
  firingRate: number | null;
  /** Cards of active evaluations: the ones the clinician saw. */
  cardsShown: number;
  cardsWithFeedback: number;
  /** Cards whose latest feedback accepted / overrode them. */
  accepted: number;
  overridden: number;
  /** accepted ÷ cards shown; overridden ÷ cards shown (a card with no feedback counts as neither). */
  acceptanceRate: number | null;
  overrideRate: number | null;
  /** Overridden cards by reason; `code: null` when the clinician only wrote a comment. */
  overrideReasons: Array<{
    system: string | null;
    code: string | null;
    display: string | null;
    count: number;
  }>;
  /** Suggestions accepted in the latest feedback of each card. */
  suggestionsTaken: number;
  /** incomplete ÷ evaluations; error ÷ evaluations. */
  incompleteDataRate: number | null;
  errorRate: number | null;
  /** Nearest-rank percentiles of the release's evaluation time, in milliseconds. */
  evaluationMs: { median: number | null; p95: number | null };
}

export interface ComparisonQuery extends Omit<OutcomeFilter, 'release'> {
  /** Compare these two releases only (whatever their roles); default: every active/shadow pair of one artefact. */
  releases?: readonly [string, string] | undefined;
  groupBy?: readonly FigureDimension[] | undefined;
}

type ResultMatrix = Record<'fired' | 'not-fired' | 'incomplete' | 'error', number>;

/** Two releases of one rule evaluated on the same calls: how often, and on what, they disagree. */
export interface ReleaseComparison {
  artefactId: string;
  /** The first release (the active one) and the second (the shadow one). */
  a: string;
  b: string;
  site: string | null;
  week: string | null;
  /** Calls on which both were evaluated. */
  calls: number;
  agreed: number;
  disagreed: number;
  disagreementRate: number | null;
  /** a fired and b did not (b returned not-fired), and the reverse: the disagreements that matter most. */
  onlyAFired: number;
  onlyBFired: number;
  /** Calls on which both fired but made a different number of cards. */
  cardCountDiffered: number;
  /** Calls by a's result (rows) and b's result (columns). */
  matrix: Record<'fired' | 'not-fired' | 'incomplete' | 'error', ResultMatrix>;
}

/** Feedback whose card the store does not know (a card of another service, or pruned, or never sent). */
export interface UnmatchedFeedback {
  id: string;
  serviceId: string;
  cardUuid: string;
  outcome: 'accepted' | 'overridden';
  overrideReason: { system: string; code: string } | null;
  hasComment: boolean;
  outcomeTimestamp: string;
  receivedAt: string;
}

export interface PruneResult {
  /** Records recorded before this instant were deleted. */
  cutoff: string;
  hookCalls: number;
  feedback: number;
}

export interface RecordCounts {
  hookCalls: number;
  evaluations: number;
  cards: number;
  feedback: number;
}

/**
 * The outcome store: every hook call, release evaluation, card and feedback, and the figures drawn from
 * them. Two implementations share one schema and one set of statements: SQLite (embedded) and
 * PostgreSQL (shared by several instances).
 */
export interface OutcomeStore {
  readonly backend: 'sqlite' | 'postgres';
  /** Where it is, for logs: the SQLite file, or the PostgreSQL host and database (never the password). */
  readonly location: string;
  schemaStatus(): Promise<SchemaStatus>;
  /**
   * Records that a token (`issuer`, `jti`) was accepted, until `expiresAtMs`; false when it was already
   * recorded: a replay. Instances sharing the store share this memory.
   */
  rememberToken(issuer: string, jti: string, expiresAtMs: number): Promise<boolean>;
  /** Applies pending migrations; resolves to the versions applied. */
  migrate(): Promise<number[]>;
  /** Writes a batch in one transaction. Entries already stored (same id) are left as they are. */
  write(batch: OutcomeBatch): Promise<void>;
  /** Stored calls, newest first; by `hookInstance` when given. */
  listHookCalls(query?: { hookInstance?: string; limit?: number }): Promise<HookCallEntry[]>;
  countRecords(): Promise<RecordCounts>;
  /** Every feedback entry for one card, oldest first: the history, repeated feedback included. */
  feedbackHistory(cardUuid: string): Promise<FeedbackEntry[]>;
  unmatchedFeedback(query?: { limit?: number }): Promise<UnmatchedFeedback[]>;
  figures(query?: FigureQuery): Promise<ReleaseFigures[]>;
  comparisons(query?: ComparisonQuery): Promise<ReleaseComparison[]>;
  /** Deletes calls (with their evaluations and cards) and feedback recorded before `cutoff`. */
  prune(cutoff: Date): Promise<PruneResult>;
  /** Resolves when the store answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
