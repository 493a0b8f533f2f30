import { formatDiagnostic, hasErrors } from './cql-diagnostic.js';
import { compileKnowledge, type CompileKnowledgeOptions } from './knowledge-compiler.js';

/** Where `loopcds knowledge build` writes; defaults to the process's own streams. */
interface Output {
  write(text: string): unknown;
}

export interface BuildKnowledgeOptions extends CompileKnowledgeOptions {
  stdout?: Output;
  stderr?: Output;
}

/**
 * `loopcds knowledge build`: compiles the knowledge, prints each diagnostic as `path:line:col message` on
 * stderr and a summary on stdout, and returns the exit code: 1 if any error, 0 otherwise (warnings are
 * printed and do not fail the build). Failures that are not about the CQL (an unreadable folder, a crashed
 * worker) are thrown for the CLI's own error handling.
 */
export async function buildKnowledge(opts: BuildKnowledgeOptions): Promise<number> {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const started = performance.now();
  const report = await compileKnowledge({
    knowledgeDirs: opts.knowledgeDirs,
    cacheDir: opts.cacheDir,
    ...(opts.baseDir === undefined ? {} : { baseDir: opts.baseDir }),
  });
  const elapsed = Math.round(performance.now() - started);
  for (const diagnostic of report.diagnostics) stderr.write(`${formatDiagnostic(diagnostic)}\n`);
  stdout.write(
    `compiled ${report.libraries.length} libraries (${report.cached} from cache) in ${elapsed} ms\n`,
  );
  return hasErrors(report.diagnostics) ? 1 : 0;
}
