import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { codingSchema, type Coding } from '../cards/card-template.js';
import { CqlEvaluator, type ElmLibrary } from '../engine/cql-evaluator.js';
import { DataRequirementFilter, type DataRequirement } from '../engine/data-requirements.js';
import { loadCompiledKnowledge } from '../engine/knowledge-compiler.js';
import { loadValueSets } from '../engine/value-set.js';
import { ValueSetIndex } from '../engine/value-set-index.js';
import { artefactDefinitionSchema, type ArtefactDefinition } from './artefact-definition.js';
import { serviceDefinitionSchema, type ServiceDefinition } from './service-definition.js';

/** An artefact release ready to evaluate: its definition, identity, and evaluator. */
export interface LoadedArtefact {
  definition: ArtefactDefinition;
  release: { id: string; version: string; hash: string };
  evaluator: CqlEvaluator;
  /** Drops what the artefact cannot read, before evaluation. */
  dataFilter: DataRequirementFilter;
  /** When set, a patient must hold one of these resources for the artefact to be evaluated at all. */
  triggerFilter?: DataRequirementFilter;
  /** Canonical urls of the value sets its library declares. */
  valueSetUrls: string[];
}

/** A CDS service with the releases it runs. */
export interface ServiceBinding {
  definition: ServiceDefinition;
  active: LoadedArtefact[];
  shadow: LoadedArtefact[];
}

/** Everything the service needs from knowledge/, loaded once at start; immutable once built. */
export interface KnowledgeBase {
  services: ReadonlyMap<string, ServiceBinding>;
  artefacts: ReadonlyMap<string, LoadedArtefact>;
  valueSets: ValueSetIndex;
  overrideReasons: readonly Coding[];
}

export interface KnowledgeLocations {
  knowledgeDir: string;
  elmCacheDir: string;
  valueSetDir: string;
  servicesDir: string;
}

/** Raised when knowledge cannot be loaded; lists every problem. */
export class KnowledgeLoadError extends Error {
  constructor(readonly problems: string[]) {
    super(`Knowledge could not be loaded:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'KnowledgeLoadError';
  }
}

/**
 * Loads artefacts, their compiled ELM (never translating: `loopcds knowledge build` does that), value
 * sets and service definitions, and checks they fit together.
 */
export async function loadKnowledgeBase(locations: KnowledgeLocations): Promise<KnowledgeBase> {
  const problems: string[] = [];
  const compiled = await loadCompiledKnowledge(locations.elmCacheDir);
  const libraries = new Map<string, { elm: ElmLibrary; hash: string }>();
  for (const lib of compiled) libraries.set(lib.id, { elm: lib.elm as ElmLibrary, hash: lib.hash });
  const valueSets = new ValueSetIndex(await loadValueSets(locations.valueSetDir));

  const overrideFile = JSON.parse(
    await readFile(path.join(locations.knowledgeDir, 'override-reasons.json'), 'utf8'),
  ) as { reasons: unknown };
  const overrideReasons = codingSchema.array().min(1).parse(overrideFile.reasons);

  const artefacts = new Map<string, LoadedArtefact>();
  for (const dir of await artefactDirs(locations.knowledgeDir)) {
    const file = path.join(dir, 'artefact.json');
    const text = await readFile(file, 'utf8');
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
    const libVersion = lib.elm.library.identifier.version;
    if (libVersion !== definition.version) {
      problems.push(
        `${file}: version ${definition.version} does not match library ${definition.library.name} version '${libVersion}'`,
      );
      continue;
    }
    const valueSetUrls = declaredValueSets(lib.elm);
    for (const url of valueSetUrls)
      if (!valueSets.has(url)) problems.push(`${file}: value set ${url} is not in ${locations.valueSetDir}`);
    const requirements = definition.dataRequirements as DataRequirement[];
    for (const r of [...requirements, ...((definition.triggers ?? []) as DataRequirement[])]) {
      for (const url of r.codeFilter?.valueSets ?? []) {
        if (!valueSetUrls.includes(url))
          problems.push(
            `${file}: dataRequirements names ${url}, which ${definition.library.name} does not declare`,
          );
      }
    }
    const includes = transitiveIncludes(lib.elm, libraries, problems, file);
    const hash = createHash('sha256')
      .update(text)
      .update(lib.hash)
      .update(includes.map((i) => i.hash).join(','))
      .digest('hex');
    const release = { id: definition.id, version: definition.version, hash };
    artefacts.set(`${definition.id}@${definition.version}`, {
      definition,
      release,
      evaluator: new CqlEvaluator(
        lib.elm,
        includes.map((i) => i.elm),
        valueSets,
      ),
      dataFilter: new DataRequirementFilter(requirements, valueSets),
      ...(definition.triggers === undefined
        ? {}
        : { triggerFilter: new DataRequirementFilter(definition.triggers as DataRequirement[], valueSets) }),
      valueSetUrls,
    });
  }

  const services = new Map<string, ServiceBinding>();
  for (const file of await jsonFiles(locations.servicesDir)) {
    const parsed = serviceDefinitionSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push(`${file}: ${issue.path.join('.')}: ${issue.message}`);
      continue;
    }
    const definition = parsed.data;
    const pick = (refs: string[]) =>
      refs.flatMap((ref) => {
        const a = artefacts.get(ref);
        if (a === undefined) problems.push(`${file}: no artefact release ${ref}`);
        return a === undefined ? [] : [a];
      });
    if (services.has(definition.id)) problems.push(`${file}: a second service with id ${definition.id}`);
    services.set(definition.id, {
      definition,
      active: pick(definition.artefacts),
      shadow: pick(definition.shadow),
    });
  }
  if (problems.length > 0) throw new KnowledgeLoadError(problems);
  return { services, artefacts, valueSets, overrideReasons };
}

async function artefactDirs(knowledgeDir: string): Promise<string[]> {
  const entries = await readdir(knowledgeDir, { withFileTypes: true });
  const dirs: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const dir = path.join(knowledgeDir, e.name);
    const files = await readdir(dir);
    if (files.includes('artefact.json')) dirs.push(dir);
  }
  return dirs.sort();
}

async function jsonFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir);
  return entries
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(dir, f));
}

function declaredValueSets(elm: ElmLibrary): string[] {
  const defs = (elm.library['valueSets'] as { def?: Array<{ id: string }> } | undefined)?.def ?? [];
  return defs.map((d) => d.id);
}

function transitiveIncludes(
  elm: ElmLibrary,
  libraries: ReadonlyMap<string, { elm: ElmLibrary; hash: string }>,
  problems: string[],
  file: string,
): Array<{ elm: ElmLibrary; hash: string }> {
  const seen = new Map<string, { elm: ElmLibrary; hash: string }>();
  const visit = (lib: ElmLibrary) => {
    const defs =
      (lib.library['includes'] as { def?: Array<{ path: string; version?: string }> } | undefined)?.def ?? [];
    for (const def of defs) {
      if (seen.has(def.path)) continue;
      const found = libraries.get(def.path);
      if (found === undefined) {
        problems.push(`${file}: included library ${def.path} is not compiled`);
        continue;
      }
      seen.set(def.path, found);
      visit(found.elm);
    }
  };
  visit(elm);
  return [...seen.values()];
}
