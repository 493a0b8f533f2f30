import type { FhirBundle, FhirResource } from './patient-bundle.js';
import type { ValueSetIndex } from './value-set-index.js';

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
    const type = this.byType.get(resource.resourceType);
    if (type === undefined) return false;
    if (type.dateFilter !== null && now !== undefined && isTooOld(resource, type.dateFilter, now))
      return false;
    const filter = type.codeFilter;
    if (filter === null) return true;
    for (const coding of codingsAt(resource, filter.path)) {
      for (const url of filter.valueSets) {
        if (typeof coding.code === 'string' && this.valueSets.contains(url, coding.system, coding.code))
          return true;
      }
    }
    return false;
  }

  /** Whether the bundle holds at least one resource this filter accepts, the patient aside. */
  matchesAny(bundle: FhirBundle): boolean {
    return (bundle.entry ?? []).some(
      (e) => e.resource !== undefined && e.resource.resourceType !== 'Patient' && this.accepts(e.resource),
    );
  }

  /** The bundle less everything the artefact cannot use, evaluated at `now` (ISO 8601). */
  apply(bundle: FhirBundle, now?: string): FhirBundle {
    const entry = (bundle.entry ?? []).filter(
      (e) => e.resource !== undefined && this.accepts(e.resource, now),
    );
    return { ...bundle, entry };
  }
}

/** Codings of a CodeableConcept element, or of a choice element `path[x]` in its CodeableConcept form. */
function codingsAt(resource: FhirResource, path: string): Array<{ system?: string; code?: unknown }> {
  const concept = (resource[`${path}CodeableConcept`] ?? resource[path]) as { coding?: unknown } | undefined;
  const coding = concept?.coding;
  return Array.isArray(coding) ? (coding as Array<{ system?: string; code?: unknown }>) : [];
}

/** Whether a dated resource falls before `withinMonths` months (less two days of margin) before `now`. */
function isTooOld(
  resource: FhirResource,
  filter: NonNullable<DataRequirement['dateFilter']>,
  now: string,
): boolean {
  const value = resource[filter.path];
  if (typeof value !== 'string' || value.length < 10) return false;
  const tags = (resource['meta'] as { tag?: Array<{ code?: unknown }> } | undefined)?.tag;
  if (tags?.some((t) => t.code === DRAFT_ORDER_CODE) === true) return false;
  const cutoff = new Date(`${now.slice(0, 10)}T00:00:00Z`);
  cutoff.setUTCMonth(cutoff.getUTCMonth() - filter.withinMonths);
  cutoff.setUTCDate(cutoff.getUTCDate() - 2);
  return value.slice(0, 10) < cutoff.toISOString().slice(0, 10);
}
