import path from 'node:path';
import { compileKnowledge } from '../src/engine/knowledge-compiler.js';
import { formatDiagnostic, hasErrors } from '../src/engine/cql-diagnostic.js';

/** Compiles knowledge/ once before the suite (cached by content hash, so usually instant). */
export default async function setup(): Promise<void> {
  const root = path.resolve(import.meta.dirname, '..');
  const report = await compileKnowledge({
    knowledgeDirs: [path.join(root, 'knowledge')],
    cacheDir: path.join(root, 'knowledge', '.build', 'elm'),
    baseDir: root,
  });
  if (hasErrors(report.diagnostics)) {
    throw new Error(`knowledge/ does not compile:\n${report.diagnostics.map(formatDiagnostic).join('\n')}`);
  }
}
