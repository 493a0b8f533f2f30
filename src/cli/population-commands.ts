import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { LoopcdsConfig } from '../config/config.js';
import { loadValueSets } from '../engine/value-set.js';
import { evaluationTime } from '../engine/evaluation-time.js';
import { PostgresConnection } from '../outcomes/postgres-connection.js';
import { loadPseudonymKey } from '../outcomes/pseudonym-key.js';
import { Pseudonymiser } from '../outcomes/pseudonymiser.js';
import type { SqlConnection } from '../outcomes/sql-connection.js';
import { SqliteConnection } from '../outcomes/sqlite-connection.js';
import { bulkExportSource, type ExportLevel } from '../population/bulk-export-source.js';
import { distributedEvaluation } from '../population/distributed-evaluation.js';
import { pagedSearchSource } from '../population/paged-search-source.js';
import { PartitionQueue, startQueue } from '../population/partition-queue.js';
import { PartitionWorker } from '../population/partition-worker.js';
import type { PopulationSource } from '../population/population-source.js';
import { searchPopulation, type SearchOptions } from '../population/population-search.js';
import { percent } from '../population/html-text.js';
import { SqlRunStore } from '../population/sql-run-store.js';
import { writeSyntheticPopulation } from '../population/synth/synth-population.js';
import { ProgressLine } from './progress-line.js';

export const POPULATION_USAGE = `  search --source <folder|url> [--artefacts pincer] [--as-of YYYY-MM-DD] [--out DIR]
                      population hazard search: every patient of every practice, rates, action lists
    options: --workers N  --partitions N  --practice-map FILE.csv  --no-store
             remote sources: --export system|patient|group:ID (Bulk Data, default system) or --paged
             [--patients ID,ID | --patient-list FILE]; --token-file FILE | --token-env VAR (bearer token)
             with LOOPCDS_DATABASE_URL (PostgreSQL) partitions become queue jobs: --local-workers N (0: none)
  worker [--threads N]   take partition jobs of distributed searches (needs LOOPCDS_DATABASE_URL)
  synth --patients N --practices P --seed S --out DIR [--as-of YYYY-MM-DD] [--gzip]
                      write a synthetic UK primary-care population (Bulk Data NDJSON) and expected.json`;

/** `loopcds search`, `loopcds worker` and `loopcds synth`. */
export async function runPopulationCommand(
  config: LoopcdsConfig,
  command: string,
  args: string[],
): Promise<number> {
  switch (command) {
    case 'search':
      return search(config, args);
    case 'worker':
      return worker(config, args);
    case 'synth':
      return synth(config, args);
    default:
      process.stderr.write(`Unknown population command: ${command}\n`);
      return 2;
  }
}

function knowledgeOf(config: LoopcdsConfig) {
  return {
    knowledgeDir: config.knowledgeDir,
    elmCacheDir: config.elmCacheDir,
    valueSetDir: config.valueSetDir,
    servicesDir: config.servicesDir,
  };
}

async function search(config: LoopcdsConfig, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      source: { type: 'string' },
      artefacts: { type: 'string', default: 'pincer' },
      'as-of': { type: 'string' },
      out: { type: 'string' },
      workers: { type: 'string' },
      partitions: { type: 'string' },
      'practice-map': { type: 'string' },
      'no-store': { type: 'boolean', default: false },
      export: { type: 'string', default: 'system' },
      paged: { type: 'boolean', default: false },
      patients: { type: 'string' },
      'patient-list': { type: 'string' },
      'token-file': { type: 'string' },
      'token-env': { type: 'string' },
      'local-workers': { type: 'string' },
      scratch: { type: 'string' },
    },
  });
  if (values.source === undefined) {
    process.stderr.write(`--source is required\n${POPULATION_USAGE}\n`);
    return 2;
  }
  const asOf = values['as-of'] ?? evaluationTime(new Date(), config.timeZone).slice(0, 10);
  const source = sourceOf(values.source, values);
  const logger = pino({ level: config.logLevel, base: { service: 'loopcds-search' } }, pino.destination(2));
  const progress = new ProgressLine(process.stderr);
  const db = values['no-store'] ? undefined : openDatabase(config);
  const store = db === undefined ? undefined : await SqlRunStore.open(db);
  const pseudonymiser =
    store === undefined
      ? undefined
      : new Pseudonymiser(
          loadPseudonymKey({
            configured: config.pseudonymKey,
            file: config.pseudonymKeyFile,
            mayCreate: config.databaseUrl === undefined,
            logger,
          }),
        );
  const workers = values.workers === undefined ? undefined : Number(values.workers);
  let boss: Awaited<ReturnType<typeof startQueue>> | undefined;
  let local: PartitionWorker | undefined;
  try {
    const options: SearchOptions = {
      knowledge: knowledgeOf(config),
      source,
      artefacts: values.artefacts,
      asOf,
      timeZone: config.timeZone,
      onProgress: (p) => progress.update(p),
      ...(workers === undefined ? {} : { workers }),
      ...(values.partitions === undefined ? {} : { partitions: Number(values.partitions) }),
      ...(values['practice-map'] === undefined ? {} : { practiceMapping: values['practice-map'] }),
      ...(values.scratch === undefined ? {} : { scratchDir: values.scratch }),
      ...(values.out === undefined ? {} : { outDir: path.resolve(values.out) }),
      ...(store === undefined ? {} : { store }),
      ...(pseudonymiser === undefined ? {} : { pseudonymiser }),
    };
    if (config.databaseUrl !== undefined && db !== undefined) {
      boss = await startQueue(config.databaseUrl);
      const threads = Number(values['local-workers'] ?? workers ?? availableParallelism());
      if (threads > 0)
        local = await PartitionWorker.start({
          databaseUrl: config.databaseUrl,
          knowledge: knowledgeOf(config),
          threads,
        });
      options.evaluatePartitions = distributedEvaluation({ queue: new PartitionQueue(db), boss });
    }
    const result = await searchPopulation(options);
    const r = result.report;
    // Counts only on stdout: patient-identifiable outputs go to --out, never to the terminal or logs.
    process.stdout.write(
      `run ${r.runId}: ${r.patients.toLocaleString('en-GB')} patients, ${r.practices.length} practices, index date ${r.asOf} (now = ${r.now})\n`,
    );
    for (const i of r.indicators)
      process.stdout.write(
        `  ${i.artefactId.padEnd(20)} denominator ${String(i.denominator).padStart(7)}  numerator ${String(i.numerator).padStart(6)}  rate ${percent(i.rate).padStart(6)}  incomplete ${i.incomplete}\n`,
      );
    const excluded = Object.entries(r.excluded)
      .map(([why, n]) => `${n} ${why}`)
      .join('; ');
    if (excluded !== '') process.stdout.write(`  outside the measure population: ${excluded}\n`);
    if (r.errors > 0) process.stdout.write(`  ${r.errors} evaluation errors (errors.csv)\n`);
    const sourceErrors = Object.entries(result.run.scan.sourceErrors);
    if (sourceErrors.length > 0)
      process.stdout.write(
        `  the source reported records it could not export (${sourceErrors.map(([code, n]) => `${n} ${code}`).join(', ')}): rates may miss them\n`,
      );
    const seconds = (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000;
    process.stdout.write(
      `  ${seconds.toFixed(1)} s, ${(r.patients / Math.max(seconds, 0.001)).toFixed(0)} patients/s; ${store === undefined ? 'not stored' : `stored (${store.backend})`}\n`,
    );
    if (values.out !== undefined)
      process.stdout.write(
        `  ${result.files.length} files in ${path.resolve(values.out)} (patient-identifiable: keep them safe)\n`,
      );
    return 0;
  } finally {
    await local?.stop();
    await boss?.stop({ graceful: false, wait: true }).catch(() => undefined);
    await store?.close();
  }
}

function sourceOf(
  source: string,
  values: {
    export: string;
    paged: boolean;
    patients?: string | undefined;
    'patient-list'?: string | undefined;
    'token-file'?: string | undefined;
    'token-env'?: string | undefined;
  },
): PopulationSource {
  if (!/^https?:\/\//.test(source)) return { kind: 'folder', dir: path.resolve(source) };
  const tokenFile = values['token-file'];
  const tokenEnv = values['token-env'];
  const token =
    tokenFile !== undefined
      ? readFileSync(tokenFile, 'utf8').trim()
      : tokenEnv !== undefined
        ? process.env[tokenEnv]
        : undefined;
  const http = { baseUrl: source, ...(token === undefined || token === '' ? {} : { token }) };
  if (values.paged || values.patients !== undefined || values['patient-list'] !== undefined) {
    const list = values['patient-list'];
    const ids =
      values.patients?.split(',') ??
      (list === undefined ? undefined : readFileSync(list, 'utf8').split(/\s+/));
    return pagedSearchSource({
      ...http,
      ...(ids === undefined ? {} : { patientIds: ids.map((s) => s.trim()).filter((s) => s !== '') }),
    });
  }
  const level: ExportLevel =
    values.export === 'patient'
      ? { kind: 'patient' }
      : values.export.startsWith('group:')
        ? { kind: 'group', id: values.export.slice(6) }
        : { kind: 'system' };
  return bulkExportSource({ ...http, level });
}

function openDatabase(config: LoopcdsConfig): SqlConnection {
  return config.databaseUrl !== undefined
    ? new PostgresConnection(config.databaseUrl, { poolSize: config.dbPoolSize })
    : new SqliteConnection(config.sqlitePath);
}

async function worker(config: LoopcdsConfig, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { threads: { type: 'string' }, scratch: { type: 'string' } },
  });
  if (config.databaseUrl === undefined) {
    process.stderr.write(
      'loopcds worker needs LOOPCDS_DATABASE_URL (the PostgreSQL of the distributed search)\n',
    );
    return 2;
  }
  const threads = Number(values.threads ?? availableParallelism());
  let partitions = 0;
  const running = await PartitionWorker.start({
    databaseUrl: config.databaseUrl,
    knowledge: knowledgeOf(config),
    threads,
    ...(values.scratch === undefined ? {} : { scratchDir: values.scratch }),
    onPartition: (job, patients) => {
      partitions++;
      process.stderr.write(
        `partition ${job.partition} of run ${job.runId}: ${patients} patients (${partitions} partitions so far)\n`,
      );
    },
  });
  process.stderr.write(`loopcds worker: ${threads} threads, waiting for partition jobs\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await running.stop();
  return 0;
}

async function synth(config: LoopcdsConfig, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      patients: { type: 'string', default: '1000' },
      practices: { type: 'string', default: '10' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string' },
      'as-of': { type: 'string', default: '2026-10-01' },
      gzip: { type: 'boolean', default: false },
    },
  });
  if (values.out === undefined) {
    process.stderr.write(`--out is required\n${POPULATION_USAGE}\n`);
    return 2;
  }
  const started = Date.now();
  const manifest = writeSyntheticPopulation({
    patients: Number(values.patients),
    practices: Number(values.practices),
    seed: Number(values.seed),
    asOf: values['as-of'],
    outDir: path.resolve(values.out),
    valueSets: await loadValueSets(config.valueSetDir),
    gzip: values.gzip,
    onProgress: (done) => {
      if (done % 10_000 === 0) process.stderr.write(`${done.toLocaleString('en-GB')} patients\n`);
    },
  });
  const resources = Object.values(manifest.resources).reduce((a, b) => a + b, 0);
  process.stdout.write(
    `${manifest.patients.toLocaleString('en-GB')} patients in ${manifest.practices.length} practices, ${resources.toLocaleString('en-GB')} resources ` +
      `(${(resources / Math.max(1, manifest.patients)).toFixed(0)} a patient), index date ${manifest.asOf}, in ${((Date.now() - started) / 1000).toFixed(1)} s: ${path.resolve(values.out)}\n`,
  );
  return 0;
}
