import cql from 'cql-execution';

/** The part of a FHIR ValueSet the index needs: its canonical url, version and expansion. */
export interface ExpandedValueSet {
  url: string;
  version?: string;
  expansion?: { contains?: Array<{ system?: string; code?: string; display?: string }> };
}

/** The membership key of a coding: `system|code`. */
export const codingKey = (system: string | undefined, code: string) => `${system ?? ''}|${code}`;

/**
 * A value set whose membership test is a hash lookup. cql-execution's own ValueSet scans every code
 * for every test (1,500 codes × every retrieved resource); this keeps the same interface and semantics
 * (`code` and `system` must both match; a bare string matches on code alone).
 */
class HashedValueSet extends cql.ValueSet {
  private readonly byCode: Set<string>;
  private readonly bareCodes: Set<string>;

  constructor(oid: string, version: string | undefined, codes: InstanceType<typeof cql.Code>[]) {
    super(oid, version, codes);
    this.byCode = new Set(codes.map((c) => codingKey(c.system, c.code)));
    this.bareCodes = new Set(codes.map((c) => c.code));
  }

  /** Whether a coding, by its `codingKey`, is a member, without building a CQL Code. */
  holdsKey(key: string): boolean {
    return this.byCode.has(key);
  }

  override hasMatch(code: unknown): boolean {
    for (const candidate of toCodeList(code)) {
      if (typeof candidate === 'string') {
        if (this.bareCodes.has(candidate)) return true;
      } else if (candidate !== null && typeof candidate === 'object') {
        const c = candidate as { code?: unknown; system?: unknown };
        if (typeof c.code === 'string' && this.byCode.has(codingKey(c.system as string | undefined, c.code)))
          return true;
      }
    }
    return false;
  }
}

function toCodeList(c: unknown): unknown[] {
  if (c == null) return [];
  if (Array.isArray(c)) return c.flatMap(toCodeList);
  const codes = (c as { codes?: unknown }).codes;
  if (Array.isArray(codes)) return codes as unknown[];
  return [c];
}

/**
 * cql-execution TerminologyProvider over FHIR ValueSets with expansions, keyed by canonical url
 * (the identifier written in the CQL `valueset` declaration).
 */
export class ValueSetIndex {
  private readonly sets = new Map<string, Map<string, HashedValueSet>>();
  private readonly byDisplay = new Map<string, { system: string; code: string; display: string }>();
  /** The version `findValueSet` returns when none is asked for, by url. */
  private readonly latest = new Map<string, HashedValueSet>();

  constructor(valueSets: readonly ExpandedValueSet[]) {
    for (const vs of valueSets) {
      const codes = (vs.expansion?.contains ?? [])
        .filter((c): c is { system?: string; code: string; display?: string } => typeof c.code === 'string')
        .map((c) => new cql.Code(c.code, c.system, undefined, c.display));
      for (const c of vs.expansion?.contains ?? []) {
        if (c.code !== undefined && c.system !== undefined && c.display !== undefined) {
          this.byDisplay.set(`${vs.url}|${c.display}`, {
            system: c.system,
            code: c.code,
            display: c.display,
          });
        }
      }
      const versions = this.sets.get(vs.url) ?? new Map<string, HashedValueSet>();
      const hashed = new HashedValueSet(vs.url, vs.version, codes);
      versions.set(vs.version ?? '', hashed);
      this.sets.set(vs.url, versions);
      this.latest.set(vs.url, [...versions.values()].at(-1) ?? hashed);
    }
  }

  /** Urls of every value set held. */
  get urls(): string[] {
    return [...this.sets.keys()];
  }

  has(url: string): boolean {
    return this.sets.has(url);
  }

  findValueSetsByOid(oid: string): InstanceType<typeof cql.ValueSet>[] {
    return [...(this.sets.get(oid)?.values() ?? [])];
  }

  /** With no version, the only (or last loaded) version is returned, as cql-execution's CodeService does. */
  findValueSet(oid: string, version?: string): InstanceType<typeof cql.ValueSet> | null {
    const versions = this.sets.get(oid);
    if (versions === undefined) return null;
    if (version !== undefined && version !== '') return versions.get(version) ?? null;
    return this.latest.get(oid) ?? null;
  }

  /**
   * The coding whose display term is exactly `display` in the value set `url`: how card templates name a
   * medication to suggest without typing its code (the code comes from the cited value set).
   */
  codingByDisplay(
    url: string,
    display: string,
  ): { system: string; code: string; display: string } | undefined {
    return this.byDisplay.get(`${url}|${display}`);
  }

  /** Whether a system|code is in the value set (used outside CQL, e.g. to pre-screen patients). */
  contains(url: string, system: string | undefined, code: string): boolean {
    return this.latest.get(url)?.holdsKey(codingKey(system, code)) === true;
  }

  /** Whether a coding given by its `codingKey` is in the value set. */
  containsKey(url: string, key: string): boolean {
    return this.latest.get(url)?.holdsKey(key) === true;
  }
}
