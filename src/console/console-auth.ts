import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { loopcdsError } from '../errors/error-catalogue.js';
import { permissionsOf, roleAllows, type ConsolePermission } from './console-roles.js';
import {
  readCookie,
  SESSION_COOKIE,
  sessionCookieHeader,
  type ConsoleSession,
  type SessionSigner,
} from './console-session.js';
import { userStamp, type ConsoleUserDirectory } from './console-users.js';
import { decoyHash, verifyPassword } from './password-hash.js';
import type { SignInThrottle } from './sign-in-throttle.js';

export interface ConsoleAuthDeps {
  signer: SessionSigner;
  users: ConsoleUserDirectory;
  throttle: SignInThrottle;
  logger: Logger;
  /** LOOPCDS_PUBLIC_URL: its origin is accepted as the console's own, and https there makes cookies Secure. */
  publicUrl: string | undefined;
  /** Resolves once the users file exists (the first-run admin is made at start). */
  ready: Promise<unknown>;
}

const signInSchema = z
  .object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024) })
  .strict();

/** The session of a request that passed {@link ConsoleAuth.requireSession}. */
export function sessionOf(res: Response): ConsoleSession {
  const session = res.locals['consoleSession'] as ConsoleSession | undefined;
  if (session === undefined) throw loopcdsError('LOOPCDS_ERR_UNAUTHORIZED');
  return session;
}

/**
 * Console authentication: sign-in with a user name and password (scrypt), a signed HttpOnly SameSite=Strict
 * session cookie, a CSRF token for every state-changing request, and role checks per route.
 */
export class ConsoleAuth {
  constructor(private readonly deps: ConsoleAuthDeps) {}

  /** `/session`: GET who am I, POST sign in, DELETE sign out. */
  sessionRouter(): Router {
    const router = express.Router();
    router.get('/session', this.requireSession(), (_req, res) => {
      res.json(this.describe(sessionOf(res)));
    });
    router.post('/session', this.sameOrigin(), async (req, res) => {
      await this.deps.ready;
      const parsed = signInSchema.safeParse(req.body);
      if (!parsed.success) throw loopcdsError('LOOPCDS_ERR_INVALID_REQUEST', 'expected {username, password}');
      const { username, password } = parsed.data;
      const address = req.socket.remoteAddress ?? 'unknown';
      if (!this.deps.throttle.allows(username, address)) {
        this.deps.logger.warn({ username, address }, 'console sign-in refused: too many failures');
        res.setHeader('Retry-After', '900');
        throw loopcdsError('LOOPCDS_ERR_CONSOLE_THROTTLED');
      }
      const user = await this.deps.users.find(username);
      // An unknown name costs the same scrypt as a known one: timing does not say which names exist.
      const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
      if (user === undefined || !ok) {
        this.deps.throttle.failed(username, address);
        this.deps.logger.warn({ username, address }, 'console sign-in failed');
        throw loopcdsError('LOOPCDS_ERR_CONSOLE_SIGN_IN_FAILED');
      }
      this.deps.throttle.succeeded(username);
      const { cookie, session } = this.deps.signer.issue({
        username: user.username,
        role: user.role,
        stamp: userStamp(user),
      });
      res.setHeader(
        'Set-Cookie',
        sessionCookieHeader(cookie, {
          maxAgeSeconds: session.expiresAt - session.issuedAt,
          secure: this.secure(req),
        }),
      );
      this.deps.logger.info({ username: user.username, role: user.role }, 'console sign-in');
      res.json(this.describe(session));
    });
    router.delete('/session', this.requireSession(), this.requireCsrf(), (req, res) => {
      const session = sessionOf(res);
      this.deps.signer.revoke(session);
      res.setHeader('Set-Cookie', sessionCookieHeader('', { maxAgeSeconds: 0, secure: this.secure(req) }));
      this.deps.logger.info({ username: session.username }, 'console sign-out');
      res.status(204).end();
    });
    return router;
  }

  /** 401 unless the request carries a valid session of a user who still exists with the same password and role. */
  requireSession(): RequestHandler {
    return async (req, res, next) => {
      await this.deps.ready;
      const session = this.deps.signer.verify(readCookie(req.headers.cookie, SESSION_COOKIE));
      const user = session === undefined ? undefined : await this.deps.users.find(session.username);
      if (session === undefined || user === undefined || userStamp(user) !== session.stamp)
        throw loopcdsError('LOOPCDS_ERR_UNAUTHORIZED');
      res.locals['consoleSession'] = session;
      next();
    };
  }

  /** 403 unless the session's role holds the permission (after requireSession). */
  requirePermission(permission: ConsolePermission): RequestHandler {
    return (req, res, next) => {
      const session = sessionOf(res);
      if (!roleAllows(session.role, permission)) {
        this.deps.logger.warn(
          { username: session.username, role: session.role, permission, path: req.originalUrl.split('?')[0] },
          'console: role does not allow this',
        );
        throw loopcdsError('LOOPCDS_ERR_CONSOLE_FORBIDDEN', `needs ${permission}`);
      }
      next();
    };
  }

  /** For POST, PUT, PATCH and DELETE: the same origin, and the session's CSRF token in `X-CSRF-Token`. */
  requireCsrf(): RequestHandler {
    const origin = this.sameOrigin();
    return (req, res, next) => {
      if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') {
        next();
        return;
      }
      origin(req, res, () => {
        const presented = req.headers['x-csrf-token'];
        if (
          !this.deps.signer.checkCsrf(sessionOf(res), typeof presented === 'string' ? presented : undefined)
        )
          throw loopcdsError('LOOPCDS_ERR_CONSOLE_CSRF');
        next();
      });
    };
  }

  /**
   * A browser names the page a request comes from (Origin; Sec-Fetch-Site in every current browser): a
   * state-changing request from another site is refused, sign-in included (login CSRF). Clients that
   * send neither (curl) are not browsers and cannot be driven by another site.
   */
  sameOrigin(): RequestHandler {
    return (req, _res, next) => {
      const origin = req.headers.origin;
      const site = req.headers['sec-fetch-site'];
      if (origin !== undefined && !this.isOwnOrigin(req, origin))
        throw loopcdsError('LOOPCDS_ERR_CONSOLE_CSRF');
      if (typeof site === 'string' && site !== 'same-origin' && site !== 'none')
        throw loopcdsError('LOOPCDS_ERR_CONSOLE_CSRF');
      next();
    };
  }

  private isOwnOrigin(req: Request, origin: string): boolean {
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return false;
    }
    if (req.headers.host !== undefined && host === req.headers.host) return true;
    return this.deps.publicUrl !== undefined && new URL(this.deps.publicUrl).host === host;
  }

  private secure(req: Request): boolean {
    return req.secure || (this.deps.publicUrl?.startsWith('https:') ?? false);
  }

  private describe(session: ConsoleSession) {
    return {
      username: session.username,
      role: session.role,
      permissions: permissionsOf(session.role),
      csrfToken: this.deps.signer.csrfToken(session),
      expiresAt: new Date(session.expiresAt * 1000).toISOString(),
    };
  }
}
