import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * CQL library sources as the compiler sees them before translation: the text of a file, the library it
 * declares and the libraries it includes. Read without the translator, which is too heavy to load just to
 * learn a library's name (see design.md §3).
 */

/** A CQL file: its path (relative to the repository, used in messages) and its text. */
export interface CqlSource {
  path: string;
  text: string;
}

/** A library as CQL names it: `library Id version 'v'`; the version is null when the CQL omits it. */
export interface LibraryRef {
  id: string;
  version: string | null;
}

/** What a CQL file declares: its library identifier, where it says so, and what it includes. */
export interface LibraryHeader extends LibraryRef {
  /** 1-based line of the `library` declaration. */
  line: number;
  includes: LibraryRef[];
}

/** The name and version of our own FHIRHelpers, named by the FHIR 4.0.1 model info's conversionInfo. */
export const FHIR_HELPERS: Readonly<{ id: 'FHIRHelpers'; version: '4.0.1' }> = Object.freeze({
  id: 'FHIRHelpers',
  version: '4.0.1',
});

/** The key of a library in maps and in the compiled index: `name|version` (`name|` when unversioned). */
export function libraryKey(ref: LibraryRef): string {
  return `${ref.id}|${ref.version ?? ''}`;
}

// An identifier, a "quoted identifier" or a `delimited identifier` (CQL 1.5 §Lexical Elements).
const IDENTIFIER = String.raw`(?:[A-Za-z_][A-Za-z0-9_]*|"(?:[^"\\]|\\.)*"|\x60(?:[^\x60\\]|\\.)*\x60)`;
const VERSION = String.raw`'((?:[^'\\]|\\.)*)'`;
const LIBRARY_RE = new RegExp(String.raw`^[ \t]*library\s+(${IDENTIFIER})(?:\s+version\s+${VERSION})?`, 'm');
const INCLUDE_RE = new RegExp(String.raw`^[ \t]*include\s+(${IDENTIFIER})(?:\s+version\s+${VERSION})?`, 'gm');

/**
 * Reads a CQL file's `library` and `include` declarations. Returns undefined when the file declares no
 * library. This is a scan, not a parse: the translator reports anything malformed.
 */
export function parseLibraryHeader(text: string): LibraryHeader | undefined {
  const code = blankComments(text);
  const library = LIBRARY_RE.exec(code);
  if (library?.[1] === undefined) return undefined;
  const includes: LibraryRef[] = [];
  for (const match of code.matchAll(INCLUDE_RE)) {
    if (match[1] !== undefined) includes.push({ id: unquote(match[1]), version: unescapeString(match[2]) });
  }
  return {
    id: unquote(library[1]),
    version: unescapeString(library[2]),
    line: lineOf(code, library.index + library[0].indexOf('library')),
    includes,
  };
}

/** Replaces comments with spaces, keeping line breaks and string literals, so positions stay put. */
function blankComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? text.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

function unquote(identifier: string): string {
  const first = identifier[0];
  return first === '"' || first === '`' ? (unescapeString(identifier.slice(1, -1)) ?? '') : identifier;
}

function unescapeString(value: string | undefined): string | null {
  return value === undefined ? null : value.replace(/\\(.)/g, '$1');
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i += 1) if (text[i] === '\n') line += 1;
  return line;
}

/**
 * The root of the loopcds package (the folder holding its package.json), found from this module's own
 * location so that it is the same whether we run from `src/` under tsx or from `dist/src/`.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const name = (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name;
      if (name === 'loopcds') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`Cannot find the loopcds package root above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** Absolute path of our own FHIRHelpers 4.0.1 (knowledge/libraries/FHIRHelpers.cql in this package). */
export function bundledFhirHelpersFile(): string {
  return join(packageRoot(), 'knowledge', 'libraries', 'FHIRHelpers.cql');
}

/** Our FHIRHelpers as a source, its path shown relative to `baseDir` like every other file. */
export function readBundledFhirHelpers(baseDir: string): CqlSource {
  const file = bundledFhirHelpersFile();
  return { path: displayPath(file, baseDir), text: readFileSync(file, 'utf8') };
}

/** A file's path for messages: relative to `baseDir` with `/` separators, or absolute if outside it. */
export function displayPath(file: string, baseDir: string): string {
  const rel = relative(baseDir, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return file.split(sep).join('/');
  return rel.split(sep).join('/');
}
