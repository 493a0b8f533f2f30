import { cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileKnowledge } from '../../src/engine/knowledge-compiler.js';
import { startLoopbackFhirServer, type LoopbackFhirServer } from '../support/loopback-fhir-server.js';
import { draft, drugs, orderRequest, patient } from '../support/pincer-fixtures.js';
import { post, ROOT, startTestService } from '../support/test-service.js';

const NOW = '2026-06-15T10:00:00.000+01:00';

/** Two rules that fail, beside PINCER A: one throws in CQL at run time, one has a card template naming a missing expression. */
async function knowledgeWithFailingRules(): Promise<{
  knowledgeDir: string;
  elmCacheDir: string;
  servicesDir: string;
}> {
  const dir = await mkdtemp(path.join(tmpdir(), 'loopcds-failing-rules-'));
  const knowledgeDir = path.join(dir, 'knowledge');
  await mkdir(knowledgeDir);
  await cp(path.join(ROOT, 'knowledge', 'libraries'), path.join(knowledgeDir, 'libraries'), {
    recursive: true,
  });
  await cp(path.join(ROOT, 'knowledge', 'pincer-a'), path.join(knowledgeDir, 'pincer-a'), {
    recursive: true,
  });
  await cp(
    path.join(ROOT, 'knowledge', 'override-reasons.json'),
    path.join(knowledgeDir, 'override-reasons.json'),
  );
  const artefact = (id: string, library: string, cards: unknown[]) => ({
    id,
    version: '1.0.0',
    status: 'draft',
    title: `Test rule ${id}`,
    description: 'A rule that fails on purpose.',
    owner: 'tests',
    authors: ['tests'],
    library: { name: library, file: `${library}.cql` },
    sources: [{ label: 'none', url: 'https://example.org/none' }],
    result: { fired: 'Fires' },
    dataRequirements: [{ type: 'Patient' }],
    cardSource: { label: 'Tests', url: 'https://example.org/tests' },
    cards,
    changelog: [{ version: '1.0.0', date: '2026-01-01', changes: ['test'] }],
  });
  const card = (indicatorWhen: string) => ({
    id: 'c',
    when: 'Fires',
    indicator: [{ when: indicatorWhen, value: 'warning' }, { value: 'info' }],
    summary: 's',
    detail: 'd',
  });
  const header = (name: string) =>
    `library ${name} version '1.0.0'\nusing FHIR version '4.0.1'\ninclude FHIRHelpers version '4.0.1' called FHIRHelpers\ncontext Patient\n`;
  await mkdir(path.join(knowledgeDir, 'throws-in-cql'));
  await writeFile(
    path.join(knowledgeDir, 'throws-in-cql', 'ThrowsInCql.cql'),
    `${header('ThrowsInCql')}define "Fires": (singleton from { 1, 2 }) = 1\n`,
  );
  await writeFile(
    path.join(knowledgeDir, 'throws-in-cql', 'artefact.json'),
    JSON.stringify(artefact('throws-in-cql', 'ThrowsInCql', [card('Fires')])),
  );
  await mkdir(path.join(knowledgeDir, 'bad-card'));
  await writeFile(
    path.join(knowledgeDir, 'bad-card', 'BadCard.cql'),
    `${header('BadCard')}define "Fires": true\n`,
  );
  await writeFile(
    path.join(knowledgeDir, 'bad-card', 'artefact.json'),
    JSON.stringify(artefact('bad-card', 'BadCard', [card('No Such Expression')])),
  );
  const servicesDir = path.join(dir, 'cds-hooks');
  await mkdir(servicesDir);
  await writeFile(
    path.join(servicesDir, 'mixed.json'),
    JSON.stringify({
      id: 'pincer-order-sign',
      hook: 'order-sign',
      title: 'Mixed',
      description: 'PINCER A beside two failing rules',
      prefetch: {
        patient: 'Patient/{{context.patientId}}',
        medications: 'MedicationRequest?patient={{context.patientId}}',
      },
      artefacts: ['pincer-a@1.0.0', 'throws-in-cql@1.0.0', 'bad-card@1.0.0'],
    }),
  );
  const elmCacheDir = path.join(dir, 'elm');
  const report = await compileKnowledge({
    knowledgeDirs: [knowledgeDir],
    cacheDir: elmCacheDir,
    baseDir: dir,
  });
  expect(report.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return { knowledgeDir, elmCacheDir, servicesDir };
}

describe('a failing rule', () => {
  let service: Awaited<ReturnType<typeof startTestService>>;
  beforeAll(async () => {
    service = await startTestService(await knowledgeWithFailingRules());
  });
  afterAll(async () => {
    await service.close();
  });

  it('does not fail the call: the other rules\u2019 cards come back and each failure is reported and recorded', async () => {
    const res = await post(
      `${service.url}/cds-services/pincer-order-sign`,
      orderRequest('order-sign', patient('p', '1950-01-01'), [], [draft('p', drugs.ibuprofen())], NOW),
    );
    expect(res.status).toBe(200);
    expect(res.body.cards.map((c: { summary: string }) => c.summary)).toEqual([
      'Ibuprofen 400mg tablets with no gastroprotection in a 76-year-old',
    ]);
    const failures = res.body.extension['org.loopcds.evaluations'] as Array<{
      release: string;
      result: string;
      error: { issue: Array<{ diagnostics: string }> };
    }>;
    expect(failures.map((f) => [f.release, f.result])).toEqual([
      ['throws-in-cql@1.0.0', 'error'],
      ['bad-card@1.0.0', 'error'],
    ]);
    expect(failures[0]!.error.issue[0]!.diagnostics).toMatch(/ThrowsInCql/);
    expect(failures[1]!.error.issue[0]!.diagnostics).toMatch(/card template failed.*No Such Expression/);
    const recorded = service.recorder.hookCalls.at(-1)!.evaluations.map((e) => e.result);
    expect(recorded).toEqual(['fired', 'error', 'error']);
  });

  it('counts rule errors in the metrics', async () => {
    const text = await (await fetch(`${service.url}/metrics`)).text();
    expect(text).toMatch(/loopcds_rule_errors_total\{release="throws-in-cql@1\.0\.0"\} [1-9]/);
    expect(text).toMatch(/loopcds_rule_evaluations_total\{release="pincer-a@1\.0\.0",result="fired"\} [1-9]/);
  });
});

describe('operations', () => {
  let service: Awaited<ReturnType<typeof startTestService>>;
  let ehr: LoopbackFhirServer;
  beforeAll(async () => {
    ehr = await startLoopbackFhirServer([patient('p', '1950-01-01')], { delayMs: 300 });
    service = await startTestService({ fhirDeadlineMs: 2000 });
  });
  afterAll(async () => {
    await ehr.close();
  });

  it('serves Prometheus metrics with request counts by route pattern, never by patient path', async () => {
    await fetch(`${service.url}/cds-services`);
    const res = await fetch(`${service.url}/metrics`);
    const text = await res.text();
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(text).toMatch(
      /loopcds_http_requests_total\{method="GET",route="\/cds-services",status="200"\} [1-9]/,
    );
    expect(text).toContain('loopcds_hook_duration_seconds');
    expect(text).toContain('loopcds_outcome_queue_depth');
    expect(text).toContain('loopcds_process_cpu_seconds_total');
  });

  it('answers health and readiness checks', async () => {
    expect(await (await fetch(`${service.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = (await (await fetch(`${service.url}/readyz`)).json()) as { status: string };
    expect(ready.status).toBe('ready');
  });

  it('finishes a call in flight when shut down, then refuses new connections', async () => {
    const body = {
      hook: 'patient-view',
      hookInstance: crypto.randomUUID(),
      fhirServer: ehr.baseUrl,
      context: { userId: 'Practitioner/gp', patientId: 'p' },
      prefetch: { medications: null },
      extension: { 'org.loopcds.evaluation-time': NOW },
    };
    const inFlight = post(`${service.url}/cds-services/pincer-patient-view`, body);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the call is now waiting on the slow EHR
    const closed = service.close();
    const res = await inFlight;
    expect(res.status).toBe(200);
    await closed;
    await expect(fetch(`${service.url}/healthz`)).rejects.toThrow();
  });
});
