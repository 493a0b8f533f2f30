import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { releasesDirOf } from './knowledge-base.js';
import {
  collectReleaseContents,
  ReleaseError,
  type ReleaseContents,
  type WorkingLocations,
} from './release-contents.js';
import {
  RELEASE_MANIFEST_FILE,
  releaseContentHash,
  releaseManifestSchema,
  releaseRef,
  sha256Hex,
  type ReleaseManifest,
} from './release-manifest.js';
import { readVerifiedRelease } from './release-store.js';

export interface ReleaseBuildResult {
  /** `created`: a new release folder; `unchanged`: the same release was already there (a no-op). */
  outcome: 'created' | 'unchanged';
  ref: string;
  hash: string;
  dir: string;
  files: number;
  /** Why an `unchanged` release differs from what would be frozen now, if it does (only ever the ELM). */
  note?: string;
}

/**
 * `loopcds knowledge release <artefact>`: freezes the working copy knowledge/<id>/ into the immutable
 * release folder knowledge/releases/<id>@<version>/ (see release-manifest.ts for its layout and hash).
 *
 * A release folder is never rewritten. Releasing again with the same content is a no-op; with different
 * content under the same version it is an error that asks for a new version. The one exception is the
 * ELM alone differing (a newer translator): the release keeps the ELM it was released with, and says so.
 * The folder is written under a dot-name and renamed into place, so a reader (or the service's file
 * watch) never sees half a release.
 */
export async function buildRelease(
  locations: WorkingLocations,
  artefactId: string,
  clock: () => Date = () => new Date(),
): Promise<ReleaseBuildResult> {
  const contents = await collectReleaseContents(locations, artefactId);
  if (contents.definition.status === 'retired')
    throw new ReleaseError([
      `${artefactId} is retired (artefact.json status): a retired artefact is not released`,
    ]);
  if (!contents.definition.changelog.some((c) => c.version === contents.definition.version))
    throw new ReleaseError([
      `${artefactId}: the changelog has no entry for version ${contents.definition.version}: say what changed`,
    ]);
  const files = [...contents.files].map(([p, content]) => ({ path: p, sha256: sha256Hex(content) }));
  const hash = releaseContentHash(files);
  const ref = releaseRef(contents.definition.id, contents.definition.version);
  const releasesDir = releasesDirOf(locations.knowledgeDir);
  const dir = path.join(releasesDir, ref);

  const existing = await existingRelease(dir, ref);
  if (existing !== undefined) return compareWithExisting(existing, files, hash, dir, ref);

  const manifest: ReleaseManifest = releaseManifestSchema.parse({
    ...contents.manifest,
    hash,
    releasedAt: clock().toISOString(),
    files: files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  });
  await mkdir(releasesDir, { recursive: true });
  const partial = path.join(releasesDir, `.${ref}.partial-${randomBytes(4).toString('hex')}`);
  try {
    await writeContents(partial, contents, manifest);
    await rename(partial, dir);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    // Another release of the same version won the race: compare with it as above.
    const raced = await existingRelease(dir, ref);
    if (raced !== undefined) return compareWithExisting(raced, files, hash, dir, ref);
    throw error;
  }
  return { outcome: 'created', ref, hash, dir, files: files.length };
}

async function writeContents(
  dir: string,
  contents: ReleaseContents,
  manifest: ReleaseManifest,
): Promise<void> {
  for (const [file, content] of contents.files) {
    const target = path.join(dir, ...file.split('/'));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content, { mode: 0o444 });
  }
  await writeFile(path.join(dir, RELEASE_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, {
    mode: 0o444,
  });
}

async function existingRelease(dir: string, ref: string): Promise<ReleaseManifest | undefined> {
  try {
    await stat(dir);
  } catch {
    return undefined;
  }
  const parsed = releaseManifestSchema.safeParse(
    JSON.parse(await readFile(path.join(dir, RELEASE_MANIFEST_FILE), 'utf8')),
  );
  if (!parsed.success) throw new ReleaseError([`${dir}: the existing release has no valid manifest`]);
  const verified = await readVerifiedRelease({ ref, dir, manifest: parsed.data });
  if (verified.problems.length > 0)
    throw new ReleaseError([`${ref} exists but has been changed in place:`, ...verified.problems]);
  return parsed.data;
}

function compareWithExisting(
  existing: ReleaseManifest,
  files: ReadonlyArray<{ path: string; sha256: string }>,
  hash: string,
  dir: string,
  ref: string,
): ReleaseBuildResult {
  const result = {
    outcome: 'unchanged' as const,
    ref,
    hash: existing.hash,
    dir,
    files: existing.files.length,
  };
  if (existing.hash === hash) return result;
  const before = new Map(existing.files.map((f) => [f.path, f.sha256]));
  const after = new Map(files.map((f) => [f.path, f.sha256]));
  const changed = [...new Set([...before.keys(), ...after.keys()])]
    .filter((p) => before.get(p) !== after.get(p))
    .sort();
  if (changed.every((p) => p.startsWith('elm/'))) {
    return {
      ...result,
      note: `the CQL is unchanged but the translator now makes different ELM (${changed.join(', ')}); the release keeps the ELM it was released with`,
    };
  }
  throw new ReleaseError([
    `${ref} is already released with different content (hash ${existing.hash.slice(0, 12)}); a release is never changed in place.`,
    `Changed since the release: ${changed.join(', ')}`,
    `Bump the version (artefact.json "version", the CQL \`library … version\`, and a changelog entry), then release again.`,
  ]);
}
