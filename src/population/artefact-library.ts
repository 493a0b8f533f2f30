import type cql from 'cql-execution';
import type { ElmLibrary } from '../engine/cql-evaluator.js';
import type { KnowledgeBase, LoadedArtefact } from '../knowledge/knowledge-base.js';

interface BuiltLibrary extends InstanceType<typeof cql.Library> {
  source: ElmLibrary;
  includes: Record<string, BuiltLibrary>;
}

/**
 * The cql-execution Library the release's own evaluator runs (the one the hooks run), with its ELM and
 * the ELM of every library it includes, wherever the release was read from (a frozen release folder or a
 * working copy). The CqlEvaluator keeps it in a field it does not export; reading it here, once per run,
 * means the population evaluates the very same built expressions, instead of building its own copy.
 */
export function builtLibraryOf(artefact: LoadedArtefact): {
  library: BuiltLibrary;
  main: ElmLibrary;
  includes: ElmLibrary[];
} {
  const library = (artefact.evaluator as unknown as { library?: BuiltLibrary }).library;
  if (library?.source?.library?.identifier === undefined)
    throw new Error(
      `${artefact.release.id}@${artefact.release.version}: the evaluator exposes no cql-execution Library`,
    );
  const includes = new Map<string, ElmLibrary>();
  const visit = (lib: BuiltLibrary) => {
    for (const child of Object.values(lib.includes ?? {})) {
      const id = `${child.source.library.identifier.id}|${child.source.library.identifier.version ?? ''}`;
      if (includes.has(id)) continue;
      includes.set(id, child.source);
      visit(child);
    }
  };
  visit(library);
  return { library, main: library.source, includes: [...includes.values()] };
}

/**
 * The releases a population run can evaluate, by `id@version`: the frozen releases the services run
 * (knowledge/releases), and the working copies (knowledge/<id>) for the others, as `loopcds knowledge
 * test` and the try-it console run them. A frozen release wins over a working copy of the same version.
 */
export function evaluableReleases(knowledge: KnowledgeBase): Map<string, LoadedArtefact> {
  const all = new Map<string, LoadedArtefact>(knowledge.artefacts);
  for (const [key, artefact] of knowledge.releases ?? []) all.set(key, artefact);
  return all;
}
