import { filterConditions, groupColumns, ratio } from './outcome-filter.js';
import type { FigureQuery, ReleaseFigures } from './outcome-store.js';
import type { SqlConnection, SqlValue } from './sql-connection.js';

interface EvaluationGroupRow {
  release_id: string;
  artefact_id: string;
  artefact_version: string;
  g_site: string | null;
  g_week: string | null;
  evaluations: number;
  active_evaluations: number;
  fired: number;
  not_fired: number;
  incomplete: number;
  error: number;
  cards_shown: number;
  median_ms: number | null;
  p95_ms: number | null;
}

interface FeedbackGroupRow {
  release_id: string;
  g_site: string | null;
  g_week: string | null;
  outcome: 'accepted' | 'overridden';
  reason_system: string | null;
  reason_code: string | null;
  reason_display: string | null;
  cards: number;
  suggestions: number | null;
}

/**
 * The learning figures of each rule release, by site and ISO week (or added up over either), from two
 * queries in SQL that SQLite and PostgreSQL run alike. Percentiles are nearest-rank (the smallest value
 * with at least p% of values at or below it), computed with ROW_NUMBER and COUNT windows because SQLite
 * has no percentile function. Feedback counts once per card, by its latest entry (outcome time, then
 * receipt): a card accepted after a first override counts as accepted. Feedback is counted in the week
 * of its card's call, so a week's rates describe the cards shown that week.
 */
export async function queryFigures(db: SqlConnection, query: FigureQuery): Promise<ReleaseFigures[]> {
  const group = groupColumns('e', query.groupBy);
  const partition = ['e.release_id', group.site, group.week].filter((c) => c !== undefined).join(', ');
  const siteSelect = group.site ?? 'CAST(NULL AS TEXT)';
  const weekSelect = group.week ?? 'CAST(NULL AS TEXT)';

  const evaluationParams: SqlValue[] = [];
  const evaluationWhere = where(filterConditions('e', query, evaluationParams));
  const evaluationRows = await db.all<EvaluationGroupRow>(
    `SELECT release_id, artefact_id, artefact_version, g_site, g_week,
       CAST(COUNT(*) AS INTEGER) AS evaluations,
       CAST(SUM(CASE WHEN role = 'active' THEN 1 ELSE 0 END) AS INTEGER) AS active_evaluations,
       CAST(SUM(CASE WHEN result = 'fired' THEN 1 ELSE 0 END) AS INTEGER) AS fired,
       CAST(SUM(CASE WHEN result = 'not-fired' THEN 1 ELSE 0 END) AS INTEGER) AS not_fired,
       CAST(SUM(CASE WHEN result = 'incomplete' THEN 1 ELSE 0 END) AS INTEGER) AS incomplete,
       CAST(SUM(CASE WHEN result = 'error' THEN 1 ELSE 0 END) AS INTEGER) AS error,
       CAST(SUM(CASE WHEN role = 'active' THEN card_count ELSE 0 END) AS INTEGER) AS cards_shown,
       MIN(CASE WHEN rn * 100 >= 50 * n THEN evaluation_ms END) AS median_ms,
       MIN(CASE WHEN rn * 100 >= 95 * n THEN evaluation_ms END) AS p95_ms
     FROM (
       SELECT e.release_id, e.artefact_id, e.artefact_version, ${siteSelect} AS g_site, ${weekSelect} AS g_week,
         e.role, e.result, e.card_count, e.evaluation_ms,
         ROW_NUMBER() OVER (PARTITION BY ${partition} ORDER BY e.evaluation_ms) AS rn,
         COUNT(*) OVER (PARTITION BY ${partition}) AS n
       FROM release_evaluation e ${evaluationWhere}
     ) ranked
     GROUP BY release_id, artefact_id, artefact_version, g_site, g_week
     ORDER BY release_id, g_site, g_week`,
    evaluationParams,
  );

  const feedbackParams: SqlValue[] = [];
  const feedbackWhere = where([
    'l.rn = 1',
    "c.role = 'active'",
    ...filterConditions('e', query, feedbackParams),
  ]);
  const feedbackRows = await db.all<FeedbackGroupRow>(
    `SELECT c.release_id, ${siteSelect} AS g_site, ${weekSelect} AS g_week, l.outcome,
       l.override_reason_system AS reason_system, l.override_reason_code AS reason_code,
       MIN(l.override_reason_display) AS reason_display,
       CAST(COUNT(*) AS INTEGER) AS cards, CAST(SUM(l.accepted_suggestion_count) AS INTEGER) AS suggestions
     FROM (
       SELECT f.card_uuid, f.outcome, f.override_reason_system, f.override_reason_code,
         f.override_reason_display, f.accepted_suggestion_count,
         ROW_NUMBER() OVER (PARTITION BY f.card_uuid ORDER BY f.outcome_at DESC, f.received_at DESC, f.id DESC) AS rn
       FROM feedback f
     ) l
     JOIN card c ON c.uuid = l.card_uuid
     JOIN release_evaluation e ON e.hook_call_id = c.hook_call_id AND e.ordinal = c.evaluation_ordinal
     ${feedbackWhere}
     GROUP BY ${['c.release_id', group.site, group.week].filter((c) => c !== undefined).join(', ')},
       l.outcome, l.override_reason_system, l.override_reason_code`,
    feedbackParams,
  );

  const figures = new Map<string, ReleaseFigures>();
  for (const row of evaluationRows) {
    const decided = row.fired + row.not_fired;
    figures.set(key(row), {
      release: row.release_id,
      artefactId: row.artefact_id,
      version: row.artefact_version,
      site: row.g_site,
      week: row.g_week,
      evaluations: row.evaluations,
      activeEvaluations: row.active_evaluations,
      shadowEvaluations: row.evaluations - row.active_evaluations,
      results: { fired: row.fired, notFired: row.not_fired, incomplete: row.incomplete, error: row.error },
      firingRate: ratio(row.fired, decided),
      cardsShown: row.cards_shown,
      cardsWithFeedback: 0,
      accepted: 0,
      overridden: 0,
      acceptanceRate: null,
      overrideRate: null,
      overrideReasons: [],
      suggestionsTaken: 0,
      incompleteDataRate: ratio(row.incomplete, row.evaluations),
      errorRate: ratio(row.error, row.evaluations),
      evaluationMs: { median: row.median_ms, p95: row.p95_ms },
    });
  }
  for (const row of feedbackRows) {
    const f = figures.get(key(row));
    if (f === undefined) continue; // cannot happen: a card's evaluation is in the same filter
    f.cardsWithFeedback += row.cards;
    f.suggestionsTaken += row.suggestions ?? 0;
    if (row.outcome === 'accepted') f.accepted += row.cards;
    else {
      f.overridden += row.cards;
      f.overrideReasons.push({
        system: row.reason_system,
        code: row.reason_code,
        display: row.reason_display,
        count: row.cards,
      });
    }
  }
  for (const f of figures.values()) {
    f.acceptanceRate = ratio(f.accepted, f.cardsShown);
    f.overrideRate = ratio(f.overridden, f.cardsShown);
    f.overrideReasons.sort((a, b) => b.count - a.count || (a.code ?? '').localeCompare(b.code ?? ''));
  }
  return [...figures.values()];
}

function key(row: { release_id: string; g_site: string | null; g_week: string | null }): string {
  return `${row.release_id}\u0000${row.g_site ?? ''}\u0000${row.g_week ?? ''}`;
}

function where(conditions: readonly string[]): string {
  return conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
}
