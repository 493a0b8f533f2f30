import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ElmLibrary } from '../engine/cql-evaluator.js';
import { parseValueSet, type ValueSet } from '../engine/value-set.js';
import { ValueSetIndex } from '../engine/value-set-index.js';
import { artefactDefinitionSchema } from './artefact-definition.js';
import type { ArtefactSource, LoadedArtefact } from './knowledge-base.js';
import { assembleArtefact } from './loaded-artefact.js';
import {
  RELEASE_MANIFEST_FILE,
  releaseContentHash,
  releaseManifestSchema,
  releaseRef,
  sha256Hex,
  type ReleaseManifest,
} from './release-manifest.js';

/** A release folder on disk and its manifest (not yet verified: see {@link readVerifiedRelease}). */
export interface StoredRelease {
  ref: string;
  dir: string;
  manifest: ReleaseManifest;
}

/**
 * Reads the manifest of every release folder (`<releasesDir>/<id>@<version>/manifest.json`). Folders whose
 * name starts with a dot are a release being written, and are skipped. A missing releases folder is no
 * release at all.
 */
export async function listReleases(
  releasesDir: string,
): Promise<{ releases: StoredRelease[]; problems: string[] }> {
  let entries;
  try {
    entries = await readdir(releasesDir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { releases: [], problems: [] };
    throw error;
  }
  const releases: StoredRelease[] = [];
  const problems: string[] = [];
  const folders = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  const texts = await Promise.all(
    folders.map((name) =>
      readFile(path.join(releasesDir, name, RELEASE_MANIFEST_FILE), 'utf8').catch((e: Error) => e),
    ),
  );
  for (const [i, name] of folders.entries()) {
    const dir = path.join(releasesDir, name);
    const file = path.join(dir, RELEASE_MANIFEST_FILE);
    const text = texts[i];
    let json: unknown;
    try {
      if (text instanceof Error) throw text;
      json = JSON.parse(text ?? '');
    } catch (error) {
      problems.push(`${file}: cannot be read: ${(error as Error).message}`);
      continue;
    }
    const parsed = releaseManifestSchema.safeParse(json);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push(`${file}: ${issue.path.join('.')}: ${issue.message}`);
      continue;
    }
    const ref = releaseRef(parsed.data.id, parsed.data.version);
    if (ref !== name) {
      problems.push(`${file}: the manifest names ${ref}, but the folder is ${name}`);
      continue;
    }
    releases.push({ ref, dir, manifest: parsed.data });
  }
  return { releases, problems };
}

/**
 * Reads every file of a release and checks it is exactly what the manifest froze: the same files, none
 * missing and none added, each with its digest, and the content hash. A release changed in place is
 * refused (design.md §4: a release can never be changed, only superseded).
 */
export async function readVerifiedRelease(
  release: StoredRelease,
): Promise<{ files: Map<string, Buffer>; problems: string[] }> {
  const problems: string[] = [];
  const files = new Map<string, Buffer>();
  const where = path.join(release.dir, RELEASE_MANIFEST_FILE);
  const listed = new Set(release.manifest.files.map((f) => f.path));
  for (const found of await filesUnder(release.dir)) {
    if (found !== RELEASE_MANIFEST_FILE && !listed.has(found))
      problems.push(`${where}: ${found} is in the release folder but not in its manifest`);
  }
  // Read in parallel: a reload runs beside hook calls on one event loop, so fewer turns means sooner.
  const contents = await Promise.all(
    release.manifest.files.map((entry) =>
      readFile(path.join(release.dir, entry.path)).catch(() => undefined),
    ),
  );
  release.manifest.files.forEach((entry, i) => {
    const content = contents[i];
    if (content === undefined) {
      problems.push(`${where}: ${entry.path} is missing`);
      return;
    }
    if (sha256Hex(content) !== entry.sha256)
      problems.push(`${where}: ${entry.path} has changed since it was released (sha256 differs)`);
    files.set(entry.path, content);
  });
  if (releaseContentHash(release.manifest.files) !== release.manifest.hash)
    problems.push(`${where}: the content hash does not match the files listed`);
  return { files, problems };
}

/**
 * Loads a frozen release: verified files, its artefact.json, the ELM of its library and includes, and
 * its own value sets (a release runs on the codes it was released with, whatever knowledge/valuesets
 * holds now). `valueSetCache` shares parsed value sets between releases of one load, by file digest.
 */
export async function loadRelease(
  release: StoredRelease,
  valueSetCache: Map<string, unknown> = new Map(),
): Promise<{ artefact?: LoadedArtefact; problems: string[] }> {
  const { files, problems } = await readVerifiedRelease(release);
  if (problems.length > 0) return { problems };
  return artefactFromFiles({
    ref: release.ref,
    dir: release.dir,
    files,
    manifest: release.manifest,
    hash: release.manifest.hash,
    source: 'release',
    valueSetCache,
  });
}

/** The files of a release (frozen, or gathered from a working copy) and what names them. */
export interface ReleaseFiles {
  ref: string;
  /** Where the files are, for messages. */
  dir: string;
  files: ReadonlyMap<string, Buffer>;
  manifest: Pick<ReleaseManifest, 'library' | 'includes' | 'valueSets'>;
  hash: string;
  source: ArtefactSource;
  valueSetCache?: Map<string, unknown>;
}

/** Builds an evaluable artefact from release files: it runs on its own ELM and its own value sets. */
export function artefactFromFiles(input: ReleaseFiles): { artefact?: LoadedArtefact; problems: string[] } {
  const { files, manifest } = input;
  const problems: string[] = [];
  const where = path.join(input.dir, 'artefact.json');
  const json = (file: string): unknown => JSON.parse(files.get(file)?.toString('utf8') ?? 'null');
  const cache = input.valueSetCache ?? new Map<string, unknown>();
  try {
    const parsed = artefactDefinitionSchema.safeParse(json('artefact.json'));
    if (!parsed.success) {
      return {
        problems: parsed.error.issues.map((i) => `${where}: ${i.path.join('.')}: ${i.message}`),
      };
    }
    const definition = parsed.data;
    if (releaseRef(definition.id, definition.version) !== input.ref)
      return { problems: [`${where}: names ${definition.id}@${definition.version}, not ${input.ref}`] };
    const valueSets: ValueSet[] = [];
    for (const entry of manifest.valueSets) {
      const content = files.get(entry.file);
      const digest = content === undefined ? entry.file : sha256Hex(content);
      let valueSet = cache.get(digest) as ValueSet | undefined;
      if (valueSet === undefined) {
        valueSet = parseValueSet(json(entry.file), path.join(input.dir, entry.file));
        cache.set(digest, valueSet);
      }
      valueSets.push(valueSet);
    }
    const artefact = assembleArtefact(
      {
        definition,
        elm: json(manifest.library.elm) as ElmLibrary,
        includes: manifest.includes.map((i) => json(i.elm) as ElmLibrary),
        valueSets: new ValueSetIndex(valueSets),
        ownValueSets: true,
        hash: input.hash,
        source: input.source,
        where,
      },
      problems,
    );
    return artefact === undefined ? { problems } : { artefact, problems };
  } catch (error) {
    return { problems: [`${input.dir}: ${(error as Error).message}`] };
  }
}

/** Every file under a folder, as paths relative to it with forward slashes. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}
