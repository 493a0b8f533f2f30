import { Client } from 'fhir-kit-client';
import { isOperationOutcome, type OperationOutcome } from '../errors/operation-outcome.js';
import type { FhirBundle, FhirResource } from '../engine/patient-bundle.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import { DeadlineExceededError, type Deadline } from './deadline.js';

/** Why a FHIR query failed: the typed form of what fhir-kit-client and fetch throw. */
export type FhirFetchFailure = 'timeout' | 'http' | 'network' | 'malformed' | 'circuit-open';

export class FhirFetchError extends Error {
  constructor(
    readonly failure: FhirFetchFailure,
    message: string,
    readonly status?: number,
    readonly outcome?: OperationOutcome,
    cause?: unknown,
    /** From a 429's Retry-After, in milliseconds. */
    readonly retryAfterMs?: number,
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

/** How failed requests are retried. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  /** Base of the exponential back-off, in milliseconds; each wait is a random 0..base·2^attempt (full jitter). */
  baseDelayMs: number;
  /** A retry is only made when at least this much of the deadline would remain after the wait. */
  minRemainingMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 2, baseDelayMs: 50, minRemainingMs: 100 };

/**
 * Reads from the EHR's FHIR server through fhir-kit-client under a deadline. Searches follow `next`
 * links on the same server only (the token must never be sent elsewhere) up to `maxPages`. A network
 * error, a 5xx or a 429 is retried with jittered back-off only while the deadline leaves time (a 429's
 * Retry-After is honoured when it fits); every attempt counts on the server's circuit breaker, and an
 * open circuit fails at once.
 */
export class FhirFetcher {
  private readonly client: Client;
  private readonly origin: string;

  constructor(
    private readonly server: FhirServerAccess,
    private readonly maxPages: number,
    private readonly breaker?: CircuitBreaker,
    private readonly retry: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly random: () => number = Math.random,
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
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(url, deadline);
      } catch (error) {
        const failure = error as FhirFetchError;
        const wait = this.retryDelay(failure, attempt, deadline);
        if (wait === undefined) throw failure;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  /** Milliseconds to wait before retrying, or undefined when the failure is final. */
  private retryDelay(failure: FhirFetchError, attempt: number, deadline: Deadline): number | undefined {
    const retryable =
      failure.failure === 'network' ||
      (failure.failure === 'http' &&
        failure.status !== undefined &&
        (failure.status >= 500 || failure.status === 429));
    if (!retryable || attempt >= this.retry.retries) return undefined;
    let wait = this.random() * this.retry.baseDelayMs * 2 ** attempt;
    if (failure.retryAfterMs !== undefined) wait = Math.max(wait, failure.retryAfterMs);
    return deadline.remainingMs() - wait >= this.retry.minRemainingMs ? wait : undefined;
  }

  private async attempt(url: string, deadline: Deadline): Promise<FhirResource> {
    if (deadline.expired)
      throw new FhirFetchError('timeout', new DeadlineExceededError(deadline.budgetMs).message);
    if (this.breaker !== undefined && !this.breaker.tryAcquire()) {
      throw new FhirFetchError(
        'circuit-open',
        `Calls to ${this.origin} are failing fast: its circuit is open`,
      );
    }
    let result: unknown;
    try {
      result = await this.client.request(url, { options: { signal: deadline.signal } });
    } catch (error) {
      this.breaker?.failure();
      throw classify(error, deadline);
    }
    if (
      typeof result !== 'object' ||
      result === null ||
      typeof (result as { resourceType?: unknown }).resourceType !== 'string'
    ) {
      this.breaker?.failure();
      throw new FhirFetchError(
        'malformed',
        `The FHIR server answered ${url} with something that is not a FHIR resource`,
      );
    }
    this.breaker?.success();
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
  const e = error as {
    response?: { status?: unknown; data?: unknown };
    config?: { headers?: { get?: (name: string) => string | null } };
    message?: unknown;
  };
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
    const retryAfter = Number(e.config?.headers?.get?.('retry-after') ?? NaN);
    return new FhirFetchError(
      'http',
      `The FHIR server answered HTTP ${status}`,
      status,
      isOperationOutcome(data) ? data : undefined,
      error,
      Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : undefined,
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
