import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { startServer, type RunningServer } from '../../src/http/server.js';
import { MemoryOutcomeRecorder } from '../../src/outcomes/outcome-recorder.js';
import { ROOT } from '../support/test-service.js';

const EHR = 'https://ehr.example.org';
const OTHER_EHR = 'https://other-ehr.example.org';
const TENANT_EHR = 'https://tenant-ehr.example.org';

interface SigningKey {
  alg: 'ES384' | 'RS384';
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function signingKey(alg: 'ES384' | 'RS384'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const kid = `${alg}-${randomUUID().slice(0, 8)}`;
  return { alg, kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

let es384: SigningKey;
let rs384: SigningKey;
let jkuKey: SigningKey;
let service: RunningServer;
let jwksServer: Server;
let jkuUrl: string;
const logLines: Array<Record<string, unknown>> = [];
const logText: string[] = [];

beforeAll(async () => {
  es384 = await signingKey('ES384');
  rs384 = await signingKey('RS384');
  jkuKey = await signingKey('ES384');
  // A real JWKS endpoint on loopback for the `jku` header.
  jwksServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jkuKey.publicJwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jkuUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;

  const dir = await mkdtemp(path.join(tmpdir(), 'loopcds-auth-'));
  const jwksFile = path.join(dir, 'ehr-jwks.json');
  await writeFile(jwksFile, JSON.stringify({ keys: [es384.publicJwk, rs384.publicJwk] }));
  const issuersFile = path.join(dir, 'trusted-issuers.json');
  await writeFile(
    issuersFile,
    JSON.stringify([
      { iss: EHR, jwksFile, jkuAllowlist: [jkuUrl] },
      { iss: TENANT_EHR, jwksFile, tenants: ['practice-a'] },
    ]),
  );
  const config = loadConfig({
    root: ROOT,
    overrides: {
      port: 0,
      host: '127.0.0.1',
      logLevel: 'info',
      auth: 'on',
      trustedIssuersFile: issuersFile,
      authClockSkewSeconds: 30,
    },
  });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      const text = chunk.toString();
      logText.push(text);
      for (const line of text.split('\n').filter(Boolean))
        logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  service = await startServer(config, pino({ level: 'info' }, sink), {
    recorder: new MemoryOutcomeRecorder(),
  });
});

afterAll(async () => {
  await service.close();
  await new Promise<void>((resolve) => jwksServer.close(() => resolve()));
});

const discovery = () => `${service.url}/cds-services`;

interface TokenOptions {
  key?: SigningKey;
  iss?: string;
  aud?: string | string[];
  expOffset?: number;
  iatOffset?: number;
  nbfOffset?: number;
  jti?: string;
  kid?: string | null;
  jku?: string;
  tenant?: string;
}

async function token(options: TokenOptions = {}): Promise<string> {
  const key = options.key ?? es384;
  const now = Math.floor(Date.now() / 1000);
  const header: Record<string, unknown> = { alg: key.alg, typ: 'JWT' };
  if (options.kid !== null) header['kid'] = options.kid ?? key.kid;
  if (options.jku !== undefined) header['jku'] = options.jku;
  const jwt = new SignJWT({ ...(options.tenant === undefined ? {} : { tenant: options.tenant }) })
    .setProtectedHeader(header as { alg: string })
    .setIssuer(options.iss ?? EHR)
    .setSubject('ehr-client')
    .setAudience(options.aud ?? discovery())
    .setIssuedAt(now + (options.iatOffset ?? 0))
    .setExpirationTime(now + (options.expOffset ?? 300))
    .setJti(options.jti ?? randomUUID());
  if (options.nbfOffset !== undefined) jwt.setNotBefore(now + options.nbfOffset);
  return jwt.sign(key.privateKey);
}

async function callDiscovery(
  jwt: string | undefined,
): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(discovery(), {
    headers: jwt === undefined ? {} : { authorization: `Bearer ${jwt}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Asserts a 401 with no detail, and a log line with the reason, the issuer and the jti, never the token. */
async function expectRejected(jwt: string | undefined, reason: string) {
  const before = logLines.length;
  const { status, body } = await callDiscovery(jwt);
  expect(status).toBe(401);
  expect(body['resourceType']).toBe('OperationOutcome');
  expect(body['issue'][0].diagnostics).toBeUndefined();
  expect(JSON.stringify(body)).not.toContain(reason);
  const line = logLines.slice(before).find((l) => l['msg'] === 'CDS client authentication failed');
  expect(line?.['reason']).toBe(reason);
  if (jwt !== undefined) expect(logText.join('')).not.toContain(jwt);
  return line;
}

describe('CDS client authentication (CDS Hooks 2.0 §Trusting CDS Clients)', () => {
  it('accepts an ES384 token for the exact endpoint', async () => {
    const { status, body } = await callDiscovery(await token());
    expect(status).toBe(200);
    expect(Array.isArray(body['services'])).toBe(true);
  });

  it('accepts an RS384 token', async () => {
    expect((await callDiscovery(await token({ key: rs384 }))).status).toBe(200);
  });

  it('accepts an audience given as an array that holds the endpoint', async () => {
    expect(
      (await callDiscovery(await token({ aud: ['https://elsewhere.example.org', discovery()] }))).status,
    ).toBe(200);
  });

  it('accepts a key from a jku on the issuer allowlist', async () => {
    expect((await callDiscovery(await token({ key: jkuKey, jku: jkuUrl }))).status).toBe(200);
  });

  it('rejects a call with no token', async () => {
    await expectRejected(undefined, 'missing-token');
  });

  it('rejects a token for another endpoint (wrong aud)', async () => {
    const line = await expectRejected(
      await token({ aud: `${service.url}/cds-services/pincer-order-sign` }),
      'wrong-audience',
    );
    expect(line?.['iss']).toBe(EHR);
    expect(typeof line?.['jti']).toBe('string');
  });

  it('rejects an expired token', async () => {
    await expectRejected(await token({ iatOffset: -400, expOffset: -100 }), 'expired');
  });

  it('accepts a token expired by less than the clock skew', async () => {
    expect((await callDiscovery(await token({ iatOffset: -300, expOffset: -10 }))).status).toBe(200);
  });

  it('rejects a token whose nbf is beyond the clock skew', async () => {
    await expectRejected(await token({ nbfOffset: 120 }), 'not-yet-valid');
  });

  it('rejects a replayed jti', async () => {
    const jti = randomUUID();
    expect((await callDiscovery(await token({ jti }))).status).toBe(200);
    await expectRejected(await token({ jti }), 'replayed-jti');
  });

  it('rejects an unknown issuer', async () => {
    await expectRejected(await token({ iss: OTHER_EHR }), 'unknown-issuer');
  });

  it('rejects a jku that is not on the issuer allowlist', async () => {
    await expectRejected(
      await token({ key: jkuKey, jku: 'https://attacker.example.com/jwks.json' }),
      'jku-not-allowed',
    );
  });

  it('rejects alg none', async () => {
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${base64url({ alg: 'none', kid: es384.kid })}.${base64url({ iss: EHR, aud: discovery(), iat: now, exp: now + 300, jti: randomUUID() })}.`;
    await expectRejected(unsigned, 'algorithm-not-allowed');
  });

  it('rejects an HS256 token, even one signed with the public key as secret', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(es384.publicJwk));
    const now = Math.floor(Date.now() / 1000);
    const hs = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: es384.kid })
      .setIssuer(EHR)
      .setAudience(discovery())
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .setJti(randomUUID())
      .sign(secret);
    await expectRejected(hs, 'algorithm-not-allowed');
  });

  it('rejects a tampered signature', async () => {
    const [header, , signature] = (await token()).split('.');
    const now = Math.floor(Date.now() / 1000);
    const forged = `${header}.${base64url({ iss: EHR, sub: 'admin', aud: discovery(), iat: now, exp: now + 300, jti: randomUUID() })}.${signature}`;
    await expectRejected(forged, 'bad-signature');
  });

  it('rejects a token without kid', async () => {
    await expectRejected(await token({ kid: null }), 'missing-kid');
  });

  it('rejects a token whose lifetime is longer than allowed', async () => {
    await expectRejected(await token({ expOffset: 7200 }), 'lifetime-too-long');
  });

  it('rejects a tenant that is not on the issuer allowlist, and accepts one that is', async () => {
    await expectRejected(await token({ iss: TENANT_EHR, tenant: 'practice-b' }), 'tenant-not-allowed');
    expect((await callDiscovery(await token({ iss: TENANT_EHR, tenant: 'practice-a' }))).status).toBe(200);
  });

  it('protects hook calls and feedback as well as discovery', async () => {
    const url = `${service.url}/cds-services/pincer-order-sign/feedback`;
    const anonymous = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"feedback":[]}',
    });
    expect(anonymous.status).toBe(401);
    const authorised = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await token({ aud: url })}` },
      body: JSON.stringify({
        feedback: [{ card: randomUUID(), outcome: 'overridden', outcomeTimestamp: '2026-06-15T10:00:00Z' }],
      }),
    });
    expect(authorised.status).toBe(200);
  });

  it('leaves health checks open', async () => {
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
  });
});
