import path from 'node:path';
import type { Coding } from '../cards/card-template.js';
import type { ValueSetIndex } from '../engine/value-set-index.js';
import { artefactTestCaseSchema, loadTestCases, type LoadedTestCase } from './artefact-test-case.js';
import { runTestCase, type TestCaseFailure } from './artefact-test-runner.js';
import type { LoadedArtefact } from './knowledge-base.js';
import { readVerifiedRelease, type StoredRelease } from './release-store.js';
import type { ArtefactTestStatus } from './test-status-file.js';

/** One test case of one artefact release, run. */
export interface TestCaseRow {
  /** `id@version`. */
  artefact: string;
  source: 'release' | 'working-copy';
  case: string;
  file: string;
  pass: boolean;
  failures: TestCaseFailure[];
}

/** An artefact release with the cases it is tested against. */
export interface ArtefactUnderTest {
  artefact: LoadedArtefact;
  cases: LoadedTestCase[];
}

/** The working copy's cases (knowledge/<id>/tests/*.json). */
export function workingCopyCases(knowledgeDir: string, id: string): Promise<LoadedTestCase[]> {
  return loadTestCases(path.join(knowledgeDir, id));
}

/** The cases frozen in a release folder (tests/*.json), read from its verified files. */
export async function releaseCases(release: StoredRelease): Promise<LoadedTestCase[]> {
  const { files, problems } = await readVerifiedRelease(release);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  const cases: LoadedTestCase[] = [];
  for (const [file, content] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!file.startsWith('tests/') || !file.endsWith('.json')) continue;
    const parsed = artefactTestCaseSchema.safeParse(JSON.parse(content.toString('utf8')));
    if (!parsed.success) throw new Error(`${release.dir}/${file}: not a valid test case`);
    cases.push({ file: path.join(release.dir, file), testCase: parsed.data });
  }
  return cases;
}

/**
 * Runs every case of every artefact through the hook path (artefact-test-runner.ts), one after the
 * other, and returns one row per case in order.
 */
export async function runArtefactTests(
  subjects: readonly ArtefactUnderTest[],
  shared: { valueSets: ValueSetIndex; overrideReasons: readonly Coding[] },
): Promise<TestCaseRow[]> {
  const rows: TestCaseRow[] = [];
  for (const { artefact, cases } of subjects) {
    const ref = `${artefact.release.id}@${artefact.release.version}`;
    for (const { file, testCase } of cases) {
      const outcome = await runTestCase(artefact, shared, testCase);
      rows.push({
        artefact: ref,
        source: artefact.source,
        case: testCase.name,
        file,
        pass: outcome.pass,
        failures: outcome.failures,
      });
    }
  }
  return rows;
}

/** The per-release summary of a run, as `knowledge list` and the API show it. */
export function summariseTestRows(
  subjects: readonly ArtefactUnderTest[],
  rows: readonly TestCaseRow[],
  ranAt: string,
): ArtefactTestStatus[] {
  return subjects.map(({ artefact }) => {
    const ref = `${artefact.release.id}@${artefact.release.version}`;
    const mine = rows.filter((r) => r.artefact === ref && r.source === artefact.source);
    const failing = mine.filter((r) => !r.pass);
    return {
      ref,
      source: artefact.source,
      hash: artefact.release.hash,
      ranAt,
      total: mine.length,
      passed: mine.length - failing.length,
      failed: failing.length,
      failing: failing.slice(0, 10).map((r) => r.case),
    };
  });
}
