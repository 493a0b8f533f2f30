import { cp, mkdir, mkdtemp, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { compileKnowledge } from '../../src/engine/knowledge-compiler.js';
import { buildRelease } from '../../src/knowledge/release-builder.js';
import { ROOT } from '../support/test-service.js';

/** A knowledge folder of its own for a test: PINCER A, its libraries and value sets, and one service. */
export interface TempKnowledge {
  root: string;
  knowledgeDir: string;
  elmCacheDir: string;
  valueSetDir: string;
  servicesDir: string;
  extraLibraryDirs: string[];
  baseDir: string;
}

/** The prefetch of the PINCER services (cds-hooks/pincer-order-sign.json), so fixtures' requests fit. */
async function pincerPrefetch(): Promise<Record<string, string>> {
  const service = JSON.parse(
    await readFile(path.join(ROOT, 'cds-hooks', 'pincer-order-sign.json'), 'utf8'),
  ) as {
    prefetch: Record<string, string>;
  };
  return service.prefetch;
}

/**
 * Copies PINCER A (at 1.0.0, as in the repository) with FHIRHelpers, PincerCommon, the two value sets it
 * uses and the override reasons into a temporary folder. The repository's compiled ELM is copied into the
 * temporary cache (it is content-addressed), so only what a test changes is translated.
 */
export async function makeTempKnowledge(name: string): Promise<TempKnowledge> {
  const root = await mkdtemp(path.join(tmpdir(), `loopcds-${name}-`));
  const knowledgeDir = path.join(root, 'knowledge');
  const t: TempKnowledge = {
    root,
    knowledgeDir,
    elmCacheDir: path.join(root, 'elm'),
    valueSetDir: path.join(root, 'valuesets'),
    servicesDir: path.join(root, 'cds-hooks'),
    extraLibraryDirs: [],
    baseDir: root,
  };
  await mkdir(path.join(knowledgeDir, 'libraries'), { recursive: true });
  for (const lib of ['FHIRHelpers.cql', 'PincerCommon.cql'])
    await cp(path.join(ROOT, 'knowledge', 'libraries', lib), path.join(knowledgeDir, 'libraries', lib));
  await cp(path.join(ROOT, 'knowledge', 'pincer-a'), path.join(knowledgeDir, 'pincer-a'), {
    recursive: true,
  });
  await cp(
    path.join(ROOT, 'knowledge', 'override-reasons.json'),
    path.join(knowledgeDir, 'override-reasons.json'),
  );
  await mkdir(t.valueSetDir);
  for (const vs of ['pincer-nsaid-curated.json', 'pincer-ppi.json'])
    await cp(path.join(ROOT, 'knowledge', 'valuesets', vs), path.join(t.valueSetDir, vs));
  await mkdir(t.servicesDir);
  await mkdir(t.elmCacheDir);
  const repoCache = path.join(ROOT, 'knowledge', '.build', 'elm');
  for (const file of await readdir(repoCache))
    if (/^[0-9a-f]{64}\.json$/.test(file))
      await cp(path.join(repoCache, file), path.join(t.elmCacheDir, file));
  return t;
}

/** Compiles the temporary knowledge (writes its ELM index), failing the test on any CQL error. */
export async function compile(t: TempKnowledge): Promise<void> {
  const report = await compileKnowledge({
    knowledgeDirs: [t.knowledgeDir],
    cacheDir: t.elmCacheDir,
    baseDir: t.baseDir,
  });
  expect(report.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
}

/** `loopcds knowledge release pincer-a` on the temporary knowledge. */
export function releasePincerA(t: TempKnowledge) {
  return buildRelease(t, 'pincer-a', () => new Date('2026-11-23T12:00:00Z'));
}

/**
 * Makes a new version of the working copy of PINCER A: the version in artefact.json and in the CQL, a
 * changelog entry, and optionally a different summary for the card shown when the NSAID is being ordered.
 */
export async function bumpPincerA(t: TempKnowledge, version: string, summary?: string): Promise<void> {
  const dir = path.join(t.knowledgeDir, 'pincer-a');
  const artefact = JSON.parse(await readFile(path.join(dir, 'artefact.json'), 'utf8')) as {
    version: string;
    changelog: unknown[];
    cards: Array<{ summary: Array<{ when?: string; value: string }> }>;
  };
  artefact.version = version;
  artefact.changelog.unshift({ version, date: '2026-11-24', changes: [`Test change to ${version}.`] });
  if (summary !== undefined) {
    const first = artefact.cards[0]?.summary[0];
    if (first !== undefined) first.value = summary;
  }
  await writeFile(path.join(dir, 'artefact.json'), JSON.stringify(artefact, null, 2));
  const cql = await readFile(path.join(dir, 'PincerA.cql'), 'utf8');
  await writeFile(
    path.join(dir, 'PincerA.cql'),
    cql.replace(/library PincerA version '[^']+'/, `library PincerA version '${version}'`),
  );
}

/** Writes a service definition file atomically (temporary file and rename), as an editor or a deploy would. */
export async function writeService(
  t: TempKnowledge,
  binding: { id?: string; active: string[]; shadow?: string[] },
): Promise<void> {
  const id = binding.id ?? 'pincer-order-sign';
  const file = path.join(t.servicesDir, `${id}.json`);
  const temporary = path.join(t.servicesDir, `.${id}.json.tmp`);
  await writeFile(
    temporary,
    JSON.stringify({
      id,
      hook: 'order-sign',
      title: 'PINCER A at signing',
      description: 'PINCER A, for the knowledge lifecycle tests',
      prefetch: await pincerPrefetch(),
      artefacts: binding.active,
      shadow: binding.shadow ?? [],
    }),
  );
  await rename(temporary, file);
}
