import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { codingSchema, type Coding } from '../cards/card-template.js';
import type { CqlEvaluator, ElmLibrary } from '../engine/cql-evaluator.js';
import type { DataRequirementFilter } from '../engine/data-requirements.js';
import { loadCompiledKnowledge } from '../engine/knowledge-compiler.js';
import { parseValueSet, type ValueSet } from '../engine/value-set.js';
import { ValueSetIndex } from '../engine/value-set-index.js';
import { artefactDefinitionSchema, type ArtefactDefinition } from './artefact-definition.js';
import { assembleArtefact, includedLibraries } from './loaded-artefact.js';
import { listReleases, loadRelease, type StoredRelease } from './release-store.js';
import { serviceDefinitionSchema, type ServiceDefinition } from './service-definition.js';

/** Where an artefact release was read from: a frozen release folder, or the artefact's working folder. */
export type ArtefactSource = 'release' | 'working-copy';

/** An artefact release ready to evaluate: its definition, identity, and evaluator. */
export interface LoadedArtefact {
  definition: ArtefactDefinition;
  release: { id: string; version: string; hash: string };
  /** `release`: knowledge/releases/<id>@<version>/ (frozen); `working-copy`: knowledge/<id>/ (development). */
  source: ArtefactSource;
  evaluator: CqlEvaluator;
  /** Drops what the artefact cannot read, before evaluation. */
  dataFilter: DataRequirementFilter;
  /** When set, a patient must hold one of these resources for the artefact to be evaluated at all. */
  triggerFilter?: DataRequirementFilter;
  /** Canonical urls of the value sets its library declares. */
  valueSetUrls: string[];
  /** A release's own (frozen) value sets; absent: the knowledge's value sets. */
  valueSets?: ValueSetIndex;
}

/** A CDS service with the releases it runs. */
export interface ServiceBinding {
  definition: ServiceDefinition;
  /** The service definition file it came from. */
  file?: string;
  active: LoadedArtefact[];
  shadow: LoadedArtefact[];
}

/** Everything the service needs from knowledge/, loaded at once; immutable once built (swapped whole). */
export interface KnowledgeBase {
  services: ReadonlyMap<string, ServiceBinding>;
  /** The working copies in knowledge/<id>/, by `id@version`: what `loopcds knowledge test` runs. */
  artefacts: ReadonlyMap<string, LoadedArtefact>;
  /** The frozen releases some service runs, by `id@version`. */
  releases: ReadonlyMap<string, LoadedArtefact>;
  /** Every release folder in knowledge/releases, loaded or not. */
  releaseFolders: readonly StoredRelease[];
  valueSets: ValueSetIndex;
  overrideReasons: readonly Coding[];
}

export interface KnowledgeLocations {
  knowledgeDir: string;
  elmCacheDir: string;
  valueSetDir: string;
  servicesDir: string;
  /** A service may run only frozen releases, never a working copy (production). Default false. */
  requireReleases?: boolean;
}

/** Raised when knowledge cannot be loaded; lists every problem. */
export class KnowledgeLoadError extends Error {
  constructor(readonly problems: string[]) {
    super(`Knowledge could not be loaded:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'KnowledgeLoadError';
  }
}

/** The folder of frozen releases: `<knowledgeDir>/releases`. */
export function releasesDirOf(knowledgeDir: string): string {
  return path.join(knowledgeDir, 'releases');
}

/** The working copies and what they share, before services are bound. */
export interface WorkingKnowledge {
  artefacts: Map<string, LoadedArtefact>;
  valueSets: ValueSetIndex;
  overrideReasons: readonly Coding[];
  problems: string[];
}

/**
 * Loads the working copies (knowledge/<id>/artefact.json with their compiled ELM, never translating:
 * `loopcds knowledge build` does that) and the shared value sets. `only` limits which artefact ids load.
 */
export async function loadWorkingCopies(
  locations: KnowledgeLocations,
  only?: (id: string) => boolean,
): Promise<WorkingKnowledge> {
  const problems: string[] = [];
  // Everything is read at once: a reload shares the event loop with hook calls, and each await in
  // sequence would wait behind every call in flight.
  const [compiled, valueSetList, overrideReasons, allDirs] = await Promise.all([
    loadCompiledKnowledge(locations.elmCacheDir),
    readValueSetFolder(locations.valueSetDir),
    loadOverrideReasons(locations.knowledgeDir),
    artefactDirs(locations.knowledgeDir),
  ]);
  const libraries = new Map<string, { elm: ElmLibrary; hash: string }>();
  for (const lib of compiled) libraries.set(lib.id, { elm: lib.elm as ElmLibrary, hash: lib.hash });
  const valueSets = new ValueSetIndex(valueSetList);

  const artefacts = new Map<string, LoadedArtefact>();
  const dirs = allDirs.filter((d) => only?.(path.basename(d)) ?? true);
  const texts = await Promise.all(dirs.map((dir) => readFile(path.join(dir, 'artefact.json'), 'utf8')));
  for (const [i, dir] of dirs.entries()) {
    const file = path.join(dir, 'artefact.json');
    const text = texts[i] ?? '';
    const parsed = artefactDefinitionSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push(`${file}: ${issue.path.join('.')}: ${issue.message}`);
      continue;
    }
    const definition = parsed.data;
    const lib = libraries.get(definition.library.name);
    if (lib === undefined) {
      problems.push(
        `${file}: library ${definition.library.name} is not compiled (run \`npm run build:knowledge\`)`,
      );
      continue;
    }
    const includes = transitiveIncludes(lib.elm, libraries, problems, file);
    const hash = createHash('sha256')
      .update(text)
      .update(lib.hash)
      .update(includes.map((i) => i.hash).join(','))
      .digest('hex');
    const artefact = assembleArtefact(
      {
        definition,
        elm: lib.elm,
        includes: includes.map((i) => i.elm),
        valueSets,
        ownValueSets: false,
        hash,
        source: 'working-copy',
        where: file,
      },
      problems,
    );
    if (artefact !== undefined) artefacts.set(`${definition.id}@${definition.version}`, artefact);
  }
  return { artefacts, valueSets, overrideReasons, problems };
}

/**
 * Loads the working copies, the service definitions and the releases they name, and checks they fit
 * together. A service's `id@version` is the frozen release in knowledge/releases/<id>@<version>/ when
 * there is one, else the working copy at that version (so that work in progress runs in development;
 * `requireReleases` forbids that). A retired artefact cannot run as an active release.
 */
export async function loadKnowledgeBase(locations: KnowledgeLocations): Promise<KnowledgeBase> {
  const serviceFiles = await jsonFiles(locations.servicesDir);
  const [working, listed, serviceTexts] = await Promise.all([
    loadWorkingCopies(locations),
    listReleases(releasesDirOf(locations.knowledgeDir)),
    Promise.all(serviceFiles.map((file) => readFile(file, 'utf8'))),
  ]);
  const { artefacts, problems } = working;
  problems.push(...listed.problems);
  const folders = new Map(listed.releases.map((r) => [r.ref, r]));
  const retired = new Set(
    [...artefacts.values()].filter((a) => a.definition.status === 'retired').map((a) => a.definition.id),
  );

  const definitions: Array<{ file: string; definition: ServiceDefinition }> = [];
  for (const [i, file] of serviceFiles.entries()) {
    const parsed = serviceDefinitionSchema.safeParse(JSON.parse(serviceTexts[i] ?? ''));
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push(`${file}: ${issue.path.join('.')}: ${issue.message}`);
      continue;
    }
    definitions.push({ file, definition: parsed.data });
  }

  // Each release named by a service is loaded once, however many services run it.
  const releases = new Map<string, LoadedArtefact>();
  const valueSetCache = new Map<string, unknown>();
  const named = new Set(definitions.flatMap(({ definition: d }) => [...d.artefacts, ...d.shadow]));
  const toLoad = [...named].sort().flatMap((ref) => folders.get(ref) ?? []);
  const loadedReleases = await Promise.all(toLoad.map((folder) => loadRelease(folder, valueSetCache)));
  toLoad.forEach((folder, i) => {
    const loaded = loadedReleases[i];
    problems.push(...(loaded?.problems ?? []));
    if (loaded?.artefact !== undefined) releases.set(folder.ref, loaded.artefact);
  });

  const services = new Map<string, ServiceBinding>();
  for (const { file, definition } of definitions) {
    const pick = (refs: string[], role: 'active' | 'shadow') =>
      refs.flatMap((ref) => {
        const found = releases.get(ref) ?? (folders.has(ref) ? undefined : artefacts.get(ref));
        if (found === undefined) {
          if (!folders.has(ref)) problems.push(`${file}: no artefact release ${ref}`);
          return [];
        }
        if (found.source === 'working-copy' && locations.requireReleases === true)
          problems.push(
            `${file}: ${ref} is only a working copy; run \`loopcds knowledge release ${found.definition.id}\` (LOOPCDS_REQUIRE_RELEASES is on)`,
          );
        if (role === 'active' && (found.definition.status === 'retired' || retired.has(found.definition.id)))
          problems.push(`${file}: ${ref} is retired and cannot run as an active release`);
        return [found];
      });
    if (services.has(definition.id)) problems.push(`${file}: a second service with id ${definition.id}`);
    services.set(definition.id, {
      definition,
      file,
      active: pick(definition.artefacts, 'active'),
      shadow: pick(definition.shadow, 'shadow'),
    });
  }
  if (problems.length > 0) throw new KnowledgeLoadError(problems);
  return {
    services,
    artefacts,
    releases,
    releaseFolders: listed.releases,
    valueSets: working.valueSets,
    overrideReasons: working.overrideReasons,
  };
}

/**
 * Every `*.json` of the value set folder as a ValueSet, read in parallel (engine/value-set.ts
 * `loadValueSets` reads one file after the other), with the same checks: valid value sets, no two with
 * the same url and version.
 */
async function readValueSetFolder(dir: string): Promise<ValueSet[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  const texts = await Promise.all(names.map((name) => readFile(path.join(dir, name), 'utf8')));
  const seen = new Map<string, string>();
  return names.map((name, i) => {
    const file = path.join(dir, name);
    let json: unknown;
    try {
      json = JSON.parse(texts[i] ?? '');
    } catch (cause) {
      throw new Error(`${file}: not valid JSON: ${(cause as Error).message}`, { cause });
    }
    const valueSet = parseValueSet(json, file);
    const key = `${valueSet.url}|${valueSet.version ?? ''}`;
    const other = seen.get(key);
    if (other !== undefined) throw new Error(`${file}: same url and version (${key}) as ${other}`);
    seen.set(key, file);
    return valueSet;
  });
}

/** The default override reasons of cards (knowledge/override-reasons.json). */
export async function loadOverrideReasons(knowledgeDir: string): Promise<Coding[]> {
  const file = JSON.parse(await readFile(path.join(knowledgeDir, 'override-reasons.json'), 'utf8')) as {
    reasons: unknown;
  };
  return codingSchema.array().min(1).parse(file.reasons);
}

/** The artefact folders: direct sub-folders of the knowledge folder holding an artefact.json. */
export async function artefactDirs(knowledgeDir: string): Promise<string[]> {
  const entries = await readdir(knowledgeDir, { withFileTypes: true });
  const candidates = entries.filter((e) => e.isDirectory()).map((e) => path.join(knowledgeDir, e.name));
  const listings = await Promise.all(candidates.map((dir) => readdir(dir)));
  return candidates.filter((_, i) => listings[i]?.includes('artefact.json')).sort();
}

async function jsonFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir);
  return entries
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(dir, f));
}

function transitiveIncludes(
  elm: ElmLibrary,
  libraries: ReadonlyMap<string, { elm: ElmLibrary; hash: string }>,
  problems: string[],
  file: string,
): Array<{ elm: ElmLibrary; hash: string }> {
  const seen = new Map<string, { elm: ElmLibrary; hash: string }>();
  const visit = (lib: ElmLibrary) => {
    for (const { name } of includedLibraries(lib)) {
      if (seen.has(name)) continue;
      const found = libraries.get(name);
      if (found === undefined) {
        problems.push(`${file}: included library ${name} is not compiled`);
        continue;
      }
      seen.set(name, found);
      visit(found.elm);
    }
  };
  visit(elm);
  return [...seen.values()];
}
