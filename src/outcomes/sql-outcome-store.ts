import type { FeedbackEntry, HookCallEntry, OutcomeBatch } from './outcome-entry.js';
import type {
  ComparisonQuery,
  FigureQuery,
  OutcomeStore,
  PruneResult,
  RecordCounts,
  ReleaseComparison,
  ReleaseFigures,
  UnmatchedFeedback,
} from './outcome-store.js';
import { queryFigures } from './learning-figures.js';
import { queryComparisons } from './release-comparison.js';
import { migrate, schemaStatus, type SchemaStatus } from './schema-migrator.js';
import {
  CARD_COLUMNS,
  EVALUATION_COLUMNS,
  FEEDBACK_COLUMNS,
  HOOK_CALL_COLUMNS,
  toFeedbackEntry,
  toHookCallEntries,
  toRows,
  type CardRow,
  type EvaluationRow,
  type FeedbackRow,
  type HookCallRow,
} from './outcome-rows.js';
import { insertRows, type SqlConnection } from './sql-connection.js';

/** Rows deleted per statement when pruning, so neither database holds one enormous transaction. */
const PRUNE_CHUNK = 5000;

/** The outcome store over any {@link SqlConnection}: the same statements on SQLite and PostgreSQL. */
/** How often expired token ids are deleted, in milliseconds. */
const TOKEN_PRUNE_INTERVAL_MS = 60_000; // one minute

export class SqlOutcomeStore implements OutcomeStore {
  /** When expired token ids were last deleted (at most once a minute, by the next token). */
  private tokensPrunedAt = 0;

  constructor(
    private readonly db: SqlConnection,
    readonly location: string,
  ) {}

  get backend(): 'sqlite' | 'postgres' {
    return this.db.dialect;
  }

  schemaStatus(): Promise<SchemaStatus> {
    return schemaStatus(this.db);
  }

  migrate(): Promise<number[]> {
    return migrate(this.db);
  }

  async write(batch: OutcomeBatch): Promise<void> {
    if (batch.hookCalls.length === 0 && batch.feedback.length === 0) return;
    const { calls, evaluations, cards, feedback } = toRows(batch);
    await this.db.transaction(async (tx) => {
      await insertRows(tx, 'hook_call', HOOK_CALL_COLUMNS, calls);
      await insertRows(tx, 'release_evaluation', EVALUATION_COLUMNS, evaluations);
      await insertRows(tx, 'card', CARD_COLUMNS, cards);
      await insertRows(tx, 'feedback', FEEDBACK_COLUMNS, feedback);
    });
  }

  async listHookCalls(query: { hookInstance?: string; limit?: number } = {}): Promise<HookCallEntry[]> {
    const limit = Math.max(1, Math.min(query.limit ?? 100, 1_000_000));
    const calls =
      query.hookInstance === undefined
        ? await this.db.all<HookCallRow>(
            `SELECT * FROM hook_call ORDER BY recorded_at DESC, id LIMIT ${limit}`,
          )
        : await this.db.all<HookCallRow>(
            `SELECT * FROM hook_call WHERE hook_instance = $1 ORDER BY recorded_at DESC, id LIMIT ${limit}`,
            [query.hookInstance],
          );
    if (calls.length === 0) return [];
    const evaluations: EvaluationRow[] = [];
    const cards: CardRow[] = [];
    // In chunks: one IN list per statement stays well under both databases' parameter limits.
    for (let i = 0; i < calls.length; i += 1000) {
      const ids = calls.slice(i, i + 1000).map((c) => c.id);
      const marks = ids.map((_, j) => `$${j + 1}`).join(', ');
      evaluations.push(
        ...(await this.db.all<EvaluationRow>(
          `SELECT * FROM release_evaluation WHERE hook_call_id IN (${marks}) ORDER BY hook_call_id, ordinal`,
          ids,
        )),
      );
      cards.push(
        ...(await this.db.all<CardRow>(
          `SELECT * FROM card WHERE hook_call_id IN (${marks}) ORDER BY hook_call_id, evaluation_ordinal, ordinal`,
          ids,
        )),
      );
    }
    return toHookCallEntries(calls, evaluations, cards);
  }

  async rememberToken(issuer: string, jti: string, expiresAtMs: number): Promise<boolean> {
    const now = Date.now();
    if (now - this.tokensPrunedAt > TOKEN_PRUNE_INTERVAL_MS) {
      this.tokensPrunedAt = now;
      await this.db.run('DELETE FROM token_replay WHERE expires_at < $1', [now]);
    }
    const inserted = await this.db.run(
      'INSERT INTO token_replay (issuer, jti, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [issuer, jti, Math.ceil(expiresAtMs)],
    );
    return inserted === 1;
  }

  async countRecords(): Promise<RecordCounts> {
    const [row] = await this.db.all<RecordCounts>(
      `SELECT (SELECT CAST(COUNT(*) AS INTEGER) FROM hook_call) AS "hookCalls", ` +
        `(SELECT CAST(COUNT(*) AS INTEGER) FROM release_evaluation) AS "evaluations", ` +
        `(SELECT CAST(COUNT(*) AS INTEGER) FROM card) AS "cards", ` +
        `(SELECT CAST(COUNT(*) AS INTEGER) FROM feedback) AS "feedback"`,
    );
    return row ?? { hookCalls: 0, evaluations: 0, cards: 0, feedback: 0 };
  }

  async feedbackHistory(cardUuid: string): Promise<FeedbackEntry[]> {
    const rows = await this.db.all<FeedbackRow>(
      `SELECT * FROM feedback WHERE card_uuid = $1 ORDER BY outcome_at, received_at, id`,
      [cardUuid],
    );
    return rows.map(toFeedbackEntry);
  }

  async unmatchedFeedback(query: { limit?: number } = {}): Promise<UnmatchedFeedback[]> {
    const limit = Math.max(1, Math.min(query.limit ?? 1000, 100_000));
    const rows = await this.db.all<FeedbackRow>(
      `SELECT f.* FROM feedback f WHERE NOT EXISTS (SELECT 1 FROM card c WHERE c.uuid = f.card_uuid) ` +
        `ORDER BY f.received_at DESC, f.id LIMIT ${limit}`,
    );
    return rows.map((row) => ({
      id: row.id,
      serviceId: row.service_id,
      cardUuid: row.card_uuid,
      outcome: row.outcome,
      overrideReason:
        row.override_reason_code === null || row.override_reason_system === null
          ? null
          : { system: row.override_reason_system, code: row.override_reason_code },
      hasComment: row.user_comment !== null,
      outcomeTimestamp: row.outcome_timestamp,
      receivedAt: row.received_at,
    }));
  }

  figures(query: FigureQuery = {}): Promise<ReleaseFigures[]> {
    return queryFigures(this.db, query);
  }

  comparisons(query: ComparisonQuery = {}): Promise<ReleaseComparison[]> {
    return queryComparisons(this.db, query);
  }

  async prune(cutoff: Date): Promise<PruneResult> {
    const before = cutoff.toISOString();
    const deleteChunk = (table: string, column: string, key: string) =>
      this.db.transaction((tx) =>
        tx.run(
          `DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE ${column} < $1 LIMIT ${PRUNE_CHUNK})`,
          [before],
        ),
      );
    let hookCalls = 0;
    let feedback = 0;
    // Evaluations and cards go with their call (ON DELETE CASCADE).
    for (let n = PRUNE_CHUNK; n === PRUNE_CHUNK; hookCalls += n)
      n = await deleteChunk('hook_call', 'recorded_at', 'id');
    for (let n = PRUNE_CHUNK; n === PRUNE_CHUNK; feedback += n)
      n = await deleteChunk('feedback', 'received_at', 'id');
    return { cutoff: before, hookCalls, feedback };
  }

  async ping(): Promise<void> {
    await this.db.all('SELECT 1 AS ok');
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
