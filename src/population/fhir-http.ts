/** How a remote FHIR source is reached. */
export interface FhirHttpOptions {
  /** The FHIR base URL, e.g. https://ehr.example/fhir. */
  baseUrl: string;
  /** The server's bearer token (sent as `Authorization: Bearer …`, never logged or stored). */
  token?: string;
  /** Longest wait for one request, in milliseconds. */
  timeoutMs?: number;
  /** Swapped in tests. */
  fetch?: typeof fetch;
}

/** A request to a FHIR server failed; the message names the URL path and status, never the token. */
export class FhirHttpError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'FhirHttpError';
  }
}

/** Sends one request with the bearer token and a timeout; resolves to the response whatever its status. */
export async function fhirRequest(
  options: FhirHttpOptions,
  url: string,
  init: { method?: string; headers?: Record<string, string>; signal?: AbortSignal; withToken?: boolean } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...init.headers };
  if (options.token !== undefined && init.withToken !== false)
    headers['Authorization'] = `Bearer ${options.token}`;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 60_000);
  const signal = init.signal === undefined ? timeout : AbortSignal.any([init.signal, timeout]);
  try {
    return await (options.fetch ?? fetch)(url, { method: init.method ?? 'GET', headers, signal });
  } catch (error) {
    throw new FhirHttpError(`${init.method ?? 'GET'} ${pathOf(url)} failed: ${(error as Error).message}`);
  }
}

/** Throws a FhirHttpError for a response that is not 2xx, with the OperationOutcome's diagnostics if any. */
export async function expectOk(response: Response, what: string): Promise<Response> {
  if (response.ok) return response;
  let detail = '';
  try {
    const body = (await response.json()) as {
      issue?: Array<{ diagnostics?: string; details?: { text?: string } }>;
    };
    detail =
      body.issue
        ?.map((i) => i.diagnostics ?? i.details?.text ?? '')
        .filter((t) => t !== '')
        .join('; ') ?? '';
  } catch {
    // not JSON: the status says enough
  }
  throw new FhirHttpError(
    `${what}: HTTP ${response.status}${detail === '' ? '' : ` (${detail})`}`,
    response.status,
  );
}

/** The path of a URL, without its query (which may hold patient ids). */
export function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '(invalid URL)';
  }
}

/** The base URL with one trailing slash removed. */
export function baseOf(url: string): string {
  return url.replace(/\/+$/, '');
}
