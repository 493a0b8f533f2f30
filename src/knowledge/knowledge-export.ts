import { isDeepStrictEqual } from 'node:util';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FhirResource } from '../engine/patient-bundle.js';
import { artefactDefinitionSchema } from './artefact-definition.js';
import { releaseLibraries } from './fhir-library-export.js';
import { releasesDirOf } from './knowledge-base.js';
import { servicePlanDefinition, type PlannedRelease } from './plan-definition-export.js';
import { listReleases, readVerifiedRelease } from './release-store.js';
import { serviceDefinitionSchema } from './service-definition.js';

export interface ExportResult {
  /** Files written, relative to the output folder. */
  written: string[];
  /** What could not be exported; nothing inconsistent is written. */
  problems: string[];
  /** Things worth knowing that are not failures (e.g. a service running an unreleased working copy). */
  notes: string[];
}

/**
 * `loopcds knowledge export --out <dir>`: every release as FHIR `Library` resources (its own and its
 * included libraries), the value sets they use, and every service as a `PlanDefinition`, one JSON file per
 * resource (`Library-PincerA-1.0.0.json`, `ValueSet-pincer-ppi.json`, `PlanDefinition-<service>.json`).
 * A library version exported by two releases with different content (changed without a new version)
 * is a problem, and neither copy is written.
 */
export async function exportKnowledge(
  locations: { knowledgeDir: string; servicesDir: string; publicUrl?: string | undefined },
  outDir: string,
): Promise<ExportResult> {
  const problems: string[] = [];
  const notes: string[] = [];
  const resources = new Map<string, { resource: FhirResource; from: string }>();
  const conflicted = new Set<string>();
  const add = (file: string, resource: FhirResource, from: string, sameIf: (a: FhirResource) => unknown) => {
    const existing = resources.get(file);
    if (existing === undefined) resources.set(file, { resource, from });
    else if (!isDeepStrictEqual(sameIf(existing.resource), sameIf(resource))) {
      problems.push(`${file}: ${existing.from} and ${from} hold different content under the same version`);
      conflicted.add(file);
    }
  };

  const listed = await listReleases(releasesDirOf(locations.knowledgeDir));
  problems.push(...listed.problems);
  const released = new Map<string, PlannedRelease>();
  for (const release of listed.releases) {
    const { files, problems: broken } = await readVerifiedRelease(release);
    if (broken.length > 0) {
      problems.push(...broken);
      continue;
    }
    const libraries = releaseLibraries(release.manifest, files);
    libraries.forEach((lib, i) =>
      add(`Library-${String(lib.id)}.json`, lib, release.ref, (r) => (i === 0 ? r : r['content'])),
    );
    for (const v of release.manifest.valueSets) {
      const valueSet = JSON.parse(files.get(v.file)?.toString('utf8') ?? '{}') as FhirResource;
      add(`ValueSet-${String(valueSet.id)}.json`, valueSet, release.ref, (r) => r);
    }
    const definition = artefactDefinitionSchema.parse(
      JSON.parse(files.get('artefact.json')?.toString('utf8') ?? '{}'),
    );
    released.set(release.ref, { ref: release.ref, definition });
  }

  for (const name of (await readdir(locations.servicesDir)).filter((f) => f.endsWith('.json')).sort()) {
    const file = path.join(locations.servicesDir, name);
    const parsed = serviceDefinitionSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    if (!parsed.success) {
      problems.push(`${file}: not a valid service definition`);
      continue;
    }
    const service = parsed.data;
    const resolve = async (ref: string): Promise<PlannedRelease | undefined> => {
      const found = released.get(ref);
      if (found !== undefined) return found;
      const id = ref.split('@')[0] ?? ref;
      try {
        const json: unknown = JSON.parse(
          await readFile(path.join(locations.knowledgeDir, id, 'artefact.json'), 'utf8'),
        );
        const definition = artefactDefinitionSchema.parse(json);
        if (`${definition.id}@${definition.version}` !== ref) throw new Error('other version');
        notes.push(`${service.id}: ${ref} is a working copy, not released: its Library is not exported`);
        return { ref, definition };
      } catch {
        problems.push(`${file}: ${ref} is neither released nor a working copy`);
        return undefined;
      }
    };
    const pick = async (refs: string[]) =>
      (await Promise.all(refs.map(resolve))).filter((r): r is PlannedRelease => r !== undefined);
    const endpoint = `${(locations.publicUrl ?? '').replace(/\/$/, '')}/cds-services/${service.id}`;
    const plan = servicePlanDefinition(
      service,
      await pick(service.artefacts),
      await pick(service.shadow),
      endpoint,
    );
    add(`PlanDefinition-${service.id}.json`, plan, file, (r) => r);
  }

  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const [file, { resource }] of [...resources].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (conflicted.has(file)) continue;
    await writeFile(path.join(outDir, file), `${JSON.stringify(resource, null, 2)}\n`);
    written.push(file);
  }
  return { written, problems, notes };
}
