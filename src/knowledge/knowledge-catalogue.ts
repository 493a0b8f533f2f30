import type { ArtefactSource, KnowledgeBase, LoadedArtefact } from './knowledge-base.js';
import { testStatusKey, type ArtefactTestStatus } from './test-status-file.js';

/** Which service runs a release, and how. */
export interface ServiceUse {
  service: string;
  role: 'active' | 'shadow';
}

/** One artefact release as `loopcds knowledge list` and `GET /api/knowledge/artefacts` show it. */
export interface ArtefactListing {
  ref: string;
  id: string;
  version: string;
  status: 'draft' | 'active' | 'retired';
  title: string;
  /** `release`: frozen in knowledge/releases; `working-copy`: knowledge/<id>/ only, not released. */
  source: ArtefactSource;
  /** The content hash outcomes are recorded with (for a release that no service runs: its manifest's). */
  hash: string;
  releasedAt: string | null;
  /** Whether the working folder knowledge/<id>/ is at this version. */
  workingCopy: boolean;
  services: ServiceUse[];
  /** The last recorded run of its test cases; `current` when it ran on this very content. */
  tests: (Omit<ArtefactTestStatus, 'ref' | 'source'> & { current: boolean }) | null;
}

/** A service and the releases it runs. */
export interface ServiceListing {
  id: string;
  hook: string;
  title: string;
  file: string | null;
  active: Array<{ ref: string; hash: string; source: ArtefactSource }>;
  shadow: Array<{ ref: string; hash: string; source: ArtefactSource }>;
}

const refOf = (a: LoadedArtefact) => `${a.release.id}@${a.release.version}`;

/** The services, with the release and source of each binding. */
export function listServices(knowledge: KnowledgeBase): ServiceListing[] {
  const entry = (a: LoadedArtefact) => ({ ref: refOf(a), hash: a.release.hash, source: a.source });
  return [...knowledge.services.values()]
    .map((s) => ({
      id: s.definition.id,
      hook: s.definition.hook,
      title: s.definition.title,
      file: s.file ?? null,
      active: s.active.map(entry),
      shadow: s.shadow.map(entry),
    }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

/**
 * Every artefact release the knowledge knows of: each release folder, and each working copy whose
 * version has no release yet, with the services that run it and its last test run.
 */
export function listArtefacts(
  knowledge: KnowledgeBase,
  testStatus: ReadonlyMap<string, ArtefactTestStatus>,
): ArtefactListing[] {
  const uses = new Map<string, ServiceUse[]>();
  for (const s of knowledge.services.values()) {
    for (const [role, list] of [
      ['active', s.active],
      ['shadow', s.shadow],
    ] as const) {
      for (const a of list)
        uses.set(refOf(a), [...(uses.get(refOf(a)) ?? []), { service: s.definition.id, role }]);
    }
  }
  const tests = (ref: string, source: ArtefactSource, hash: string): ArtefactListing['tests'] => {
    const t = testStatus.get(testStatusKey(ref, source));
    if (t === undefined) return null;
    return {
      hash: t.hash,
      ranAt: t.ranAt,
      total: t.total,
      passed: t.passed,
      failed: t.failed,
      failing: t.failing,
      current: t.hash === hash,
    };
  };
  const rows: ArtefactListing[] = [];
  for (const folder of knowledge.releaseFolders) {
    const m = folder.manifest;
    const hash = knowledge.releases.get(folder.ref)?.release.hash ?? m.hash;
    rows.push({
      ref: folder.ref,
      id: m.id,
      version: m.version,
      status: m.status,
      title: m.title,
      source: 'release',
      hash,
      releasedAt: m.releasedAt,
      workingCopy: knowledge.artefacts.has(folder.ref),
      services: uses.get(folder.ref) ?? [],
      tests: tests(folder.ref, 'release', hash),
    });
  }
  const released = new Set(rows.map((r) => r.ref));
  for (const [ref, a] of knowledge.artefacts) {
    if (released.has(ref)) continue;
    rows.push({
      ref,
      id: a.definition.id,
      version: a.definition.version,
      status: a.definition.status,
      title: a.definition.title,
      source: 'working-copy',
      hash: a.release.hash,
      releasedAt: null,
      workingCopy: true,
      services: uses.get(ref) ?? [],
      tests: tests(ref, 'working-copy', a.release.hash),
    });
  }
  return rows.sort((a, b) =>
    a.id === b.id ? a.version.localeCompare(b.version, 'en', { numeric: true }) : a.id < b.id ? -1 : 1,
  );
}
