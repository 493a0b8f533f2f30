import path from 'node:path';
import { artefactTestCaseSchema, type LoadedTestCase } from './artefact-test-case.js';
import type { ArtefactSource, LoadedArtefact } from './knowledge-base.js';
import { releasesDirOf } from './knowledge-base.js';
import { collectReleaseContents, ReleaseError, type WorkingLocations } from './release-contents.js';
import { parseReleaseRef, releaseContentHash, sha256Hex, type ReleaseManifest } from './release-manifest.js';
import { artefactFromFiles, listReleases, readVerifiedRelease } from './release-store.js';

/** One artefact release opened for testing or comparison: its files, its evaluator and its test cases. */
export interface ReleaseSubject {
  ref: string;
  source: ArtefactSource;
  /** The release folder, or the working folder. */
  dir: string;
  /** Its files in the release layout (see release-manifest.ts). */
  files: ReadonlyMap<string, Buffer>;
  manifest: Pick<ReleaseManifest, 'library' | 'includes' | 'valueSets'>;
  /** The content hash (for a working copy: the hash it would be released with). */
  hash: string;
  artefact: LoadedArtefact;
  /** The cases it carries (tests/*.json). */
  cases: LoadedTestCase[];
}

/**
 * Opens `id@version`: the frozen release when knowledge/releases holds it, else the working copy
 * knowledge/<id>/ if it is at that version (gathered exactly as `knowledge release` would freeze it, so
 * that it runs on the same footing as a release: its own ELM and value sets).
 */
export async function openReleaseSubject(ref: string, locations: WorkingLocations): Promise<ReleaseSubject> {
  const parsed = parseReleaseRef(ref);
  if (parsed === undefined) throw new ReleaseError([`${ref}: expected id@version, e.g. pincer-a@1.0.0`]);
  const listed = await listReleases(releasesDirOf(locations.knowledgeDir));
  const release = listed.releases.find((r) => r.ref === ref);
  if (release !== undefined) {
    const { files, problems } = await readVerifiedRelease(release);
    if (problems.length > 0) throw new ReleaseError(problems);
    return subject(ref, 'release', release.dir, files, release.manifest, release.manifest.hash);
  }
  let contents;
  try {
    contents = await collectReleaseContents(locations, parsed.id);
  } catch (error) {
    if (error instanceof ReleaseError)
      throw new ReleaseError([
        `${ref} is not released, and its working copy cannot be read:`,
        ...error.problems,
      ]);
    throw error;
  }
  if (contents.definition.version !== parsed.version)
    throw new ReleaseError([
      `${ref} is not released, and the working copy knowledge/${parsed.id} is at version ${contents.definition.version}`,
    ]);
  const hash = releaseContentHash([...contents.files].map(([p, c]) => ({ path: p, sha256: sha256Hex(c) })));
  return subject(
    ref,
    'working-copy',
    path.join(locations.knowledgeDir, parsed.id),
    contents.files,
    contents.manifest,
    hash,
  );
}

function subject(
  ref: string,
  source: ArtefactSource,
  dir: string,
  files: ReadonlyMap<string, Buffer>,
  manifest: ReleaseSubject['manifest'],
  hash: string,
): ReleaseSubject {
  const built = artefactFromFiles({ ref, dir, files, manifest, hash, source });
  if (built.artefact === undefined) throw new ReleaseError(built.problems);
  const cases: LoadedTestCase[] = [];
  for (const [file, content] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!file.startsWith('tests/') || !file.endsWith('.json')) continue;
    const test = artefactTestCaseSchema.safeParse(JSON.parse(content.toString('utf8')));
    if (!test.success) throw new ReleaseError([`${path.join(dir, file)}: not a valid test case`]);
    cases.push({ file: path.join(dir, file), testCase: test.data });
  }
  return { ref, source, dir, files, manifest, hash, artefact: built.artefact, cases };
}
