import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';

/**
 * The manifest of a frozen artefact release (`knowledge/releases/<id>@<version>/manifest.json`): what the
 * release holds and the content hash that names it (design.md §4 "A release is immutable").
 *
 * The content hash is the sha256 of the `sha256sum` listing of every file of the release except the
 * manifest, in byte order of their paths: one line `<sha256 hex>  <path>\n` per file. It can be checked
 * without loopcds:
 *
 *     cd knowledge/releases/pincer-a@1.0.0 && find . -type f ! -name manifest.json | sed 's|^\./||' \
 *       | LC_ALL=C sort | xargs sha256sum | sha256sum
 */

/** The manifest file of a release folder. */
export const RELEASE_MANIFEST_FILE = 'manifest.json';

/** An artefact release as service definitions name it: `id@version` (semantic version). */
export const RELEASE_REF = /^([a-z0-9][a-z0-9-]{1,62})@(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 in lowercase hex');
/** A path inside the release folder: relative, forward slashes, no `..`. */
const releasePath = z
  .string()
  .regex(/^(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9._@-]+(?:\/[A-Za-z0-9._@-]+)*$/, 'a path inside the release');

const libraryEntry = z
  .object({ name: z.string().min(1), version: z.string().min(1), cql: releasePath, elm: releasePath })
  .strict();

export const releaseManifestSchema = z
  .object({
    format: z.literal(1),
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/),
    version: z.string().min(1),
    status: z.enum(['draft', 'active', 'retired']),
    title: z.string().min(1),
    /** The content hash (see the module comment). */
    hash: sha256,
    releasedAt: z.iso.datetime({ offset: true }),
    /** The artefact's own library, and every library it includes, transitively. */
    library: libraryEntry,
    includes: z.array(libraryEntry),
    /** The value sets the libraries declare, with the codelist each was built from. */
    valueSets: z.array(
      z
        .object({
          url: z.string().min(1),
          version: z.string().min(1).optional(),
          file: releasePath,
          source: z.string().min(1).optional(),
        })
        .strict(),
    ),
    /** The translator that made the ELM (its output is frozen here; it is never translated again). */
    translator: z.object({ version: z.string().min(1), fingerprint: sha256 }).strict(),
    files: z.array(z.object({ path: releasePath, sha256 }).strict()).min(1),
  })
  .strict();

export type ReleaseManifest = z.infer<typeof releaseManifestSchema>;
export type ReleaseFile = ReleaseManifest['files'][number];

/** `id@version`. */
export function releaseRef(id: string, version: string): string {
  return `${id}@${version}`;
}

/** Splits `id@version`, or returns undefined when `ref` is not one. */
export function parseReleaseRef(ref: string): { id: string; version: string } | undefined {
  const match = RELEASE_REF.exec(ref);
  return match?.[1] === undefined || match[2] === undefined ? undefined : { id: match[1], version: match[2] };
}

/** The folder of a release under the releases folder. */
export function releaseDir(releasesDir: string, ref: string): string {
  return path.join(releasesDir, ref);
}

export function sha256Hex(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/** The content hash of a release from its files' digests (see the module comment). */
export function releaseContentHash(files: readonly ReleaseFile[]): string {
  const sorted = [...files].sort((a, b) => compareBytes(a.path, b.path));
  return sha256Hex(sorted.map((f) => `${f.sha256}  ${f.path}\n`).join(''));
}

/** Byte order of ASCII paths, as `LC_ALL=C sort` orders them. */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
