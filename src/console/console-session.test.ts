import { describe, expect, it } from 'vitest';
import { readCookie, sessionCookieHeader, SessionSigner } from './console-session.js';

const user = { username: 'phoebe', role: 'pharmacist' as const, stamp: 'stamp-1' };

describe('console sessions', () => {
  it('reads back the session it signed', () => {
    const signer = new SessionSigner('s'.repeat(32), 3600);
    const { cookie, session } = signer.issue(user);
    expect(signer.verify(cookie)).toEqual(session);
  });

  it('refuses a session signed with another secret, or altered', () => {
    const { cookie } = new SessionSigner('a'.repeat(32), 3600).issue(user);
    expect(new SessionSigner('b'.repeat(32), 3600).verify(cookie)).toBeUndefined();
    const [payload, mac] = cookie.split('.');
    const admin = Buffer.from(
      Buffer.from(payload ?? '', 'base64url')
        .toString('utf8')
        .replace('"pharmacist"', '"admin"'),
    ).toString('base64url');
    expect(new SessionSigner('a'.repeat(32), 3600).verify(`${admin}.${mac ?? ''}`)).toBeUndefined();
  });

  it('ends a session at its expiry and at sign-out', () => {
    let now = 1_000_000;
    const signer = new SessionSigner('s'.repeat(32), 60, () => now);
    const first = signer.issue(user);
    now += 59_000;
    expect(signer.verify(first.cookie)).toBeDefined();
    now += 1_000;
    expect(signer.verify(first.cookie)).toBeUndefined();
    const second = signer.issue(user);
    signer.revoke(second.session);
    expect(signer.verify(second.cookie)).toBeUndefined();
  });

  it('accepts only the CSRF token of the same session', () => {
    const signer = new SessionSigner('s'.repeat(32), 3600);
    const a = signer.issue(user).session;
    const b = signer.issue(user).session;
    expect(signer.checkCsrf(a, signer.csrfToken(a))).toBe(true);
    expect(signer.checkCsrf(a, signer.csrfToken(b))).toBe(false);
    expect(signer.checkCsrf(a, undefined)).toBe(false);
  });

  it('sets the cookie HttpOnly, SameSite=Strict, on /console only, and Secure over https', () => {
    expect(sessionCookieHeader('v', { maxAgeSeconds: 60, secure: false })).toBe(
      'loopcds_console=v; Path=/console; HttpOnly; SameSite=Strict; Max-Age=60',
    );
    expect(sessionCookieHeader('v', { maxAgeSeconds: 60, secure: true })).toMatch(/; Secure$/);
    expect(readCookie('a=1; loopcds_console=abc.def; b=2', 'loopcds_console')).toBe('abc.def');
  });
});
