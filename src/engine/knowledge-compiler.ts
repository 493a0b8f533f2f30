import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, realpath, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  compareDiagnostics,
  dedupeDiagnostics,
  diagnosticsFromElm,
  hasErrors,
  type Diagnostic,
} from './cql-diagnostic.js';
import {
  FHIR_HELPERS,
  bundledFhirHelpersFile,
  displayPath,
  libraryKey,
  parseLibraryHeader,
  type CqlSource,
  type LibraryHeader,
  type LibraryRef,
} from './cql-source.js';
import { translateInWorker } from './translate-in-worker.js';
import { translatorFingerprint } from './translator-options.js';

/**
 * Builds the knowledge's ELM: finds every CQL library, translates what changed in a recycled worker thread,
 * and keeps the ELM in a content-addressed cache with an index the service loads at start
 * ({@link loadCompiledKnowledge}), so nothing is ever translated on the request path (design.md §3).
 *
 * Cache layout (`cacheDir`):
 * - `<hash>.json`: the ELM (`{"library":{…}}`) of one library, where hash = sha256 of its CQL, the CQL of
 *   everything it includes transitively, the translator version, its options and the FHIR model info;
 * - `index.json`: `{ "Name|version": { hash, path, elmFile } }` for the last build without errors.
 *
 * Only ELM without errors is cached, and index.json is rewritten only by a build without errors: a failed
 * build leaves the service on the last good knowledge rather than on a partial set.
 */

export interface CompileKnowledgeOptions {
  /** Folders searched recursively for `*.cql` (`.build`, `node_modules` and `releases` folders are skipped). */
  knowledgeDirs: readonly string[];
  /** Where the ELM cache and index.json live. */
  cacheDir: string;
  /** Paths in diagnostics and in the index are relative to this folder (default: the current directory). */
  baseDir?: string;
}

export interface CompiledLibrary {
  id: string;
  version: string;
  /** The CQL file, relative to the base folder. */
  path: string;
  /** The content hash that names its ELM file. */
  hash: string;
  /** The ELM JSON, `{ library: { … } }`, as cql-execution takes it. */
  elm: unknown;
}

export interface CompileReport {
  /** The libraries that compiled without errors. */
  libraries: CompiledLibrary[];
  /** Errors and warnings, once each, ordered by file and position. */
  diagnostics: Diagnostic[];
  /** Libraries whose ELM came from the cache. */
  cached: number;
  /** Libraries handed to the translator (with or without errors). */
  translated: number;
}

/** index.json: `Name|version` → where its ELM is. */
export type CompiledKnowledgeIndex = Record<string, { hash: string; path: string; elmFile: string }>;

interface KnowledgeSource extends CqlSource {
  header: LibraryHeader | undefined;
}

/** Compiles every CQL library under the knowledge folders, plus our FHIRHelpers. */
export async function compileKnowledge(options: CompileKnowledgeOptions): Promise<CompileReport> {
  const baseDir = resolve(options.baseDir ?? process.cwd());
  const cacheDir = resolve(options.cacheDir);
  const diagnostics: Diagnostic[] = [];

  const files = await findCqlFiles(options.knowledgeDirs.map((dir) => resolve(dir)));
  const sources = await Promise.all(files.map((file) => readSource(file, baseDir)));

  // Libraries by `name|version`; a file that declares none, no version, or a taken name is not compiled.
  const libraries = new Map<string, KnowledgeSource>();
  const headless: KnowledgeSource[] = [];
  for (const source of sources) {
    const header = source.header;
    if (header === undefined) {
      diagnostics.push(
        error(source.path, 1, "The file declares no library: start it with `library Name version '1.0.0'`."),
      );
      headless.push(source);
      continue;
    }
    const key = libraryKey(header);
    const first = libraries.get(key);
    if (first !== undefined) {
      diagnostics.push(
        error(
          source.path,
          header.line,
          `Library ${header.id} version '${header.version ?? ''}' is also defined in ${first.path}.`,
        ),
      );
      continue;
    }
    libraries.set(key, source);
    if (header.version === null) {
      // Releases and outcomes name libraries by id and version (design.md §4); an unversioned one cannot be pinned.
      diagnostics.push(
        error(
          source.path,
          header.line,
          `Library ${header.id} has no version: declare it as \`library ${header.id} version '1.0.0'\`.`,
        ),
      );
    }
  }
  // The knowledge may bring its own FHIRHelpers 4.0.1; ours is the fallback.
  if (!libraries.has(libraryKey(FHIR_HELPERS))) {
    libraries.set(libraryKey(FHIR_HELPERS), await readSource(bundledFhirHelpersFile(), baseDir));
  }

  const fingerprint = translatorFingerprint();
  const hashes = new Map<string, string>();
  for (const [key, source] of libraries) hashes.set(key, contentHash(source, libraries, fingerprint));

  const compiled: CompiledLibrary[] = [];
  const toTranslate = new Map<string, { source: KnowledgeSource; hash: string }>();
  let cached = 0;
  for (const [key, source] of libraries) {
    const hash = hashes.get(key) ?? '';
    const elm =
      source.header?.version == null ? undefined : await tryReadJson(join(cacheDir, `${hash}.json`));
    if (elm === undefined) {
      toTranslate.set(source.path, { source, hash });
      continue;
    }
    cached += 1;
    diagnostics.push(...diagnosticsFromElm(elm, pathResolver(source, libraries)));
    compiled.push(compiledLibrary(source, hash, elm));
  }

  let translated = 0;
  const targets = [...toTranslate.keys(), ...headless.map((s) => s.path)];
  if (targets.length > 0) {
    const result = await translateInWorker({
      sources: [...libraries.values(), ...headless].map(({ path, text }) => ({ path, text })),
      targets,
      baseDir,
    });
    translated = result.libraries.length;
    await mkdir(cacheDir, { recursive: true });
    for (const library of result.libraries) {
      diagnostics.push(...library.diagnostics);
      const entry = toTranslate.get(library.path);
      if (entry === undefined || entry.source.header?.version == null || hasErrors(library.diagnostics))
        continue;
      await writeFileAtomic(join(cacheDir, `${entry.hash}.json`), JSON.stringify(library.elm));
      compiled.push(compiledLibrary(entry.source, entry.hash, library.elm));
    }
  }

  const report: CompileReport = {
    libraries: compiled.sort((a, b) => compareText(libraryKey(a), libraryKey(b))),
    diagnostics: dedupeDiagnostics(diagnostics.sort(compareDiagnostics)),
    cached,
    translated,
  };
  if (!hasErrors(report.diagnostics)) {
    await mkdir(cacheDir, { recursive: true });
    const index: CompiledKnowledgeIndex = {};
    for (const library of report.libraries) {
      index[libraryKey(library)] = {
        hash: library.hash,
        path: library.path,
        elmFile: `${library.hash}.json`,
      };
    }
    await writeFileAtomic(join(cacheDir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
  }
  return report;
}

/**
 * Reads the knowledge a build left in `cacheDir` (index.json and the ELM files it names) without
 * translating anything: what the service does at start.
 */
export async function loadCompiledKnowledge(cacheDir: string): Promise<CompiledLibrary[]> {
  const indexFile = join(resolve(cacheDir), 'index.json');
  let index: CompiledKnowledgeIndex;
  try {
    index = JSON.parse(await readFile(indexFile, 'utf8')) as CompiledKnowledgeIndex;
  } catch (cause) {
    throw new Error(`No compiled knowledge at ${indexFile}: run \`loopcds knowledge build\` first.`, {
      cause,
    });
  }
  return Promise.all(
    Object.entries(index).map(async ([key, entry]) => {
      const separator = key.lastIndexOf('|');
      const elmFile = join(resolve(cacheDir), entry.elmFile);
      let elm: unknown;
      try {
        elm = JSON.parse(await readFile(elmFile, 'utf8'));
      } catch (cause) {
        throw new Error(`The compiled knowledge index names ${elmFile} for ${key}, which cannot be read.`, {
          cause,
        });
      }
      return {
        id: key.slice(0, separator),
        version: key.slice(separator + 1),
        path: entry.path,
        hash: entry.hash,
        elm,
      };
    }),
  );
}

function error(path: string, line: number, message: string): Diagnostic {
  return { path, line, column: 1, severity: 'error', message };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compiledLibrary(source: KnowledgeSource, hash: string, elm: unknown): CompiledLibrary {
  return { id: source.header?.id ?? '', version: source.header?.version ?? '', path: source.path, hash, elm };
}

async function readSource(file: string, baseDir: string): Promise<KnowledgeSource> {
  const text = await readFile(file, 'utf8');
  return { path: displayPath(file, baseDir), text, header: parseLibraryHeader(text) };
}

/** Every `*.cql` under the folders, by real path (a file reached twice counts once), in a stable order. */
async function findCqlFiles(dirs: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const isDir = entry.isDirectory() || (entry.isSymbolicLink() && (await stat(full)).isDirectory());
      if (isDir) {
        // releases/ holds frozen copies of libraries (src/knowledge/release-builder.ts): never rebuilt.
        if (entry.name !== '.build' && entry.name !== 'node_modules' && entry.name !== 'releases')
          await walk(full);
      } else if (entry.name.endsWith('.cql')) {
        found.add(await realpath(full));
      }
    }
  };
  for (const dir of dirs) {
    try {
      await walk(await realpath(dir));
    } catch (cause) {
      throw new Error(`Cannot read the knowledge folder ${dir}.`, { cause });
    }
  }
  return [...found].sort(compareText);
}

/** Resolves an include as the translator will: by `name|version`, or by name to the highest version. */
function resolveInclude(
  ref: LibraryRef,
  libraries: ReadonlyMap<string, KnowledgeSource>,
): KnowledgeSource | undefined {
  if (ref.version !== null) return libraries.get(libraryKey(ref));
  let best: KnowledgeSource | undefined;
  for (const source of libraries.values()) {
    if (source.header?.id !== ref.id) continue;
    const version = source.header.version ?? '';
    if (best === undefined || version.localeCompare(best.header?.version ?? '', 'en', { numeric: true }) > 0)
      best = source;
  }
  return best;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * sha256 of the library's CQL, the CQL of everything it includes transitively (an include that does not
 * resolve counts too, so that adding the missing library invalidates), and the translator fingerprint.
 */
function contentHash(
  source: KnowledgeSource,
  libraries: ReadonlyMap<string, KnowledgeSource>,
  fingerprint: string,
): string {
  const includes = new Map<string, string | null>();
  const pending = [...(source.header?.includes ?? [])];
  for (let ref = pending.pop(); ref !== undefined; ref = pending.pop()) {
    const key = libraryKey(ref);
    if (includes.has(key)) continue;
    const included = resolveInclude(ref, libraries);
    includes.set(key, included === undefined ? null : sha256(included.text));
    if (included?.header !== undefined) pending.push(...included.header.includes);
  }
  const sortedIncludes = [...includes].sort(([a], [b]) => compareText(a, b));
  return sha256(JSON.stringify({ cql: sha256(source.text), includes: sortedIncludes, fingerprint }));
}

function pathResolver(source: KnowledgeSource, libraries: ReadonlyMap<string, KnowledgeSource>) {
  return (id: string | null, version: string | null): string =>
    id === null || id === source.header?.id
      ? source.path
      : (resolveInclude({ id, version }, libraries)?.path ?? source.path);
}

async function tryReadJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined; // a torn or corrupt cache entry is a miss, and is rewritten
  }
}

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
async function writeFileAtomic(file: string, content: string): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, file);
}
