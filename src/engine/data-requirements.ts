import type { FhirBundle, FhirResource } from './patient-bundle.js';
import { codingKey, type ValueSetIndex } from './value-set-index.js';

/**
 * What an artefact reads, in the shape of FHIR `DataRequirement` (type, and a code filter by value set).
 * An artefact sees only these: resources of other types, and resources of a filtered type whose code is
 * in none of the filter's value sets, cannot change its result, so they are dropped before evaluation.
 * This is where evaluation speed comes from (design.md §3: "not doing work"): a 300-resource record
 * usually holds a handful that matter to one indicator.
 */
export interface DataRequirement {
  type: string;
  codeFilter?: { path: string; valueSets: string[] };
  /**
   * Resources dated (at `path`) more than `withinMonths` calendar months before the evaluation date
   * cannot matter (e.g. PINCER's 3-month prescription window). Undated resources and the draft orders
   * of the call are always kept; the cut-off keeps two days of margin, so the CQL decides every edge.
   */
  dateFilter?: { path: string; withinMonths: number };
}

const DRAFT_ORDER_CODE = 'draft-order';

interface TypeFilter {
  codeFilter: NonNullable<DataRequirement['codeFilter']> | null;
  dateFilter: NonNullable<DataRequirement['dateFilter']> | null;
}

/** A filter built once per artefact release. */
export class DataRequirementFilter {
  private readonly byType: ReadonlyMap<string, TypeFilter>;

  constructor(
    requirements: readonly DataRequirement[],
    private readonly valueSets: ValueSetIndex,
  ) {
    const byType = new Map<string, TypeFilter>();
    for (const r of requirements)
      byType.set(r.type, { codeFilter: r.codeFilter ?? null, dateFilter: r.dateFilter ?? null });
    byType.set('Patient', { codeFilter: null, dateFilter: null }); // the patient is always in context
    this.byType = byType;
  }

  /** Whether a resource can matter to the artefact (evaluated at `now`, when dates are filtered). */
  accepts(resource: FhirResource, now?: string): boolean {
    return this.accept(resource, now === undefined ? undefined : new Cutoffs(now));
  }

  /** Whether the bundle holds at least one resource this filter accepts, the patient aside. */
  matchesAny(bundle: FhirBundle): boolean {
    return (bundle.entry ?? []).some(
      (e) =>
        e.resource !== undefined &&
        e.resource.resourceType !== 'Patient' &&
        this.accept(e.resource, undefined),
    );
  }

  /** The bundle less everything the artefact cannot use, evaluated at `now` (ISO 8601). */
  apply(bundle: FhirBundle, now?: string): FhirBundle {
    const cutoffs = now === undefined ? undefined : new Cutoffs(now);
    const entry = (bundle.entry ?? []).filter(
      (e) => e.resource !== undefined && this.accept(e.resource, cutoffs),
    );
    return { ...bundle, entry };
  }

  // The code is checked before the date: most resources of a record fail it, and it is a hash lookup.
  private accept(resource: FhirResource, cutoffs: Cutoffs | undefined): boolean {
    const type = this.byType.get(resource.resourceType);
    if (type === undefined) return false;
    const filter = type.codeFilter;
    if (filter !== null && !this.codeMatches(resource, filter)) return false;
    return type.dateFilter === null || cutoffs === undefined || !isTooOld(resource, type.dateFilter, cutoffs);
  }

  private codeMatches(resource: FhirResource, filter: NonNullable<DataRequirement['codeFilter']>): boolean {
    for (const coding of codingKeysAt(resource, filter.path)) {
      for (const url of filter.valueSets) if (this.valueSets.containsKey(url, coding)) return true;
    }
    return false;
  }
}

/** The cut-off date (`YYYY-MM-DD`) of each window length at one evaluation date, each computed once. */
export class Cutoffs {
  private readonly byMonths = new Map<number, string>();

  constructor(private readonly now: string) {}

  /** `months` calendar months, and two days of margin, before the evaluation date. */
  before(months: number): string {
    let cutoff = this.byMonths.get(months);
    if (cutoff === undefined) {
      const date = new Date(`${this.now.slice(0, 10)}T00:00:00Z`);
      date.setUTCMonth(date.getUTCMonth() - months);
      date.setUTCDate(date.getUTCDate() - 2);
      cutoff = date.toISOString().slice(0, 10);
      this.byMonths.set(months, cutoff);
    }
    return cutoff;
  }
}

/**
 * The `system|code` keys of a CodeableConcept element, or of a choice element `path[x]` in its
 * CodeableConcept form. Kept per resource object: a hook's record passes through the data and trigger
 * filters of every artefact of the service, and a population record through every indicator's.
 */
export function codingKeysAt(resource: FhirResource, path: string): readonly string[] {
  let byPath = codingKeyCache.get(resource);
  if (byPath === undefined) {
    byPath = new Map();
    codingKeyCache.set(resource, byPath);
  }
  let keys = byPath.get(path);
  if (keys === undefined) {
    const concept = (resource[`${path}CodeableConcept`] ?? resource[path]) as
      { coding?: unknown } | undefined;
    const coding = concept?.coding;
    keys = Array.isArray(coding)
      ? (coding as Array<{ system?: unknown; code?: unknown } | null>).flatMap((c) =>
          typeof c?.code === 'string'
            ? [codingKey(typeof c.system === 'string' ? c.system : undefined, c.code)]
            : [],
        )
      : [];
    byPath.set(path, keys);
  }
  return keys;
}

const codingKeyCache = new WeakMap<FhirResource, Map<string, readonly string[]>>();

/** Whether a dated resource falls before `withinMonths` months (less two days of margin) before `now`. */
export function isTooOld(
  resource: FhirResource,
  filter: NonNullable<DataRequirement['dateFilter']>,
  cutoffs: Cutoffs,
): boolean {
  const value = resource[filter.path];
  if (typeof value !== 'string' || value.length < 10) return false;
  const tags = (resource['meta'] as { tag?: Array<{ code?: unknown }> } | undefined)?.tag;
  if (tags?.some((t) => t.code === DRAFT_ORDER_CODE) === true) return false;
  return value.slice(0, 10) < cutoffs.before(filter.withinMonths);
}
