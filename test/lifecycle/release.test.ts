import { createHash } from 'node:crypto';
import { chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runArtefactTests, releaseCases } from '../../src/knowledge/artefact-test-suite.js';
import {
  KnowledgeLoadError,
  loadKnowledgeBase,
  loadOverrideReasons,
} from '../../src/knowledge/knowledge-base.js';
import { ReleaseError } from '../../src/knowledge/release-contents.js';
import { listReleases, loadRelease } from '../../src/knowledge/release-store.js';
import { ValueSetIndex } from '../../src/engine/value-set-index.js';
import { ROOT } from '../support/test-service.js';
import {
  compile,
  makeTempKnowledge,
  releasePincerA,
  writeService,
  type TempKnowledge,
} from './temp-knowledge.js';

/** The content hash computed as the documentation says a reviewer can, without loopcds. */
async function sha256sumListingHash(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter((f) => f !== 'manifest.json')
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  let listing = '';
  for (const f of files)
    listing += `${createHash('sha256')
      .update(await readFile(path.join(dir, f)))
      .digest('hex')}  ${f}\n`;
  return createHash('sha256').update(listing).digest('hex');
}

describe('loopcds knowledge release', () => {
  let t: TempKnowledge;
  let dir: string;

  beforeAll(async () => {
    t = await makeTempKnowledge('release');
    await compile(t);
    dir = path.join(t.knowledgeDir, 'releases', 'pincer-a@1.0.0');
  });

  it('freezes the CQL of the library and its includes, the ELM, the value sets, the cards and the tests', async () => {
    const result = await releasePincerA(t);
    expect(result).toMatchObject({ outcome: 'created', ref: 'pincer-a@1.0.0', dir });
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
    const paths = manifest.files.map((f: { path: string }) => f.path);
    const tests = (await readdir(path.join(t.knowledgeDir, 'pincer-a', 'tests'))).map((f) => `tests/${f}`);
    expect(paths).toEqual(
      [
        'artefact.json',
        'cql/FHIRHelpers-4.0.1.cql',
        'cql/PincerA-1.0.0.cql',
        'cql/PincerCommon-1.0.0.cql',
        'elm/FHIRHelpers-4.0.1.json',
        'elm/PincerA-1.0.0.json',
        'elm/PincerCommon-1.0.0.json',
        ...tests,
        'valuesets/pincer-nsaid-curated.json',
        'valuesets/pincer-ppi.json',
      ].sort(),
    );
    expect(manifest.valueSets.map((v: { source: string }) => v.source)).toEqual([
      expect.stringMatching(/^https:\/\/codelists\.opensafely\.org\/codelist\/pincer\/nsaid\//),
      expect.stringMatching(/^https:\/\/codelists\.opensafely\.org\/codelist\/pincer\/ppi\//),
    ]);
    expect(await readFile(path.join(dir, 'cql', 'PincerA-1.0.0.cql'), 'utf8')).toBe(
      await readFile(path.join(t.knowledgeDir, 'pincer-a', 'PincerA.cql'), 'utf8'),
    );
    expect(manifest.hash).toBe(await sha256sumListingHash(dir));
    expect(result.hash).toBe(manifest.hash);
    expect((await stat(path.join(dir, 'artefact.json'))).mode & 0o222).toBe(0); // read-only
  });

  it('is a no-op when released again with the same content', async () => {
    const before = await readFile(path.join(dir, 'manifest.json'), 'utf8');
    const again = await releasePincerA(t);
    expect(again.outcome).toBe('unchanged');
    expect(await readFile(path.join(dir, 'manifest.json'), 'utf8')).toBe(before);
  });

  it('refuses different content under the same version and asks for a new version', async () => {
    const file = path.join(t.knowledgeDir, 'pincer-a', 'artefact.json');
    const original = await readFile(file, 'utf8');
    await writeFile(file, original.replace('"title": "PINCER A:', '"title": "PINCER A (edited):'));
    try {
      const error = await releasePincerA(t).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ReleaseError);
      expect((error as ReleaseError).message).toMatch(
        /pincer-a@1\.0\.0 is already released with different content/,
      );
      expect((error as ReleaseError).message).toMatch(/Changed since the release: artefact\.json/);
      expect((error as ReleaseError).message).toMatch(/Bump the version/);
    } finally {
      await writeFile(file, original);
    }
  });

  it('runs its frozen test cases on its own ELM and value sets, and they pass', async () => {
    const [release] = (await listReleases(path.join(t.knowledgeDir, 'releases'))).releases;
    const loaded = await loadRelease(release!);
    expect(loaded.problems).toEqual([]);
    expect(loaded.artefact?.source).toBe('release');
    const rows = await runArtefactTests(
      [{ artefact: loaded.artefact!, cases: await releaseCases(release!) }],
      {
        valueSets: new ValueSetIndex([]),
        overrideReasons: await loadOverrideReasons(t.knowledgeDir),
      },
    );
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.filter((r) => !r.pass)).toEqual([]);
  });

  it('is served by id@version from the release folder, and a working copy only when no release exists', async () => {
    await writeService(t, { active: ['pincer-a@1.0.0'] });
    const locations = { ...t, requireReleases: true };
    const knowledge = await loadKnowledgeBase(locations);
    const [active] = knowledge.services.get('pincer-order-sign')!.active;
    expect(active?.source).toBe('release');
    expect(active?.release.hash).toBe(
      JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')).hash,
    );

    const bare = await makeTempKnowledge('working-copy');
    await compile(bare);
    await writeService(bare, { active: ['pincer-a@1.0.0'] });
    const dev = await loadKnowledgeBase(bare);
    expect(dev.services.get('pincer-order-sign')!.active[0]?.source).toBe('working-copy');
    const strict = await loadKnowledgeBase({ ...bare, requireReleases: true }).catch((e: unknown) => e);
    expect(strict).toBeInstanceOf(KnowledgeLoadError);
    expect((strict as KnowledgeLoadError).problems.join('\n')).toMatch(
      /pincer-a@1\.0\.0 is only a working copy/,
    );
  });

  it('refuses to load a release changed in place', async () => {
    const copy = await makeTempKnowledge('tampered');
    await compile(copy);
    await releasePincerA(copy);
    const cql = path.join(copy.knowledgeDir, 'releases', 'pincer-a@1.0.0', 'cql', 'PincerA-1.0.0.cql');
    await chmod(cql, 0o644);
    await writeFile(cql, `${await readFile(cql, 'utf8')}\n// edited\n`);
    await writeService(copy, { active: ['pincer-a@1.0.0'] });
    const error = await loadKnowledgeBase(copy).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KnowledgeLoadError);
    expect((error as KnowledgeLoadError).problems.join('\n')).toMatch(
      /cql\/PincerA-1\.0\.0\.cql has changed since it was released/,
    );
    const rerelease = await releasePincerA(copy).catch((e: unknown) => e);
    expect((rerelease as ReleaseError).message).toMatch(/has been changed in place/);
  });

  it('does not release a retired artefact, nor run one as an active release', async () => {
    const retired = await makeTempKnowledge('retired');
    await compile(retired);
    await releasePincerA(retired);
    const file = path.join(retired.knowledgeDir, 'pincer-a', 'artefact.json');
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace('"status": "active"', '"status": "retired"'),
    );
    const error = await releasePincerA(retired).catch((e: unknown) => e);
    expect((error as ReleaseError).message).toMatch(/retired/);
    await writeService(retired, { active: ['pincer-a@1.0.0'] });
    const load = await loadKnowledgeBase(retired).catch((e: unknown) => e);
    expect((load as KnowledgeLoadError).problems.join('\n')).toMatch(
      /pincer-a@1\.0\.0 is retired and cannot run as an active release/,
    );
  });
});

describe('the committed release of PINCER A 1.0.0', () => {
  it('is intact and passes its own frozen test cases', async () => {
    const listed = await listReleases(path.join(ROOT, 'knowledge', 'releases'));
    const release = listed.releases.find((r) => r.ref === 'pincer-a@1.0.0');
    expect(release).toBeDefined();
    expect(release!.manifest.hash).toBe(await sha256sumListingHash(release!.dir));
    const loaded = await loadRelease(release!);
    expect(loaded.problems).toEqual([]);
    const rows = await runArtefactTests(
      [{ artefact: loaded.artefact!, cases: await releaseCases(release!) }],
      {
        valueSets: new ValueSetIndex([]),
        overrideReasons: await loadOverrideReasons(path.join(ROOT, 'knowledge')),
      },
    );
    expect(rows.filter((r) => !r.pass)).toEqual([]);
  });
});
