import { Client } from 'fhir-kit-client';
import { isOperationOutcome, type OperationOutcome } from '../errors/operation-outcome.js';
import type { FhirBundle, FhirResource } from '../engine/patient-bundle.js';
import { DeadlineExceededError, type Deadline } from './deadline.js';

/** Why a FHIR query failed: the typed form of what fhir-kit-client and fetch throw. */
export type FhirFetchFailure = 'timeout' | 'http' | 'network' | 'malformed';

export class FhirFetchError extends Error {
  constructor(
    readonly failure: FhirFetchFailure,
    message: string,
    readonly status?: number,
    readonly outcome?: OperationOutcome,
    cause?: unknown,
  ) {
    super(message, { cause });
    this.name = 'FhirFetchError';
  }
}

/** The EHR's FHIR server as one hook call may use it: base URL and the bearer token it was given. */
export interface FhirServerAccess {
  baseUrl: string;
  /** `fhirAuthorization.access_token`: used for this call only, never stored or logged. */
  accessToken?: string | undefined;
}

/**
 * Reads from the EHR's FHIR server through fhir-kit-client under a deadline. Searches follow `next`
 * links on the same server only (the token must never be sent elsewhere) up to `maxPages`.
 */
export class FhirFetcher {
  private readonly client: Client;
  private readonly origin: string;

  constructor(
    private readonly server: FhirServerAccess,
    private readonly maxPages: number,
  ) {
    this.client = new Client({
      baseUrl: server.baseUrl,
      ...(server.accessToken === undefined ? {} : { bearerToken: server.accessToken }),
    });
    this.origin = new URL(server.baseUrl).origin;
  }

  /** GETs a relative URL (a resolved prefetch template); a searchset's pages are merged into one Bundle. */
  async get(relativeUrl: string, deadline: Deadline): Promise<FhirResource> {
    const first = await this.request(relativeUrl, deadline);
    if (first.resourceType !== 'Bundle') return first;
    const bundle = first as FhirBundle;
    const entries = [...(bundle.entry ?? [])];
    let next = nextLink(bundle);
    for (let page = 1; next !== undefined && page < this.maxPages; page++) {
      if (new URL(next, this.server.baseUrl).origin !== this.origin) break;
      const more = (await this.request(next, deadline)) as FhirBundle;
      entries.push(...(more.entry ?? []));
      next = nextLink(more);
    }
    return { ...bundle, entry: entries, link: [] };
  }

  private async request(url: string, deadline: Deadline): Promise<FhirResource> {
    if (deadline.expired)
      throw new FhirFetchError('timeout', new DeadlineExceededError(deadline.budgetMs).message);
    let result: unknown;
    try {
      result = await this.client.request(url, { options: { signal: deadline.signal } });
    } catch (error) {
      throw classify(error, deadline);
    }
    if (
      typeof result !== 'object' ||
      result === null ||
      typeof (result as { resourceType?: unknown }).resourceType !== 'string'
    ) {
      throw new FhirFetchError(
        'malformed',
        `The FHIR server answered ${url} with something that is not a FHIR resource`,
      );
    }
    return result as FhirResource;
  }
}

function nextLink(bundle: FhirBundle): string | undefined {
  const links = bundle['link'];
  if (!Array.isArray(links)) return undefined;
  const next = links.find(
    (l: { relation?: unknown; url?: unknown }) => l?.relation === 'next' && typeof l.url === 'string',
  ) as { url: string } | undefined;
  return next?.url;
}

function classify(error: unknown, deadline: Deadline): FhirFetchError {
  if (deadline.signal.aborted) {
    return new FhirFetchError(
      'timeout',
      new DeadlineExceededError(deadline.budgetMs).message,
      undefined,
      undefined,
      error,
    );
  }
  const e = error as { response?: { status?: unknown; data?: unknown }; name?: unknown; message?: unknown };
  const status = typeof e?.response?.status === 'number' ? e.response.status : undefined;
  if (status !== undefined) {
    const data = e.response?.data;
    if (status >= 200 && status < 300) {
      return new FhirFetchError(
        'malformed',
        `The FHIR server answered with a body that is not JSON (HTTP ${status})`,
        status,
        undefined,
        error,
      );
    }
    return new FhirFetchError(
      'http',
      `The FHIR server answered HTTP ${status}`,
      status,
      isOperationOutcome(data) ? data : undefined,
      error,
    );
  }
  const message = typeof e?.message === 'string' ? e.message : String(error);
  return new FhirFetchError(
    'network',
    `The FHIR server could not be reached: ${message}`,
    undefined,
    undefined,
    error,
  );
}
