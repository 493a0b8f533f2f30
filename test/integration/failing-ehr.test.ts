import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLoopbackFhirServer, type LoopbackFhirServer } from '../support/loopback-fhir-server.js';
import { draft, drugs, issue, patient } from '../support/pincer-fixtures.js';
import { post, startTestService } from '../support/test-service.js';

const NOW = '2026-06-15T10:00:00.000+01:00';
const DEADLINE_MS = 600;

let ehr: LoopbackFhirServer;
let service: Awaited<ReturnType<typeof startTestService>>;

beforeAll(async () => {
  ehr = await startLoopbackFhirServer([
    patient('p', '1950-01-01'),
    issue('p', drugs.ibuprofen(), '2026-06-01'),
  ]);
  service = await startTestService({
    fhirDeadlineMs: DEADLINE_MS,
    fhirRetries: 2,
    circuitFailureThreshold: 4,
    circuitCooldownMs: 60_000,
  });
});
afterAll(async () => {
  await service.close();
  await ehr.close();
});
afterEach(() => {
  ehr.behave('ok');
});

/** A request whose patient is prefetched and whose medications must come from the EHR. */
function request(prefetchMedications = false) {
  return {
    hook: 'order-sign',
    hookInstance: crypto.randomUUID(),
    fhirServer: ehr.baseUrl,
    fhirAuthorization: {
      access_token: 't',
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'patient/*.read',
      subject: 'loopcds',
    },
    context: {
      userId: 'Practitioner/gp',
      patientId: 'p',
      draftOrders: { resourceType: 'Bundle', entry: [{ resource: draft('p', drugs.amiodarone()) }] },
    },
    // The PINCER services' other history keys are null (no data): only medications come from the EHR.
    prefetch: {
      patient: patient('p', '1950-01-01'),
      conditions: null,
      egfr: null,
      ...(prefetchMedications ? { medications: null } : {}),
    },
    extension: { 'org.loopcds.evaluation-time': NOW },
  };
}

async function call(body: unknown) {
  const started = performance.now();
  const res = await post(`${service.url}/cds-services/pincer-order-sign`, body);
  return { ...res, elapsedMs: performance.now() - started };
}

describe('a slow or failing EHR (the FHIR server behind fhirServer)', () => {
  it('retries a 500 and answers with the card when the retry succeeds', async () => {
    ehr.requests.length = 0;
    ehr.behaveFor(1, 'http-500');
    const res = await call(request());
    expect(res.status).toBe(200);
    expect(res.body.cards).toHaveLength(1);
    expect(ehr.requests).toHaveLength(2);
  });

  it('retries a connection reset', async () => {
    ehr.behaveFor(1, 'reset');
    const res = await call(request());
    expect(res.status).toBe(200);
    expect(res.body.cards).toHaveLength(1);
  });

  it('does not wait for a Retry-After that does not fit in the deadline', async () => {
    ehr.requests.length = 0;
    ehr.behaveFor(5, 'http-429'); // Retry-After: 1 second, longer than the 600 ms deadline
    const res = await call(request());
    expect(res.status).toBe(412);
    expect(ehr.requests).toHaveLength(1);
    expect(res.elapsedMs).toBeLessThan(DEADLINE_MS);
  });

  it('answers 412, within the deadline, when the EHR does not answer', async () => {
    ehr.behave('hang');
    const res = await call(request());
    expect(res.status).toBe(412);
    expect(res.body.issue[0].diagnostics).toContain('deadline');
    expect(res.elapsedMs).toBeGreaterThanOrEqual(DEADLINE_MS - 20);
  });

  it('answers 412 on malformed JSON without retrying it', async () => {
    ehr.requests.length = 0;
    ehr.behave('malformed-json');
    const res = await call(request());
    expect(res.status).toBe(412);
    expect(ehr.requests).toHaveLength(1);
  });

  it('does not call the EHR when nothing is missing', async () => {
    ehr.requests.length = 0;
    const res = await call(request(true));
    expect(res.status).toBe(200);
    expect(ehr.requests).toHaveLength(0);
  });

  it('opens the circuit after repeated failures and then fails fast without calling the EHR', async () => {
    ehr.behave('http-500');
    for (let i = 0; i < 3; i++) await call(request());
    expect(service.breakers.states()).toContainEqual({ origin: new URL(ehr.baseUrl).origin, state: 'open' });
    ehr.requests.length = 0;
    const res = await call(request());
    expect(res.status).toBe(412);
    expect(res.body.issue[0].diagnostics).toContain('circuit is open');
    expect(ehr.requests).toHaveLength(0);
  });
});
