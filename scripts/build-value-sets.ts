/**
 * Builds FHIR R4 ValueSets (with expansions) from the OpenSAFELY PINCER codelists, and the curated
 * value sets of scripts/value-set-curation.ts. No code is typed by hand: every code comes from a
 * codelist CSV. Output is deterministic, so a rebuild is byte-identical and `--check` can prove
 * that the committed files match the codelists.
 *
 *   tsx scripts/build-value-sets.ts [--codelists <dir>] [--out <dir>] [--check]
 *
 * `--codelists` defaults to ../shared/codelists/opensafely-pincer and `--out` to knowledge/valuesets,
 * both relative to the repository root; given paths are relative to the working directory.
 * `--check` writes nothing and exits 1 when a file in the out dir differs from the rebuild.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  SNOMED_CT_SYSTEM,
  sctidProblem,
  type Extension,
  type ValueSet,
  type ValueSetExpansion,
} from '../src/engine/value-set.js';
import {
  CODELIST_NOTES,
  CURATION_RULES,
  PARTITION_CHECKS,
  type CurationRule,
  type TermPattern,
} from './value-set-curation.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_CODELISTS_DIR = path.resolve(REPO_ROOT, '../shared/codelists/opensafely-pincer');
export const DEFAULT_OUT_DIR = path.resolve(REPO_ROOT, 'knowledge/valuesets');

const VALUE_SET_BASE = 'https://loopcds.org/fhir/ValueSet/';
const EXT_SOURCE_CODELIST = 'https://loopcds.org/fhir/StructureDefinition/source-codelist';
const EXT_SOURCE_SHA256 = 'https://loopcds.org/fhir/StructureDefinition/source-codelist-sha256';
const EXT_CURATION_RULE = 'https://loopcds.org/fhir/StructureDefinition/curation-rule';
const OPENSAFELY_SYSTEM = 'https://codelists.opensafely.org';
const PUBLISHER = 'loopcds';
/** Files the build owns in the out dir; other files there (other builders' value sets) are left alone. */
const OWNED_FILE = /^pincer-.*\.json$/;

export interface CodelistRow {
  readonly code: string;
  readonly term: string;
  readonly line: number;
}

export interface RejectedRow {
  readonly file: string;
  readonly line: number;
  readonly code: string;
  readonly term: string;
  readonly problem: string;
}

/** One `pincer-<name>.csv` with its provenance from codelists.json. */
export interface Codelist {
  readonly name: string;
  readonly file: string;
  /** OpenSAFELY codelist id, `pincer/<name>/<version>`. */
  readonly id: string;
  readonly version: string;
  readonly url: string;
  /** FHIR dateTime of the download recorded in codelists.json: the expansion timestamp. */
  readonly downloadedAt: string;
  readonly sha256: string;
  /** Valid rows, trimmed, deduplicated, sorted by code. */
  readonly rows: readonly CodelistRow[];
  readonly rejects: readonly RejectedRow[];
  /** Rows dropped because their code was already listed. */
  readonly duplicates: readonly string[];
}

export interface Licence {
  readonly name: string;
  readonly copyright: string;
  readonly text: string;
}

/** What one curation rule took from one source, and what it left out and why. */
export interface SourceOutcome {
  readonly codelist: Codelist;
  readonly selected: ReadonlyArray<CodelistRow & { why: string }>;
  readonly excluded: ReadonlyArray<CodelistRow & { why: string }>;
  readonly unmatched: readonly CodelistRow[];
  /** How many of the selected codes no earlier source of the rule had taken. */
  readonly added: number;
  readonly listUnmatched: boolean;
}

export interface CurationOutcome {
  readonly rule: CurationRule;
  readonly sources: readonly SourceOutcome[];
  readonly valueSet: ValueSet;
}

export interface Build {
  readonly codelists: readonly Codelist[];
  readonly licence: Licence;
  readonly valueSets: readonly ValueSet[];
  readonly curations: readonly CurationOutcome[];
  /** Remainder rows of each partition check: in no part, on purpose. */
  readonly remainders: ReadonlyArray<{
    codelist: string;
    rows: ReadonlyArray<CodelistRow & { why: string }>;
  }>;
  /** File name → exact content, for every file the build owns in the out dir. */
  readonly files: ReadonlyMap<string, string>;
  readonly warnings: readonly string[];
}

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF). Each row carries its first line number. */
export function parseCsv(text: string): Array<{ line: number; fields: string[] }> {
  const rows: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\n') line++;
    if (quoted) {
      if (c !== '"') {
        field += c;
      } else if (source[i + 1] === '"') {
        field += '"';
        i++;
      } else {
        quoted = false;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && source[i + 1] === '\n') continue;
      fields.push(field);
      if (fields.length > 1 || fields[0] !== '') rows.push({ line: rowLine, fields });
      fields = [];
      field = '';
      rowLine = line;
    } else {
      field += c;
    }
  }
  if (quoted) throw new Error(`unterminated quoted field starting on line ${rowLine}`);
  if (field !== '' || fields.length > 0) rows.push({ line: rowLine, fields: [...fields, field] });
  return rows;
}

/** Sorts SCTIDs in numeric order (they have no leading zeros). */
function byCode(a: { code: string }, b: { code: string }): number {
  return a.code.length - b.code.length || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
}

/** Reads, checks and cleans one codelist CSV. Rows with an invalid SCTID are rejected and reported. */
export function readCodelistCsv(
  file: string,
  text: string,
): Pick<Codelist, 'rows' | 'rejects' | 'duplicates'> {
  const [header, ...body] = parseCsv(text);
  const columns = header?.fields.map((f) => f.trim().toLowerCase()).join(',');
  if (columns !== 'id,term' && columns !== 'code,term')
    throw new Error(`${file}: header is "${columns}", expected "id,term" or "code,term"`);
  const kept = new Map<string, CodelistRow>();
  const rejects: RejectedRow[] = [];
  const duplicates: string[] = [];
  for (const { line, fields } of body) {
    const code = (fields[0] ?? '').trim();
    const term = (fields[1] ?? '').trim();
    const problem =
      fields.length !== 2
        ? `${fields.length} fields, expected 2`
        : term === ''
          ? 'no term'
          : sctidProblem(code);
    if (problem !== undefined) {
      rejects.push({ file, line, code, term, problem });
      continue;
    }
    const first = kept.get(code);
    if (first === undefined) kept.set(code, { code, term, line });
    else
      duplicates.push(
        `${file}:${line} repeats code ${code} of line ${first.line}${first.term === term ? '' : ` with another term ("${term}"); the first is kept`}`,
      );
  }
  return { rows: [...kept.values()].sort(byCode), rejects, duplicates };
}

/** Reads every `pincer-*.csv` in `dir` with its provenance from `codelists.json`. */
export async function readCodelists(dir: string): Promise<Codelist[]> {
  const meta = JSON.parse(await readFile(path.join(dir, 'codelists.json'), 'utf8')) as {
    files?: Record<string, { id?: unknown; url?: unknown; downloaded_at?: unknown }>;
  };
  const files = (await readdir(dir)).filter((f) => /^pincer-[a-z0-9_]+\.csv$/.test(f)).sort();
  if (files.length === 0) throw new Error(`${dir}: no pincer-*.csv codelists`);
  const codelists: Codelist[] = [];
  for (const file of files) {
    const entry = meta.files?.[file];
    const { id, url, downloaded_at: downloadedAt } = entry ?? {};
    if (typeof id !== 'string' || typeof url !== 'string' || typeof downloadedAt !== 'string') {
      throw new Error(`${path.join(dir, 'codelists.json')}: no id, url and downloaded_at for ${file}`);
    }
    const [, name, version] = /^pincer\/([a-z0-9_]+)\/([^/]+)$/.exec(id) ?? [];
    if (name === undefined || version === undefined || `pincer-${name}.csv` !== file)
      throw new Error(`${file}: codelist id "${id}" does not name this file`);
    const bytes = await readFile(path.join(dir, file));
    codelists.push({
      name,
      file,
      id,
      version,
      url,
      downloadedAt: downloadedAt.replace(' ', 'T'),
      sha256: createHash('sha256').update(bytes).digest('hex'),
      ...readCodelistCsv(file, bytes.toString('utf8')),
    });
  }
  return codelists;
}

/** Reads the licence of the codelists: its name (first line), copyright line and full text. */
export async function readLicence(dir: string): Promise<Licence> {
  const text = (await readFile(path.join(dir, 'LICENSE'), 'utf8')).trim();
  const copyright = text.split('\n').find((l) => /^copyright/i.test(l.trim()));
  if (copyright === undefined) throw new Error(`${path.join(dir, 'LICENSE')}: no copyright line`);
  return { name: text.split('\n')[0]?.trim() ?? 'licence', copyright: copyright.trim(), text };
}

const dashCase = (name: string): string => name.replace(/_/g, '-');
const pascalCase = (id: string): string =>
  id
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');

/** A urn:uuid derived from a content hash (RFC 9562 version 8: custom, here the first 128 bits of SHA-256). */
function uuidFromContent(content: string): string {
  const b = createHash('sha256').update(content).digest().subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x80;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function copyrightOf(licence: Licence, sources: readonly Codelist[]): string {
  return (
    `Derived from the OpenSAFELY codelist${sources.length > 1 ? 's' : ''} ${sources.map((s) => s.id).join(' and ')}: ${licence.copyright}, ` +
    `released under the ${licence.name} (full text in knowledge/valuesets/README.md). ` +
    'Codes and terms are SNOMED CT, including the UK Drug Extension (dm+d); SNOMED CT is owned by SNOMED International and its use needs a SNOMED CT licence.'
  );
}

function sourceExtensions(sources: readonly Codelist[]): Extension[] {
  return sources.flatMap((s) => [
    { url: EXT_SOURCE_CODELIST, valueUri: s.url },
    { url: EXT_SOURCE_SHA256, valueString: `${s.file} ${s.sha256}` },
  ]);
}

/** Assembles a ValueSet whose compose and expansion list `rows`, SNOMED CT codes all. */
function valueSetOf(
  meta: Omit<ValueSet, 'resourceType' | 'status' | 'experimental' | 'publisher' | 'compose' | 'expansion'>,
  rows: readonly CodelistRow[],
  timestamp: string,
): ValueSet {
  const contains = rows.map((r) => ({ system: SNOMED_CT_SYSTEM, code: r.code, display: r.term }));
  const expansion: ValueSetExpansion = {
    identifier: uuidFromContent(JSON.stringify([meta.url, meta.version, contains])),
    timestamp,
    total: contains.length,
    contains,
  };
  const { id, extension, url, identifier, version, name, title, description, purpose, copyright } = meta;
  return {
    resourceType: 'ValueSet',
    id,
    ...(extension === undefined ? {} : { extension }),
    url,
    ...(identifier === undefined ? {} : { identifier }),
    ...(version === undefined ? {} : { version }),
    ...(name === undefined ? {} : { name }),
    ...(title === undefined ? {} : { title }),
    status: 'active',
    experimental: false,
    publisher: PUBLISHER,
    ...(description === undefined ? {} : { description }),
    ...(purpose === undefined ? {} : { purpose }),
    ...(copyright === undefined ? {} : { copyright }),
    compose: {
      include: [{ system: SNOMED_CT_SYSTEM, concept: rows.map((r) => ({ code: r.code, display: r.term })) }],
    },
    expansion,
  };
}

function codelistValueSet(list: Codelist, licence: Licence): ValueSet {
  const id = `pincer-${dashCase(list.name)}`;
  const note = CODELIST_NOTES[list.name];
  const dropped = [
    list.rejects.length > 0
      ? `${list.rejects.length} rows with an invalid SNOMED CT identifier were rejected`
      : '',
    list.duplicates.length > 0 ? `${list.duplicates.length} repeated rows were dropped` : '',
  ].filter(Boolean);
  return valueSetOf(
    {
      id,
      extension: sourceExtensions([list]),
      url: VALUE_SET_BASE + id,
      identifier: [{ system: OPENSAFELY_SYSTEM, value: list.id }],
      version: list.version,
      name: pascalCase(id),
      title: `PINCER ${note?.title ?? list.name} (OpenSAFELY ${list.id})`,
      description:
        `${note?.title ?? list.name}: all ${list.rows.length} codes of the OpenSAFELY codelist ${list.id} (${list.url}), ` +
        `as downloaded on ${list.downloadedAt.slice(0, 10)} for the PINCER measures. ` +
        'dm+d ids are SNOMED CT UK Drug Extension ids, so every code is in the SNOMED CT system (clinical-spec §0).' +
        (dropped.length > 0 ? ` From the CSV, ${dropped.join(' and ')} (see curation-report.md).` : '') +
        (note?.issues === undefined ? '' : ` Known issues: ${note.issues}`),
      purpose: `PINCER prescribing-safety indicators: ${note?.usedBy ?? 'not used by an indicator'} (clinical-spec §1.3).`,
      copyright: copyrightOf(licence, [list]),
    },
    list.rows,
    list.downloadedAt,
  );
}

const firstMatch = (patterns: readonly TermPattern[], term: string): TermPattern | undefined =>
  patterns.find((p) => p.pattern.test(term));

function curate(
  rule: CurationRule,
  byName: ReadonlyMap<string, Codelist>,
  licence: Licence,
  warnings: string[],
): CurationOutcome {
  const sources: SourceOutcome[] = [];
  const taken = new Map<string, CodelistRow>();
  for (const selection of rule.sources) {
    const codelist = byName.get(selection.codelist);
    if (codelist === undefined)
      throw new Error(`curation rule ${rule.id}: no codelist pincer-${selection.codelist}.csv`);
    const selected: Array<CodelistRow & { why: string }> = [];
    const excluded: Array<CodelistRow & { why: string }> = [];
    const unmatched: CodelistRow[] = [];
    let added = 0;
    for (const row of codelist.rows) {
      const include = firstMatch(selection.include, row.term);
      const exclude = include === undefined ? undefined : firstMatch(selection.exclude, row.term);
      if (include === undefined) unmatched.push(row);
      else if (exclude !== undefined) excluded.push({ ...row, why: exclude.why });
      else {
        selected.push({ ...row, why: include.why });
        const earlier = taken.get(row.code);
        if (earlier === undefined) {
          taken.set(row.code, row);
          added++;
        } else if (earlier.term !== row.term)
          warnings.push(
            `${rule.id}: code ${row.code} is "${earlier.term}" in one source and "${row.term}" in ${codelist.file}; the first is kept`,
          );
      }
    }
    sources.push({ codelist, selected, excluded, unmatched, added, listUnmatched: selection.listUnmatched });
  }
  const lists = sources.map((s) => s.codelist);
  const counts = sources
    .map(
      (s, i) =>
        `${s.selected.length} of the ${s.codelist.rows.length} rows of ${s.codelist.id}${i > 0 ? ` (${s.added} of them not already taken)` : ''}`,
    )
    .join(' and ');
  const rows = [...taken.values()].sort(byCode);
  const valueSet = valueSetOf(
    {
      id: rule.id,
      extension: [
        { url: EXT_CURATION_RULE, valueString: `${rule.id} ${rule.version} (scripts/value-set-curation.ts)` },
        ...sourceExtensions(lists),
      ],
      url: VALUE_SET_BASE + rule.id,
      version: `${rule.version}+${lists.map((l) => `${dashCase(l.name)}.${l.version}`).join('.')}`,
      name: rule.name,
      title: rule.title,
      description:
        `${rows.length} codes selected by rule ${rule.id} ${rule.version} (scripts/value-set-curation.ts) from ${counts}, by patterns on the terms; no code was typed. ` +
        `${rule.rationale} Every excluded row and the reason for it are listed in knowledge/valuesets/curation-report.md.`,
      purpose: 'A curated PINCER value set (clinical-spec §1.6, "Codelist quality issues").',
      copyright: copyrightOf(licence, lists),
    },
    rows,
    lists
      .map((l) => l.downloadedAt)
      .sort()
      .at(-1) ?? '',
  );
  return { rule, sources, valueSet };
}

/** Checks that rules split a codelist cleanly (see PartitionCheck); returns the remainder rows. */
function checkPartition(
  check: (typeof PARTITION_CHECKS)[number],
  curations: readonly CurationOutcome[],
  byName: ReadonlyMap<string, Codelist>,
) {
  const parts = check.parts.map((id) => {
    const outcome = curations.find((c) => c.rule.id === id);
    if (outcome === undefined)
      throw new Error(`partition check of ${check.codelist}: no curation rule ${id}`);
    return {
      id,
      codes: new Set(
        outcome.sources
          .filter((s) => s.codelist.name === check.codelist)
          .flatMap((s) => s.selected.map((r) => r.code)),
      ),
    };
  });
  const problems: string[] = [];
  const rows: Array<CodelistRow & { why: string }> = [];
  for (const row of byName.get(check.codelist)?.rows ?? []) {
    const owners = parts.filter((p) => p.codes.has(row.code)).map((p) => p.id);
    const remainder = firstMatch(check.remainder, row.term);
    if (owners.length > 1) problems.push(`${row.code} "${row.term}" is in ${owners.join(' and ')}`);
    else if (owners.length === 0 && remainder === undefined)
      problems.push(`${row.code} "${row.term}" is in no part`);
    else if (owners.length === 0 && remainder !== undefined) rows.push({ ...row, why: remainder.why });
  }
  if (problems.length > 0)
    throw new Error(`partition check of pincer/${check.codelist} failed:\n  ${problems.join('\n  ')}`);
  return { codelist: check.codelist, rows };
}

/** Refuses rules that would build ambiguous or unstable output: repeated ids, stateful (g, y) patterns. */
function checkRules(rules: readonly CurationRule[]): void {
  const ids = new Set<string>();
  for (const rule of rules) {
    if (ids.has(rule.id) || !OWNED_FILE.test(`${rule.id}.json`))
      throw new Error(`curation rule id ${rule.id} is repeated or not pincer-*`);
    ids.add(rule.id);
    for (const p of rule.sources.flatMap((s) => [...s.include, ...s.exclude])) {
      if (p.pattern.global || p.pattern.sticky)
        throw new Error(`curation rule ${rule.id}: /${p.pattern.source}/ must not use the g or y flag`);
    }
  }
}

/** Builds every value set and document in memory. Throws when a source or a rule is inconsistent. */
export async function buildValueSets(codelistsDir: string): Promise<Build> {
  const codelists = await readCodelists(codelistsDir);
  const licence = await readLicence(codelistsDir);
  const byName = new Map(codelists.map((c) => [c.name, c]));
  const warnings: string[] = [];
  for (const c of codelists) {
    if (CODELIST_NOTES[c.name] === undefined)
      warnings.push(`${c.file}: no entry in CODELIST_NOTES (scripts/value-set-curation.ts)`);
    for (const r of c.rejects)
      warnings.push(`${r.file}:${r.line} rejected: code "${r.code}" (${r.term}): ${r.problem}`);
    warnings.push(...c.duplicates);
  }
  checkRules(CURATION_RULES);
  const curations = CURATION_RULES.map((rule) => curate(rule, byName, licence, warnings));
  const remainders = PARTITION_CHECKS.map((check) => checkPartition(check, curations, byName));
  const valueSets = [
    ...codelists.map((c) => codelistValueSet(c, licence)),
    ...curations.map((c) => c.valueSet),
  ];
  const partial = { codelists, licence, valueSets, curations, remainders, warnings };
  const files = new Map<string, string>();
  for (const vs of valueSets) files.set(`${vs.id}.json`, `${JSON.stringify(vs, null, 2)}\n`);
  files.set('README.md', renderReadme(partial));
  files.set('curation-report.md', renderReport(partial));
  return { ...partial, files };
}

const md = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const patterns = (list: readonly TermPattern[]): string =>
  list.length === 0
    ? '—'
    : list.map((p) => `\`/${md(p.pattern.source)}/${p.pattern.flags}\` (${md(p.why)})`).join('<br>');
const codeCount = (vs: ValueSet): number => vs.expansion?.total ?? 0;

function renderReadme(b: Omit<Build, 'files'>): string {
  const base = b.valueSets.slice(0, b.codelists.length);
  return `<!-- Generated by scripts/build-value-sets.ts: do not edit. Change the script or scripts/value-set-curation.ts and rebuild. -->
# Value sets

FHIR R4 \`ValueSet\` resources, one JSON file each, with a \`compose\` and a complete \`expansion\`. No code in them was typed by hand: each comes from a row of a codelist CSV. \`src/engine/value-set.ts\` (\`loadValueSets\`) reads and checks them.

## Where they come from

The OpenSAFELY PINCER codelists (https://codelists.opensafely.org, the versions used by \`opensafely/pincer-measures\`; clinical-spec §1.6), kept in \`../shared/codelists/opensafely-pincer\` as \`pincer-<name>.csv\` with \`codelists.json\` (id, URL and download time of each) and \`LICENSE\`.

- One value set per codelist, \`pincer-<name>.json\`: every row whose code is a valid SNOMED CT identifier (digits, 6–18 long, concept partition, Verhoeff check digit), trimmed, deduplicated and sorted. \`version\` is the OpenSAFELY codelist version; \`identifier\` is \`${OPENSAFELY_SYSTEM}\` | \`pincer/<name>/<version>\`; the extension \`${EXT_SOURCE_CODELIST}\` holds the codelist URL and \`${EXT_SOURCE_SHA256}\` the SHA-256 of the CSV.
- dm+d ids are SNOMED CT UK Drug Extension ids, so every code is in \`${SNOMED_CT_SYSTEM}\` (clinical-spec §0).
- The expansion \`timestamp\` is the download time in \`codelists.json\` and its \`identifier\` a UUID derived from the content, so a rebuild is byte-identical.
- Curated value sets select rows of the codelists by patterns on their terms (table below; rules in \`scripts/value-set-curation.ts\`). What each rule left out, and why, is in [curation-report.md](curation-report.md).

## Rebuild and check

\`\`\`sh
npx tsx scripts/build-value-sets.ts                 # rewrites knowledge/valuesets/pincer-*.json, README.md, curation-report.md
npx tsx scripts/build-value-sets.ts --check         # exits 1 and names each file that differs from a rebuild
npx tsx scripts/build-value-sets.ts --codelists <dir> --out <dir>
\`\`\`

## Value sets from the codelists

| file | codes | OpenSAFELY codelist | title | PINCER indicators |
|---|---:|---|---|---|
${base.map((vs, i) => `| ${vs.id}.json | ${codeCount(vs)} | [${b.codelists[i]?.id ?? ''}](${b.codelists[i]?.url ?? ''}) | ${md(vs.title ?? '')} | ${md(CODELIST_NOTES[b.codelists[i]?.name ?? '']?.usedBy ?? '')} |`).join('\n')}

## Curated value sets

| file | codes | rule version | from | why |
|---|---:|---|---|---|
${b.curations.map((c) => `| ${c.rule.id}.json | ${codeCount(c.valueSet)} | ${c.rule.version} | ${c.sources.map((s) => `${s.codelist.id} (${s.selected.length} taken, ${s.added} new)`).join(', ')} | ${md(c.rule.rationale)} |`).join('\n')}

### Curation rules

A row is taken when an include pattern matches its term and no exclude pattern does; the value set is the union over its sources. Patterns are JavaScript regular expressions, matched case-insensitively.

| value set | codelist | include when the term matches | exclude when the term matches |
|---|---|---|---|
${b.curations.flatMap((c) => c.rule.sources.map((s) => `| ${c.rule.id} | pincer/${s.codelist} | ${patterns(s.include)} | ${patterns(s.exclude)} |`)).join('\n')}

${PARTITION_CHECKS.map((p) => `The build fails unless every row of pincer/${p.codelist} is in exactly one of ${p.parts.join(', ')}, or matches ${patterns(p.remainder)}.`).join('\n')}

## Licence of the source codelists

The codelists, and so these value sets, are ${b.licence.copyright}, under the ${b.licence.name}:

\`\`\`text
${b.licence.text}
\`\`\`

The codes and terms are SNOMED CT, including the UK Drug Extension (dm+d). SNOMED CT is owned by SNOMED International; its use needs a SNOMED CT licence (free in member countries such as the UK).
`;
}

function renderReport(b: Omit<Build, 'files'>): string {
  const rows = (list: ReadonlyArray<CodelistRow & { why?: string }>, withWhy: boolean): string =>
    `| code | term${withWhy ? ' | why' : ''} |\n|---|---${withWhy ? '|---' : ''}|\n` +
    list.map((r) => `| ${r.code} | ${md(r.term)}${withWhy ? ` | ${md(r.why ?? '')}` : ''} |`).join('\n');
  const products = (list: readonly CodelistRow[]): string => {
    const counts = new Map<string, number>();
    for (const r of list) {
      const product = r.term.replace(/\s*\([^()]*(\([^()]*\)[^()]*)*\)$/, '');
      counts.set(product, (counts.get(product) ?? 0) + 1);
    }
    return `| product (supplier suffix removed) | codes |\n|---|---:|\n${[...counts]
      .sort(([a], [b]) => a.localeCompare(b, 'en'))
      .map(([p, n]) => `| ${md(p)} | ${n} |`)
      .join('\n')}`;
  };
  const sections = b.curations.map((c) => {
    const parts = c.sources.map((s) => {
      const head = `### From ${s.codelist.id}: ${s.selected.length} taken (${s.added} new to the value set), ${s.excluded.length} excluded by a pattern, ${s.unmatched.length} matched no include pattern`;
      const excluded =
        s.excluded.length === 0
          ? 'No row was excluded by an exclude pattern.'
          : `Excluded by an exclude pattern:\n\n${rows(s.excluded, true)}`;
      const unmatched = !s.listUnmatched
        ? `The ${s.unmatched.length} rows that matched no include pattern are not listed (they are most of the codelist).`
        : s.unmatched.length === 0
          ? 'Every row matched an include pattern.'
          : `Rows that matched no include pattern, by product:\n\n${products(s.unmatched)}`;
      return `${head}\n\n${excluded}\n\n${unmatched}`;
    });
    return `## ${c.rule.id} (rule ${c.rule.version}): ${codeCount(c.valueSet)} codes\n\n${c.rule.rationale}\n\n${parts.join('\n\n')}`;
  });
  const remainders = b.remainders.map(
    (r) =>
      `## Split of pincer/${r.codelist}\n\nEvery row is in exactly one part, except these, which are in none on purpose:\n\n${rows(r.rows, true)}`,
  );
  const rejects = b.codelists.flatMap((c) => c.rejects);
  const duplicates = b.codelists.flatMap((c) => c.duplicates);
  return `<!-- Generated by scripts/build-value-sets.ts: do not edit. -->
# Curation report

What the curation rules of \`scripts/value-set-curation.ts\` took from the OpenSAFELY PINCER codelists and what they left out. For review by a pharmacist.

${sections.join('\n\n')}

${remainders.join('\n\n')}

## Rows dropped while reading the codelists

${rejects.length === 0 ? `Rejected for an invalid SNOMED CT identifier: none. All ${b.codelists.reduce((n, c) => n + c.rows.length + c.duplicates.length, 0)} rows pass (digits, 6–18 long, concept partition, Verhoeff check digit).` : `Rejected:\n\n| file:line | code | term | problem |\n|---|---|---|---|\n${rejects.map((r) => `| ${r.file}:${r.line} | ${md(r.code)} | ${md(r.term)} | ${r.problem} |`).join('\n')}`}

${duplicates.length === 0 ? 'Repeated rows: none.' : `Repeated rows (dropped):\n\n${duplicates.map((d) => `- ${md(d)}`).join('\n')}`}
`;
}

/** Names every owned file in `outDir` that is missing, differs from the build, or is stale. */
export async function compareWithDir(build: Build, outDir: string): Promise<string[]> {
  const present = await readdir(outDir).catch(() => [] as string[]);
  const problems: string[] = [];
  for (const [name, content] of build.files) {
    const committed = await readFile(path.join(outDir, name), 'utf8').catch(() => undefined);
    if (committed === undefined) problems.push(`${name}: missing`);
    else if (committed !== content) problems.push(`${name}: differs from a rebuild`);
  }
  for (const name of present.filter((n) => OWNED_FILE.test(n) && !build.files.has(n)).sort())
    problems.push(`${name}: stale (no codelist or rule builds it)`);
  return problems;
}

/** Writes the build into `outDir` and removes owned files the build no longer makes. */
export async function writeBuild(build: Build, outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  for (const [name, content] of build.files) await writeFile(path.join(outDir, name), content);
  for (const name of (await readdir(outDir)).filter((n) => OWNED_FILE.test(n) && !build.files.has(n)))
    await rm(path.join(outDir, name));
}

/** The command line. Returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      codelists: { type: 'string' },
      out: { type: 'string' },
      check: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const codelistsDir =
    values.codelists === undefined ? DEFAULT_CODELISTS_DIR : path.resolve(values.codelists);
  const outDir = values.out === undefined ? DEFAULT_OUT_DIR : path.resolve(values.out);
  const build = await buildValueSets(codelistsDir);
  for (const warning of build.warnings) console.warn(`warning: ${warning}`);
  if (values.check) {
    const problems = await compareWithDir(build, outDir);
    for (const problem of problems)
      console.error(`${path.relative(process.cwd(), outDir) || '.'}/${problem}`);
    console.log(
      problems.length === 0
        ? `${build.files.size} files match a rebuild from ${codelistsDir}`
        : `${problems.length} files do not match; run: npx tsx scripts/build-value-sets.ts`,
    );
    return problems.length === 0 ? 0 : 1;
  }
  await writeBuild(build, outDir);
  for (const vs of build.valueSets) console.log(`${String(codeCount(vs)).padStart(5)}  ${vs.id}.json`);
  console.log(`wrote ${build.files.size} files to ${outDir}`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    return 1;
  });
}
