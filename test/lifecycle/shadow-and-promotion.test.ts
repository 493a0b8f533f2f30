import { chmod, cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { draft, drugs, orderRequest, patient } from '../support/pincer-fixtures.js';
import { post, startTestService } from '../support/test-service.js';
import {
  bumpPincerA,
  compile,
  makeTempKnowledge,
  releasePincerA,
  writeService,
  type TempKnowledge,
} from './temp-knowledge.js';

const NOW = '2026-06-15T10:00:00.000+01:00';
const ADMIN_TOKEN = 'lifecycle-test-admin-token-0123456789abcdef';
const ADMIN = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
const V110_SUMMARY = '{{Ordered NSAID Name}} ordered without gastroprotection, aged {{Age}} (v1.1)';

type Service = Awaited<ReturnType<typeof startTestService>>;

/**
 * A release folder pincer-a@1.2.0 that cannot load: a copy of 1.1.0 whose manifest was edited in place
 * to claim another version (its artefact.json still says 1.1.0). No service runs it yet.
 */
async function breakRelease(t: TempKnowledge): Promise<void> {
  const broken = path.join(t.knowledgeDir, 'releases', 'pincer-a@1.2.0');
  await cp(path.join(t.knowledgeDir, 'releases', 'pincer-a@1.1.0'), broken, { recursive: true });
  const manifestFile = path.join(broken, 'manifest.json');
  await chmod(manifestFile, 0o644);
  const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Record<string, unknown>;
  await writeFile(manifestFile, JSON.stringify({ ...manifest, version: '1.2.0' }));
}

/** An order-sign call that fires PINCER A: ibuprofen being ordered for a 76-year-old with no PPI. */
function firingCall() {
  return orderRequest('order-sign', patient('p', '1950-01-01'), [], [draft('p', drugs.ibuprofen())], NOW);
}

async function status(
  service: Service,
): Promise<{ generation: number; failing: { problems: string[] } | null }> {
  return (await (await fetch(`${service.url}/api/knowledge/status`, ADMIN)).json()) as {
    generation: number;
    failing: { problems: string[] } | null;
  };
}

async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a rule change from release to promotion, without a restart', () => {
  let t: TempKnowledge;
  let service: Service;

  beforeAll(async () => {
    t = await makeTempKnowledge('promotion');
    await compile(t);
    expect((await releasePincerA(t)).outcome).toBe('created');
    await bumpPincerA(t, '1.1.0', V110_SUMMARY);
    await compile(t);
    expect((await releasePincerA(t)).outcome).toBe('created');
    await breakRelease(t);
    await writeService(t, { active: ['pincer-a@1.0.0'], shadow: ['pincer-a@1.1.0'] });
    service = await startTestService({
      knowledgeDir: t.knowledgeDir,
      elmCacheDir: t.elmCacheDir,
      valueSetDir: t.valueSetDir,
      servicesDir: t.servicesDir,
      adminToken: ADMIN_TOKEN,
    });
  });
  afterAll(async () => {
    await service.close();
  });

  it('runs the shadow release on the same call, records both, and returns only the active card', async () => {
    const body = firingCall();
    const res = await post(`${service.url}/cds-services/pincer-order-sign`, body);
    expect(res.status).toBe(200);
    expect(res.body.cards).toHaveLength(1);
    expect(res.body.cards[0].summary).toBe(
      'Ibuprofen 400mg tablets with no gastroprotection in a 76-year-old',
    );
    expect(res.body.cards[0].extension['org.loopcds.release']).toBe('pincer-a@1.0.0');
    const record = service.recorder.hookCalls.find((c) => c.hookInstance === body['hookInstance']);
    expect(record?.evaluations.map((e) => [e.release, e.role, e.result])).toEqual([
      ['pincer-a@1.0.0', 'active', 'fired'],
      ['pincer-a@1.1.0', 'shadow', 'fired'],
    ]);
    // The shadow's card is recorded (for comparison), never sent.
    expect(record?.evaluations[1]?.cards.map((c) => c.summary)).toEqual([
      'Ibuprofen 400mg tablets ordered without gastroprotection, aged 76 (v1.1)',
    ]);
    const hashes = record?.evaluations.map((e) => e.hash) ?? [];
    const manifest = (v: string) =>
      readFile(path.join(t.knowledgeDir, 'releases', `pincer-a@${v}`, 'manifest.json'), 'utf8');
    expect(hashes).toEqual([
      JSON.parse(await manifest('1.0.0')).hash,
      JSON.parse(await manifest('1.1.0')).hash,
    ]);
  });

  it('lists the releases and which service runs them as active or shadow', async () => {
    const services = (await (await fetch(`${service.url}/api/knowledge/services`, ADMIN)).json()) as {
      services: Array<{
        id: string;
        active: Array<{ ref: string; source: string }>;
        shadow: Array<{ ref: string }>;
      }>;
    };
    expect(services.services).toMatchObject([
      {
        id: 'pincer-order-sign',
        active: [{ ref: 'pincer-a@1.0.0', source: 'release' }],
        shadow: [{ ref: 'pincer-a@1.1.0' }],
      },
    ]);
    const artefacts = (await (await fetch(`${service.url}/api/knowledge/artefacts`, ADMIN)).json()) as {
      artefacts: Array<{ ref: string; source: string; services: unknown[] }>;
    };
    expect(artefacts.artefacts.map((a) => [a.ref, a.source, a.services])).toEqual([
      ['pincer-a@1.0.0', 'release', [{ service: 'pincer-order-sign', role: 'active' }]],
      ['pincer-a@1.1.0', 'release', [{ service: 'pincer-order-sign', role: 'shadow' }]],
      ['pincer-a@1.2.0', 'release', []],
    ]);
  });

  it('switches to the promoted release under concurrent load, with no failed and no mixed call', async () => {
    const before = (await status(service)).generation;
    const results: Array<{ status: number; instance: string; releases: string[] }> = [];
    let stop = false;
    const caller = async () => {
      while (!stop) {
        const body = firingCall();
        const res = await post(`${service.url}/cds-services/pincer-order-sign`, body);
        results.push({
          status: res.status,
          instance: String(body['hookInstance']),
          releases: (res.body.cards ?? []).map((c: any) => c.extension['org.loopcds.release']),
        });
      }
    };
    const callers = Array.from({ length: 20 }, caller);
    try {
      await waitFor(() => results.length >= 20, 'calls on the old release', 60_000);
      // Promote: the shadow becomes active, the old release stays beside it in shadow.
      await writeService(t, { active: ['pincer-a@1.1.0'], shadow: ['pincer-a@1.0.0'] });
      await waitFor(
        async () => (await status(service)).generation > before,
        'the watched binding to be reloaded',
        90_000, // a reload shares the event loop with the 20 callers; on a busy machine it takes seconds
      );
      const swapped = results.length; // up to 20 of the next calls were in flight before the swap
      await waitFor(() => results.length >= swapped + 40, 'calls after the swap', 60_000);
    } finally {
      stop = true;
      await Promise.all(callers);
    }

    expect(results.length).toBeGreaterThanOrEqual(60);
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    const byInstance = new Map(service.recorder.hookCalls.map((c) => [c.hookInstance, c]));
    const seen = new Set<string>();
    for (const r of results) {
      // One card, from the release that was active when the call started, and a record of the same
      // snapshot: never the new active release with the old shadow, or the reverse.
      expect(r.releases).toHaveLength(1);
      const roles = byInstance.get(r.instance)?.evaluations.map((e) => `${e.role} ${e.release}`);
      if (r.releases[0] === 'pincer-a@1.0.0')
        expect(roles).toEqual(['active pincer-a@1.0.0', 'shadow pincer-a@1.1.0']);
      else expect(roles).toEqual(['active pincer-a@1.1.0', 'shadow pincer-a@1.0.0']);
      seen.add(r.releases[0] as string);
    }
    expect([...seen].sort()).toEqual(['pincer-a@1.0.0', 'pincer-a@1.1.0']);
    const after = await post(`${service.url}/cds-services/pincer-order-sign`, firingCall());
    expect(after.body.cards[0].summary).toBe(
      'Ibuprofen 400mg tablets ordered without gastroprotection, aged 76 (v1.1)',
    );
  }, 180_000);

  it('reloads from the admin endpoint only with the admin token', async () => {
    const url = `${service.url}/api/knowledge/reload`;
    const anonymous = await post(url, {});
    expect(anonymous.status).toBe(401);
    const wrong = await post(url, {}, { authorization: `Bearer ${ADMIN_TOKEN.replace(/.$/, 'x')}` });
    expect(wrong.status).toBe(401);
    const before = (await status(service)).generation;
    const ok = await post(url, {}, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.body.reload).toMatchObject({ ok: true, trigger: 'admin endpoint', generation: before + 1 });
  });

  it('keeps serving the previous release when a release fails to load, and reports why', async () => {
    const before = await status(service);
    await writeService(t, { active: ['pincer-a@1.2.0'] });
    await waitFor(
      async () => (await status(service)).failing !== null,
      'the failed reload to be reported',
      60_000,
    );

    const after = await status(service);
    expect(after.generation).toBe(before.generation);
    expect(after.failing?.problems.join('\n')).toMatch(/pincer-a@1\.2\.0/);
    const res = await post(`${service.url}/cds-services/pincer-order-sign`, firingCall());
    expect(res.status).toBe(200);
    expect(res.body.cards.map((c: any) => c.extension['org.loopcds.release'])).toEqual(['pincer-a@1.1.0']);
    const reload = await post(
      `${service.url}/api/knowledge/reload`,
      {},
      { authorization: `Bearer ${ADMIN_TOKEN}` },
    );
    expect(reload.status).toBe(422);
    expect(reload.body.issue[0].details.coding[0].code).toBe('LOOPCDS_ERR_KNOWLEDGE_RELOAD_FAILED');
    expect(reload.body.issue[0].diagnostics).toMatch(/pincer-a@1\.2\.0/);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/loopcds_knowledge_reloads_total\{result="failed"\} [1-9]/);
  }, 120_000);
});
