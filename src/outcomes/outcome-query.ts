import { OutcomeQueryError } from './outcome-filter.js';
import type { ComparisonQuery, FigureDimension, FigureQuery } from './outcome-store.js';

/** Query parameters (HTTP) or options (CLI), as strings. */
export type QueryParameters = Readonly<Record<string, string | undefined>>;

const RELEASE = /^[A-Za-z0-9][A-Za-z0-9._-]*@[A-Za-z0-9][A-Za-z0-9.+_-]*$/;

/**
 * Reads a figures query: `from`, `to` (dates or ISO weeks), `release` (id@version), `artefact`, `site`,
 * `service`, and `groupBy`: a comma-separated subset of `site,week` (`release` is always a group and may
 * be named; `release` alone adds up every site and week).
 */
export function parseFigureQuery(
  params: QueryParameters,
  defaultGroupBy: readonly FigureDimension[],
): FigureQuery {
  const release = params['release'];
  if (release !== undefined && !RELEASE.test(release))
    throw new OutcomeQueryError(`release: expected id@version, got "${release.slice(0, 80)}"`);
  return { ...parseFilter(params), release, groupBy: parseGroupBy(params['groupBy'], defaultGroupBy) };
}

/** Reads a comparison query: the filter, `groupBy`, and optionally `a` and `b`, the two releases. */
export function parseComparisonQuery(params: QueryParameters): ComparisonQuery {
  const a = params['a'];
  const b = params['b'];
  if ((a === undefined) !== (b === undefined))
    throw new OutcomeQueryError('a and b: name both releases, or neither');
  for (const [name, value] of [
    ['a', a],
    ['b', b],
  ] as const) {
    if (value !== undefined && !RELEASE.test(value))
      throw new OutcomeQueryError(`${name}: expected id@version, got "${value.slice(0, 80)}"`);
  }
  return {
    ...parseFilter(params),
    groupBy: parseGroupBy(params['groupBy'], []),
    ...(a !== undefined && b !== undefined ? { releases: [a, b] as const } : {}),
  };
}

function parseFilter(params: QueryParameters) {
  const text = (name: string) => {
    const value = params[name];
    if (value !== undefined && (value.length === 0 || value.length > 200))
      throw new OutcomeQueryError(`${name}: must be 1 to 200 characters`);
    return value;
  };
  return {
    from: text('from'),
    to: text('to'),
    artefact: text('artefact'),
    site: text('site'),
    service: text('service'),
  };
}

function parseGroupBy(raw: string | undefined, fallback: readonly FigureDimension[]): FigureDimension[] {
  if (raw === undefined) return [...fallback];
  const dims: FigureDimension[] = [];
  for (const part of raw.split(',').map((p) => p.trim())) {
    if (part === '' || part === 'release') continue;
    if (part !== 'site' && part !== 'week')
      throw new OutcomeQueryError(`groupBy: expected release, site and/or week, got "${part.slice(0, 40)}"`);
    if (!dims.includes(part)) dims.push(part);
  }
  return dims;
}
