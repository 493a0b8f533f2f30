import express, { type Router } from 'express';
import type { LoopcdsConfig } from '../config/config.js';
import { loopcdsError } from '../errors/error-catalogue.js';
import type { KnowledgeBase } from '../knowledge/knowledge-base.js';
import type { ConsoleAuth } from './console-auth.js';
import { loadFixturePatients } from './fixture-patients.js';
import { runTryIt, tryItRequestSchema } from './try-it-runner.js';

export interface TryItApiDeps {
  config: LoopcdsConfig;
  knowledge: () => KnowledgeBase;
  auth: ConsoleAuth;
}

/**
 * "Try it" (`/console/api/try`): `GET fixtures` lists the fixture patients (synthetic, with their record,
 * so the panel can show what is in it); `POST try` runs a service on one of them or on pasted FHIR data at
 * a chosen date (try-it-runner.ts). Both need `rules:try`: pasted data may be a real patient's.
 */
export function tryItApiRouter(deps: TryItApiDeps): Router {
  const router = express.Router();
  const fixtures = () => loadFixturePatients(deps.config.consoleFixturesDir);

  router.get('/try/fixtures', deps.auth.requirePermission('rules:try'), async (_req, res) => {
    const services = [...deps.knowledge().services.values()].map((s) => ({
      id: s.definition.id,
      hook: s.definition.hook,
      title: s.definition.title,
    }));
    res.json({ fixtures: await fixtures(), services });
  });

  router.post('/try', deps.auth.requirePermission('rules:try'), async (req, res) => {
    const parsed = tryItRequestSchema.safeParse(req.body);
    if (!parsed.success)
      throw loopcdsError(
        'LOOPCDS_ERR_INVALID_REQUEST',
        parsed.error.issues
          .slice(0, 5)
          .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
          .join('; '),
      );
    res.json(
      await runTryIt(parsed.data, {
        knowledge: deps.knowledge(), // one snapshot for the whole run
        fixtures: await fixtures(),
        timeZone: deps.config.timeZone,
        deadlineMs: deps.config.fhirDeadlineMs,
      }),
    );
  });
  return router;
}
