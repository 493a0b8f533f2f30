import type { HookCallEntry } from '../outcomes/outcome-entry.js';

export interface PeriodActivity {
  label: string;
  since: string;
  calls: number;
  /** Cards returned to the EHR (active releases only: shadow cards are never shown). */
  cards: number;
  evaluations: number;
  errors: number;
  incomplete: number;
  byService: Array<{ service: string; calls: number; cards: number; errors: number; incomplete: number }>;
}

export interface ActivitySummary {
  /** The calls read: the newest `limit`; when `truncated`, older calls in the periods were not counted. */
  sample: { calls: number; limit: number; truncated: boolean; oldest: string | null };
  periods: PeriodActivity[];
  /** Releases that failed in the last 7 days, with the latest error. */
  ruleErrors: Array<{ release: string; count: number; lastAt: string; message: string }>;
  /** Incomplete data per release in the last 7 days, with the missing items named most often. */
  completeness: Array<{
    release: string;
    evaluations: number;
    incomplete: number;
    rate: number;
    missing: Array<{ item: string; count: number }>;
  }>;
  /** Prefetch keys per service in the last 7 days: supplied by the EHR, fetched by loopcds, or missing. */
  prefetch: Array<{ service: string; key: string; supplied: number; fetched: number; missing: number }>;
  /** Calls that fetched data from the EHR's FHIR server in the last 7 days, by site. */
  fallback: Array<{ site: string; calls: number; medianMs: number; p95Ms: number; maxMs: number }>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Sums what the overview shows from the calls of the store (newest first), as of `now`. */
export function summariseActivity(
  calls: readonly HookCallEntry[],
  now: Date,
  limit: number,
): ActivitySummary {
  const since = (ms: number) => new Date(now.getTime() - ms).toISOString();
  const day = since(DAY_MS);
  const week = since(7 * DAY_MS);
  const inWeek = calls.filter((c) => c.recordedAt >= week);
  return {
    sample: {
      calls: calls.length,
      limit,
      truncated: calls.length >= limit,
      oldest: calls.at(-1)?.recordedAt ?? null,
    },
    periods: [period('24 hours', day, calls), period('7 days', week, calls)],
    ruleErrors: ruleErrors(inWeek),
    completeness: completeness(inWeek),
    prefetch: prefetch(inWeek),
    fallback: fallback(inWeek),
  };
}

function period(label: string, since: string, all: readonly HookCallEntry[]): PeriodActivity {
  const calls = all.filter((c) => c.recordedAt >= since);
  const services = new Map<string, PeriodActivity['byService'][number]>();
  const out: PeriodActivity = {
    label,
    since,
    calls: calls.length,
    cards: 0,
    evaluations: 0,
    errors: 0,
    incomplete: 0,
    byService: [],
  };
  for (const c of calls) {
    const s = services.get(c.serviceId) ?? {
      service: c.serviceId,
      calls: 0,
      cards: 0,
      errors: 0,
      incomplete: 0,
    };
    services.set(c.serviceId, s);
    s.calls += 1;
    for (const e of c.evaluations) {
      out.evaluations += 1;
      const cards = e.role === 'active' ? e.cards.length : 0;
      out.cards += cards;
      s.cards += cards;
      if (e.result === 'error') {
        out.errors += 1;
        s.errors += 1;
      }
      if (e.result === 'incomplete') {
        out.incomplete += 1;
        s.incomplete += 1;
      }
    }
  }
  out.byService = [...services.values()].sort((a, b) => a.service.localeCompare(b.service));
  return out;
}

function ruleErrors(calls: readonly HookCallEntry[]): ActivitySummary['ruleErrors'] {
  const byRelease = new Map<string, ActivitySummary['ruleErrors'][number]>();
  for (const c of calls) {
    for (const e of c.evaluations) {
      if (e.result !== 'error') continue;
      const r = byRelease.get(e.release);
      const message = e.error?.issue[0]?.diagnostics ?? 'error';
      if (r === undefined)
        byRelease.set(e.release, { release: e.release, count: 1, lastAt: c.recordedAt, message });
      else r.count += 1; // calls come newest first: the first seen is the latest
    }
  }
  return [...byRelease.values()].sort((a, b) => b.count - a.count);
}

function completeness(calls: readonly HookCallEntry[]): ActivitySummary['completeness'] {
  const byRelease = new Map<
    string,
    { evaluations: number; incomplete: number; missing: Map<string, number> }
  >();
  for (const c of calls) {
    for (const e of c.evaluations) {
      const r = byRelease.get(e.release) ?? {
        evaluations: 0,
        incomplete: 0,
        missing: new Map<string, number>(),
      };
      byRelease.set(e.release, r);
      r.evaluations += 1;
      if (e.result === 'incomplete') r.incomplete += 1;
      for (const item of e.missingData) r.missing.set(item, (r.missing.get(item) ?? 0) + 1);
    }
  }
  return [...byRelease]
    .map(([release, r]) => ({
      release,
      evaluations: r.evaluations,
      incomplete: r.incomplete,
      rate: r.evaluations === 0 ? 0 : r.incomplete / r.evaluations,
      missing: [...r.missing]
        .map(([item, count]) => ({ item, count }))
        .sort((a, b) => b.count - a.count)
        .slice(0, 5),
    }))
    .sort((a, b) => b.rate - a.rate || a.release.localeCompare(b.release));
}

function prefetch(calls: readonly HookCallEntry[]): ActivitySummary['prefetch'] {
  const rows = new Map<string, ActivitySummary['prefetch'][number]>();
  const row = (service: string, key: string) => {
    const id = `${service}\u0000${key}`;
    const r = rows.get(id) ?? { service, key, supplied: 0, fetched: 0, missing: 0 };
    rows.set(id, r);
    return r;
  };
  for (const c of calls) {
    for (const key of c.prefetch.supplied) row(c.serviceId, key).supplied += 1;
    for (const key of c.prefetch.fetched) row(c.serviceId, key).fetched += 1;
    for (const m of c.prefetch.missing) row(c.serviceId, m.key).missing += 1;
  }
  return [...rows.values()].sort((a, b) => a.service.localeCompare(b.service) || a.key.localeCompare(b.key));
}

function fallback(calls: readonly HookCallEntry[]): ActivitySummary['fallback'] {
  const bySite = new Map<string, number[]>();
  for (const c of calls) {
    if (c.prefetch.fetched.length === 0 && c.prefetch.missing.length === 0) continue;
    const list = bySite.get(c.site) ?? [];
    list.push(c.timings.fallbackMs);
    bySite.set(c.site, list);
  }
  return [...bySite]
    .map(([site, times]) => {
      const sorted = [...times].sort((a, b) => a - b);
      return {
        site,
        calls: sorted.length,
        medianMs: nearestRank(sorted, 50),
        p95Ms: nearestRank(sorted, 95),
        maxMs: Math.round(sorted.at(-1) ?? 0),
      };
    })
    .sort((a, b) => a.site.localeCompare(b.site));
}

/** Nearest-rank percentile, as the outcome store computes its own (learning-figures.ts). */
function nearestRank(sorted: readonly number[], p: number): number {
  const i = Math.max(0, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round(sorted[i] ?? 0);
}
