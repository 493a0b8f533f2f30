/**
 * The population bench (issue 6; design.md §5), run with
 *
 *   TZ=UTC npx tsx bench/population-bench.ts
 *
 * All PINCER indicators on a generated UK population of POP_BENCH_PATIENTS patients (default 100,000),
 * read from a Bulk Data NDJSON folder, evaluated with the default worker threads (one per core). It
 * reports: patients per second; the ratio to a plain cql-execution batch run of the same ELM on the same
 * data (on a sample of POP_BENCH_SAMPLE patients, default 200, extrapolated per patient: the plain run
 * is too slow for the whole population); the ratio of the run's total time to merely reading and
 * parsing the same NDJSON (one thread, every line JSON.parse'd); and peak RSS of the whole process
 * (worker threads included) at POP_BENCH_SMALL patients and at ten times that (memory must stay flat).
 * Populations are generated once into POP_BENCH_DATA (default /tmp/loopcds-population-bench).
 */
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { loadValueSets } from '../src/engine/value-set.js';
import { evaluableReleases } from '../src/population/artefact-library.js';
import { loadPopulationKnowledge, selectReleases } from '../src/population/population-knowledge.js';
import { noonOn, runPopulationSearch, type PopulationRunResult } from '../src/population/population-run.js';
import { writeSyntheticPopulation, type SynthManifest } from '../src/population/synth/synth-population.js';
import { plainCodeService, plainCqlBaseline, samplePatients } from './plain-cql-baseline.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIG = Number(process.env['POP_BENCH_PATIENTS'] ?? 100_000);
const SMALL = Number(process.env['POP_BENCH_SMALL'] ?? Math.round(BIG / 10));
const SAMPLE = Number(process.env['POP_BENCH_SAMPLE'] ?? 200);
const PRACTICES = Number(process.env['POP_BENCH_PRACTICES'] ?? 100);
const DATA = process.env['POP_BENCH_DATA'] ?? '/tmp/loopcds-population-bench';
const SEED = 20261001;
const AS_OF = '2026-10-01';
const KNOWLEDGE = {
  knowledgeDir: path.join(ROOT, 'knowledge'),
  elmCacheDir: path.join(ROOT, 'knowledge', '.build', 'elm'),
  valueSetDir: path.join(ROOT, 'knowledge', 'valuesets'),
  servicesDir: path.join(ROOT, 'cds-hooks'),
};

async function population(patients: number): Promise<{ dir: string; manifest: SynthManifest }> {
  const dir = path.join(DATA, `v1-${patients}-${PRACTICES}-${SEED}`);
  const file = path.join(dir, 'expected.json');
  if (!existsSync(file)) {
    const started = Date.now();
    writeSyntheticPopulation({
      patients,
      practices: PRACTICES,
      seed: SEED,
      asOf: AS_OF,
      outDir: dir,
      valueSets: await loadValueSets(KNOWLEDGE.valueSetDir),
      onProgress: (n) => {
        if (n % 20_000 === 0) process.stderr.write(`  generated ${n} patients\n`);
      },
    });
    process.stderr.write(
      `generated ${patients} patients in ${((Date.now() - started) / 1000).toFixed(0)} s: ${dir}\n`,
    );
  }
  return { dir, manifest: JSON.parse(readFileSync(file, 'utf8')) as SynthManifest };
}

/** Reads every NDJSON line of the folder and parses it, on one thread: the floor of any reader. */
async function readAndParse(dir: string): Promise<{ ms: number; lines: number; bytes: number }> {
  const started = performance.now();
  let lines = 0;
  let bytes = 0;
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.ndjson'))) {
    bytes += statSync(path.join(dir, f)).size;
    for await (const line of createInterface({
      input: createReadStream(path.join(dir, f), { highWaterMark: 1 << 20 }),
      crlfDelay: Infinity,
    })) {
      if (line === '') continue;
      JSON.parse(line);
      lines++;
    }
  }
  return { ms: performance.now() - started, lines, bytes };
}

async function measuredRun(dir: string): Promise<{ run: PopulationRunResult; ms: number; peakRss: number }> {
  let peakRss = process.memoryUsage.rss();
  const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
  const started = performance.now();
  try {
    const run = await runPopulationSearch({
      knowledge: KNOWLEDGE,
      source: { kind: 'folder', dir },
      artefacts: 'pincer',
      asOf: AS_OF,
      timeZone: 'Europe/London',
    });
    return { run, ms: performance.now() - started, peakRss };
  } finally {
    clearInterval(timer);
  }
}

/** Indicators and practices whose counts differ from what the generator built in. */
function mismatches(run: PopulationRunResult, manifest: SynthManifest): number {
  let bad = 0;
  for (const r of run.releases) {
    const expected = manifest.expected[r.id];
    if (expected === undefined) continue;
    for (const [practice, want] of Object.entries(expected)) {
      const got = run.result.counts.find((c) => c.release === r.key && c.practiceId === practice);
      if ((got?.denominator ?? 0) !== want.denominator || (got?.numerator ?? 0) !== want.numerator) bad++;
    }
  }
  return bad;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

async function main(): Promise<void> {
  process.stderr.write(
    `population bench: ${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}, node ${process.version}\n`,
  );
  const small = await population(SMALL);
  const big = await population(BIG);
  const parse = await readAndParse(big.dir);
  process.stderr.write(`read+parse: ${(parse.ms / 1000).toFixed(1)} s\n`);
  const runSmall = await measuredRun(small.dir);
  process.stderr.write(`run at ${SMALL}: ${(runSmall.ms / 1000).toFixed(1)} s\n`);
  const runBig = await measuredRun(big.dir);
  process.stderr.write(`run at ${BIG}: ${(runBig.ms / 1000).toFixed(1)} s\n`);

  const { knowledge } = await loadPopulationKnowledge(KNOWLEDGE);
  const artefacts = selectReleases(knowledge, 'pincer').map((r) => evaluableReleases(knowledge).get(r.key)!);
  const bundles = await samplePatients(big.dir, SAMPLE);
  const baseline = await plainCqlBaseline(
    bundles,
    artefacts,
    plainCodeService(await loadValueSets(KNOWLEDGE.valueSetDir)),
    noonOn(AS_OF, 'Europe/London'),
  );

  const patients = runBig.run.result.patients;
  const perSecond = patients / (runBig.ms / 1000);
  const baselinePerSecondPerCore = 1000 / baseline.msPerPatient;
  const cores = availableParallelism();
  const resources = Object.values(big.manifest.resources).reduce((a, b) => a + b, 0);
  const rows: Array<[string, string]> = [
    [
      'population',
      `${patients} patients, ${PRACTICES} practices, ${(resources / patients).toFixed(0)} resources a patient, ${mb(parse.bytes)} of NDJSON`,
    ],
    ['indicators', `${runBig.run.releases.length} (${runBig.run.releases.map((r) => r.id).join(', ')})`],
    [
      'exact counts (vs generator)',
      `${mismatches(runBig.run, big.manifest) === 0 ? 'all match' : `${mismatches(runBig.run, big.manifest)} practice-indicator mismatches`}`,
    ],
    [
      'total time',
      `${(runBig.ms / 1000).toFixed(1)} s (reading ${(runBig.run.timings.readMs / 1000).toFixed(1)} s, evaluating ${(runBig.run.timings.evaluateMs / 1000).toFixed(1)} s)`,
    ],
    ['patients per second', `${perSecond.toFixed(0)} (target ≥ 1,000)`],
    [
      'plain cql-execution',
      `${baseline.msPerPatient.toFixed(1)} ms a patient on one core (sample of ${baseline.patients}, ${(baseline.resources / baseline.patients).toFixed(0)} resources each) = ${baselinePerSecondPerCore.toFixed(1)} patients/s/core`,
    ],
    [
      'ratio to plain cql-execution',
      `${(perSecond / baselinePerSecondPerCore).toFixed(0)}× one core; ${(perSecond / (baselinePerSecondPerCore * cores)).toFixed(0)}× all ${cores} cores (target ≥ 10×)`,
    ],
    [
      'read + parse only',
      `${(parse.ms / 1000).toFixed(1)} s (${parse.lines} lines, one thread); total / read+parse = ${(runBig.ms / parse.ms).toFixed(2)} (target ≤ 3)`,
    ],
    [
      'peak RSS',
      `${mb(runSmall.peakRss)} at ${SMALL} patients; ${mb(runBig.peakRss)} at ${BIG} (×${(runBig.peakRss / runSmall.peakRss).toFixed(2)} for ×${(BIG / SMALL).toFixed(0)} patients)`,
    ],
    [
      'evaluation paths',
      Object.entries(runBig.run.result.paths)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
    [
      'records kept for grouping',
      `${runBig.run.scan.kept} of ${runBig.run.scan.lines} lines read (${((100 * runBig.run.scan.kept) / Math.max(1, runBig.run.scan.lines)).toFixed(0)}%)`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(
    `\nPopulation search bench (design.md §5)\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n`,
  );
}

await main();
