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
}

/** A filter built once per artefact release. */
export class DataRequirementFilter {
  private readonly byType: ReadonlyMap<string, DataRequirement['codeFilter'] | null>;

  constructor(
    requirements: readonly DataRequirement[],
    private readonly valueSets: ValueSetIndex,
  ) {
    const byType = new Map<string, DataRequirement['codeFilter'] | null>();
    for (const r of requirements) byType.set(r.type, r.codeFilter ?? null);
    byType.set('Patient', null); // the patient is always in context
    this.byType = byType;
  }

  /** Whether a resource can matter to the artefact. */
  accepts(resource: FhirResource): boolean {
    const filter = this.byType.get(resource.resourceType);
    if (filter === undefined) return false;
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

  /** The bundle less everything the artefact cannot use. */
  apply(bundle: FhirBundle): FhirBundle {
    const entry = (bundle.entry ?? []).filter((e) => e.resource !== undefined && this.accepts(e.resource));
    return { ...bundle, entry };
  }
}

/** Codings of a CodeableConcept element, or of a choice element `path[x]` in its CodeableConcept form. */
function codingsAt(resource: FhirResource, path: string): Array<{ system?: string; code?: unknown }> {
  const concept = (resource[`${path}CodeableConcept`] ?? resource[path]) as { coding?: unknown } | undefined;
  const coding = concept?.coding;
  return Array.isArray(coding) ? (coding as Array<{ system?: string; code?: unknown }>) : [];
}
