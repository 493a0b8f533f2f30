/**
 * Builds the statin-* and cvd-* FHIR ValueSets (with compose and expansion) in knowledge/valuesets from
 * scripts/statin-codelists/<id>.csv (system,code,display rows extracted from the sources named in
 * scripts/statin-value-set-sources.ts). Output is deterministic, so `--check` can prove the committed
 * files match.
 *
 *   tsx scripts/build-statin-value-sets.ts [--check]
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parseValueSet, type ValueSet } from '../src/engine/value-set.js';
import { STATIN_VALUE_SETS, type StatinValueSetSource } from './statin-value-set-sources.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CODELIST_DIR = path.resolve(REPO_ROOT, 'scripts/statin-codelists');
export const OUT_DIR = path.resolve(REPO_ROOT, 'knowledge/valuesets');
const VALUE_SET_BASE = 'https://loopcds.org/fhir/ValueSet/';
const EXT_SOURCE = 'https://loopcds.org/fhir/StructureDefinition/source-codelist';
/** The day the codes were extracted and checked: the expansion timestamp, so rebuilds are identical. */
const EXTRACTED = '2026-11-24T00:00:00Z';
const VERSION = '1.0.0';

export interface CodeRow {
  system: string;
  code: string;
  display: string;
}

/** Parses a CSV of `system,code,display` (RFC 4180 quoting). */
export function parseCodeCsv(text: string, file: string): CodeRow[] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else if (ch !== '\r') field += ch;
  }
  if (field !== '' || record.length > 0) records.push([...record, field]);
  const [header, ...rows] = records;
  if (header?.join(',') !== 'system,code,display')
    throw new Error(`${file}: header must be system,code,display`);
  return rows.map((r, i) => {
    const [system, code, display] = r;
    if (r.length !== 3 || !system || !code || !display)
      throw new Error(`${file}:${i + 2}: expected system,code,display`);
    return { system, code, display };
  });
}

function pascal(id: string): string {
  return id
    .split('-')
    .map((w) => (w[0] ?? '').toUpperCase() + w.slice(1))
    .join('');
}

/** One ValueSet from its metadata and rows; codes sorted by system then code. */
export function buildValueSet(meta: StatinValueSetSource, rows: readonly CodeRow[]): ValueSet {
  const sorted = [...rows].sort((a, b) =>
    a.system === b.system ? (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) : a.system < b.system ? -1 : 1,
  );
  const systems = [...new Set(sorted.map((r) => r.system))];
  const description = [
    meta.description,
    `A minimal verified set, not a complete codelist: every code was checked against the sources below, and records coded otherwise are not recognised.${meta.limitations ? ` Known gaps: ${meta.limitations}` : ''}`,
    `Sources: ${meta.sources.map((s) => `${s.label} <${s.url}>: ${s.selection}`).join('; ')}.`,
  ].join(' ');
  const content = JSON.stringify(sorted);
  const digest = createHash('sha256').update(meta.id).update(content).digest('hex');
  const uuid = `${digest.slice(0, 8)}-${digest.slice(8, 12)}-5${digest.slice(13, 16)}-a${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
  return {
    resourceType: 'ValueSet',
    id: meta.id,
    extension: meta.sources.map((s) => ({ url: EXT_SOURCE, valueUri: s.url })),
    url: `${VALUE_SET_BASE}${meta.id}`,
    version: VERSION,
    name: pascal(meta.id),
    title: meta.title,
    status: 'active',
    experimental: false,
    date: EXTRACTED.slice(0, 10),
    publisher: 'loopcds',
    description,
    purpose: meta.purpose,
    copyright:
      'Codes and terms from SNOMED CT (including the UK Drug Extension, dm+d), LOINC, RxNorm, ICD-10-CM and the NHS Data Dictionary, used under their licences (SNOMED CT needs a SNOMED CT licence, free in member countries such as the UK; LOINC is copyright Regenstrief Institute). Selections taken from the cited public codelists.',
    compose: {
      include: systems.map((system) => ({
        system,
        concept: sorted.filter((r) => r.system === system).map((r) => ({ code: r.code, display: r.display })),
      })),
    },
    expansion: {
      identifier: `urn:uuid:${uuid}`,
      timestamp: EXTRACTED,
      total: sorted.length,
      contains: sorted.map((r) => ({ system: r.system, code: r.code, display: r.display })),
    },
  };
}

/** Builds every value set, checking each against the loader's own validation (SCTIDs, totals). */
export async function buildStatinValueSets(): Promise<Map<string, string>> {
  const csvs = (await readdir(CODELIST_DIR)).filter((f) => f.endsWith('.csv')).sort();
  const ids = new Set(STATIN_VALUE_SETS.map((m) => m.id));
  for (const file of csvs) {
    if (!ids.has(file.replace(/\.csv$/, '')))
      throw new Error(`${file} has no entry in statin-value-set-sources.ts`);
  }
  const out = new Map<string, string>();
  for (const meta of STATIN_VALUE_SETS) {
    const file = path.join(CODELIST_DIR, `${meta.id}.csv`);
    const rows = parseCodeCsv(await readFile(file, 'utf8'), file);
    if (rows.length === 0) throw new Error(`${file}: no codes`);
    const valueSet = buildValueSet(meta, rows);
    parseValueSet(valueSet, `${meta.id}.json`);
    out.set(`${meta.id}.json`, `${JSON.stringify(valueSet, null, 2)}\n`);
  }
  return out;
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { check: { type: 'boolean' } } });
  const built = await buildStatinValueSets();
  let differing = 0;
  for (const [name, text] of built) {
    const file = path.join(OUT_DIR, name);
    if (values.check === true) {
      const committed = await readFile(file, 'utf8').catch(() => '');
      if (committed !== text) {
        process.stderr.write(`${file} differs from a rebuild\n`);
        differing++;
      }
    } else await writeFile(file, text);
  }
  if (values.check !== true) process.stdout.write(`wrote ${built.size} value sets to ${OUT_DIR}\n`);
  return differing > 0 ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
