import { isCalendarDate, isoWeekPeriod } from './iso-week.js';
import type { FigureDimension, OutcomeFilter } from './outcome-store.js';
import type { SqlValue } from './sql-connection.js';

/** A filter or grouping that cannot be applied; the message names the parameter. */
export class OutcomeQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutcomeQueryError';
  }
}

/**
 * The `WHERE` conditions of a filter on `release_evaluation` (alias `alias`), appending its parameters.
 * `from` and `to` are calendar dates or ISO weeks (`2026-W48`: from its Monday, to its Sunday).
 */
export function filterConditions(alias: string, filter: OutcomeFilter, params: SqlValue[]): string[] {
  const conditions: string[] = [];
  const add = (sql: string, value: string) => {
    params.push(value);
    conditions.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.from !== undefined) add(`${alias}.local_date >= ?`, boundary(filter.from, 'from'));
  if (filter.to !== undefined) add(`${alias}.local_date <= ?`, boundary(filter.to, 'to'));
  if (filter.release !== undefined) add(`${alias}.release_id = ?`, filter.release);
  if (filter.artefact !== undefined) add(`${alias}.artefact_id = ?`, filter.artefact);
  if (filter.site !== undefined) add(`${alias}.site = ?`, filter.site);
  if (filter.service !== undefined) add(`${alias}.service_id = ?`, filter.service);
  return conditions;
}

/** The grouping columns of `release_evaluation` (alias `alias`) for the dimensions asked for. */
export function groupColumns(
  alias: string,
  groupBy: readonly FigureDimension[] | undefined,
): { site: string | undefined; week: string | undefined } {
  const dims = groupBy ?? ['site', 'week'];
  for (const d of dims) {
    if (d !== 'site' && d !== 'week')
      throw new OutcomeQueryError(`groupBy: unknown dimension "${String(d)}"`);
  }
  return {
    site: dims.includes('site') ? `${alias}.site` : undefined,
    week: dims.includes('week') ? `${alias}.iso_week` : undefined,
  };
}

/** A ratio, or null when there is nothing to divide by (never a made-up 0). */
export function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}

function boundary(value: string, name: 'from' | 'to'): string {
  if (isCalendarDate(value)) return value;
  if (/^\d{4}-W\d{2}$/.test(value)) {
    try {
      const period = isoWeekPeriod(value);
      return name === 'from' ? period.start : period.end;
    } catch {
      // reported below
    }
  }
  throw new OutcomeQueryError(
    `${name}: expected a date (2026-11-23) or an ISO week (2026-W48), got "${value.slice(0, 40)}"`,
  );
}
