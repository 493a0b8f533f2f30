import { codingKeysAt, Cutoffs, isTooOld, type DataRequirement } from '../engine/data-requirements.js';
import type { FhirResource } from '../engine/patient-bundle.js';
import { codingKey, type ValueSetIndex } from '../engine/value-set-index.js';

/** What a type's requirement asks of its resources: codes, a date window, both or neither. */
interface TypeFilter {
  code: CodeFilter | null;
  date: NonNullable<DataRequirement['dateFilter']> | null;
}

interface CodeFilter {
  path: string;
  /** `system|code` of every code of the filter's value sets. */
  codes: ReadonlySet<string>;
  /** The same codes without their system. */
  bare: ReadonlySet<string>;
}

/**
 * The decision of the engine's DataRequirementFilter (`accepts`), precomputed for speed in a population
 * run, where it is asked for every resource of every patient for every artefact: the value sets of each
 * type's code filter are merged into one set of `system|code` keys, and a resource's keys are computed
 * once, so that a resource costs a few hash lookups instead of one value-set test per coding and value
 * set. Semantics are the filter's: a type's last requirement wins, a type without a code filter is
 * accepted whole, the Patient always, a coding matches on system and code
 * (src/engine/value-set-index.ts), and, when the matcher is given the run's `now` (as the release
 * evaluator applies a data filter), a dated resource older than its type's window is not accepted (the
 * engine's own cut-offs). Trigger matchers are given no `now`: the hooks test triggers without dates.
 */
export class RequirementMatcher {
  private readonly byType = new Map<string, TypeFilter>();
  private readonly cutoffs: Cutoffs | undefined;
  /** The resource types this matcher can accept. */
  readonly types: ReadonlySet<string>;

  constructor(
    requirements: readonly DataRequirement[],
    valueSets: ValueSetIndex,
    includePatient = true,
    now?: string,
  ) {
    for (const r of requirements) {
      const date = r.dateFilter ?? null;
      if (r.codeFilter === undefined) {
        this.byType.set(r.type, { code: null, date });
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
          codes.add(codingKey(c.system, c.code));
          bare.add(c.code);
        }
      }
      this.byType.set(r.type, { code: { path: r.codeFilter.path, codes, bare }, date });
    }
    if (includePatient) this.byType.set('Patient', { code: null, date: null });
    this.types = new Set(this.byType.keys());
    this.cutoffs = now === undefined ? undefined : new Cutoffs(now);
  }

  /**
   * False only when no resource of this type whose JSON holds just these `"code"` strings can be accepted
   * (a superset of its codings' codes): a type without a code filter may always be.
   */
  mayAccept(type: string, codes: readonly string[]): boolean {
    const filter = this.byType.get(type);
    if (filter === undefined) return false;
    if (filter.code === null) return true;
    const bare = filter.code.bare;
    return codes.some((c) => bare.has(c));
  }

  accepts(resource: FhirResource): boolean {
    const filter = this.byType.get(resource.resourceType);
    if (filter === undefined) return false;
    if (filter.code !== null && !this.codeMatches(resource, filter.code)) return false;
    return (
      filter.date === null || this.cutoffs === undefined || !isTooOld(resource, filter.date, this.cutoffs)
    );
  }

  private codeMatches(resource: FhirResource, filter: CodeFilter): boolean {
    for (const key of codingKeysAt(resource, filter.path)) if (filter.codes.has(key)) return true;
    return false;
  }
}
