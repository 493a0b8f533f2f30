import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import { baseOf, expectOk, fhirRequest, FhirHttpError, pathOf, type FhirHttpOptions } from './fhir-http.js';
import { splitLines } from './partition-files.js';
import { SOURCE_ERROR_TYPE, type PopulationSource, type SourceStream } from './population-source.js';

/** Which `$export` operation: the whole system, every patient, or one Group (FHIR Bulk Data IG v2). */
export type ExportLevel = { kind: 'system' } | { kind: 'patient' } | { kind: 'group'; id: string };

export interface BulkExportOptions extends FhirHttpOptions {
  level: ExportLevel;
  /** Wait between status polls when the server sends no Retry-After, in milliseconds. */
  pollIntervalMs?: number;
  /** Longest a whole export may take before the run gives up, in milliseconds. */
  maxWaitMs?: number;
}

interface Manifest {
  requiresAccessToken?: boolean;
  output?: Array<{ type: string; url: string }>;
  error?: Array<{ type: string; url: string }>;
}

/** Types read before the others: medicines (references are resolved with them) and practices. */
const FIRST = ['Medication', 'Organization', 'Patient'];

/**
 * A FHIR server's Bulk Data `$export` as a population source (https://hl7.org/fhir/uv/bulkdata/export.html):
 * kick-off with `Prefer: respond-async` and `_type` naming only the types the rules read (plus Patient,
 * Organization and Medication); polling of the status URL, waiting as `Retry-After` says (seconds or an
 * HTTP date; 429 is waited out too); then download of each output file, streamed line by line into the
 * run, with the bearer token when the manifest says `requiresAccessToken`, then of its error files (as
 * type `OperationOutcome`); and a DELETE of the status URL
 * to let the server clean up. Errors come back as OperationOutcome diagnostics, never with the token.
 */
export function bulkExportSource(options: BulkExportOptions): PopulationSource {
  const base = baseOf(options.baseUrl);
  const path =
    options.level.kind === 'system'
      ? '$export'
      : options.level.kind === 'patient'
        ? 'Patient/$export'
        : `Group/${encodeURIComponent(options.level.id)}/$export`;
  return {
    kind: 'remote',
    description: `bulk-export:${base}/${path}`,
    open: (types, signal) => download(options, `${base}/${path}`, types, signal),
  };
}

async function* download(
  options: BulkExportOptions,
  kickOffUrl: string,
  types: readonly string[],
  signal: AbortSignal | undefined,
): AsyncGenerator<SourceStream> {
  const wanted = [...new Set([...FIRST, ...types])].sort();
  const url = `${kickOffUrl}?_outputFormat=${encodeURIComponent('application/fhir+ndjson')}&_type=${wanted.join(',')}`;
  const kickOff = await expectOk(
    await fhirRequest(options, url, {
      headers: { Accept: 'application/fhir+json', Prefer: 'respond-async' },
      ...(signal === undefined ? {} : { signal }),
    }),
    `$export kick-off ${pathOf(kickOffUrl)}`,
  );
  const location = kickOff.headers.get('content-location');
  if (kickOff.status !== 202 || location === null)
    throw new FhirHttpError(
      `$export kick-off ${pathOf(kickOffUrl)}: expected 202 with Content-Location, got ${kickOff.status}`,
    );
  await kickOff.body?.cancel();
  const statusUrl = new URL(location, kickOffUrl).href;
  const manifest = await poll(options, statusUrl, signal);
  try {
    const outputs = [...(manifest.output ?? [])].sort(
      (a, b) => rank(a.type) - rank(b.type) || a.type.localeCompare(b.type) || a.url.localeCompare(b.url),
    );
    for (const output of outputs) {
      const response = await expectOk(
        await fhirRequest(options, new URL(output.url, statusUrl).href, {
          headers: { Accept: 'application/fhir+ndjson' },
          withToken: manifest.requiresAccessToken !== false,
          ...(signal === undefined ? {} : { signal }),
        }),
        `$export output ${output.type}`,
      );
      if (response.body === null) continue;
      yield {
        type: output.type,
        lines: splitLines(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>)),
      };
    }
    // Bulk Data IG §Response - Complete Status: `error` lists NDJSON files of OperationOutcomes for what
    // the server could not export. The run counts them by issue code: its rates may miss those records.
    for (const error of manifest.error ?? []) {
      const response = await expectOk(
        await fhirRequest(options, new URL(error.url, statusUrl).href, {
          headers: { Accept: 'application/fhir+ndjson' },
          withToken: manifest.requiresAccessToken !== false,
          ...(signal === undefined ? {} : { signal }),
        }),
        `$export error file`,
      );
      if (response.body === null) continue;
      yield {
        type: SOURCE_ERROR_TYPE,
        lines: splitLines(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>)),
      };
    }
  } finally {
    // Bulk Data IG: the client may delete the export once it has the files; a failure here is not the run's.
    await fhirRequest(options, statusUrl, { method: 'DELETE' })
      .then((r) => r.body?.cancel())
      .catch(() => undefined);
  }
}

async function poll(
  options: BulkExportOptions,
  statusUrl: string,
  signal: AbortSignal | undefined,
): Promise<Manifest> {
  const deadline = Date.now() + (options.maxWaitMs ?? 24 * 3600_000); // a day
  for (;;) {
    const response = await fhirRequest(options, statusUrl, {
      headers: { Accept: 'application/json' },
      ...(signal === undefined ? {} : { signal }),
    });
    if (response.status === 200) return (await response.json()) as Manifest;
    if (response.status !== 202 && response.status !== 429)
      await expectOk(response, `$export status ${pathOf(statusUrl)}`);
    await response.body?.cancel();
    if (Date.now() > deadline)
      throw new FhirHttpError(`$export status ${pathOf(statusUrl)}: not complete in time`);
    await sleep(
      retryAfterMs(response.headers.get('retry-after'), options.pollIntervalMs ?? 2000),
      undefined,
      signal === undefined ? {} : { signal },
    );
  }
}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3), capped at 10 minutes. */
export function retryAfterMs(header: string | null, fallbackMs: number, now = Date.now()): number {
  if (header === null || header.trim() === '') return fallbackMs;
  const seconds = /^\d+$/.test(header.trim()) ? Number(header.trim()) * 1000 : Date.parse(header) - now;
  if (!Number.isFinite(seconds)) return fallbackMs;
  return Math.min(600_000, Math.max(0, seconds));
}

function rank(type: string): number {
  const i = FIRST.indexOf(type);
  return i === -1 ? FIRST.length : i;
}
