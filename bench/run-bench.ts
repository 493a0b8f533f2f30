/**
 * `npm run bench:hooks` (and the first half of `npm run bench`): drives the running service (a child process, as in production) with autocannon and
 * prints throughput and latency for each scenario of design.md §5. Figures are for comparing runs on the
 * same machine; quote medians and ratios from one run.
 *
 *   BENCH_DURATION     seconds per scenario (default 60)
 *   BENCH_CONNECTIONS  concurrent connections (default 50)
 *   BENCH_RATE         requests per second of the fixed-rate scenarios (default 200, design.md §5)
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { benchPatient } from './bench-patient.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const DURATION = Number(process.env['BENCH_DURATION'] ?? 60);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 50);
const RATE = Number(process.env['BENCH_RATE'] ?? 200);
const EHR_DELAY_MS = 100;
const DEADLINE_MS = 1500;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startService(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/loopcds.ts'), 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      LOOPCDS_HOST: '127.0.0.1',
      LOOPCDS_LOG_LEVEL: 'warn',
      LOOPCDS_FHIR_DEADLINE_MS: String(DEADLINE_MS),
      // Measures the hook path; authentication is one signature check and has its own tests.
      LOOPCDS_AUTH: 'off',
      // The breaker would (rightly) fail fast against a dead EHR; the bench measures the deadline instead.
      LOOPCDS_CIRCUIT_FAILURE_THRESHOLD: '1000',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 300; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('the service did not start');
}

/** A loopback EHR FHIR server answering every read and search after a fixed delay (Infinity: never). */
async function startEhr(resources: Array<{ resourceType: string; id: string }>, delayMs: number) {
  const server = createServer((req, res) => {
    if (delayMs === Infinity) return; // accepts the connection, never answers
    const url = new URL(req.url ?? '/', 'http://x');
    const [type, id] = url.pathname.replace(/^\/fhir\//, '').split('/');
    const matches = resources.filter((r) => r.resourceType === type && (id === undefined || r.id === id));
    const body =
      id !== undefined
        ? matches[0]
        : { resourceType: 'Bundle', type: 'searchset', entry: matches.map((resource) => ({ resource })) };
    setTimeout(() => {
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/fhir+json' });
      res.end(JSON.stringify(body ?? { resourceType: 'OperationOutcome', issue: [] }));
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

interface Figures {
  scenario: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
  total: number;
}

async function load(
  scenario: string,
  url: string,
  body: unknown,
  options: { rate?: number; duration?: number } = {},
): Promise<Figures> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    connections: CONNECTIONS,
    duration: options.duration ?? DURATION,
    timeout: 10, // seconds
    ...(options.rate === undefined ? {} : { overallRate: options.rate }),
  });
  return {
    scenario,
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total: result.requests.total,
  };
}

async function main(): Promise<void> {
  const port = await freePort();
  const service = await startService(port);
  const { patient, history, draft } = benchPatient(300);
  const ehr = await startEhr([patient, ...history], EHR_DELAY_MS);
  const deadEhr = await startEhr([], Infinity);
  const base = {
    hook: 'order-sign',
    hookInstance: '0f3a2d1e-5b6c-4d7e-8f90-a1b2c3d4e5f6',
    context: {
      userId: 'Practitioner/bench',
      patientId: patient.id,
      draftOrders: { resourceType: 'Bundle', entry: [{ resource: draft }] },
    },
  };
  const fullPrefetch = {
    ...base,
    prefetch: {
      patient,
      medications: {
        resourceType: 'Bundle',
        type: 'searchset',
        entry: history.map((resource) => ({ resource })),
      },
      // The PINCER services' other keys (cds-hooks/pincer-*.json); null is "no data" (CDS Hooks 2.0 §Prefetch).
      conditions: null,
      egfr: null,
    },
  };
  const authorization = {
    access_token: 'bench',
    token_type: 'Bearer',
    expires_in: 3600,
    scope: 'patient/*.read',
    subject: 'loopcds',
  };
  const noPrefetch = { ...base, fhirServer: ehr.url, fhirAuthorization: authorization };
  const deadEhrCall = { ...base, fhirServer: deadEhr.url, fhirAuthorization: authorization };
  const endpoint = `http://127.0.0.1:${port}/cds-services/pincer-order-sign`;

  // Check the scenario returns its cards before measuring it: PINCER A (ibuprofen at 78 with no PPI) and
  // PINCER D (ibuprofen with the warfarin the bench patient was issued in the last 3 months).
  const probe = (await (
    await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(fullPrefetch),
    })
  ).json()) as { cards: Array<{ source?: { topic?: { code?: string } } }> };
  const topics = probe.cards.map((c) => c.source?.topic?.code).join(',');
  if (topics !== 'pincer-a,pincer-d')
    throw new Error(`expected the PINCER A and D cards, got ${JSON.stringify(probe)}`);

  const figures: Figures[] = [];
  try {
    await load('warm-up', endpoint, fullPrefetch, { duration: 5 });
    const resources = history.length + 1;
    figures.push(
      await load(
        `order-sign, full prefetch (${resources} resources), as fast as possible`,
        endpoint,
        fullPrefetch,
      ),
    );
    figures.push(
      await load(
        `order-sign, full prefetch (${resources} resources), ${RATE} req/s`,
        endpoint,
        fullPrefetch,
        { rate: RATE },
      ),
    );
    figures.push(
      await load(
        `order-sign, no prefetch, EHR answers in ${EHR_DELAY_MS} ms, ${RATE} req/s`,
        endpoint,
        noPrefetch,
        { rate: RATE },
      ),
    );
    // Against a dead EHR every call waits out its deadline: 50 connections carry about 50 / 1.5 s.
    const deadRate = Math.floor((CONNECTIONS * 1000) / (DEADLINE_MS + 100));
    figures.push(
      await load(
        `order-sign, EHR never answers (deadline ${DEADLINE_MS} ms; 412 expected), ${deadRate} req/s`,
        endpoint,
        deadEhrCall,
        { rate: deadRate },
      ),
    );
  } finally {
    service.kill('SIGTERM');
    await ehr.close();
    await deadEhr.close();
  }
  process.stdout.write(
    `\nloopcds bench: ${CONNECTIONS} connections, ${DURATION} s per scenario, node ${process.version}\n\n`,
  );
  process.stdout.write(
    '| scenario | req/s | p50 ms | p99 ms | max ms | errors | non-2xx | requests |\n|---|---|---|---|---|---|---|---|\n',
  );
  for (const f of figures) {
    process.stdout.write(
      `| ${f.scenario} | ${f.requestsPerSecond} | ${f.p50} | ${f.p99} | ${f.max} | ${f.errors} | ${f.non2xx} | ${f.total} |\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
