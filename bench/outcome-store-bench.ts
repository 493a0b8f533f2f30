/**
 * The outcome store's bench (design.md §5: "outcome recording adds < 1 ms to a hook at p50; no record lost
 * under load"). Three measurements, quoted from one run:
 *
 * 1. The cost on the hook path, in process: `recordHookCall` (pseudonymise, journal append, queue) per call.
 * 2. Hook latency with the store off, on SQLite, and on PostgreSQL: the real service as a child process,
 *    driven by autocannon at a fixed rate; the p50 difference is the store's cost. Then the store is
 *    opened and every answered call is looked for.
 * 3. The sustained write rate of each backend: batches straight into the store, and through the recorder
 *    (journal, queue, batches) end to end.
 *
 *   TZ=UTC npx tsx bench/outcome-store-bench.ts
 *   OUTCOME_BENCH_DURATION  seconds of each round of a hook scenario (default 10)
 *   OUTCOME_BENCH_ROUNDS    rounds, each scenario in turn (default 5)
 *   OUTCOME_BENCH_RATE      requests per second of the hook scenarios (default 20: below saturation)
 *   OUTCOME_BENCH_RECORDS   records per write-rate run (default 20000)
 *   LOOPCDS_TEST_DATABASE_URL  PostgreSQL to make a scratch database in (default: .ci/run's local role)
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { toHookCallEntry } from '../src/outcomes/outcome-entry.js';
import { OutcomeJournal } from '../src/outcomes/outcome-journal.js';
import { Pseudonymiser } from '../src/outcomes/pseudonymiser.js';
import { QueuedOutcomeRecorder } from '../src/outcomes/queued-outcome-recorder.js';
import { benchPatient } from './bench-patient.js';
import { hookRecord, scratch, type Scratch } from './outcome-bench-fixtures.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const DURATION = Number(process.env['OUTCOME_BENCH_DURATION'] ?? 10);
const ROUNDS = Number(process.env['OUTCOME_BENCH_ROUNDS'] ?? 5);
const RATE = Number(process.env['OUTCOME_BENCH_RATE'] ?? 20);
const RECORDS = Number(process.env['OUTCOME_BENCH_RECORDS'] ?? 20_000);
const KEY = 'outcome-bench-pseudonym-key-0123456789';
const logger = pino({ level: 'silent' });

/** User + system CPU time of a process so far, in ms (Linux /proc; clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // After "pid (comm) ": state is field 3, so utime (14) and stime (15) are at 11 and 12.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** 1. What `recordHookCall` costs the hook, per call, with the journal written (and flushed). */
async function hookPathCost(sync: 'write' | 'fsync'): Promise<{ p50: number; p99: number; entry: number }> {
  const s = await scratch('sqlite');
  const store = s.open();
  await store.migrate();
  const recorder = new QueuedOutcomeRecorder({
    store,
    journal: OutcomeJournal.open({ file: s.env['LOOPCDS_OUTCOME_JOURNAL']!, sync, maxBytes: 1024 ** 3 }),
    pseudonymiser: new Pseudonymiser(KEY),
    queueMax: 10_000,
    batchSize: 250,
    flushMs: 25,
    logger,
  });
  const times: number[] = [];
  const calls = sync === 'fsync' ? 2_000 : 10_000;
  for (let n = 0; n < calls; n++) {
    const record = hookRecord(n);
    const started = performance.now();
    recorder.recordHookCall(record);
    times.push((performance.now() - started) * 1000);
    // A hook call's worth of other work between records lets the background loop write, as in service.
    if (n % 20 === 19) await new Promise((r) => setTimeout(r, 1));
  }
  await recorder.close();
  await store.close();
  await s.drop();
  const entryBytes = JSON.stringify(
    toHookCallEntry(hookRecord(0), { pseudonymiser: new Pseudonymiser(KEY) }),
  ).length;
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), entry: entryBytes };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startService(port: number, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/loopcds.ts'), 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      LOOPCDS_HOST: '127.0.0.1',
      LOOPCDS_LOG_LEVEL: 'warn',
      LOOPCDS_AUTH: 'off',
      LOOPCDS_PSEUDONYM_KEY: KEY,
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('the service did not start');
}

interface HookFigures {
  scenario: string;
  /** Median over the rounds of each round's p50, and the worst round's p99. */
  p50: number;
  p99: number;
  answered: number;
  stored: number | undefined;
  /** CPU the service spent per measured call, in ms: robust to a busy machine, unlike latency. */
  cpuMsPerCall: number;
}

interface RunningScenario {
  scenario: string;
  port: number;
  child: ChildProcess;
  scratch: Scratch | undefined;
  p50s: number[];
  cpuMs: number;
  measured: number;
  p99s: number[];
  answered: number;
}

/**
 * 2. Hook latency with the store off or on, at a fixed rate below saturation. The three services run side
 * by side and are driven in turn, round after round, so that a busy machine weighs on all three alike.
 */
async function hookLatency(): Promise<HookFigures[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'loopcds-bench-off-'));
  const scenarios: RunningScenario[] = [];
  for (const backend of ['off', 'sqlite', 'postgres'] as const) {
    const s = backend === 'off' ? undefined : await scratch(backend);
    const env = s?.env ?? {
      LOOPCDS_OUTCOME_RECORDING: 'off',
      LOOPCDS_OUTCOME_JOURNAL: path.join(dir, 'j.ndjson'),
    };
    const port = await freePort();
    scenarios.push({
      scenario: s === undefined ? 'store off' : `store on, ${s.name}`,
      port,
      child: await startService(port, env),
      scratch: s,
      p50s: [],
      p99s: [],
      answered: 0,
      cpuMs: 0,
      measured: 0,
    });
  }
  const { patient, history, draft } = benchPatient(300);
  const body = JSON.stringify({
    hook: 'order-sign',
    hookInstance: randomUUID(),
    context: {
      userId: 'Practitioner/bench',
      patientId: patient.id,
      draftOrders: { resourceType: 'Bundle', entry: [{ resource: draft }] },
    },
    prefetch: {
      patient,
      medications: {
        resourceType: 'Bundle',
        type: 'searchset',
        entry: history.map((resource) => ({ resource })),
      },
      conditions: null,
      egfr: null,
    },
  });
  const run = (port: number, duration: number) =>
    autocannon({
      url: `http://127.0.0.1:${port}/cds-services/pincer-order-sign`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      connections: 4,
      overallRate: RATE,
      duration,
    });
  for (const s of scenarios) s.answered += (await run(s.port, 3))['2xx']; // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of scenarios) {
      const cpuBefore = cpuMsOf(s.child.pid!);
      const result = await run(s.port, DURATION);
      s.cpuMs += cpuMsOf(s.child.pid!) - cpuBefore;
      s.measured += result['2xx'];
      s.p50s.push(result.latency.p50);
      s.p99s.push(result.latency.p99);
      s.answered += result['2xx'];
    }
  }
  const figures: HookFigures[] = [];
  for (const s of scenarios) {
    await new Promise<void>((resolve) => {
      s.child.once('exit', () => resolve());
      s.child.kill('SIGTERM'); // drains the queue
    });
    let stored: number | undefined;
    if (s.scratch !== undefined) {
      const store = s.scratch.open();
      stored = (await store.countRecords()).hookCalls;
      await store.close();
      await s.scratch.drop();
    }
    const sorted = [...s.p50s].sort((a, b) => a - b);
    figures.push({
      scenario: s.scenario,
      p50: percentile(sorted, 50),
      p99: Math.max(...s.p99s),
      cpuMsPerCall: s.cpuMs / s.measured,
      answered: s.answered,
      stored,
    });
  }
  rmSync(dir, { recursive: true, force: true });
  return figures;
}

/** 3. Records per second a backend takes: straight batches, and through the recorder end to end. */
async function writeRate(
  backend: 'sqlite' | 'postgres',
): Promise<{ name: string; direct: number; recorder: number }> {
  const s = await scratch(backend);
  const store = s.open();
  await store.migrate();
  const pseudonymiser = new Pseudonymiser(KEY);
  const entries = Array.from({ length: RECORDS }, (_, n) =>
    toHookCallEntry(hookRecord(n), { pseudonymiser }),
  );
  let started = performance.now();
  for (let i = 0; i < entries.length; i += 250)
    await store.write({ hookCalls: entries.slice(i, i + 250), feedback: [] });
  const direct = RECORDS / ((performance.now() - started) / 1000);

  const recorder = new QueuedOutcomeRecorder({
    store,
    journal: OutcomeJournal.open({
      file: s.env['LOOPCDS_OUTCOME_JOURNAL']!,
      sync: 'write',
      maxBytes: 1024 ** 3,
    }),
    pseudonymiser,
    queueMax: 10_000,
    batchSize: 250,
    flushMs: 25,
    logger,
  });
  const records = Array.from({ length: RECORDS }, (_, n) => hookRecord(n));
  started = performance.now();
  for (let i = 0; i < records.length; i++) {
    recorder.recordHookCall(records[i]!);
    if (i % 500 === 499) await new Promise((r) => setImmediate(r));
  }
  const caughtUp = () => {
    const m = recorder.metrics();
    return m.written + m.spilled === RECORDS && m.queueDepth === 0 && m.journalFilesWaiting === 0;
  };
  while (!caughtUp()) await new Promise((r) => setTimeout(r, 5));
  const throughRecorder = RECORDS / ((performance.now() - started) / 1000);
  const dropped = recorder.metrics().dropped;
  await recorder.close();
  const stored = (await store.countRecords()).hookCalls;
  await store.close();
  await s.drop();
  if (stored !== 2 * RECORDS || dropped > 0) throw new Error(`${s.name}: stored ${stored} of ${2 * RECORDS}`);
  return { name: s.name, direct, recorder: throughRecorder };
}

async function main(): Promise<void> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(
    `\nloopcds outcome store bench: node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
  );

  out('1. recordHookCall on the hook path (pseudonymise, journal, queue), per call');
  out('| journal | p50 µs | p99 µs | entry bytes |\n|---|---|---|---|');
  for (const sync of ['write', 'fsync'] as const) {
    const f = await hookPathCost(sync);
    out(`| ${sync} | ${f.p50.toFixed(1)} | ${f.p99.toFixed(1)} | ${f.entry} |`);
  }

  out(
    `\n2. order-sign hook, full prefetch (301 resources), ${RATE} req/s, 4 connections, ${ROUNDS} rounds of ${DURATION} s`,
  );
  out(
    '| scenario | p50 ms (median of rounds) | worst p99 ms | CPU ms per call | answered | stored | p50 − off | CPU − off |\n|---|---|---|---|---|---|---|---|',
  );
  const hooks = await hookLatency();
  const off = hooks[0]!;
  for (const f of hooks) {
    out(
      `| ${f.scenario} | ${f.p50} | ${f.p99} | ${f.cpuMsPerCall.toFixed(2)} | ${f.answered} | ${f.stored ?? '—'} | ${f === off ? '—' : (f.p50 - off.p50).toFixed(2)} | ${f === off ? '—' : (f.cpuMsPerCall - off.cpuMsPerCall).toFixed(2)} |`,
    );
  }

  out(`\n3. sustained write rate, ${RECORDS} PINCER-shaped calls (9 evaluations, 1 card), batches of 250`);
  out('| backend | store.write records/s | through the recorder records/s |\n|---|---|---|');
  for (const backend of ['sqlite', 'postgres'] as const) {
    const f = await writeRate(backend);
    out(`| ${f.name} | ${Math.round(f.direct)} | ${Math.round(f.recorder)} |`);
  }
  out(
    `\nload average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} (2 cores)`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
