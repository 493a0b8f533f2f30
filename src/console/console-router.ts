import express, { type RequestHandler, type Router } from 'express';
import type { Logger } from 'pino';
import type { LoopcdsConfig } from '../config/config.js';
import type { CircuitBreakers } from '../context/circuit-breaker.js';
import type { KnowledgeBase } from '../knowledge/knowledge-base.js';
import type { KnowledgeHolder } from '../knowledge/knowledge-holder.js';
import { loopcdsError } from '../errors/error-catalogue.js';
import { outcomesApiRouter } from '../http/outcomes-api-router.js';
import type { OutcomeStore } from '../outcomes/outcome-store.js';
import { ConsoleAuth, sessionOf } from './console-auth.js';
import { consoleAssets, consoleSecurityHeaders } from './console-assets.js';
import { roleAllows } from './console-roles.js';
import { SessionSigner } from './console-session.js';
import { ConsoleUserDirectory } from './console-users.js';
import { ensureFirstAdmin } from './first-run-admin.js';
import { overviewApiRouter } from './overview-api.js';
import { rulesApiRouter } from './rules-api.js';
import { loadSessionSecret } from './session-secret.js';
import { SignInThrottle } from './sign-in-throttle.js';
import { tryItApiRouter } from './try-it-api.js';

/** What the console needs from the app (a subset of AppDeps, so app.ts passes its own deps). */
export interface ConsoleDeps {
  config: LoopcdsConfig;
  logger: Logger;
  knowledge: () => KnowledgeBase;
  knowledgeHolder?: KnowledgeHolder | undefined;
  outcomes?: OutcomeStore | undefined;
  breakers: CircuitBreakers;
  clock?: () => Date;
  /**
   * The population API router (src/population), the same instance the app serves at /api/population, so
   * that runs started from the console are the runs the API reports. Served at /console/api/population
   * behind the console's roles; absent: the population pages say the API is not available.
   */
  populationApi?: Router | undefined;
}

/**
 * The web console at /console (docs/console.md): the built single-page app and its API at /console/api,
 * every API route behind a session and a role, state changes behind a CSRF token.
 */
export function consoleRouter(deps: ConsoleDeps): Router {
  const logger = deps.logger.child({ component: 'console' });
  const users = new ConsoleUserDirectory(deps.config.consoleUsersFile, (message) =>
    logger.error({ problem: message }, 'console users file cannot be read; keeping the last good one'),
  );
  const ready = ensureFirstAdmin(deps.config.consoleUsersFile, logger).catch((error: unknown) => {
    logger.error({ err: error }, 'console: the users file could not be prepared; nobody can sign in');
  });
  const signer = new SessionSigner(
    loadSessionSecret({
      configured: deps.config.consoleSessionSecret,
      file: deps.config.consoleSessionKeyFile,
      logger,
    }),
    deps.config.consoleSessionMinutes * 60,
  );
  const auth = new ConsoleAuth({
    signer,
    users,
    throttle: new SignInThrottle(),
    logger,
    publicUrl: deps.config.publicUrl,
    ready,
  });

  const api = express.Router();
  api.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store'); // answers may hold patient data: never cached
    next();
  });
  api.use(auth.sessionRouter());
  api.use(auth.requireSession(), auth.requireCsrf());
  api.use(overviewApiRouter({ ...deps, auth }));
  api.use(rulesApiRouter({ config: deps.config, knowledge: deps.knowledge, auth }));
  api.use(tryItApiRouter({ config: deps.config, knowledge: deps.knowledge, auth }));
  // The learning figures: the outcome store's own API, behind the console's session and role.
  api.use('/outcomes', auth.requirePermission('learning:read'), outcomesApiRouter(deps.outcomes, deps.clock));
  if (deps.populationApi !== undefined)
    api.use('/population', auth.requirePermission('population:read'), populationGate(), deps.populationApi);

  const router = express.Router();
  router.use(consoleSecurityHeaders);
  router.use('/api', api);
  router.use(consoleAssets(deps.config.consoleAssetsDir));
  return router;
}

/**
 * Population routes beyond reading aggregates: starting a run needs `population:run`; any route whose path
 * names patients or action lists (patient-identifiable) needs `population:patients`.
 */
function populationGate(): RequestHandler {
  return (req, res, next) => {
    const { role } = sessionOf(res);
    const identifiable = /(^|\/)(actions?|action-list|patients?)(\/|\.|$)/.test(req.path);
    if (identifiable && !roleAllows(role, 'population:patients')) throw forbidden('population:patients');
    if (req.method === 'POST' && !roleAllows(role, 'population:run')) throw forbidden('population:run');
    next();
  };
}

function forbidden(permission: string) {
  return loopcdsError('LOOPCDS_ERR_CONSOLE_FORBIDDEN', `needs ${permission}`);
}
