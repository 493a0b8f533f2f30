/**
 * FHIR R4 ValueSet resources as loopcds reads them from `knowledge/valuesets/`, and the loader that
 * checks their shape before the engine indexes them. https://hl7.org/fhir/R4/valueset.html
 *
 * Only the elements loopcds writes or reads are typed; other elements are kept as they are.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/** The SNOMED CT code system URI. dm+d ids are SNOMED CT UK Drug Extension ids (clinical-spec §0). */
export const SNOMED_CT_SYSTEM = 'http://snomed.info/sct';

export interface Extension {
  url: string;
  valueUri?: string;
  valueString?: string;
}

export interface Identifier {
  system?: string;
  value?: string;
}

/** One code of a `compose.include`. */
export interface ValueSetConcept {
  code: string;
  display?: string;
}

export interface ValueSetInclude {
  system?: string;
  version?: string;
  concept?: ValueSetConcept[];
  /** Canonical URLs of value sets whose codes are included. */
  valueSet?: string[];
}

/** One code of an expansion; `contains` nests for hierarchical expansions. */
export interface ValueSetContains {
  system?: string;
  version?: string;
  code?: string;
  display?: string;
  abstract?: boolean;
  inactive?: boolean;
  contains?: ValueSetContains[];
}

export interface ValueSetExpansion {
  identifier?: string;
  /** When the expansion was made: for built value sets, a date fixed by the source, so rebuilds are identical. */
  timestamp: string;
  total?: number;
  offset?: number;
  contains?: ValueSetContains[];
}

export interface ValueSet {
  resourceType: 'ValueSet';
  id: string;
  extension?: Extension[];
  url: string;
  identifier?: Identifier[];
  version?: string;
  name?: string;
  title?: string;
  status: 'draft' | 'active' | 'retired' | 'unknown';
  experimental?: boolean;
  date?: string;
  publisher?: string;
  description?: string;
  purpose?: string;
  copyright?: string;
  compose?: { include: ValueSetInclude[]; exclude?: ValueSetInclude[] };
  expansion?: ValueSetExpansion;
}

// The minimal shape the engine relies on; unknown elements pass through untouched. The (possibly
// thousands of) codes in `concept` and `contains` are checked by hand below: a schema per code costs
// a cold start about 100 ms more for the PINCER value sets.
const IncludeSchema = z.looseObject({
  system: z.string().min(1).optional(),
  version: z.string().optional(),
  concept: z.array(z.unknown()).optional(),
  valueSet: z.array(z.string().min(1)).optional(),
});

const ValueSetSchema = z.looseObject({
  resourceType: z.literal('ValueSet'),
  id: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, 'must be a FHIR id (letters, digits, "-", "."; at most 64)'),
  url: z.string().min(1),
  version: z.string().min(1).optional(),
  status: z.enum(['draft', 'active', 'retired', 'unknown']),
  compose: z
    .looseObject({ include: z.array(IncludeSchema).min(1), exclude: z.array(IncludeSchema).optional() })
    .optional(),
  expansion: z
    .looseObject({
      identifier: z.string().optional(),
      timestamp: z.string().min(1),
      total: z.number().int().nonnegative().optional(),
      offset: z.number().int().nonnegative().optional(),
      contains: z.array(z.unknown()).optional(),
    })
    .optional(),
});

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Checks one code (a compose concept or an expansion entry); returns how many codes it and its children hold. */
function checkCode(
  entry: unknown,
  where: string,
  system: string | undefined,
  codeRequired: boolean,
  problems: string[],
): number {
  if (!isRecord(entry)) {
    problems.push(`${where} is not an object`);
    return 0;
  }
  const { code, display, contains } = entry;
  const entrySystem = codeRequired ? system : entry.system;
  if (!codeRequired && entrySystem !== undefined && (typeof entrySystem !== 'string' || entrySystem === '')) {
    problems.push(`${where}.system is not a non-empty string`);
  }
  if (code === undefined && codeRequired) problems.push(`${where}.code is missing`);
  if (code !== undefined && (typeof code !== 'string' || code === ''))
    problems.push(`${where}.code is not a non-empty string`);
  if (display !== undefined && typeof display !== 'string') problems.push(`${where}.display is not a string`);
  if (typeof code === 'string' && entrySystem === SNOMED_CT_SYSTEM) {
    const problem = sctidProblem(code);
    if (problem !== undefined) problems.push(`${where} code "${code}": ${problem}`);
  }
  let count = code === undefined ? 0 : 1;
  if (contains !== undefined) {
    if (!Array.isArray(contains)) problems.push(`${where}.contains is not an array`);
    else
      for (const [i, child] of contains.entries())
        count += checkCode(child, `${where}.contains[${i}]`, undefined, false, problems);
  }
  return count;
}

/**
 * Checks that `json` has the shape of a ValueSet loopcds can index, and returns it typed.
 * Besides the shape: every SNOMED CT code must be a valid SCTID, and an expansion's `total`
 * must equal the number of codes it contains (a paged or truncated expansion would make
 * membership tests silently wrong).
 * @param source names the file (or other origin) in the error message.
 * @throws Error naming `source` and every problem found (the first 20).
 */
export function parseValueSet(json: unknown, source: string): ValueSet {
  const parsed = ValueSetSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`${source}: not a valid ValueSet:\n${z.prettifyError(parsed.error)}`);
  }
  const { compose, expansion } = parsed.data;
  const problems: string[] = [];
  for (const [part, includes] of [
    ['include', compose?.include],
    ['exclude', compose?.exclude],
  ] as const) {
    for (const [i, include] of (includes ?? []).entries()) {
      for (const [j, concept] of (include.concept ?? []).entries()) {
        checkCode(concept, `compose.${part}[${i}].concept[${j}]`, include.system, true, problems);
      }
    }
  }
  if (expansion?.contains !== undefined) {
    let count = 0;
    for (const [i, entry] of expansion.contains.entries()) {
      count += checkCode(entry, `expansion.contains[${i}]`, undefined, false, problems);
    }
    if (expansion.total !== undefined && expansion.total !== count) {
      problems.push(`expansion.total is ${expansion.total} but the expansion contains ${count} codes`);
    }
  }
  if (problems.length > 0) {
    const more = problems.length > 20 ? `; and ${problems.length - 20} more` : '';
    throw new Error(`${source}: ${problems.slice(0, 20).join('; ')}${more}`);
  }
  return parsed.data as unknown as ValueSet;
}

/**
 * Reads every `*.json` file in `dir` (in file-name order) as a ValueSet.
 * @throws Error naming the file when one is not JSON or not a valid ValueSet, or when two files
 *   share a `url` and `version`.
 */
export async function loadValueSets(dir: string): Promise<ValueSet[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  const seen = new Map<string, string>();
  const valueSets: ValueSet[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (cause) {
      throw new Error(`${file}: not valid JSON: ${(cause as Error).message}`, { cause });
    }
    const valueSet = parseValueSet(json, file);
    const key = `${valueSet.url}|${valueSet.version ?? ''}`;
    const other = seen.get(key);
    if (other !== undefined) throw new Error(`${file}: same url and version (${key}) as ${other}`);
    seen.set(key, file);
    valueSets.push(valueSet);
  }
  return valueSets;
}

/** Every code of an expansion, nested `contains` included, in document order. */
export function flattenContains(contains: readonly ValueSetContains[]): ValueSetContains[] {
  return contains.flatMap((entry) => [entry, ...flattenContains(entry.contains ?? [])]);
}

// Verhoeff check digit (Verhoeff 1969), which SNOMED CT uses for SCTIDs (SNOMED CT Technical
// Implementation Guide, "Check-digit"). Both tables are derived, not typed: the multiplication
// table of the dihedral group D5, and the powers of the permutation (1 5 7 6 2 8 3 0 9 4).
const D5 = Array.from({ length: 10 }, (_, j) =>
  Array.from({ length: 10 }, (_, k) => {
    if (j < 5 && k < 5) return (j + k) % 5;
    if (j < 5) return ((j + k - 5) % 5) + 5;
    if (k < 5) return ((j - 5 - k + 10) % 5) + 5;
    return (j - k + 10) % 5;
  }),
);
const P1 = [1, 5, 7, 6, 2, 8, 3, 0, 9, 4];
const P: number[][] = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]];
for (let i = 1; i < 8; i++) P.push((P[i - 1] ?? []).map((digit) => P1[digit] ?? Number.NaN));

/** True when a string of digits ends in a correct Verhoeff check digit. */
export function verhoeffValid(digits: string): boolean {
  if (!/^[0-9]+$/.test(digits)) return false;
  let check = 0;
  for (let i = 0; i < digits.length; i++) {
    const digit = Number(digits[digits.length - 1 - i]);
    check = D5[check]?.[P[i % 8]?.[digit] ?? Number.NaN] ?? Number.NaN;
  }
  return check === 0;
}

/**
 * Why `code` is not a SNOMED CT concept identifier, or `undefined` when it is one: 6–18 digits,
 * no leading zero, partition identifier `00` or `10` (a concept, short or long format), and a
 * valid Verhoeff check digit (SNOMED CT Technical Implementation Guide, "SCTID").
 */
export function sctidProblem(code: string): string | undefined {
  if (!/^[0-9]+$/.test(code)) return 'not all digits';
  if (code.length < 6 || code.length > 18) return `${code.length} digits, not 6 to 18`;
  if (code.startsWith('0')) return 'leading zero';
  const partition = code.slice(-3, -1);
  if (partition !== '00' && partition !== '10')
    return `partition identifier ${partition} is not a concept's (00 or 10)`;
  if (!verhoeffValid(code)) return 'wrong Verhoeff check digit';
  return undefined;
}

/** True when `code` is a valid SNOMED CT concept identifier (see {@link sctidProblem}). */
export function isValidSctid(code: string): boolean {
  return sctidProblem(code) === undefined;
}
