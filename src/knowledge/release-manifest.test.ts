import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseReleaseRef, releaseContentHash, releaseManifestSchema } from './release-manifest.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('releaseContentHash', () => {
  it('is the sha256 of the sha256sum listing of the files in byte order of their paths', () => {
    const files = [
      { path: 'tests/b.json', sha256: sha('b') },
      { path: 'artefact.json', sha256: sha('a') },
      { path: 'cql/Z.cql', sha256: sha('z') },
      { path: 'cql/A.cql', sha256: sha('c') },
    ];
    const listing = `${sha('a')}  artefact.json\n${sha('c')}  cql/A.cql\n${sha('z')}  cql/Z.cql\n${sha('b')}  tests/b.json\n`;
    expect(releaseContentHash(files)).toBe(sha(listing));
  });

  it('changes when any one file changes', () => {
    const files = [{ path: 'a', sha256: sha('1') }];
    expect(releaseContentHash(files)).not.toBe(releaseContentHash([{ path: 'a', sha256: sha('2') }]));
  });
});

describe('parseReleaseRef', () => {
  it('splits id@version and refuses anything else', () => {
    expect(parseReleaseRef('pincer-a@1.10.0-rc.1')).toEqual({ id: 'pincer-a', version: '1.10.0-rc.1' });
    expect(parseReleaseRef('pincer-a')).toBeUndefined();
    expect(parseReleaseRef('pincer-a@1.0')).toBeUndefined();
    expect(parseReleaseRef('../x@1.0.0')).toBeUndefined();
  });
});

describe('the release manifest', () => {
  it('refuses a file path that leaves the release folder', () => {
    const manifest = {
      format: 1,
      id: 'x-1',
      version: '1.0.0',
      status: 'draft',
      title: 't',
      hash: sha(''),
      releasedAt: '2026-01-01T00:00:00Z',
      library: { name: 'X', version: '1.0.0', cql: 'cql/X.cql', elm: 'elm/X.json' },
      includes: [],
      valueSets: [],
      translator: { version: '5.3.0', fingerprint: sha('') },
      files: [{ path: '../outside.json', sha256: sha('') }],
    };
    expect(releaseManifestSchema.safeParse(manifest).success).toBe(false);
    manifest.files = [{ path: 'cql/X.cql', sha256: sha('') }];
    expect(releaseManifestSchema.safeParse(manifest).success).toBe(true);
  });
});
