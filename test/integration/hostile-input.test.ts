import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { draft, drugs, orderRequest, patient } from '../support/pincer-fixtures.js';
import { spawnService, type SpawnedService } from '../support/spawned-service.js';

/**
 * Hostile input (issue: "nothing a client sends crashes the process or leaks a stack trace"): at least
 * 10,000 generated malformed, oversized, deeply nested and type-confused requests to every endpoint of
 * a running service process. Every answer must be a 4xx OperationOutcome without a stack trace; the
 * process must stay up, its memory come back to baseline, and valid calls still be answered correctly.
 */
const REQUESTS = 10_000;
const CONCURRENCY = 16;
const BODY_LIMIT = 256 * 1024;
const NOW = '2026-06-15T10:00:00.000+01:00';

let service: SpawnedService;
beforeAll(async () => {
  service = await spawnService({
    LOOPCDS_BODY_LIMIT_BYTES: String(BODY_LIMIT),
    LOOPCDS_ALLOW_EVALUATION_TIME_OVERRIDE: 'true',
  });
}, 60_000);
afterAll(async () => {
  await service.stop();
});

interface Attack {
  method: string;
  path: string;
  contentType?: string;
  body?: string | Buffer;
}

const valid = () =>
  orderRequest('order-sign', patient('p', '1950-01-01'), [], [draft('p', drugs.ibuprofen())], NOW);

/** Sets `value` at a random path of a copy of a valid request (type confusion at any depth) and breaks hookInstance. */
function confuse(target: unknown, pathSeed: number[], value: unknown): unknown {
  const copy = structuredClone(target) as Record<string, unknown>;
  let node: Record<string, unknown> = copy;
  for (const step of pathSeed) {
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[step % keys.length]!;
    const child = node[key];
    if (typeof child !== 'object' || child === null) {
      node[key] = value;
      break;
    }
    node = child as Record<string, unknown>;
  }
  copy['hookInstance'] = 12345; // deep confusion may land on an unvalidated field: keep the request invalid
  return copy;
}

/** Fields the wire schema validates, each with a value of the wrong type or shape. */
const VALIDATED: Array<[string[], unknown[]]> = [
  [['hook'], [42, null, ['order-sign'], { hook: 1 }]],
  [['hookInstance'], ['not-a-uuid', 7, null, {}]],
  [['fhirServer'], ['ftp://x', 'https://user:pw@ehr', 3, []]],
  [['context'], [null, [], 'ctx', 1]],
  [
    ['context', 'patientId'],
    [1, '', null, 'a/b', 'x'.repeat(65)],
  ],
  [
    ['context', 'userId'],
    [1, 'Patient', null, 'Organization/1'],
  ],
  [
    ['context', 'draftOrders'],
    [null, [], 'bundle', { resourceType: 'Patient' }, { resourceType: 'Bundle', entry: 'x' }],
  ],
  [['prefetch'], [[], 'p', 1]],
  [
    ['prefetch', 'patient'],
    [1, 'Patient/p', [], { id: 'p' }],
  ],
  [['fhirAuthorization'], [{ access_token: 't' }, 'Bearer x', 1]],
];

/** A valid request with one validated field replaced by a value of the wrong type. */
function confuseValidated(target: Record<string, unknown>, which: number, pick: number): unknown {
  const copy = structuredClone(target);
  const [fieldPath, values] = VALIDATED[which % VALIDATED.length]!;
  let node = copy;
  for (const key of fieldPath.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[fieldPath.at(-1)!] = values[pick % values.length];
  return copy;
}

const nested = (depth: number, open: string, close: string) => open.repeat(depth) + close.repeat(depth);

const postPaths = [
  '/cds-services/pincer-order-sign',
  '/cds-services/pincer-patient-view',
  '/cds-services/pincer-order-sign/feedback',
  '/cds-services/no-such-service',
  '/cds-services/%00%ff',
  `/cds-services/${'x'.repeat(3000)}`,
];
const wrongValue = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.string(),
  fc.array(fc.anything(), { maxLength: 5 }),
  fc.dictionary(fc.string(), fc.anything(), { maxKeys: 5 }),
  fc.constant('x'.repeat(5000)),
);

const attack: fc.Arbitrary<Attack> = fc.oneof(
  // arbitrary JSON, never a valid request (no hookInstance)
  fc
    .record({ path: fc.constantFrom(...postPaths), json: fc.jsonValue({ maxDepth: 6 }) })
    .map(({ path, json }) => {
      if (typeof json === 'object' && json !== null && !Array.isArray(json))
        delete (json as Record<string, unknown>)['hookInstance'];
      return { method: 'POST', path, contentType: 'application/json', body: JSON.stringify(json) };
    }),
  // a valid request with one field, at any depth, replaced by a value of the wrong type
  fc
    .record({
      path: fc.constantFrom(...postPaths.slice(0, 2)),
      steps: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
      value: wrongValue,
    })
    .map(({ path, steps, value }) => ({
      method: 'POST',
      path,
      contentType: 'application/json',
      body: JSON.stringify(confuse(valid(), steps, value)),
    })),
  fc
    .record({ path: fc.constantFrom(...postPaths.slice(0, 2)), which: fc.nat(), pick: fc.nat() })
    .map(({ path, which, pick }) => ({
      method: 'POST',
      path,
      contentType: 'application/json',
      body: JSON.stringify(confuseValidated(valid(), which, pick)),
    })),
  // truncated and broken JSON, and bytes that are not UTF-8
  fc.record({ path: fc.constantFrom(...postPaths), cut: fc.nat() }).map(({ path, cut }) => {
    const text = JSON.stringify(valid());
    return {
      method: 'POST',
      path,
      contentType: 'application/json',
      body: text.slice(0, 1 + (cut % (text.length - 1))),
    };
  }),
  fc
    .record({ path: fc.constantFrom(...postPaths), bytes: fc.uint8Array({ minLength: 1, maxLength: 512 }) })
    .map(({ path, bytes }) => ({
      method: 'POST',
      path,
      contentType: 'application/json',
      body: Buffer.concat([Buffer.from('{"hook":"'), Buffer.from(bytes), Buffer.from([0xff, 0xfe])]),
    })),
  // deeply nested documents, at the top and inside the context and prefetch
  fc
    .record({
      path: fc.constantFrom(...postPaths),
      depth: fc.integer({ min: 1_000, max: 60_000 }),
      where: fc.nat(2),
    })
    .map(({ path, depth, where }) => {
      const deep = nested(depth, '[', ']');
      const body =
        where === 0
          ? deep
          : where === 1
            ? `{"hook":"order-sign","context":${deep}}`
            : `{"hook":"order-sign","hookInstance":"x","context":{},"prefetch":{"a":${nested(depth, '{"a":', '}').replace(/\}$/, '1}')}}}`;
      return { method: 'POST', path, contentType: 'application/json', body };
    }),
  // oversized bodies and huge arrays
  fc
    .record({ path: fc.constantFrom(...postPaths), extra: fc.integer({ min: 1, max: 4096 }) })
    .map(({ path, extra }) => ({
      method: 'POST',
      path,
      contentType: 'application/json',
      body: JSON.stringify({
        ...valid(),
        hookInstance: 'not-a-uuid',
        padding: 'y'.repeat(BODY_LIMIT + extra),
      }),
    })),
  fc
    .record({ path: fc.constantFrom(...postPaths.slice(0, 3)), n: fc.integer({ min: 1_001, max: 20_000 }) })
    .map(({ path, n }) => ({
      method: 'POST',
      path,
      contentType: 'application/json',
      body: JSON.stringify({
        ...valid(),
        context: {
          ...(valid()['context'] as object),
          selections: Array.from({ length: n }, (_, i) => `MedicationRequest/${i}`),
        },
        hook: 'order-select',
      }),
    })),
  // wrong media types and wrong methods on every endpoint
  fc
    .record({
      path: fc.constantFrom(...postPaths),
      type: fc.constantFrom(
        'text/plain',
        'application/xml',
        'multipart/form-data; boundary=x',
        'application/x-www-form-urlencoded',
      ),
    })
    .map(({ path, type }) => ({
      method: 'POST',
      path,
      contentType: type,
      body: 'hook=order-sign&context=%7B%7D',
    })),
  fc
    .record({
      path: fc.constantFrom(
        '/cds-services',
        ...postPaths,
        '/healthz/../cds-services',
        '/nowhere',
        '/cds-services/pincer-order-sign/feedback/x',
      ),
      method: fc.constantFrom('PUT', 'PATCH', 'DELETE'),
    })
    .map(({ path, method }) => ({
      method,
      path,
      contentType: 'application/json',
      body: '{}',
    })),
);

interface Answer {
  status: number;
  body: string;
}

async function send(a: Attack): Promise<Answer> {
  const res = await fetch(`${service.url}${a.path}`, {
    method: a.method,
    headers: a.contentType === undefined ? {} : { 'content-type': a.contentType },
    ...(a.body === undefined ? {} : { body: a.body }),
  });
  return { status: res.status, body: await res.text() };
}

async function residentMemory(): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  return Number(/^loopcds_process_resident_memory_bytes (\d+)/m.exec(text)?.[1] ?? NaN);
}

describe('hostile input', () => {
  it(`answers ${REQUESTS} generated hostile requests with 4xx OperationOutcomes and survives`, async () => {
    // Warm up with valid calls, then take the memory baseline.
    for (let i = 0; i < 50; i++)
      await send({
        method: 'POST',
        path: '/cds-services/pincer-order-sign',
        contentType: 'application/json',
        body: JSON.stringify(valid()),
      });
    const baseline = await residentMemory();
    expect(baseline).toBeGreaterThan(0);

    const attacks = fc.sample(attack, { numRuns: REQUESTS, seed: 20261123 });
    const bad: Array<{ attack: string; status: number; body: string }> = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < attacks.length) {
          const a = attacks[next++]!;
          const answer = await send(a);
          let outcome: { resourceType?: unknown } | undefined;
          try {
            outcome = JSON.parse(answer.body) as { resourceType?: unknown };
          } catch {
            outcome = undefined;
          }
          const leaks = /\bat .+:\d+:\d+|node_modules|Error: /.test(answer.body);
          if (
            answer.status < 400 ||
            answer.status >= 500 ||
            outcome?.resourceType !== 'OperationOutcome' ||
            leaks
          ) {
            bad.push({
              attack: `${a.method} ${a.path.slice(0, 60)} ${String(a.body).slice(0, 120)}`,
              status: answer.status,
              body: answer.body.slice(0, 300),
            });
          }
        }
      }),
    );
    expect(bad.slice(0, 5)).toEqual([]);
    expect(service.child.exitCode).toBeNull();

    // Memory comes back to baseline once the garbage is collected (give the process a moment).
    let after = await residentMemory();
    for (let i = 0; i < 20 && after > baseline * 1.5 + 64 * 1024 * 1024; i++) {
      await new Promise((r) => setTimeout(r, 500));
      after = await residentMemory();
    }
    expect(after).toBeLessThan(baseline * 1.5 + 64 * 1024 * 1024);

    // Valid requests are still answered correctly.
    const res = await fetch(`${service.url}/cds-services/pincer-order-sign`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(valid()),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { cards: Array<{ summary: string }> };
    expect(body.cards.map((c) => c.summary)).toEqual([
      'Ibuprofen 400mg tablets with no gastroprotection in a 76-year-old',
    ]);
  }, 240_000);
});
