import { readFile } from 'node:fs/promises';
import { z } from 'zod';

/**
 * The EHRs loopcds trusts (CDS Hooks 2.0 §Trusting CDS Clients): each issuer's `iss`, where its signing
 * keys are (a JWKS URL or a local JWKS file), which `jku` URLs it may point a token at, and, when set,
 * which `tenant` values it may send.
 */
export const trustedIssuerSchema = z
  .object({
    iss: z.string().min(1),
    jwksUrl: z.url().optional(),
    jwksFile: z.string().min(1).optional(),
    /** `jku` header values accepted for this issuer; a token naming any other `jku` is rejected. */
    jkuAllowlist: z.array(z.url()).default([]),
    /** When present, the token's `tenant` claim must be one of these. */
    tenants: z.array(z.string().min(1)).optional(),
    /** A display name for logs and the console. */
    name: z.string().min(1).optional(),
  })
  .strict()
  .refine((i) => i.jwksUrl !== undefined || i.jwksFile !== undefined || i.jkuAllowlist.length > 0, {
    message: 'an issuer needs jwksUrl, jwksFile or a jkuAllowlist',
  });

export type TrustedIssuer = z.infer<typeof trustedIssuerSchema>;

/** Reads the trusted-issuers file (a JSON array); every problem is reported with its path. */
export async function loadTrustedIssuers(file: string): Promise<TrustedIssuer[]> {
  const parsed = z.array(trustedIssuerSchema).safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(
      `${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}
