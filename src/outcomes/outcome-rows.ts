import type { OperationOutcome } from '../errors/operation-outcome.js';
import { splitRelease, type FeedbackEntry, type HookCallEntry, type OutcomeBatch } from './outcome-entry.js';
import type { SqlValue } from './sql-connection.js';

/*
 * Entries ↔ table rows (the schema is in migrations/0001-initial-schema.ts). Lists are stored as JSON
 * text, so both databases store them the same way.
 */

export const HOOK_CALL_COLUMNS = [
  'id',
  'service_id',
  'hook',
  'hook_instance',
  'evaluated_at',
  'local_date',
  'iso_week',
  'patient_pseudonym',
  'pseudonym_key_id',
  'site',
  'issuer',
  'tenant',
  'prefetch_supplied',
  'prefetch_fetched',
  'prefetch_missing',
  'prefetch_ms',
  'fallback_ms',
  'evaluation_ms',
  'recorded_at',
] as const;

export const EVALUATION_COLUMNS = [
  'hook_call_id',
  'ordinal',
  'release_id',
  'artefact_id',
  'artefact_version',
  'content_hash',
  'role',
  'result',
  'missing_data',
  'error_outcome',
  'evaluation_ms',
  'card_count',
  'service_id',
  'site',
  'local_date',
  'iso_week',
] as const;

export const CARD_COLUMNS = [
  'uuid',
  'hook_call_id',
  'evaluation_ordinal',
  'ordinal',
  'release_id',
  'role',
  'indicator',
  'summary',
  'suggestion_uuids',
  'suggestion_count',
] as const;

export const FEEDBACK_COLUMNS = [
  'id',
  'service_id',
  'card_uuid',
  'outcome',
  'accepted_suggestions',
  'accepted_suggestion_count',
  'override_reason_system',
  'override_reason_code',
  'override_reason_display',
  'user_comment',
  'outcome_timestamp',
  'outcome_at',
  'received_at',
] as const;

/** The rows of each table that one batch writes, in column order. */
export function toRows(batch: OutcomeBatch): {
  calls: SqlValue[][];
  evaluations: SqlValue[][];
  cards: SqlValue[][];
  feedback: SqlValue[][];
} {
  const calls: SqlValue[][] = [];
  const evaluations: SqlValue[][] = [];
  const cards: SqlValue[][] = [];
  for (const call of batch.hookCalls) {
    calls.push([
      call.id,
      call.serviceId,
      call.hook,
      call.hookInstance,
      call.evaluatedAt,
      call.localDate,
      call.isoWeek,
      call.patientPseudonym,
      call.pseudonymKeyId,
      call.site,
      call.issuer,
      call.tenant,
      JSON.stringify(call.prefetch.supplied),
      JSON.stringify(call.prefetch.fetched),
      JSON.stringify(call.prefetch.missing),
      call.timings.prefetchMs,
      call.timings.fallbackMs,
      call.timings.evaluationMs,
      call.recordedAt,
    ]);
    call.evaluations.forEach((evaluation, ordinal) => {
      const { artefactId, version } = splitRelease(evaluation.release);
      evaluations.push([
        call.id,
        ordinal,
        evaluation.release,
        artefactId,
        version,
        evaluation.hash,
        evaluation.role,
        evaluation.result,
        JSON.stringify(evaluation.missingData),
        evaluation.error === undefined ? null : JSON.stringify(evaluation.error),
        evaluation.evaluationMs,
        evaluation.cards.length,
        call.serviceId,
        call.site,
        call.localDate,
        call.isoWeek,
      ]);
      evaluation.cards.forEach((card, cardOrdinal) => {
        cards.push([
          card.uuid,
          call.id,
          ordinal,
          cardOrdinal,
          evaluation.release,
          evaluation.role,
          card.indicator,
          card.summary,
          JSON.stringify(card.suggestions),
          card.suggestions.length,
        ]);
      });
    });
  }
  const feedback = batch.feedback.map((f): SqlValue[] => [
    f.id,
    f.serviceId,
    f.cardUuid,
    f.outcome,
    JSON.stringify(f.acceptedSuggestions),
    f.acceptedSuggestions.length,
    f.overrideReason?.system ?? null,
    f.overrideReason?.code ?? null,
    f.overrideReason?.display ?? null,
    f.userComment,
    f.outcomeTimestamp,
    f.outcomeAt,
    f.receivedAt,
  ]);
  return { calls, evaluations, cards, feedback };
}

export interface HookCallRow {
  id: string;
  service_id: string;
  hook: string;
  hook_instance: string;
  evaluated_at: string;
  local_date: string;
  iso_week: string;
  patient_pseudonym: string;
  pseudonym_key_id: string;
  site: string;
  issuer: string | null;
  tenant: string | null;
  prefetch_supplied: string;
  prefetch_fetched: string;
  prefetch_missing: string;
  prefetch_ms: number;
  fallback_ms: number;
  evaluation_ms: number;
  recorded_at: string;
}

export interface EvaluationRow {
  hook_call_id: string;
  ordinal: number;
  release_id: string;
  content_hash: string;
  role: 'active' | 'shadow';
  result: 'fired' | 'not-fired' | 'incomplete' | 'error';
  missing_data: string;
  error_outcome: string | null;
  evaluation_ms: number;
}

export interface CardRow {
  uuid: string;
  hook_call_id: string;
  evaluation_ordinal: number;
  indicator: string;
  summary: string;
  suggestion_uuids: string;
}

export interface FeedbackRow {
  id: string;
  service_id: string;
  card_uuid: string;
  outcome: 'accepted' | 'overridden';
  accepted_suggestions: string;
  override_reason_system: string | null;
  override_reason_code: string | null;
  override_reason_display: string | null;
  user_comment: string | null;
  outcome_timestamp: string;
  outcome_at: string;
  received_at: string;
}

/** Reassembles calls from their rows and their evaluations' and cards' rows. */
export function toHookCallEntries(
  calls: readonly HookCallRow[],
  evaluations: readonly EvaluationRow[],
  cards: readonly CardRow[],
): HookCallEntry[] {
  const evaluationsOf = groupBy(evaluations, (e) => e.hook_call_id);
  const cardsOf = groupBy(cards, (c) => `${c.hook_call_id}#${c.evaluation_ordinal}`);
  return calls.map((row) => ({
    id: row.id,
    serviceId: row.service_id,
    hook: row.hook,
    hookInstance: row.hook_instance,
    evaluatedAt: row.evaluated_at,
    localDate: row.local_date,
    isoWeek: row.iso_week,
    patientPseudonym: row.patient_pseudonym,
    pseudonymKeyId: row.pseudonym_key_id,
    site: row.site,
    issuer: row.issuer,
    tenant: row.tenant,
    prefetch: {
      supplied: JSON.parse(row.prefetch_supplied) as string[],
      fetched: JSON.parse(row.prefetch_fetched) as string[],
      missing: JSON.parse(row.prefetch_missing) as Array<{ key: string; reason: string }>,
    },
    timings: { prefetchMs: row.prefetch_ms, fallbackMs: row.fallback_ms, evaluationMs: row.evaluation_ms },
    evaluations: (evaluationsOf.get(row.id) ?? []).map((e) => ({
      release: e.release_id,
      hash: e.content_hash,
      role: e.role,
      result: e.result,
      missingData: JSON.parse(e.missing_data) as string[],
      ...(e.error_outcome === null ? {} : { error: JSON.parse(e.error_outcome) as OperationOutcome }),
      cards: (cardsOf.get(`${row.id}#${e.ordinal}`) ?? []).map((c) => ({
        uuid: c.uuid,
        indicator: c.indicator,
        summary: c.summary,
        suggestions: JSON.parse(c.suggestion_uuids) as string[],
      })),
      evaluationMs: e.evaluation_ms,
    })),
    recordedAt: row.recorded_at,
  }));
}

export function toFeedbackEntry(row: FeedbackRow): FeedbackEntry {
  return {
    id: row.id,
    serviceId: row.service_id,
    cardUuid: row.card_uuid,
    outcome: row.outcome,
    acceptedSuggestions: JSON.parse(row.accepted_suggestions) as string[],
    overrideReason:
      row.override_reason_system === null || row.override_reason_code === null
        ? null
        : {
            system: row.override_reason_system,
            code: row.override_reason_code,
            ...(row.override_reason_display === null ? {} : { display: row.override_reason_display }),
          },
    userComment: row.user_comment,
    outcomeTimestamp: row.outcome_timestamp,
    outcomeAt: row.outcome_at,
    receivedAt: row.received_at,
  };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}
