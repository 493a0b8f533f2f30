/**
 * The site a hook call is counted under. In order: the configured site (LOOPCDS_SITE: one deployment,
 * one site); the verified caller's `iss`, with its `tenant` when it sends one (several sites sharing a
 * service); the caller's FHIR server, origin and path (multi-tenant FHIR servers such as Oracle Health's
 * put the tenant in the path); otherwise `unknown`. Credentials, query and fragment never make it in.
 */
export function siteOf(call: {
  configured?: string | undefined;
  issuer?: string | undefined;
  tenant?: string | undefined;
  fhirServer?: string | undefined;
}): string {
  if (call.configured !== undefined) return call.configured;
  if (call.issuer !== undefined)
    return call.tenant === undefined ? call.issuer : `${call.issuer}#${call.tenant}`;
  if (call.fhirServer !== undefined) {
    try {
      const url = new URL(call.fhirServer);
      return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    } catch {
      return 'unknown';
    }
  }
  return 'unknown';
}
