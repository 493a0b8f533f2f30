import type { ElmLibrary } from '../engine/cql-evaluator.js';
import { CqlEvaluator } from '../engine/cql-evaluator.js';
import { DataRequirementFilter, type DataRequirement } from '../engine/data-requirements.js';
import type { ValueSetIndex } from '../engine/value-set-index.js';
import type { ArtefactDefinition } from './artefact-definition.js';
import type { ArtefactSource, LoadedArtefact } from './knowledge-base.js';

/** What an evaluable artefact is made of, wherever it was read from (a release folder or a working copy). */
export interface ArtefactParts {
  definition: ArtefactDefinition;
  elm: ElmLibrary;
  /** Every library the artefact's library includes, transitively. */
  includes: readonly ElmLibrary[];
  /** The value sets the CQL and the card suggestions are resolved against. */
  valueSets: ValueSetIndex;
  /** True for a release: its frozen value sets travel with it (they may differ from knowledge/valuesets). */
  ownValueSets: boolean;
  hash: string;
  source: ArtefactSource;
  /** Names the artefact in problems (its artefact.json). */
  where: string;
}

/** The value sets an ELM library declares (`valueset "X": 'url'`), by canonical url. */
export function declaredValueSets(elm: ElmLibrary): string[] {
  const defs = (elm.library['valueSets'] as { def?: Array<{ id: string }> } | undefined)?.def ?? [];
  return defs.map((d) => d.id);
}

/** The libraries an ELM library includes directly: name and version as written. */
export function includedLibraries(elm: ElmLibrary): Array<{ name: string; version: string | undefined }> {
  const defs =
    (elm.library['includes'] as { def?: Array<{ path: string; version?: string }> } | undefined)?.def ?? [];
  return defs.map((d) => ({ name: d.path, version: d.version }));
}

/** The names of every `define` (expressions and functions) of an ELM library. */
export function statementNames(elm: ElmLibrary): Set<string> {
  const defs = (elm.library['statements'] as { def?: Array<{ name: string }> } | undefined)?.def ?? [];
  return new Set(defs.map((d) => d.name));
}

/**
 * Checks that the parts fit together (library version = artefact version, every declared value set
 * present, data requirements naming only declared value sets) and builds the evaluator and data filters.
 * Problems are appended to `problems`; returns undefined when the artefact cannot run.
 */
export function assembleArtefact(parts: ArtefactParts, problems: string[]): LoadedArtefact | undefined {
  const { definition, elm, where } = parts;
  const before = problems.length;
  const libVersion = elm.library.identifier.version;
  if (libVersion !== definition.version) {
    problems.push(
      `${where}: version ${definition.version} does not match library ${definition.library.name} version '${libVersion ?? ''}'`,
    );
    return undefined;
  }
  const valueSetUrls = declaredValueSets(elm);
  // A release freezes the value sets of every library it includes, so all of them must be there; a
  // working copy is checked for its own library's (shared libraries are checked by `knowledge validate`).
  const required = parts.ownValueSets
    ? [...new Set([...valueSetUrls, ...parts.includes.flatMap(declaredValueSets)])]
    : valueSetUrls;
  for (const url of required)
    if (!parts.valueSets.has(url)) problems.push(`${where}: value set ${url} is not available`);
  const requirements = definition.dataRequirements as DataRequirement[];
  const triggers = definition.triggers as DataRequirement[] | undefined;
  for (const r of [...requirements, ...(triggers ?? [])]) {
    for (const url of r.codeFilter?.valueSets ?? []) {
      if (!valueSetUrls.includes(url))
        problems.push(
          `${where}: dataRequirements names ${url}, which ${definition.library.name} does not declare`,
        );
    }
  }
  if (problems.length > before) return undefined;
  return {
    definition,
    release: { id: definition.id, version: definition.version, hash: parts.hash },
    source: parts.source,
    evaluator: new CqlEvaluator(elm, parts.includes, parts.valueSets),
    dataFilter: new DataRequirementFilter(requirements, parts.valueSets),
    ...(triggers === undefined
      ? {}
      : { triggerFilter: new DataRequirementFilter(triggers, parts.valueSets) }),
    valueSetUrls,
    ...(parts.ownValueSets ? { valueSets: parts.valueSets } : {}),
  };
}
