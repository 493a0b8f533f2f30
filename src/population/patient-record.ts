import type { FhirResource } from '../engine/patient-bundle.js';

interface Entry {
  type: string;
  json: string;
  resource?: FhirResource;
  /** The `"code": "…"` strings of the JSON, when read without parsing (see {@link PatientRecord.accepted}). */
  codes?: readonly string[] | null;
}

/** Every `"code": "…"` string without escapes: a superset of the codings a code filter reads. */
const CODE_STRINGS = /"code"\s*:\s*"([^"\\]*)"/g;

/**
 * One patient's records in a population run, parsed lazily: the Patient at once, every other resource the
 * first time a rule asks for its type. Most rules of a run read two or three types, and most patients
 * are settled by their Patient and one type (design.md §3: not doing work).
 */
export class PatientRecord {
  private readonly entries: Entry[];
  private byType: Map<string, Entry[]> | undefined;
  /** Resources a matcher accepts, by matcher and type (several operands of a rule share a matcher). */
  private readonly acceptedCache = new Map<object, Map<string, FhirResource[]>>();
  /** Whatever an evaluator keeps for this patient only (evaluation contexts), dropped with the record. */
  readonly scratch = new Map<string, unknown>();

  constructor(
    readonly patient: FhirResource,
    entries: ReadonlyArray<{ type: string; json: string }>,
    /** A practice given by a mapping file, which overrides `generalPractitioner`. */
    readonly assignedPractice?: string,
  ) {
    this.entries = entries.map((e) => ({ type: e.type, json: e.json }));
  }

  /** A record from resources already parsed (tests, paged search). */
  static of(resources: readonly FhirResource[]): PatientRecord {
    const patient = resources.find((r) => r.resourceType === 'Patient');
    if (patient === undefined) throw new Error('A patient record without its Patient resource');
    const record = new PatientRecord(patient, []);
    for (const r of resources)
      if (r !== patient) record.entries.push({ type: r.resourceType, json: '', resource: r });
    record.byType = undefined;
    return record;
  }

  get id(): string {
    return this.patient.id ?? '';
  }

  /** How many resources besides the Patient. */
  get size(): number {
    return this.entries.length;
  }

  /** The resources of the given types (parsed on first use), the Patient not included. */
  resourcesOf(types: ReadonlySet<string>): FhirResource[] {
    const out: FhirResource[] = [];
    for (const type of types) for (const e of this.entriesOf(type)) out.push(this.parsed(e));
    return out;
  }

  /**
   * The resources of a type that `matcher` accepts, computed once per matcher and type. A resource not yet
   * parsed whose JSON holds no `"code"` string the matcher's filter knows cannot be accepted (the same
   * reasoning as the scanner's), and stays unparsed: most of a record is observations no rule reads.
   */
  accepted(
    matcher: {
      accepts(r: FhirResource): boolean;
      mayAccept(type: string, codes: readonly string[]): boolean;
    },
    type: string,
  ): FhirResource[] {
    let byType = this.acceptedCache.get(matcher);
    if (byType === undefined) {
      byType = new Map();
      this.acceptedCache.set(matcher, byType);
    }
    let list = byType.get(type);
    if (list === undefined) {
      list = [];
      for (const e of this.entriesOf(type)) {
        if (e.resource === undefined) {
          const codes = this.codesOf(e);
          if (codes !== null && !matcher.mayAccept(type, codes)) continue;
        }
        const r = this.parsed(e);
        if (matcher.accepts(r)) list.push(r);
      }
      byType.set(type, list);
    }
    return list;
  }

  private entriesOf(type: string): readonly Entry[] {
    if (this.byType === undefined) {
      this.byType = new Map();
      for (const e of this.entries) {
        const list = this.byType.get(e.type);
        if (list === undefined) this.byType.set(e.type, [e]);
        else list.push(e);
      }
    }
    return this.byType.get(type) ?? [];
  }

  /** Every resource, the Patient first. */
  all(): FhirResource[] {
    return [this.patient, ...this.entries.map((e) => this.parsed(e))];
  }

  /** The code strings of an unparsed entry; null when its JSON has escapes (then it is parsed). */
  private codesOf(e: Entry): readonly string[] | null {
    if (e.codes === undefined)
      e.codes =
        e.json.includes('\\') || e.json.includes('"medicationReference"')
          ? null
          : [...e.json.matchAll(CODE_STRINGS)].map((m) => m[1]!);
    return e.codes;
  }

  private parsed(e: Entry): FhirResource {
    if (e.resource === undefined) {
      const resource = JSON.parse(e.json) as FhirResource;
      // A resource type written in the partition that the JSON contradicts would mislead every rule.
      if (resource?.resourceType !== e.type)
        throw new Error(`A ${e.type} record holds a ${String(resource?.resourceType)}`);
      e.resource = resource;
    }
    return e.resource;
  }
}
