import { filterConditions, groupColumns, ratio } from './outcome-filter.js';
import type { ComparisonQuery, ReleaseComparison } from './outcome-store.js';
import type { SqlConnection, SqlValue } from './sql-connection.js';

type Result = 'fired' | 'not-fired' | 'incomplete' | 'error';
const RESULTS: readonly Result[] = ['fired', 'not-fired', 'incomplete', 'error'];

interface PairRow {
  artefact_id: string;
  a_release: string;
  b_release: string;
  g_site: string | null;
  g_week: string | null;
  a_result: Result;
  b_result: Result;
  calls: number;
  card_count_differed: number;
}

/**
 * Two releases of one rule evaluated on the same hook calls, as a shadow release runs beside the active
 * one (design.md §4: a release may run in shadow before it is promoted). For each pair, the calls by the
 * first release's result and the second's: how often they disagree, and on what. By default every
 * active/shadow pair of the same artefact; with `releases`, exactly that pair whatever their roles.
 */
export async function queryComparisons(
  db: SqlConnection,
  query: ComparisonQuery,
): Promise<ReleaseComparison[]> {
  const group = groupColumns('a', query.groupBy);
  const params: SqlValue[] = [];
  const conditions = filterConditions('a', query, params);
  if (query.releases === undefined) {
    conditions.push("a.role = 'active'", "b.role = 'shadow'");
  } else {
    params.push(query.releases[0], query.releases[1]);
    conditions.push(`a.release_id = $${params.length - 1}`, `b.release_id = $${params.length}`);
  }
  const groupKeys = ['a.artefact_id', 'a.release_id', 'b.release_id', group.site, group.week].filter(
    (c) => c !== undefined,
  );
  const rows = await db.all<PairRow>(
    `SELECT a.artefact_id, a.release_id AS a_release, b.release_id AS b_release,
       ${group.site ?? 'CAST(NULL AS TEXT)'} AS g_site, ${group.week ?? 'CAST(NULL AS TEXT)'} AS g_week,
       a.result AS a_result, b.result AS b_result, CAST(COUNT(*) AS INTEGER) AS calls,
       CAST(SUM(CASE WHEN a.result = 'fired' AND b.result = 'fired' AND a.card_count <> b.card_count
         THEN 1 ELSE 0 END) AS INTEGER) AS card_count_differed
     FROM release_evaluation a
     JOIN release_evaluation b ON b.hook_call_id = a.hook_call_id AND b.artefact_id = a.artefact_id
       AND b.ordinal <> a.ordinal
     WHERE ${conditions.join(' AND ')}
     GROUP BY ${groupKeys.join(', ')}, a.result, b.result
     ORDER BY a.artefact_id, a_release, b_release`,
    params,
  );

  const comparisons = new Map<string, ReleaseComparison>();
  for (const row of rows) {
    const k = [row.a_release, row.b_release, row.g_site ?? '', row.g_week ?? ''].join('\u0000');
    let c = comparisons.get(k);
    if (c === undefined) {
      c = {
        artefactId: row.artefact_id,
        a: row.a_release,
        b: row.b_release,
        site: row.g_site,
        week: row.g_week,
        calls: 0,
        agreed: 0,
        disagreed: 0,
        disagreementRate: null,
        onlyAFired: 0,
        onlyBFired: 0,
        cardCountDiffered: 0,
        matrix: emptyMatrix(),
      };
      comparisons.set(k, c);
    }
    c.calls += row.calls;
    c.matrix[row.a_result][row.b_result] += row.calls;
    if (row.a_result === row.b_result) c.agreed += row.calls;
    else c.disagreed += row.calls;
    if (row.a_result === 'fired' && row.b_result === 'not-fired') c.onlyAFired += row.calls;
    if (row.a_result === 'not-fired' && row.b_result === 'fired') c.onlyBFired += row.calls;
    c.cardCountDiffered += row.card_count_differed;
  }
  for (const c of comparisons.values()) c.disagreementRate = ratio(c.disagreed, c.calls);
  return [...comparisons.values()].sort(
    (x, y) =>
      x.a.localeCompare(y.a) ||
      x.b.localeCompare(y.b) ||
      (x.site ?? '').localeCompare(y.site ?? '') ||
      (x.week ?? '').localeCompare(y.week ?? ''),
  );
}

function emptyMatrix(): ReleaseComparison['matrix'] {
  const row = () => Object.fromEntries(RESULTS.map((r) => [r, 0])) as Record<Result, number>;
  return { fired: row(), 'not-fired': row(), incomplete: row(), error: row() };
}
