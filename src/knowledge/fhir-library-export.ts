import type { ElmLibrary } from '../engine/cql-evaluator.js';
import type { FhirResource } from '../engine/patient-bundle.js';
import { artefactDefinitionSchema, type ArtefactDefinition } from './artefact-definition.js';
import { declaredValueSets, includedLibraries } from './loaded-artefact.js';
import type { ReleaseManifest } from './release-manifest.js';

/** Canonical base of the FHIR Libraries loopcds exports: `<base>/<CQL library name>`, as CQL includes name them. */
export const LIBRARY_CANONICAL_BASE = 'https://loopcds.org/fhir/Library';
/** The system of the codes that name loopcds artefacts (as in `card.source.topic`). */
export const ARTEFACT_SYSTEM = 'https://loopcds.org/fhir/CodeSystem/artefact';
/** Extension carrying a release's content hash (release-manifest.ts). */
export const RELEASE_HASH_EXTENSION = 'https://loopcds.org/fhir/StructureDefinition/release-content-hash';

const LIBRARY_TYPE = {
  coding: [{ system: 'http://terminology.hl7.org/CodeSystem/library-type', code: 'logic-library' }],
};

function valueSetDependency(v: ReleaseManifest['valueSets'][number]) {
  return {
    type: 'depends-on',
    display: `Value set ${v.url.split('/').at(-1) ?? v.url}${v.source === undefined ? '' : ` (from ${v.source})`}`,
    resource: v.version === undefined ? v.url : `${v.url}|${v.version}`,
  };
}

/** The canonical of a CQL library, `url|version`. */
export function libraryCanonical(name: string, version: string): string {
  return `${LIBRARY_CANONICAL_BASE}/${name}|${version}`;
}

/** A FHIR id for a library version: letters, digits, `-` and `.`, at most 64. */
export function libraryId(name: string, version: string): string {
  return `${name}-${version}`.replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 64);
}

/**
 * A frozen release as FHIR R4 `Library` resources (https://hl7.org/fhir/R4/library.html), one for the
 * artefact's own library and one per included library, so that other CQF tools can resolve the includes:
 * - `content`: the CQL (`text/cql`) and the ELM (`application/elm+json`), base64;
 * - `relatedArtifact`: the artefact's clinical sources (`citation`), its card source (`documentation`),
 *   and `depends-on` every included library and every value set (canonical `url|version`), as the
 *   CQF executable-library profiles ask;
 * - `dataRequirement`: artefact.json `dataRequirements`, one per type and value set (FHIR's code filters
 *   of one requirement all apply together, ours are alternatives);
 * - the content hash in an extension, and the artefact id and release in `identifier`.
 */
export function releaseLibraries(
  manifest: ReleaseManifest,
  files: ReadonlyMap<string, Buffer>,
): FhirResource[] {
  const read = (file: string): Buffer => {
    const content = files.get(file);
    if (content === undefined) throw new Error(`${manifest.id}@${manifest.version}: ${file} is missing`);
    return content;
  };
  const definition: ArtefactDefinition = artefactDefinitionSchema.parse(
    JSON.parse(read('artefact.json').toString('utf8')),
  );
  const byName = new Map([manifest.library, ...manifest.includes].map((l) => [l.name, l]));
  const dependsOnLibraries = (elmFile: string) =>
    includedLibraries(JSON.parse(read(elmFile).toString('utf8')) as ElmLibrary).map(({ name, version }) => ({
      type: 'depends-on',
      display: `Library ${name}`,
      resource: libraryCanonical(name, version ?? byName.get(name)?.version ?? ''),
    }));
  const dependsOnValueSets = (elmFile: string) => {
    const declared = new Set(declaredValueSets(JSON.parse(read(elmFile).toString('utf8')) as ElmLibrary));
    return manifest.valueSets.filter((v) => declared.has(v.url)).map(valueSetDependency);
  };
  const content = (entry: { cql: string; elm: string; name: string }) => [
    { contentType: 'text/cql', title: `${entry.name}.cql`, data: read(entry.cql).toString('base64') },
    {
      contentType: 'application/elm+json',
      title: `${entry.name}.json`,
      data: read(entry.elm).toString('base64'),
    },
  ];

  const main: FhirResource = {
    resourceType: 'Library',
    id: libraryId(manifest.library.name, manifest.version),
    extension: [{ url: RELEASE_HASH_EXTENSION, valueString: manifest.hash }],
    url: `${LIBRARY_CANONICAL_BASE}/${manifest.library.name}`,
    identifier: [
      { system: ARTEFACT_SYSTEM, value: definition.id },
      { system: `${ARTEFACT_SYSTEM}-release`, value: `${manifest.id}@${manifest.version}` },
    ],
    version: manifest.version,
    name: manifest.library.name,
    title: definition.title,
    status: definition.status,
    experimental: definition.status === 'draft',
    type: LIBRARY_TYPE,
    date: manifest.releasedAt,
    publisher: definition.owner,
    description: definition.description,
    author: definition.authors.map((name) => ({ name })),
    relatedArtifact: [
      ...definition.sources.map((s) => ({
        type: 'citation',
        display: s.label,
        url: s.url,
        ...(s.citation === undefined ? {} : { citation: s.citation }),
      })),
      { type: 'documentation', display: definition.cardSource.label, url: definition.cardSource.url },
      // Everything that must be present to run it (CQFM executable library): every library, transitively.
      ...manifest.includes.map((l) => ({
        type: 'depends-on',
        display: `Library ${l.name}`,
        resource: libraryCanonical(l.name, l.version),
      })),
      ...manifest.valueSets.map(valueSetDependency),
    ],
    dataRequirement: definition.dataRequirements.flatMap((r) =>
      r.codeFilter === undefined
        ? [{ type: r.type }]
        : r.codeFilter.valueSets.map((valueSet) => ({
            type: r.type,
            codeFilter: [{ path: r.codeFilter?.path, valueSet }],
          })),
    ),
    content: content(manifest.library),
  };
  const includes = manifest.includes.map((lib): FhirResource => ({
    resourceType: 'Library',
    id: libraryId(lib.name, lib.version),
    url: `${LIBRARY_CANONICAL_BASE}/${lib.name}`,
    version: lib.version,
    name: lib.name,
    title: `CQL library ${lib.name}`,
    status: 'active',
    type: LIBRARY_TYPE,
    relatedArtifact: [...dependsOnLibraries(lib.elm), ...dependsOnValueSets(lib.elm)],
    content: content(lib),
  }));
  return [main, ...includes];
}
