import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  validateCdsHooksResponse,
  validateDiscoveryResponse,
} from '../support/cds-hooks-response-validator.js';
import { startLoopbackFhirServer, type LoopbackFhirServer } from '../support/loopback-fhir-server.js';
import { draft, drugs, issue, patient } from '../support/pincer-fixtures.js';
import { post, ROOT, startTestService } from '../support/test-service.js';

const NOW = '2026-06-15T10:00:00.000+01:00';
const TOKEN = 'ehr-access-token-not-for-logs';

let service: Awaited<ReturnType<typeof startTestService>>;
let ehr: LoopbackFhirServer;

beforeAll(async () => {
  service = await startTestService({ fhirDeadlineMs: 400, circuitFailureThreshold: 1000 });
  const pt = patient('p-ehr', '1950-01-01');
  ehr = await startLoopbackFhirServer([
    pt,
    issue('p-ehr', drugs.ibuprofen(), '2026-06-01'),
    { resourceType: 'Medication', id: 'med-naproxen', code: { coding: [drugs.naproxen()] } },
  ]);
});
afterAll(async () => {
  await service.close();
  await ehr.close();
});

function noPrefetch(extra: Record<string, unknown> = {}) {
  return {
    hook: 'order-sign',
    hookInstance: crypto.randomUUID(),
    context: {
      userId: 'Practitioner/gp-1',
      patientId: 'p-ehr',
      draftOrders: {
        resourceType: 'Bundle',
        entry: [{ resource: draft('p-ehr', drugs.amiodarone(), 'd-amio') }],
      },
    },
    extension: { 'org.loopcds.evaluation-time': NOW },
    ...extra,
  };
}

const withEhr = () => ({
  fhirServer: ehr.baseUrl,
  fhirAuthorization: {
    access_token: TOKEN,
    token_type: 'Bearer',
    expires_in: 300,
    scope: 'patient/*.read',
    subject: 'loopcds',
  },
});

describe('discovery', () => {
  it('lists every service in cds-hooks/ with its hook and prefetch templates', async () => {
    const res = await fetch(`${service.url}/cds-services`);
    const body = (await res.json()) as {
      services: Array<{ id: string; hook: string; prefetch: Record<string, string> }>;
    };
    expect(res.status).toBe(200);
    expect(validateDiscoveryResponse(body)).toEqual([]);
    expect(body.services.map((s) => `${s.id}:${s.hook}`).sort()).toEqual([
      'pincer-monitoring-order-sign:order-sign',
      'pincer-monitoring-patient-view:patient-view',
      'pincer-order-select:order-select',
      'pincer-order-sign:order-sign',
      'pincer-patient-view:patient-view',
      'sepsis-community-patient-view:patient-view',
      'sepsis-encounter-start:encounter-start',
      'sepsis-news2-patient-view:patient-view',
      'sepsis-qsofa-patient-view:patient-view',
      'statin-nice-patient-view:patient-view',
      'statin-uspstf-patient-view:patient-view',
    ]);
    expect(body.services[0]!.prefetch['patient']).toBe('Patient/{{context.patientId}}');
  });

  it('answers a CORS preflight from any origin', async () => {
    const res = await fetch(`${service.url}/cds-services/pincer-order-sign`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://sandbox.cds-hooks.org',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://sandbox.cds-hooks.org');
    expect(res.headers.get('access-control-allow-headers')).toContain('Authorization');
  });
});

describe('errors are OperationOutcomes', () => {
  it('answers 404 for an unknown service', async () => {
    const res = await post(`${service.url}/cds-services/no-such-service`, noPrefetch());
    expect(res.status).toBe(404);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].details.coding[0].code).toBe('LOOPCDS_ERR_UNKNOWN_SERVICE');
  });

  it('answers 400 for a body that is not JSON', async () => {
    const res = await post(`${service.url}/cds-services/pincer-order-sign`, '{"hook": "order-sign",');
    expect(res.status).toBe(400);
    expect(res.body.issue[0].details.coding[0].code).toBe('LOOPCDS_ERR_MALFORMED_JSON');
  });

  it('answers 400 naming the field when the context is invalid for the hook', async () => {
    const body = noPrefetch();
    delete (body.context as Record<string, unknown>)['draftOrders'];
    const res = await post(`${service.url}/cds-services/pincer-order-sign`, body);
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toContain('context.draftOrders');
  });

  it('answers 400 when the hook is not the one the service answers', async () => {
    const res = await post(`${service.url}/cds-services/pincer-order-sign`, {
      ...noPrefetch(),
      hook: 'patient-view',
    });
    expect(res.status).toBe(400);
    expect(res.body.issue[0].details.coding[0].code).toBe('LOOPCDS_ERR_HOOK_MISMATCH');
  });

  it('answers 404 with an OperationOutcome for an unknown path', async () => {
    const res = await fetch(`${service.url}/nowhere`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
  });

  it('answers 415 for a body that is not JSON by media type', async () => {
    const res = await post(`${service.url}/cds-services/pincer-order-sign`, 'hook=order-sign', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(res.status).toBe(415);
    expect(res.body.issue[0].details.coding[0].code).toBe('LOOPCDS_ERR_UNSUPPORTED_MEDIA');
  });

  it('answers 405 for a method the CDS Hooks API does not define', async () => {
    const res = await fetch(`${service.url}/cds-services/pincer-order-sign`, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(((await res.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
  });

  it('answers 413 for a body over the limit', async () => {
    const res = await post(`${service.url}/cds-services/pincer-order-sign`, {
      ...noPrefetch(),
      padding: 'x'.repeat(service.config.bodyLimitBytes),
    });
    expect(res.status).toBe(413);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});

describe('data: prefetch, then the EHR FHIR server', () => {
  it('answers 412 to a request with no prefetch and no fhirServer', async () => {
    const res = await post(`${service.url}/cds-services/pincer-order-sign`, noPrefetch());
    expect(res.status).toBe(412);
    expect(res.body.issue[0].code).toBe('incomplete');
    expect(res.body.issue[0].diagnostics).toContain('patient');
  });

  it('fetches every missing key from fhirServer with the bearer token, in parallel', async () => {
    ehr.requests.length = 0;
    const res = await post(`${service.url}/cds-services/pincer-order-sign`, noPrefetch(withEhr()));
    expect(res.status).toBe(200);
    expect(validateCdsHooksResponse(res.body)).toEqual([]);
    expect(res.body.cards.map((c: { summary: string }) => c.summary)).toEqual([
      'Oral NSAID in the last 3 months with no gastroprotection, aged 76',
    ]);
    // Every prefetch key of cds-hooks/pincer-order-sign.json: patient, medications, conditions, egfr.
    expect(ehr.requests.map((r) => r.url).sort()).toEqual([
      '/fhir/Condition?patient=p-ehr',
      '/fhir/MedicationRequest?patient=p-ehr&_include=MedicationRequest:medication',
      expect.stringMatching(
        /^\/fhir\/Observation\?patient=p-ehr&code=(http:\/\/snomed\.info\/sct(\||%7C)\d+,?){8}$/,
      ),
      '/fhir/Patient/p-ehr',
    ]);
    expect(ehr.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('fetches a key whose prefetch value is an OperationOutcome, and not one that is null', async () => {
    ehr.requests.length = 0;
    const body = noPrefetch({
      ...withEhr(),
      prefetch: {
        patient: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout' }] },
        medications: null,
        conditions: null,
        egfr: null,
      },
    });
    const res = await post(`${service.url}/cds-services/pincer-order-sign`, body);
    expect(res.status).toBe(200);
    expect(ehr.requests.map((r) => r.url)).toEqual(['/fhir/Patient/p-ehr']);
    // `medications: null` means the patient has none: nothing fires.
    expect(res.body.cards).toEqual([]);
  });

  it('fetches a Medication named by a draft order medicationReference', async () => {
    ehr.requests.length = 0;
    const order = {
      ...draft('p-ehr', drugs.naproxen(), 'd-ref'),
      medicationCodeableConcept: undefined,
      medicationReference: { reference: 'Medication/med-naproxen' },
    };
    const body = noPrefetch({
      ...withEhr(),
      prefetch: { patient: patient('p-ehr', '1950-01-01'), medications: null, conditions: null, egfr: null },
      context: {
        userId: 'Practitioner/gp-1',
        patientId: 'p-ehr',
        draftOrders: { resourceType: 'Bundle', entry: [{ resource: order }] },
      },
    });
    const res = await post(`${service.url}/cds-services/pincer-order-sign`, body);
    expect(res.status).toBe(200);
    expect(ehr.requests.map((r) => r.url)).toEqual(['/fhir/Medication/med-naproxen']);
    expect(res.body.cards[0].summary).toBe(
      'Naproxen 500mg tablets with no gastroprotection in a 76-year-old',
    );
  });

  it('answers 412 within the deadline when the EHR does not answer', async () => {
    ehr.behave('hang');
    try {
      const started = performance.now();
      const res = await post(`${service.url}/cds-services/pincer-order-sign`, noPrefetch(withEhr()));
      const elapsed = performance.now() - started;
      expect(res.status).toBe(412);
      expect(res.body.issue[0].diagnostics).toContain('deadline');
      expect(elapsed).toBeLessThan(service.config.fhirDeadlineMs + 1000);
    } finally {
      ehr.behave('ok');
    }
  });

  it.each(['http-500', 'reset', 'malformed-json'] as const)(
    'answers 412 when the EHR fails with %s',
    async (behaviour) => {
      ehr.behave(behaviour);
      try {
        const res = await post(`${service.url}/cds-services/pincer-order-sign`, noPrefetch(withEhr()));
        expect(res.status).toBe(412);
        expect(res.body.resourceType).toBe('OperationOutcome');
      } finally {
        ehr.behave('ok');
      }
    },
  );
});

describe('feedback', () => {
  it('accepts CDS Hooks feedback and hands it to the outcome recorder', async () => {
    const feedback = {
      feedback: [
        {
          card: crypto.randomUUID(),
          outcome: 'overridden',
          overrideReason: {
            reason: {
              system: 'http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes',
              code: 'patient-ineligible',
            },
            userComment: 'Short course after dental extraction',
          },
          outcomeTimestamp: '2026-06-15T10:01:00Z',
        },
      ],
    };
    const res = await post(`${service.url}/cds-services/pincer-order-sign/feedback`, feedback);
    expect(res.status).toBe(200);
    expect(service.recorder.feedback.at(-1)).toMatchObject({
      card: feedback.feedback[0]!.card,
      outcome: 'overridden',
      overrideReason: { code: 'patient-ineligible' },
    });
  });

  it('answers 400 to feedback that breaks the schema', async () => {
    const res = await post(`${service.url}/cds-services/pincer-order-sign/feedback`, {
      feedback: [{ card: 'x', outcome: 'maybe' }],
    });
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});

describe('the README example', () => {
  it('returns the PINCER A card for fixtures/requests/pincer-a-order-sign.json', async () => {
    const body = JSON.parse(
      readFileSync(path.join(ROOT, 'fixtures/requests/pincer-a-order-sign.json'), 'utf8'),
    ) as unknown;
    const res = await post(`${service.url}/cds-services/pincer-order-sign`, body);
    expect(res.status).toBe(200);
    expect(validateCdsHooksResponse(res.body)).toEqual([]);
    expect(res.body.cards).toHaveLength(1);
    expect(res.body.cards[0].summary).toMatch(
      /^Ibuprofen 400mg tablets with no gastroprotection in a \d+-year-old$/,
    );
  });
});
