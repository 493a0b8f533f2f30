import express, { type Router } from 'express';
import path from 'node:path';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { loopcdsError } from '../errors/error-catalogue.js';
import { loadTestCases } from '../knowledge/artefact-test-case.js';
import {
  releaseCases,
  runArtefactTests,
  summariseTestRows,
  type ArtefactUnderTest,
} from '../knowledge/artefact-test-suite.js';
import { listArtefacts, listServices } from '../knowledge/knowledge-catalogue.js';
import type { KnowledgeHolder } from '../knowledge/knowledge-holder.js';
import { readTestStatus, writeTestStatus } from '../knowledge/test-status-file.js';
import { requireAdminToken } from './admin-token-auth.js';

export interface KnowledgeApiDeps {
  holder: KnowledgeHolder;
  logger: Logger;
  /** LOOPCDS_ADMIN_TOKEN; absent: the admin endpoints answer 403. */
  adminToken: string | undefined;
  knowledgeDir: string;
  /** knowledge/.build/test-status.json: the last test run of each release. */
  testStatusFile: string;
}

/**
 * The knowledge API under `/api/knowledge` (docs/knowledge-lifecycle.md):
 * - `GET artefacts`: every release and working copy, its status, the services that run it, its last tests;
 * - `GET services`: each service's active and shadow releases;
 * - `GET status`: the generation serving, and how the last reload went (a failed one stays reported);
 * - `POST reload` (admin): load the knowledge again and swap it in, or keep the previous and say why;
 * - `POST tests` (admin, `?artefact=id` or `id@version`): run test cases of the releases serving now.
 * Reads are open like `/api/outcomes` (metadata only, no patient data) until the console brings auth.
 */
export function knowledgeApiRouter(deps: KnowledgeApiDeps): Router {
  const router = express.Router();
  const admin = requireAdminToken(deps.adminToken, deps.logger);

  router.get('/artefacts', async (_req, res) => {
    const status = await readTestStatus(deps.testStatusFile);
    res.json({ artefacts: listArtefacts(deps.holder.current(), status) });
  });

  router.get('/services', (_req, res) => {
    res.json({ services: listServices(deps.holder.current()) });
  });

  router.get('/status', (_req, res) => {
    res.json(deps.holder.status());
  });

  router.post('/reload', admin, async (_req, res) => {
    const report = await deps.holder.reload('admin endpoint');
    if (!report.ok) {
      throw loopcdsError(
        'LOOPCDS_ERR_KNOWLEDGE_RELOAD_FAILED',
        report.problems.slice(0, 50).join('\n').slice(0, 8000),
      );
    }
    res.json({ reload: report, status: deps.holder.status() });
  });

  router.post('/tests', admin, async (req, res) => {
    const wanted = typeof req.query['artefact'] === 'string' ? req.query['artefact'] : undefined;
    const knowledge = deps.holder.current();
    const subjects: ArtefactUnderTest[] = [];
    for (const [ref, artefact] of knowledge.artefacts) {
      if (wanted !== undefined && wanted !== ref && wanted !== artefact.definition.id) continue;
      subjects.push({
        artefact,
        cases: await loadTestCases(path.join(deps.knowledgeDir, artefact.definition.id)),
      });
    }
    for (const folder of knowledge.releaseFolders) {
      const artefact = knowledge.releases.get(folder.ref);
      if (artefact === undefined) continue;
      if (wanted !== undefined && wanted !== folder.ref && wanted !== folder.manifest.id) continue;
      subjects.push({ artefact, cases: await releaseCases(folder) });
    }
    if (subjects.length === 0)
      throw loopcdsError('LOOPCDS_ERR_NOT_FOUND', `No loaded artefact ${String(wanted).slice(0, 80)}`);
    const rows = await runArtefactTests(subjects, knowledge);
    const statuses = summariseTestRows(subjects, rows, new Date().toISOString());
    await writeTestStatus(deps.testStatusFile, statuses);
    res.json({ results: statuses, cases: rows.map(({ file: _file, ...row }) => row) });
  });

  return router;
}

/**
 * Logs every reload (a failed one as an error, with its problems) and counts them in the metrics:
 * `loopcds_knowledge_reloads_total{result}` and `loopcds_knowledge_generation`.
 */
export function observeKnowledgeReloads(holder: KnowledgeHolder, logger: Logger, registry?: Registry): void {
  const reloads =
    registry === undefined
      ? undefined
      : new Counter({
          name: 'loopcds_knowledge_reloads_total',
          help: 'Knowledge reloads by result (a failed reload keeps the previous knowledge serving)',
          labelNames: ['result'],
          registers: [registry],
        });
  if (registry !== undefined) {
    new Gauge({
      name: 'loopcds_knowledge_generation',
      help: 'Generation of the knowledge serving (1 at start, +1 per successful reload)',
      registers: [registry],
      collect() {
        this.set(holder.status().generation);
      },
    });
  }
  holder.subscribe((report) => {
    reloads?.inc({ result: report.ok ? 'ok' : 'failed' });
    if (report.ok)
      logger.info(
        { trigger: report.trigger, generation: report.generation, ms: report.durationMs },
        'knowledge reloaded',
      );
    else
      logger.error(
        { trigger: report.trigger, problems: report.problems.slice(0, 20) },
        'knowledge reload failed: the previous knowledge is still serving',
      );
  });
}
