import cors from 'cors';
import express, { type Express } from 'express';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { LoopcdsConfig } from '../config/config.js';
import type { CircuitBreakers } from '../context/circuit-breaker.js';
import type { KnowledgeBase } from '../knowledge/knowledge-base.js';
import type { ServiceMetrics } from './metrics.js';
import type { OutcomeRecorder } from '../outcomes/outcome-recorder.js';
import type { OutcomeStore } from '../outcomes/outcome-store.js';
import { outcomesApiRouter } from './outcomes-api-router.js';
import { populationApiRouter } from './population-api-router.js';
import { adminOnly } from './admin-token-auth.js';
import type { KnowledgeHolder } from '../knowledge/knowledge-holder.js';
import { knowledgeApiRouter } from './knowledge-api-router.js';
import { testStatusFile } from '../knowledge/test-status-file.js';
import { requireCdsClient } from './auth/auth-middleware.js';
import type { JwtVerifier } from './auth/jwt-verifier.js';
import { cdsServicesRouter } from './cds-services-router.js';
import { errorHandler, notFound } from './error-handler.js';
import { consoleRouter } from '../console/console-router.js';

export interface AppDeps {
  config: LoopcdsConfig;
  logger: Logger;
  /** The current knowledge; read once per call, so a swap never splits a call across two versions. */
  knowledge: () => KnowledgeBase;
  /** Holds and reloads the knowledge behind `/api/knowledge`; absent: that API is not served. */
  knowledgeHolder?: KnowledgeHolder;
  recorder: OutcomeRecorder;
  /** The outcome store behind `/api/outcomes`; undefined when recording is off or a test records in memory. */
  outcomes?: OutcomeStore | undefined;
  clock?: () => Date;
  /** Circuit breakers of the EHR FHIR servers. */
  breakers: CircuitBreakers;
  /** Prometheus metrics; `/metrics` serves them. */
  metrics?: ServiceMetrics;
  /** CDS client authentication; undefined only when `LOOPCDS_AUTH=off`. */
  verifier?: JwtVerifier | undefined;
}

/**
 * Builds the Express app from an explicit config and its dependencies; it never listens (server.ts does)
 * and reads no environment.
 */
export function buildApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (_req, res) => {
        const id = randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // No headers (Authorization!), no bodies, no query strings: no tokens and no patient data in logs.
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url.split('?')[0],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  // Counted before body parsing, so that malformed requests are counted too.
  const metrics = deps.metrics;
  if (metrics !== undefined) app.use(metrics.middleware());
  // CDS Hooks 2.0 §CORS: browsers (the CDS Hooks sandbox, SMART apps) call services cross-origin.
  app.use(
    cors({
      origin: true,
      methods: ['GET', 'POST', 'OPTIONS'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Accept'],
      exposedHeaders: ['X-Request-Id'],
      maxAge: 86_400, // 1 day of preflight caching
    }),
  );
  app.use(
    express.json({
      limit: deps.config.bodyLimitBytes,
      type: ['application/json', 'application/fhir+json', 'application/*+json'],
    }),
  );

  if (metrics !== undefined) {
    app.get('/metrics', async (_req, res) => {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  }
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    res.json({ status: 'ready', services: deps.knowledge().services.size });
  });
  if (deps.verifier !== undefined)
    app.use('/cds-services', requireCdsClient(deps.verifier, deps.logger, deps.config.publicUrl));
  app.use(
    cdsServicesRouter({
      config: deps.config,
      knowledge: deps.knowledge,
      recorder: deps.recorder,
      clock: deps.clock ?? (() => new Date()),
      breakers: deps.breakers,
    }),
  );
  // Outcome records hold override comments (free text) and pseudonyms: operators only (the console
  // serves the same figures to signed-in users by role).
  app.use('/api/outcomes', adminOnly(outcomesApiRouter(deps.outcomes), deps));
  const populationApi = populationApiRouter({ config: deps.config, logger: deps.logger });
  app.use('/api/population', adminOnly(populationApi, deps));
  if (deps.knowledgeHolder !== undefined)
    app.use(
      '/api/knowledge',
      adminOnly(
        knowledgeApiRouter({
          holder: deps.knowledgeHolder,
          logger: deps.logger,
          adminToken: deps.config.adminToken,
          knowledgeDir: deps.config.knowledgeDir,
          testStatusFile: testStatusFile(deps.config.elmCacheDir),
        }),
        deps,
      ),
    );
  if (deps.config.console === 'on') app.use('/console', consoleRouter({ ...deps, populationApi }));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
