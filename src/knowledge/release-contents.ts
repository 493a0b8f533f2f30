import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { formatDiagnostic } from '../engine/cql-diagnostic.js';
import type { ElmLibrary } from '../engine/cql-evaluator.js';
import { compileKnowledge, type CompiledLibrary } from '../engine/knowledge-compiler.js';
import { translatorFingerprint, translatorVersion } from '../engine/translator-options.js';
import { artefactDefinitionSchema, type ArtefactDefinition } from './artefact-definition.js';
import { artefactTestCaseSchema } from './artefact-test-case.js';
import { declaredValueSets, includedLibraries } from './loaded-artefact.js';
import { sha256Hex, type ReleaseManifest } from './release-manifest.js';

/** Where the working knowledge is: what `loopcds knowledge build` compiles. */
export interface WorkingLocations {
  knowledgeDir: string;
  extraLibraryDirs: readonly string[];
  elmCacheDir: string;
  valueSetDir: string;
  /** Paths in diagnostics are relative to this folder (default: the current directory). */
  baseDir?: string;
}

/** The files a release of an artefact is made of, before they are frozen: paths inside the release folder. */
export interface ReleaseContents {
  definition: ArtefactDefinition;
  files: Map<string, Buffer>;
  /** The manifest, less what freezing adds (hash, time, file digests). */
  manifest: Omit<ReleaseManifest, 'hash' | 'releasedAt' | 'files'>;
}

/** Raised when an artefact cannot be released (or read as a release); lists every problem. */
export class ReleaseError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ReleaseError';
  }
}

const SOURCE_EXTENSION = 'https://loopcds.org/fhir/StructureDefinition/source-codelist';

/**
 * Gathers what a release of the working copy knowledge/<id>/ freezes: artefact.json (metadata and card
 * templates), the CQL of its library and of every library it includes, their compiled ELM (compiling
 * what changed, as `knowledge build` does), the value sets they declare and the test cases. Fails on a
 * CQL error in any of those libraries, a missing value set, or a malformed test case.
 */
export async function collectReleaseContents(
  locations: WorkingLocations,
  artefactId: string,
): Promise<ReleaseContents> {
  const baseDir = path.resolve(locations.baseDir ?? process.cwd());
  const artefactDir = path.join(locations.knowledgeDir, artefactId);
  const artefactFile = path.join(artefactDir, 'artefact.json');
  let artefactText: Buffer;
  try {
    artefactText = await readFile(artefactFile);
  } catch {
    throw new ReleaseError([`${artefactFile}: no such artefact (knowledge/${artefactId}/artefact.json)`]);
  }
  const parsed = artefactDefinitionSchema.safeParse(JSON.parse(artefactText.toString('utf8')));
  if (!parsed.success)
    throw new ReleaseError(
      parsed.error.issues.map((i) => `${artefactFile}: ${i.path.join('.')}: ${i.message}`),
    );
  const definition = parsed.data;
  const problems: string[] = [];
  if (definition.id !== artefactId)
    problems.push(`${artefactFile}: id ${definition.id} is not the folder's name ${artefactId}`);

  const report = await compileKnowledge({
    knowledgeDirs: [locations.knowledgeDir, ...locations.extraLibraryDirs],
    cacheDir: locations.elmCacheDir,
    baseDir,
  });
  const main = report.libraries.find(
    (l) => l.id === definition.library.name && l.version === definition.version,
  );
  if (main === undefined) {
    const other = report.libraries.find((l) => l.id === definition.library.name);
    problems.push(
      other === undefined
        ? `${artefactFile}: library ${definition.library.name} version '${definition.version}' does not compile`
        : `${artefactFile}: version ${definition.version} does not match library ${other.id} version '${other.version}'`,
    );
  }
  const libraries = main === undefined ? [] : [main, ...closure(main, report.libraries, problems)];
  const paths = new Set(libraries.map((l) => l.path));
  for (const d of report.diagnostics)
    if (d.severity === 'error' && (paths.has(d.path) || d.path === main?.path))
      problems.push(formatDiagnostic(d));

  const files = new Map<string, Buffer>([['artefact.json', artefactText]]);
  const entry = (lib: CompiledLibrary) => {
    const stem = `${lib.id}-${lib.version}`;
    return { name: lib.id, version: lib.version, cql: `cql/${stem}.cql`, elm: `elm/${stem}.json` };
  };
  for (const lib of libraries) {
    const e = entry(lib);
    files.set(e.cql, await readFile(path.resolve(baseDir, lib.path)));
    files.set(e.elm, Buffer.from(JSON.stringify(lib.elm)));
  }

  const declared = [...new Set(libraries.flatMap((l) => declaredValueSets(l.elm as ElmLibrary)))].sort();
  const available = await valueSetFiles(locations.valueSetDir);
  const valueSets: ReleaseManifest['valueSets'] = [];
  for (const url of declared) {
    const found = available.get(url);
    if (found === undefined) {
      problems.push(`${artefactFile}: value set ${url} is not in ${locations.valueSetDir}`);
      continue;
    }
    const file = `valuesets/${found.name}`;
    files.set(file, found.content);
    valueSets.push({
      url,
      ...(found.version === undefined ? {} : { version: found.version }),
      file,
      ...(found.source === undefined ? {} : { source: found.source }),
    });
  }

  const testsDir = path.join(artefactDir, 'tests');
  const testNames = (await readdir(testsDir).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));
  for (const name of testNames.sort()) {
    const content = await readFile(path.join(testsDir, name));
    const test = artefactTestCaseSchema.safeParse(JSON.parse(content.toString('utf8')));
    if (!test.success)
      problems.push(`${path.join(testsDir, name)}: ${test.error.issues.map((i) => i.message).join('; ')}`);
    files.set(`tests/${name}`, content);
  }
  if (problems.length > 0 || main === undefined) throw new ReleaseError(problems);

  return {
    definition,
    files,
    manifest: {
      format: 1,
      id: definition.id,
      version: definition.version,
      status: definition.status,
      title: definition.title,
      library: entry(main),
      includes: libraries.slice(1).map(entry),
      valueSets,
      translator: { version: translatorVersion(), fingerprint: sha256Hex(translatorFingerprint()) },
    },
  };
}

/** Every library `main` includes, transitively, in a stable order (by name). */
function closure(
  main: CompiledLibrary,
  compiled: readonly CompiledLibrary[],
  problems: string[],
): CompiledLibrary[] {
  const found = new Map<string, CompiledLibrary>();
  const pending = [main];
  for (let lib = pending.pop(); lib !== undefined; lib = pending.pop()) {
    for (const include of includedLibraries(lib.elm as ElmLibrary)) {
      const candidates = compiled.filter(
        (c) => c.id === include.name && (include.version === undefined || c.version === include.version),
      );
      const chosen = candidates.sort((a, b) =>
        b.version.localeCompare(a.version, 'en', { numeric: true }),
      )[0];
      if (chosen === undefined) {
        problems.push(
          `${lib.path}: included library ${include.name} ${include.version ?? ''} does not compile`,
        );
        continue;
      }
      const key = `${chosen.id}|${chosen.version}`;
      if (found.has(key)) continue;
      found.set(key, chosen);
      pending.push(chosen);
    }
  }
  return [...found.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The value set files of a folder by canonical url: file name, bytes, version and source codelist. */
async function valueSetFiles(
  dir: string,
): Promise<Map<string, { name: string; content: Buffer; version?: string; source?: string }>> {
  const out = new Map<string, { name: string; content: Buffer; version?: string; source?: string }>();
  for (const name of (await readdir(dir)).filter((f) => f.endsWith('.json')).sort()) {
    const content = await readFile(path.join(dir, name));
    const json = JSON.parse(content.toString('utf8')) as {
      url?: string;
      version?: string;
      extension?: Array<{ url: string; valueUri?: string }>;
      identifier?: Array<{ system?: string; value?: string }>;
    };
    if (typeof json.url !== 'string') continue;
    const identifier = json.identifier?.[0];
    const source =
      json.extension?.find((e) => e.url === SOURCE_EXTENSION)?.valueUri ??
      (identifier?.value === undefined ? undefined : `${identifier.system ?? ''}|${identifier.value}`);
    out.set(json.url, {
      name,
      content,
      ...(json.version === undefined ? {} : { version: json.version }),
      ...(source === undefined ? {} : { source }),
    });
  }
  return out;
}
