import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flattenContains, loadValueSets } from '../../src/engine/value-set.js';
import { artefactDefinitionSchema } from '../../src/knowledge/artefact-definition.js';
import { serviceDefinitionSchema } from '../../src/knowledge/service-definition.js';
import { validateCdsHooksResponse } from '../support/cds-hooks-response-validator.js';
import { post, ROOT, startTestService } from '../support/test-service.js';

/**
 * The statin services end to end over HTTP (cds-hooks/statin-*.json): prefetch as an EHR sends it, cards
 * with the suggested atorvastatin coded from its value set, the QRISK3 disclaimer on every score.
 */

type Resource = { resourceType: string; id?: string; [key: string]: unknown };

function testCase(artefact: string, name: string) {
  return JSON.parse(
    readFileSync(path.join(ROOT, 'knowledge', artefact, 'tests', `${name}.json`), 'utf8'),
  ) as { now: string; patient: Resource; resources: Resource[] };
}

const searchset = (resources: Resource[]) => ({
  resourceType: 'Bundle',
  type: 'searchset',
  entry: resources.map((resource) => ({ resource })),
});

/** A patient-view request whose prefetch holds the case's resources, split by type as the templates ask. */
function patientView(artefact: string, name: string, keys: readonly string[]) {
  const { now, patient, resources } = testCase(artefact, name);
  const byKey: Record<string, unknown> = { patient };
  const observations = resources.filter((r) => r.resourceType === 'Observation');
  for (const key of keys) {
    if (key === 'patient') continue;
    if (key === 'measurements') byKey[key] = searchset(observations);
    else if (key === 'conditions')
      byKey[key] = searchset(resources.filter((r) => r.resourceType === 'Condition'));
    else if (key === 'medications')
      byKey[key] = searchset(resources.filter((r) => r.resourceType === 'MedicationRequest'));
    else byKey[key] = searchset([]);
  }
  return {
    hook: 'patient-view',
    hookInstance: randomUUID(),
    context: { userId: 'Practitioner/gp-1', patientId: patient.id },
    prefetch: byKey,
    extension: { 'org.loopcds.evaluation-time': now },
  };
}

function service(id: string) {
  return serviceDefinitionSchema.parse(
    JSON.parse(readFileSync(path.join(ROOT, 'cds-hooks', `${id}.json`), 'utf8')),
  );
}

let running: Awaited<ReturnType<typeof startTestService>>;
beforeAll(async () => {
  running = await startTestService();
});
afterAll(async () => {
  await running.close();
});

async function call(serviceId: string, body: unknown) {
  const res = await post(`${running.url}/cds-services/${serviceId}`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(validateCdsHooksResponse(res.body)).toEqual([]);
  return res.body as { cards: Array<Record<string, any>> };
}

describe('statin-nice-patient-view', () => {
  const keys = Object.keys(service('statin-nice-patient-view').prefetch);

  it('suggests atorvastatin 80 mg for established CVD, coded from the value set (dm+d VMP)', async () => {
    const { cards } = await call(
      'statin-nice-patient-view',
      patientView('statin-nice-ng238', 'established-cvd-offers-80-mg', keys),
    );
    expect(cards).toHaveLength(1);
    const card = cards[0]!;
    expect(card.indicator).toBe('info');
    expect(card.source.topic.code).toBe('statin-nice-ng238');
    const resource = card.suggestions[0].actions[0].resource;
    expect(resource.resourceType).toBe('MedicationRequest');
    expect(resource.medicationCodeableConcept.coding[0]).toEqual({
      system: 'http://snomed.info/sct',
      code: '134489001',
      display: 'Atorvastatin 80mg tablets',
    });
    expect(resource.subject.reference).toBe('Patient/p1');
  });

  it("shows a QRISK3 score of 10.0% with ClinRisk's disclaimer and a link to qrisk.org, and suggests 20 mg", async () => {
    const { cards } = await call(
      'statin-nice-patient-view',
      patientView('statin-nice-ng238', 'qrisk3-10-0-offers-atorvastatin-20', keys),
    );
    const card = cards[0]!;
    expect(card.summary).toBe('QRISK3 10.0% (10-year CVD risk): offer atorvastatin 20 mg (NICE NG238)');
    expect(card.detail).toContain('it is the responsibility of the end user to check');
    expect(card.detail).toContain('QRISK3 disclaimer (ClinRisk Ltd)');
    expect(card.links.map((l: { url: string }) => l.url)).toContain('https://qrisk.org/');
    expect(card.suggestions[0].actions[0].resource.medicationCodeableConcept.coding[0].code).toBe(
      '320030001',
    );
  });
});

describe('statin-uspstf-patient-view', () => {
  const keys = Object.keys(service('statin-uspstf-patient-view').prefetch);

  it('gives the grade B card at a computed 10.0% with atorvastatin 20 mg coded in RxNorm', async () => {
    const { cards } = await call(
      'statin-uspstf-patient-view',
      patientView('statin-uspstf-2022', 'pce-10-0', keys),
    );
    expect(cards).toHaveLength(1);
    expect(cards[0]!.summary).toBe(
      'USPSTF grade B: 10-year ASCVD risk 10.0%: start a low- to moderate-intensity statin',
    );
    expect(cards[0]!.suggestions[0].actions[0].resource.medicationCodeableConcept.coding[0]).toEqual({
      system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
      code: '617310',
      display: 'atorvastatin 20 MG Oral Tablet',
    });
  });
});

describe('statin service prefetch templates', () => {
  it.each([
    ['statin-nice-patient-view', 'statin-nice-ng238'],
    ['statin-uspstf-patient-view', 'statin-uspstf-2022'],
  ])('%s asks only for codes of the value sets %s reads', async (serviceId, artefactId) => {
    const artefact = artefactDefinitionSchema.parse(
      JSON.parse(readFileSync(path.join(ROOT, 'knowledge', artefactId, 'artefact.json'), 'utf8')),
    );
    const urls = new Set(artefact.dataRequirements.flatMap((r) => r.codeFilter?.valueSets ?? []));
    const valueSets = (await loadValueSets(path.join(ROOT, 'knowledge', 'valuesets'))).filter((vs) =>
      urls.has(vs.url),
    );
    const known = new Set(
      valueSets.flatMap((vs) =>
        flattenContains(vs.expansion?.contains ?? []).map((c) => `${c.system}|${c.code}`),
      ),
    );
    const prefetch = service(serviceId).prefetch;
    const asked = Object.values(prefetch).flatMap((template) => {
      const code = /[?&]code=([^&]+)/.exec(template)?.[1];
      return code === undefined ? [] : code.split(',');
    });
    expect(asked.length).toBeGreaterThan(5);
    expect(asked.filter((token) => !known.has(token))).toEqual([]);
    // Observations are asked for by code, never all of them.
    for (const template of Object.values(prefetch))
      if (template.startsWith('Observation?')) expect(template).toContain('&code=');
  });
});
