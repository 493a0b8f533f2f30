import { formatDiagnostic, hasErrors } from '../engine/cql-diagnostic.js';
import { compileKnowledge } from '../engine/knowledge-compiler.js';
import {
  releaseCases,
  runArtefactTests,
  summariseTestRows,
  workingCopyCases,
  type ArtefactUnderTest,
} from '../knowledge/artefact-test-suite.js';
import { loadWorkingCopies, releasesDirOf } from '../knowledge/knowledge-base.js';
import { parseReleaseRef } from '../knowledge/release-manifest.js';
import { listReleases, loadRelease } from '../knowledge/release-store.js';
import { testStatusFile, writeTestStatus } from '../knowledge/test-status-file.js';
import type { KnowledgeCommandContext } from './knowledge-commands.js';
import { formatTable, showValue } from './text-table.js';

/**
 * `loopcds knowledge test [artefact | artefact@version]`: runs the test cases of every working copy
 * (knowledge/<id>/tests, on the last good build) and of every frozen release (its own frozen cases, on
 * its own ELM and value sets: a new engine must not change what a release does), prints one row per case
 * (artefact, case, pass/FAIL, the differing expression with the value expected and the value found),
 * records the results for `knowledge list` and the API, and returns 1 if any case failed.
 */
export async function knowledgeTestCommand(ctx: KnowledgeCommandContext, target?: string): Promise<number> {
  const { locations, io } = ctx;
  const ref = target === undefined ? undefined : parseReleaseRef(target);
  const id = ref?.id ?? target;
  const report = await compileKnowledge({
    knowledgeDirs: [locations.knowledgeDir, ...locations.extraLibraryDirs],
    cacheDir: locations.elmCacheDir,
    ...(locations.baseDir === undefined ? {} : { baseDir: locations.baseDir }),
  });
  if (hasErrors(report.diagnostics)) {
    for (const d of report.diagnostics.filter((x) => x.severity === 'error'))
      io.stderr.write(`${formatDiagnostic(d)}\n`);
    io.stderr.write('The CQL has errors: working copies are tested on the last build without errors.\n');
  }
  const working = await loadWorkingCopies(locations, (dir) => id === undefined || dir === id);
  const listed = await listReleases(releasesDirOf(locations.knowledgeDir));
  const problems = [...working.problems, ...listed.problems];

  const subjects: ArtefactUnderTest[] = [];
  for (const [key, artefact] of working.artefacts) {
    if (ref !== undefined && key !== target) continue;
    // A working copy at a released version is tested too: it is what the next release would be.
    subjects.push({
      artefact,
      cases: await workingCopyCases(locations.knowledgeDir, artefact.definition.id),
    });
  }
  for (const release of listed.releases) {
    if (id !== undefined && release.manifest.id !== id) continue;
    if (ref !== undefined && release.ref !== target) continue;
    const loaded = await loadRelease(release);
    problems.push(...loaded.problems);
    if (loaded.artefact !== undefined)
      subjects.push({ artefact: loaded.artefact, cases: await releaseCases(release) });
  }
  // An artefact that cannot load is reported and fails the run; the others are still tested.
  for (const p of problems) io.stderr.write(`${p}\n`);
  if (subjects.length === 0) {
    io.stderr.write(`No artefact ${target ?? ''} to test.\n`);
    return 2;
  }

  const rows = await runArtefactTests(subjects, working);
  const table = rows.flatMap((r) => {
    const name = `${r.artefact}${r.source === 'release' ? ' (release)' : ''}`;
    if (r.pass) return [[name, r.case, 'pass', '', '', '']];
    return r.failures.map((f, i) =>
      i === 0
        ? [name, r.case, 'FAIL', f.what, showValue(f.expected), showValue(f.actual)]
        : ['', '', '', f.what, showValue(f.expected), showValue(f.actual)],
    );
  });
  io.stdout.write(formatTable(['artefact', 'case', 'result', 'differs', 'expected', 'actual'], table, 48));
  const failed = rows.filter((r) => !r.pass).length;
  io.stdout.write(
    `\n${rows.length} cases in ${subjects.length} artefact releases: ${rows.length - failed} passed, ${failed} failed\n`,
  );
  await writeTestStatus(
    testStatusFile(locations.elmCacheDir),
    summariseTestRows(subjects, rows, ctx.clock().toISOString()),
  );
  return failed > 0 || problems.length > 0 ? 1 : 0;
}
