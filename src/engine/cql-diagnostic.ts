/**
 * Problems the CQL translator found, located in source files. The translator never throws on bad CQL; it
 * records each problem as a `CqlToElmError` annotation on the ELM library, which is the one place its
 * positions are readable from JavaScript (its `TrackBack` locators are not exported; see
 * /work/shared/notes/cql-in-node.md). Reading them from the ELM also lets a cached ELM file give back the
 * warnings of the translation that produced it.
 */

/** A translator error or warning at a place in a CQL file. */
export interface Diagnostic {
  /** The file, relative to the repository (absolute when outside it). */
  path: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  severity: 'error' | 'warning';
  message: string;
}

/** `path:line:col message`, the shape editors and CI annotators recognise. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.path}:${d.line}:${d.column} ${d.message}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Orders by path, line, column, then errors before warnings. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  if (a.line !== b.line) return a.line - b.line;
  if (a.column !== b.column) return a.column - b.column;
  if (a.severity !== b.severity) return a.severity === 'error' ? -1 : 1;
  return 0;
}

/**
 * Drops repeats (the translator reports some syntax errors twice, and the errors of an included library
 * appear again in every library that includes it). At one place, the first message of each severity is
 * kept: later ones are follow-on noise, and keying on severity keeps a warning from hiding an error.
 */
export function dedupeDiagnostics(diagnostics: Iterable<Diagnostic>): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const d of diagnostics) {
    const key = `${d.path}\0${d.line}\0${d.column}\0${d.severity}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

/** The translator's follow-on messages after a semantic error when annotations are on: never the cause. */
const NOISE = new Set(['Internal translator error.', 'Unable to find target chunk for insertion.']);

/** The fields of a `CqlToElmError` annotation that we read (cql-to-elm 5.3.0). */
interface CqlToElmErrorAnnotation {
  type: 'CqlToElmError';
  libraryId?: string | null;
  libraryVersion?: string | null;
  startLine?: number;
  startChar?: number;
  message?: string;
  errorType?: string;
  errorSeverity?: string;
}

function isErrorAnnotation(value: unknown): value is CqlToElmErrorAnnotation {
  return (
    typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'CqlToElmError'
  );
}

/**
 * Reads the diagnostics recorded in an ELM library's annotations.
 * @param pathOf maps the library an annotation names (an included library's errors name that library) to
 *   its file; it is called with a null id for a library that declares no name.
 */
export function diagnosticsFromElm(
  elm: unknown,
  pathOf: (libraryId: string | null, libraryVersion: string | null) => string,
): Diagnostic[] {
  const annotations = (elm as { library?: { annotation?: unknown } } | null)?.library?.annotation;
  if (!Array.isArray(annotations)) return [];
  const out: Diagnostic[] = [];
  for (const a of annotations) {
    if (!isErrorAnnotation(a)) continue;
    if (a.message !== undefined && NOISE.has(a.message)) continue;
    // Libraries here have no namespace: drop the translator's ", namespace uri null" from include errors.
    const message = (a.message ?? 'Unknown translator error.').replace(', namespace uri null.', '.');
    const severity =
      a.errorSeverity === 'error' ? 'error' : a.errorSeverity === 'warning' ? 'warning' : undefined;
    if (severity === undefined) continue; // 'info' messages are not worth a line in a build log
    // Syntax errors carry ANTLR's 0-based charPositionInLine; semantic and include errors are 1-based.
    const column = Math.max(1, (a.startChar ?? 0) + (a.errorType === 'syntax' ? 1 : 0));
    out.push({
      path: pathOf(a.libraryId ?? null, a.libraryVersion ?? null),
      // Some warnings (e.g. "An operand identifier M is hiding …") come without a position: 1:1 of the file.
      line: Math.max(1, a.startLine ?? 1),
      column,
      severity,
      message,
    });
  }
  return dedupeDiagnostics(out);
}
