import {
  loadKnowledgeBase,
  type KnowledgeBase,
  type KnowledgeLocations,
} from '../knowledge/knowledge-base.js';
import { evaluableReleases } from './artefact-library.js';

/** The knowledge a population run evaluates: the hooks' knowledge base. */
export interface PopulationKnowledge {
  knowledge: KnowledgeBase;
}

/** A release as a run records it: what was evaluated, exactly. */
export interface ReleaseRef {
  /** `id@version` */
  key: string;
  id: string;
  version: string;
  /** Content hash of the release (artefact file, ELM, included libraries). */
  hash: string;
  title: string;
}

/** Loads knowledge as the service does (compiled ELM and frozen releases, never translating). */
export async function loadPopulationKnowledge(locations: KnowledgeLocations): Promise<PopulationKnowledge> {
  return { knowledge: await loadKnowledgeBase(locations) };
}

/**
 * The releases a run evaluates. Each comma-separated term is an artefact id (`pincer-a`), a release
 * (`pincer-a@1.0.0`) or a family name: `pincer` selects every artefact whose id starts with `pincer-`.
 * Retired artefacts are left out unless named as a release. Sorted by id.
 */
export function selectReleases(knowledge: KnowledgeBase, selection: string): ReleaseRef[] {
  const terms = selection
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (terms.length === 0) throw new Error('No artefacts named (e.g. --artefacts pincer)');
  const chosen = new Map<string, ReleaseRef>();
  const evaluable = evaluableReleases(knowledge);
  for (const term of terms) {
    let matched = 0;
    for (const [key, artefact] of evaluable) {
      const { id, version, hash } = artefact.release;
      const exact = term === key;
      const byId = term === id || id.startsWith(`${term}-`);
      if (!exact && !(byId && artefact.definition.status !== 'retired')) continue;
      chosen.set(key, { key, id, version, hash, title: artefact.definition.title });
      matched++;
    }
    if (matched === 0) throw new Error(`No artefact matches "${term}"`);
  }
  return [...chosen.values()].sort((a, b) => a.id.localeCompare(b.id) || a.version.localeCompare(b.version));
}

/** Throws unless this process's knowledge holds exactly the releases a run was started with. */
export function assertSameReleases(knowledge: KnowledgeBase, releases: readonly ReleaseRef[]): void {
  const evaluable = evaluableReleases(knowledge);
  for (const r of releases) {
    const here = evaluable.get(r.key);
    if (here === undefined) throw new Error(`This worker's knowledge has no release ${r.key}`);
    if (here.release.hash !== r.hash)
      throw new Error(
        `This worker's ${r.key} differs from the run's (content hash ${here.release.hash.slice(0, 12)}, run ${r.hash.slice(0, 12)})`,
      );
  }
}
