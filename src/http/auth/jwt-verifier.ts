import { readFile } from 'node:fs/promises';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { ReplayCache } from './replay-cache.js';
import type { TrustedIssuer } from './trusted-issuers.js';

/** Asymmetric algorithms only: CDS Hooks 2.0 requires ES384 and RS384 support; `none` and HMAC never. */
export const ACCEPTED_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
];

/** Why a token was refused: logged (with iss and jti), never sent. */
export type AuthFailure =
  | 'missing-token'
  | 'malformed-token'
  | 'algorithm-not-allowed'
  | 'missing-kid'
  | 'unknown-issuer'
  | 'jku-not-allowed'
  | 'no-key'
  | 'bad-signature'
  | 'wrong-audience'
  | 'expired'
  | 'not-yet-valid'
  | 'issued-in-future'
  | 'missing-claim'
  | 'lifetime-too-long'
  | 'replayed-jti'
  | 'tenant-not-allowed'
  | 'key-fetch-failed';

export class AuthError extends Error {
  constructor(
    readonly failure: AuthFailure,
    readonly issuer?: string,
    readonly jti?: string,
  ) {
    super(failure);
    this.name = 'AuthError';
  }
}

export interface VerifierOptions {
  issuers: readonly TrustedIssuer[];
  replayCache: ReplayCache;
  /** Clock skew allowed on exp, nbf and iat, in seconds. */
  clockSkewSeconds: number;
  /** Longest token lifetime (exp − iat) accepted, in seconds; bounds the replay cache. */
  maxLifetimeSeconds: number;
  now?: () => number;
}

/** The verified claims a call carries on. */
export interface VerifiedCaller {
  iss: string;
  sub: string | undefined;
  jti: string;
  tenant: string | undefined;
}

/**
 * Verifies CDS Hooks client JWTs with jose (CDS Hooks 2.0 §Trusting CDS Clients): `kid` required, an
 * accepted asymmetric `alg`, `iss` trusted, keys from the issuer's JWKS (URL with jose's caching and
 * rotation, or file) or from `jku` only when it is on the issuer's allowlist, `aud` equal to the exact
 * endpoint URL, `exp`/`nbf`/`iat` with skew, `jti` never seen before, `tenant` allowed.
 */
export class JwtVerifier {
  private readonly keySets = new Map<string, JWTVerifyGetKey>();
  private readonly issuers: ReadonlyMap<string, TrustedIssuer>;

  constructor(private readonly options: VerifierOptions) {
    this.issuers = new Map(options.issuers.map((i) => [i.iss, i]));
  }

  async verify(token: string | undefined, audience: string): Promise<VerifiedCaller> {
    if (token === undefined || token === '') throw new AuthError('missing-token');
    let header: ReturnType<typeof decodeProtectedHeader>;
    let unverified: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      unverified = decodeJwt(token);
    } catch {
      throw new AuthError('malformed-token');
    }
    const iss = typeof unverified.iss === 'string' ? unverified.iss : undefined;
    const jti = typeof unverified.jti === 'string' ? unverified.jti : undefined;
    const fail = (failure: AuthFailure) => new AuthError(failure, iss, jti);

    if (typeof header.alg !== 'string' || !ACCEPTED_ALGORITHMS.includes(header.alg))
      throw fail('algorithm-not-allowed');
    if (typeof header.kid !== 'string' || header.kid === '') throw fail('missing-kid');
    const issuer = iss === undefined ? undefined : this.issuers.get(iss);
    if (issuer === undefined) throw fail('unknown-issuer');
    if (header.jku !== undefined && !issuer.jkuAllowlist.includes(header.jku)) throw fail('jku-not-allowed');

    const keys = await this.keySet(issuer, header.jku);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms: ACCEPTED_ALGORITHMS,
        issuer: issuer.iss,
        audience,
        clockTolerance: this.options.clockSkewSeconds,
        requiredClaims: ['iss', 'aud', 'exp', 'iat', 'jti'],
        ...(this.options.now ? { currentDate: new Date(this.options.now()) } : {}),
      }));
    } catch (error) {
      throw fail(classify(error));
    }
    const now = Math.floor((this.options.now?.() ?? Date.now()) / 1000);
    const skew = this.options.clockSkewSeconds;
    if ((payload.iat ?? 0) > now + skew) throw fail('issued-in-future');
    if ((payload.exp ?? 0) - (payload.iat ?? 0) > this.options.maxLifetimeSeconds)
      throw fail('lifetime-too-long');
    const tenant = typeof payload['tenant'] === 'string' ? payload['tenant'] : undefined;
    if (issuer.tenants !== undefined && (tenant === undefined || !issuer.tenants.includes(tenant)))
      throw fail('tenant-not-allowed');
    const fresh = await this.options.replayCache.remember(
      issuer.iss,
      jti ?? '',
      (payload.exp ?? now) - now + skew,
    );
    if (!fresh) throw fail('replayed-jti');
    return { iss: issuer.iss, sub: payload.sub, jti: jti ?? '', tenant };
  }

  private async keySet(issuer: TrustedIssuer, jku: string | undefined): Promise<JWTVerifyGetKey> {
    const url = jku ?? issuer.jwksUrl;
    const cacheKey = url ?? `file:${issuer.jwksFile ?? ''}`;
    let keys = this.keySets.get(cacheKey);
    if (keys === undefined) {
      if (url !== undefined) {
        // jose caches the set, refetches on an unknown kid (rotation) at most every cooldown.
        keys = createRemoteJWKSet(new URL(url), {
          cacheMaxAge: 600_000,
          cooldownDuration: 30_000,
          timeoutDuration: 2_000,
        }); // 10 min, 30 s, 2 s
      } else if (issuer.jwksFile !== undefined) {
        keys = createLocalJWKSet(JSON.parse(await readFile(issuer.jwksFile, 'utf8')) as JSONWebKeySet);
      } else {
        throw new AuthError('no-key', issuer.iss);
      }
      this.keySets.set(cacheKey, keys);
    }
    return keys;
  }
}

function classify(error: unknown): AuthFailure {
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'wrong-audience';
    if (error.claim === 'nbf') return 'not-yet-valid';
    if (error.claim === 'iat') return 'issued-in-future';
    if (error.reason === 'missing') return 'missing-claim';
    return 'missing-claim';
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad-signature';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no-key';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm-not-allowed';
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid)
    return 'key-fetch-failed';
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid)
    return 'malformed-token';
  return 'bad-signature';
}
