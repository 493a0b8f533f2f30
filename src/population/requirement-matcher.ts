import type { DataRequirement } from '../engine/data-requirements.js';
import type { FhirResource } from '../engine/patient-bundle.js';
import type { ValueSetIndex } from '../engine/value-set-index.js';

interface CodeFilter {
  path: string;
  /** `system|code` of every code of the filter's value sets. */
  codes: ReadonlySet<string>;
  /** The same codes without their system. */
  bare: ReadonlySet<string>;
}

/** The `system|code` keys of a resource's codings at a path, computed once per resource and path. */
const codingKeys = new WeakMap<object, Map<string, readonly string[]>>();

/**
 * The decision of the engine's DataRequirementFilter (`accepts`), precomputed for speed in a population
 * run, where it is asked for every resource of every patient for every artefact: the value sets of each
 * type's code filter are merged into one set of `system|code` keys, and a resource's keys are computed
 * once, so that a resource costs a few hash lookups instead of one value-set test per coding and value
 * set. Semantics are the filter's: a type's last requirement wins, a type without a code filter is
 * accepted whole, the Patient always, and a coding matches on system and code
 * (src/engine/value-set-index.ts).
 */
export class RequirementMatcher {
  private readonly byType = new Map<string, CodeFilter | null>();
  /** The resource types this matcher can accept. */
  readonly types: ReadonlySet<string>;

  constructor(requirements: readonly DataRequirement[], valueSets: ValueSetIndex, includePatient = true) {
    for (const r of requirements) {
      if (r.codeFilter === undefined) {
        this.byType.set(r.type, null);
        continue;
      }
      const codes = new Set<string>();
      const bare = new Set<string>();
      for (const url of r.codeFilter.valueSets) {
        const vs = valueSets.findValueSet(url) as {
          codes?: Array<{ system?: string; code?: string }>;
        } | null;
        for (const c of vs?.codes ?? []) {
          if (typeof c.code !== 'string') continue;
          codes.add(`${c.system ?? ''}|${c.code}`);
          bare.add(c.code);
        }
      }
      this.byType.set(r.type, { path: r.codeFilter.path, codes, bare });
    }
    if (includePatient) this.byType.set('Patient', null);
    this.types = new Set(this.byType.keys());
  }

  /**
   * False only when no resource of this type whose JSON holds just these `"code"` strings can be accepted
   * (a superset of its codings' codes): a type without a code filter may always be.
   */
  mayAccept(type: string, codes: readonly string[]): boolean {
    const filter = this.byType.get(type);
    if (filter === undefined) return false;
    if (filter === null) return true;
    return codes.some((c) => filter.bare.has(c));
  }

  accepts(resource: FhirResource): boolean {
    const filter = this.byType.get(resource.resourceType);
    if (filter === undefined) return false;
    if (filter === null) return true;
    for (const key of keysAt(resource, filter.path)) if (filter.codes.has(key)) return true;
    return false;
  }
}

/** Codings of a CodeableConcept element, or of a choice element `path[x]` in its CodeableConcept form. */
function keysAt(resource: FhirResource, path: string): readonly string[] {
  let byPath = codingKeys.get(resource);
  if (byPath === undefined) {
    byPath = new Map();
    codingKeys.set(resource, byPath);
  }
  let keys = byPath.get(path);
  if (keys === undefined) {
    const concept = (resource[`${path}CodeableConcept`] ?? resource[path]) as
      { coding?: unknown } | undefined;
    const coding = concept?.coding;
    keys = Array.isArray(coding)
      ? (coding as Array<{ system?: unknown; code?: unknown }>)
          .filter((c) => typeof c?.code === 'string')
          .map((c) => `${typeof c.system === 'string' ? c.system : ''}|${c.code as string}`)
      : [];
    byPath.set(path, keys);
  }
  return keys;
}
