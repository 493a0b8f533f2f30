import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isConsoleRole, type ConsoleRole } from './console-roles.js';

/** The cookie that carries a console session. Path=/console: never sent to the CDS Hooks endpoints. */
export const SESSION_COOKIE = 'loopcds_console';

/** What a session cookie says, once its signature and expiry are checked. */
export interface ConsoleSession {
  /** Random session id: what sign-out revokes and the CSRF token is derived from. */
  id: string;
  username: string;
  role: ConsoleRole;
  /** The user's stamp at sign-in (console-users.ts userStamp): a changed password or role ends it. */
  stamp: string;
  /** Issued and expires, seconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
}

/**
 * Signed, stateless console sessions: the cookie is `<payload base64url>.<HMAC-SHA256 base64url>`, so any
 * instance with the same secret can check it. The CSRF token is an HMAC of the session id under the same
 * secret (a synchronizer token without server state: OWASP CSRF Prevention Cheat Sheet, "signed double
 * submit"): the page reads it from `GET /console/api/session` and sends it back in `X-CSRF-Token`; a
 * page of another origin can read neither the cookie nor that answer.
 */
export class SessionSigner {
  private readonly key: Buffer;
  /** Sessions signed out before they expired, by id, with their expiry (seconds). */
  private readonly revoked = new Map<string, number>();

  constructor(
    secret: string,
    private readonly lifetimeSeconds: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.key = createHmac('sha256', 'loopcds console session').update(secret).digest();
  }

  /** A new session for a user. */
  issue(user: { username: string; role: ConsoleRole; stamp: string }): {
    cookie: string;
    session: ConsoleSession;
  } {
    const now = Math.floor(this.clock() / 1000);
    const session: ConsoleSession = {
      id: randomBytes(16).toString('base64url'),
      username: user.username,
      role: user.role,
      stamp: user.stamp,
      issuedAt: now,
      expiresAt: now + this.lifetimeSeconds,
    };
    const payload = Buffer.from(
      JSON.stringify({
        v: 1,
        sid: session.id,
        u: session.username,
        r: session.role,
        s: session.stamp,
        iat: session.issuedAt,
        exp: session.expiresAt,
      }),
    ).toString('base64url');
    return { cookie: `${payload}.${this.mac(payload)}`, session };
  }

  /** The session a cookie value carries, or undefined when it is forged, malformed, expired or revoked. */
  verify(cookie: string | undefined): ConsoleSession | undefined {
    if (cookie === undefined || cookie.length > 2048) return undefined;
    const dot = cookie.indexOf('.');
    if (dot <= 0) return undefined;
    const payload = cookie.slice(0, dot);
    const presented = Buffer.from(cookie.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.mac(payload), 'base64url');
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return undefined;
    let claims: Record<string, unknown>;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return undefined;
    }
    const { v, sid, u, r, s, iat, exp } = claims;
    if (
      v !== 1 ||
      typeof sid !== 'string' ||
      typeof u !== 'string' ||
      !isConsoleRole(r) ||
      typeof s !== 'string' ||
      typeof iat !== 'number' ||
      typeof exp !== 'number'
    )
      return undefined;
    const now = Math.floor(this.clock() / 1000);
    if (exp <= now || this.revoked.has(sid)) return undefined;
    return { id: sid, username: u, role: r, stamp: s, issuedAt: iat, expiresAt: exp };
  }

  /** Ends a session before its expiry (sign-out). Kept in this process until the session would expire. */
  revoke(session: ConsoleSession): void {
    const now = Math.floor(this.clock() / 1000);
    for (const [id, expiresAt] of this.revoked) if (expiresAt <= now) this.revoked.delete(id);
    this.revoked.set(session.id, session.expiresAt);
  }

  /** The CSRF token of a session. */
  csrfToken(session: ConsoleSession): string {
    return this.mac(`csrf:${session.id}`);
  }

  /** Whether a presented CSRF token is the session's, compared in constant time. */
  checkCsrf(session: ConsoleSession, presented: string | undefined): boolean {
    if (presented === undefined) return false;
    const a = Buffer.from(presented);
    const b = Buffer.from(this.csrfToken(session));
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private mac(text: string): string {
    return createHmac('sha256', this.key).update(text).digest('base64url');
  }
}

/** Reads one cookie from a Cookie header (RFC 6265 §5.4), without a dependency. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The Set-Cookie value of a session cookie (or of its removal when `value` is empty). */
export function sessionCookieHeader(
  value: string,
  options: { maxAgeSeconds: number; secure: boolean },
): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'Path=/console',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${options.maxAgeSeconds}`,
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}
