import { resolveMedications } from '../context/medication-resolver.js';
import type { DataRequirement } from '../engine/data-requirements.js';
import type { FhirResource } from '../engine/patient-bundle.js';
import type { LoadedArtefact } from '../knowledge/knowledge-base.js';
import type { ValueSetIndex } from '../engine/value-set-index.js';
import { patientIdIn, patientIdOf } from './patient-reference.js';
import { RequirementMatcher } from './requirement-matcher.js';
import { topLevelMember } from './top-level-member.js';
import { isBlank, type ByteLines } from './byte-lines.js';

/** What one NDJSON line turned out to be. */
export type ScannedLine =
  | { kind: 'patient'; patientId: string; json: string }
  | { kind: 'resource'; patientId: string; type: string; json: string }
  | { kind: 'organization'; id: string; name: string | undefined }
  | { kind: 'medication'; reference: string; resource: FhirResource }
  | { kind: 'dropped' }
  | { kind: 'orphan' }
  | { kind: 'invalid'; message: string };

/** Types read outside the patient record: practices, and medicines named by reference. */
const SIDE_TYPES = new Set(['Organization', 'Medication']);

/** The top-level resourceType when the line starts with it, as Bulk Data servers write it. */
const LEADING_TYPE = /^\s*\{\s*"resourceType"\s*:\s*"([A-Za-z]+)"/;
/** How Bulk Data servers begin a line: the bytes `dropsBytes` reads a resource type after. */
const LEADING = Buffer.from('{"resourceType":"');
const CODE_KEY = Buffer.from('"code"');
const RESOURCE_TYPE = /^[A-Za-z]+$/;
const MEDICATION_REFERENCE = Buffer.from('"medicationReference"');
const BACKSLASH = Buffer.from('\\');
const QUOTE = 34;
const COLON = 58;

/** Every `"code": "…"` string without escapes: a superset of the codings a code filter reads. */
const CODE_STRINGS = /"code"\s*:\s*"([^"\\]*)"/g;

/**
 * Decides, line by line and before anything is grouped by patient, which resources a run can need: the
 * Patient of every patient, and the resources that the chosen artefacts' data requirements (with their
 * date windows) or triggers accept (the same `DataRequirementFilter`s the release evaluator applies, so nothing that can change a
 * result is dropped). Most of a primary-care record (consultations, observations of other kinds,
 * medicines outside every PINCER list) is dropped here, and most of it without parsing: a line whose
 * leading resourceType is of no interest, or of a code-filtered type with no `"code"` string that is in
 * any of the filter's value sets, cannot be accepted. Anything unusual (escapes, a medicationReference, a
 * resourceType that does not come first) is parsed and judged exactly.
 */
export class ResourceScanner {
  /** Resource types some artefact reads, the Patient aside. */
  readonly types: ReadonlySet<string>;
  /** Types whose every requirement has a code filter, with the bare codes of all their value sets. */
  private readonly codesByType = new Map<string, Set<string>>();
  /** Types some requirement reads whole (no code filter): kept without parsing. */
  private readonly wholeTypes: ReadonlySet<string>;
  private readonly filters: RequirementMatcher[];
  private readonly medications = new Map<string, FhirResource>();

  /**
   * @param now the run's evaluation date-time: resources older than every window that reads them are
   *   dropped as the release evaluator's data filter would drop them; without it, dates are not looked at
   */
  constructor(artefacts: readonly LoadedArtefact[], knowledgeValueSets: ValueSetIndex, now?: string) {
    // A frozen release carries its own value sets; a working copy uses the knowledge's.
    const requirements = artefacts.flatMap((a) =>
      [
        ...(a.definition.dataRequirements as DataRequirement[]),
        ...((a.definition.triggers ?? []) as DataRequirement[]),
      ].map((r) => ({ r, valueSets: a.valueSets ?? knowledgeValueSets })),
    );
    const unfiltered = new Set(
      requirements.filter(({ r }) => r.codeFilter === undefined).map(({ r }) => r.type),
    );
    this.types = new Set(requirements.map(({ r }) => r.type).filter((t) => t !== 'Patient'));
    for (const { r, valueSets } of requirements) {
      if (r.codeFilter === undefined || unfiltered.has(r.type)) continue;
      const codes = this.codesByType.get(r.type) ?? new Set<string>();
      for (const url of r.codeFilter.valueSets) {
        const vs = valueSets.findValueSet(url) as { codes?: Array<{ code?: string }> } | null;
        for (const c of vs?.codes ?? []) if (typeof c.code === 'string') codes.add(c.code);
      }
      this.codesByType.set(r.type, codes);
    }
    this.wholeTypes = new Set([...unfiltered].filter((t) => t !== 'Patient'));
    this.filters = artefacts.flatMap((a) => {
      const valueSets = a.valueSets ?? knowledgeValueSets;
      return [
        new RequirementMatcher(a.definition.dataRequirements as DataRequirement[], valueSets, true, now),
        ...(a.definition.triggers === undefined
          ? []
          : [new RequirementMatcher(a.definition.triggers as DataRequirement[], valueSets)]),
      ];
    });
  }

  /** Whether a whole file of this declared type can be skipped (Bulk Data: one type per file). */
  skipsType(type: string): boolean {
    return type !== 'Patient' && !this.types.has(type) && !SIDE_TYPES.has(type);
  }

  /** Medications known by `Medication/<id>`, used to resolve medicationReference before filtering. */
  addMedication(reference: string, resource: FhirResource): void {
    this.medications.set(reference, resource);
  }

  scan(line: string): ScannedLine {
    const leading = LEADING_TYPE.exec(line)?.[1];
    if (leading !== undefined && this.skipsType(leading)) return { kind: 'dropped' };
    if (leading !== undefined && this.cannotMatch(leading, line)) return { kind: 'dropped' };
    if (leading !== undefined && this.wholeTypes.has(leading) && !line.includes('"medicationReference"')) {
      const patientId = this.lightPatientId(line);
      if (patientId !== undefined) return { kind: 'resource', patientId, type: leading, json: line };
    }
    let resource: FhirResource;
    try {
      resource = JSON.parse(line) as FhirResource;
    } catch (error) {
      return { kind: 'invalid', message: (error as Error).message };
    }
    if (resource === null || typeof resource !== 'object' || typeof resource.resourceType !== 'string')
      return { kind: 'invalid', message: 'not a FHIR resource' };
    return this.judge(resource, line);
  }

  /** The same decision for a resource already parsed (paged search returns JSON Bundles). */
  judge(resource: FhirResource, line?: string): ScannedLine {
    const type = resource.resourceType;
    if (type === 'Patient') {
      const id = patientIdOf(resource);
      return id === undefined
        ? { kind: 'invalid', message: 'a Patient without id' }
        : { kind: 'patient', patientId: id, json: line ?? JSON.stringify(resource) };
    }
    if (type === 'Organization')
      return typeof resource.id === 'string'
        ? {
            kind: 'organization',
            id: resource.id,
            name: typeof resource['name'] === 'string' ? resource['name'] : undefined,
          }
        : { kind: 'dropped' };
    if (type === 'Medication')
      return typeof resource.id === 'string'
        ? { kind: 'medication', reference: `Medication/${resource.id}`, resource }
        : { kind: 'dropped' };
    if (!this.types.has(type)) return { kind: 'dropped' };
    let json = line;
    if (resource['medicationReference'] !== undefined) {
      const resolved = resolveMedications([resource], { byReference: this.medications })[0]!;
      if (resolved !== resource) {
        resource = resolved;
        json = undefined;
      }
    }
    if (!this.filters.some((f) => f.accepts(resource))) return { kind: 'dropped' };
    const patientId = patientIdOf(resource);
    if (patientId === undefined) return { kind: 'orphan' };
    return { kind: 'resource', patientId, type, json: json ?? JSON.stringify(resource) };
  }

  /**
   * True only when the line `[start, end)` of a block can be dropped from its bytes alone, for the same
   * reasons `scan` would drop it, without decoding it: it begins exactly `{"resourceType":"<T>"` and
   * either no artefact reads T, or T is code-filtered and none of the line's `"code": "…"` strings is in
   * any of T's value sets. False (undecided: `scan` decides) for anything else: other layouts, escapes,
   * a medicationReference.
   */
  dropsBytes(lines: ByteLines, start: number, end: number): boolean {
    const buffer = lines.buffer;
    if (
      end - start < LEADING.length + 2 ||
      buffer.compare(LEADING, 0, LEADING.length, start, start + LEADING.length) !== 0
    )
      return false;
    const typeStart = start + LEADING.length;
    const typeEnd = buffer.indexOf(QUOTE, typeStart);
    if (typeEnd === -1 || typeEnd >= end) return false;
    const type = buffer.toString('latin1', typeStart, typeEnd);
    if (!RESOURCE_TYPE.test(type)) return false;
    if (this.skipsType(type)) return true;
    const codes = this.codesByType.get(type);
    if (codes === undefined) return false;
    if (lines.find(BACKSLASH, start) < end || lines.find(MEDICATION_REFERENCE, start) < end) return false;
    for (let at = lines.find(CODE_KEY, start); at < end; at = lines.find(CODE_KEY, at + 1)) {
      let i = at + CODE_KEY.length;
      while (i < end && isBlank(buffer[i]!)) i++;
      if (buffer[i] !== COLON) continue;
      i++;
      while (i < end && isBlank(buffer[i]!)) i++;
      if (buffer[i] !== QUOTE) continue;
      const close = buffer.indexOf(QUOTE, i + 1);
      if (close === -1 || close >= end) return false;
      if (codes.has(buffer.toString('utf8', i + 1, close))) return false;
    }
    return true;
  }

  /**
   * The patient of a resource kept whole, read from its top-level `subject` (or `patient`) member without
   * parsing the rest; undefined sends the line to the full parse (patientIdOf's decision, exactly).
   */
  private lightPatientId(line: string): string | undefined {
    for (const link of ['subject', 'patient']) {
      const text = topLevelMember(line, link);
      if (text === undefined) continue;
      try {
        const id = patientIdIn((JSON.parse(text) as { reference?: unknown } | null)?.reference);
        if (id !== undefined) return id;
      } catch {
        return undefined;
      }
    }
    return undefined;
  }

  /** True only when no code filter of this type can accept the line (see the class comment). */
  private cannotMatch(type: string, line: string): boolean {
    const codes = this.codesByType.get(type);
    if (codes === undefined) return false;
    if (line.includes('\\') || line.includes('"medicationReference"')) return false;
    for (const match of line.matchAll(CODE_STRINGS)) if (codes.has(match[1]!)) return false;
    return true;
  }
}
