import type { ReleaseComparison, ReleaseFigures } from './outcome-store.js';

type Cell = string | number | null;

/** The learning figures as CSV (RFC 4180), one row per release, site and week; rates as decimals. */
export function figuresCsv(figures: readonly ReleaseFigures[]): string {
  const header = [
    'release',
    'artefact_id',
    'version',
    'site',
    'week',
    'evaluations',
    'active_evaluations',
    'shadow_evaluations',
    'fired',
    'not_fired',
    'incomplete',
    'error',
    'firing_rate',
    'cards_shown',
    'cards_with_feedback',
    'accepted',
    'overridden',
    'acceptance_rate',
    'override_rate',
    'override_reasons',
    'suggestions_taken',
    'incomplete_data_rate',
    'error_rate',
    'evaluation_ms_median',
    'evaluation_ms_p95',
  ];
  const rows = figures.map((f): Cell[] => [
    f.release,
    f.artefactId,
    f.version,
    f.site ?? 'all',
    f.week ?? 'all',
    f.evaluations,
    f.activeEvaluations,
    f.shadowEvaluations,
    f.results.fired,
    f.results.notFired,
    f.results.incomplete,
    f.results.error,
    f.firingRate,
    f.cardsShown,
    f.cardsWithFeedback,
    f.accepted,
    f.overridden,
    f.acceptanceRate,
    f.overrideRate,
    // "code=count" pairs: one cell a spreadsheet can still split.
    f.overrideReasons.map((r) => `${r.code ?? '(comment only)'}=${r.count}`).join('; '),
    f.suggestionsTaken,
    f.incompleteDataRate,
    f.errorRate,
    f.evaluationMs.median,
    f.evaluationMs.p95,
  ]);
  return toCsv(header, rows);
}

/** Release comparisons as CSV: one row per pair, site and week, with the result matrix flattened. */
export function comparisonsCsv(comparisons: readonly ReleaseComparison[]): string {
  const results = ['fired', 'not-fired', 'incomplete', 'error'] as const;
  const matrixColumns = results.flatMap((a) => results.map((b) => [a, b] as const));
  const header = [
    'artefact_id',
    'release_a',
    'release_b',
    'site',
    'week',
    'calls',
    'agreed',
    'disagreed',
    'disagreement_rate',
    'only_a_fired',
    'only_b_fired',
    'card_count_differed',
    ...matrixColumns.map(([a, b]) => `a_${a}_b_${b}`.replaceAll('-', '_')),
  ];
  const rows = comparisons.map((c): Cell[] => [
    c.artefactId,
    c.a,
    c.b,
    c.site ?? 'all',
    c.week ?? 'all',
    c.calls,
    c.agreed,
    c.disagreed,
    c.disagreementRate,
    c.onlyAFired,
    c.onlyBFired,
    c.cardCountDiffered,
    ...matrixColumns.map(([a, b]) => c.matrix[a][b]),
  ]);
  return toCsv(header, rows);
}

function toCsv(header: readonly string[], rows: readonly Cell[][]): string {
  return [header, ...rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}

function cell(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(Number(value.toFixed(6)));
  // A text starting with = + - @ would run as a formula in a spreadsheet (OWASP, CSV injection): prefix '.
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  // RFC 4180 §2: fields holding commas, quotes or line breaks are quoted, quotes doubled.
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
