import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type RequestHandler, type Router } from 'express';
import type { Logger } from 'pino';
import { loopcdsError } from '../errors/error-catalogue.js';

/**
 * Requires `Authorization: Bearer <LOOPCDS_ADMIN_TOKEN>` on the operator APIs (`/api/outcomes`,
 * `/api/knowledge`, `/api/population`); people use the console, with its own sign-in and roles.
 *
 * The comparison is of sha256 digests with `timingSafeEqual`, so that neither the content nor the length
 * of the secret leaks through the time taken. With no token configured the endpoints are disabled (403):
 * an admin endpoint is never open by default. A failure is 401 with no detail, and is logged without
 * the presented value.
 */
export function requireAdminToken(token: string | undefined, logger: Logger): RequestHandler {
  const expected = token === undefined ? undefined : digest(token);
  return (req, res, next) => {
    if (expected === undefined) throw loopcdsError('LOOPCDS_ERR_ADMIN_DISABLED');
    const header = req.headers.authorization;
    const presented = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
    if (!timingSafeEqual(digest(presented), expected)) {
      logger.warn({ reqId: req.id, path: req.originalUrl.split('?')[0] }, 'admin authentication failed');
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw loopcdsError('LOOPCDS_ERR_UNAUTHORIZED');
    }
    next();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * A router behind `Authorization: Bearer <LOOPCDS_ADMIN_TOKEN>` (off without a token): how the app serves
 * its operator APIs (outcomes, knowledge, population). The console serves the same routers to signed-in
 * users, by role.
 */
export function adminOnly(
  router: Router,
  deps: { config: { adminToken?: string | undefined }; logger: Logger },
): Router {
  const guarded = express.Router();
  guarded.use(requireAdminToken(deps.config.adminToken, deps.logger), router);
  return guarded;
}
