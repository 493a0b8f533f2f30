import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import type { TrustedIssuer } from './trusted-issuers.js';

/** The issuer name of the local development key. */
export const DEV_ISSUER = 'loopcds-dev';
const ALG = 'ES384';

interface DevIssuerFiles {
  privateKeyFile: string;
  jwksFile: string;
}

function files(dir: string): DevIssuerFiles {
  return { privateKeyFile: path.join(dir, 'private.jwk.json'), jwksFile: path.join(dir, 'jwks.json') };
}

/**
 * A locally generated ES384 key pair standing in for an EHR during development: its public JWKS is
 * trusted when no trusted-issuers file is configured, and `loopcds token` signs with its private key.
 * Created on first use, private key file mode 0600.
 */
export async function ensureDevIssuer(dir: string): Promise<TrustedIssuer & { created: boolean }> {
  const { privateKeyFile, jwksFile } = files(dir);
  let created = false;
  try {
    await readFile(jwksFile, 'utf8');
  } catch {
    const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    await mkdir(dir, { recursive: true });
    await writeFile(privateKeyFile, JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: ALG }), {
      mode: 0o600,
    });
    await chmod(privateKeyFile, 0o600);
    await writeFile(
      jwksFile,
      JSON.stringify({ keys: [{ ...publicJwk, kid, alg: ALG, use: 'sig' }] }, null, 2),
    );
    created = true;
  }
  return { iss: DEV_ISSUER, jwksFile, jkuAllowlist: [], name: 'Local development issuer', created };
}

/** Mints a CDS Hooks client JWT with the development key (CDS Hooks 2.0 §Trusting CDS Clients claims). */
export async function mintDevToken(options: {
  dir: string;
  audience: string;
  lifetimeSeconds?: number;
  tenant?: string;
}): Promise<string> {
  await ensureDevIssuer(options.dir);
  const jwk = JSON.parse(await readFile(files(options.dir).privateKeyFile, 'utf8')) as JWK & { kid: string };
  const key = await importJWK(jwk, ALG);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...(options.tenant === undefined ? {} : { tenant: options.tenant }) })
    .setProtectedHeader({ alg: ALG, kid: jwk.kid, typ: 'JWT' })
    .setIssuer(DEV_ISSUER)
    .setSubject('loopcds-dev-client')
    .setAudience(options.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.lifetimeSeconds ?? 300)) // CDS Hooks: SHOULD be 5 minutes
    .setJti(randomUUID())
    .sign(key);
}
