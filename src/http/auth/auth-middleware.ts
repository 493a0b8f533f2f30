import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { loopcdsError } from '../../errors/error-catalogue.js';
import { AuthError, type JwtVerifier, type VerifiedCaller } from './jwt-verifier.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** The verified CDS client, when authentication is on. */
    caller?: VerifiedCaller;
  }
}

/**
 * Requires a valid CDS client JWT on every CDS Hooks route, discovery included. A failure answers 401
 * with no detail (the client learns nothing about why) and is logged with the issuer, jti and reason,
 * never the token.
 */
export function requireCdsClient(
  verifier: JwtVerifier,
  logger: Logger,
  publicUrl: string | undefined,
): RequestHandler {
  return async (req, res, next) => {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
    try {
      req.caller = await verifier.verify(token, endpointUrl(req, publicUrl));
      next();
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      logger.warn(
        {
          reqId: req.id,
          iss: error.issuer,
          jti: error.jti,
          reason: error.failure,
          path: req.originalUrl.split('?')[0],
        },
        'CDS client authentication failed',
      );
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw loopcdsError('LOOPCDS_ERR_UNAUTHORIZED');
    }
  };
}

/** The exact endpoint URL called, which `aud` must equal (CDS Hooks 2.0 §Trusting CDS Clients). */
export function endpointUrl(req: Request, publicUrl: string | undefined): string {
  const path = req.originalUrl.split('?')[0] ?? req.path;
  const base = publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
  return `${base.replace(/\/$/, '')}${path}`;
}
