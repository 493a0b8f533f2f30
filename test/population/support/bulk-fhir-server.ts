import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';

type Resource = { resourceType: string; id?: string; [k: string]: unknown };

export interface BulkFhirServer {
  baseUrl: string;
  /** Method and path (no query) of every request, with whether it carried the right token. */
  requests: Array<{ method: string; path: string; authorised: boolean; query: string }>;
  close(): Promise<void>;
}

/**
 * A real HTTP server on loopback standing in for an EHR's FHIR server, over an NDJSON folder: Bulk Data
 * `$export` at system, Patient and Group level (kick-off with `Prefer: respond-async`, a status URL that
 * answers 202 with `Retry-After: 1` once, then the manifest; output files streamed; DELETE of the status
 * URL), and RESTful search (`Organization`, `Patient` paged with `_count`/`_offset`, `Patient/<id>`,
 * `<type>?patient=<id>`). Every request needs the bearer token. `Group/<practice id>` is the practice's
 * patients.
 */
export async function startBulkFhirServer(
  dir: string,
  token: string,
  options: {
    /** OperationOutcomes the manifest lists as its error file (records the server could not export). */
    exportErrors?: ReadonlyArray<Record<string, unknown>>;
  } = {},
): Promise<BulkFhirServer> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.ndjson'));
  const byType = new Map<string, Resource[]>();
  for (const f of files) {
    const type = f.split('.')[0]!;
    byType.set(
      type,
      readFileSync(path.join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Resource),
    );
  }
  const patientOf = (r: Resource) =>
    /Patient\/(.+)$/.exec((r['subject'] as { reference?: string } | undefined)?.reference ?? '')?.[1];
  const byPatient = new Map<string, Resource[]>();
  for (const [type, list] of byType) {
    if (type === 'Patient' || type === 'Organization') continue;
    for (const r of list) {
      const id = patientOf(r);
      if (id !== undefined) byPatient.set(id, [...(byPatient.get(id) ?? []), r]);
    }
  }
  const jobs = new Map<string, { types: string[]; patients?: Set<string>; polls: number }>();
  const requests: BulkFhirServer['requests'] = [];
  let base = '';

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://loopback');
    const authorised = req.headers.authorization === `Bearer ${token}`;
    requests.push({ method: req.method ?? 'GET', path: url.pathname, authorised, query: url.search });
    if (!authorised) return outcome(res, 401, 'login', 'a bearer token is required');
    const p = url.pathname.replace(/^\/fhir/, '');
    const exportMatch = /^\/(?:(Patient)|Group\/([^/]+))?\/?\$export$/.exec(p);
    if (exportMatch !== null) {
      if (req.headers.prefer !== 'respond-async')
        return outcome(res, 400, 'invalid', 'Prefer: respond-async is required');
      const group = exportMatch[2];
      const patients =
        group === undefined
          ? undefined
          : new Set((byType.get('Patient') ?? []).filter((r) => practiceOf(r) === group).map((r) => r.id!));
      const types = (url.searchParams.get('_type') ?? [...byType.keys()].join(',')).split(',');
      const id = String(jobs.size + 1);
      jobs.set(id, { types, ...(patients === undefined ? {} : { patients }), polls: 0 });
      res.writeHead(202, { 'Content-Location': `${base}/bulkstatus/${id}` }).end();
      return;
    }
    const status = /^\/bulkstatus\/(\d+)$/.exec(p);
    if (status !== null) {
      const job = jobs.get(status[1]!);
      if (job === undefined) return outcome(res, 404, 'not-found', 'no such export');
      if (req.method === 'DELETE') {
        jobs.delete(status[1]!);
        res.writeHead(202).end();
        return;
      }
      if (job.polls++ === 0) {
        res.writeHead(202, { 'Retry-After': '1', 'X-Progress': 'preparing files' }).end();
        return;
      }
      const output = job.types
        .filter((t) => byType.has(t))
        .map((t) => ({ type: t, url: `${base}/files/${status[1]}/${t}.ndjson` }));
      return json(res, 200, {
        transactionTime: new Date().toISOString(),
        request: `${base}/$export`,
        requiresAccessToken: true,
        output,
        error:
          (options.exportErrors ?? []).length === 0
            ? []
            : [{ type: 'OperationOutcome', url: `${base}/files/${status[1]}/errors.ndjson` }],
      });
    }
    const errorFile = /^\/files\/(\d+)\/errors\.ndjson$/.exec(p);
    if (errorFile !== null) {
      res.writeHead(200, { 'Content-Type': 'application/fhir+ndjson' });
      res.end((options.exportErrors ?? []).map((o) => `${JSON.stringify(o)}\n`).join(''));
      return;
    }
    const file = /^\/files\/(\d+)\/([A-Za-z]+)\.ndjson$/.exec(p);
    if (file !== null) {
      const job = jobs.get(file[1]!);
      if (job === undefined) return outcome(res, 404, 'not-found', 'no such export');
      res.writeHead(200, { 'Content-Type': 'application/fhir+ndjson' });
      const lines = createInterface({
        input: createReadStream(path.join(dir, `${file[2]}.ndjson`)),
        crlfDelay: Infinity,
      });
      for await (const line of lines) {
        if (line === '') continue;
        if (job.patients !== undefined) {
          const r = JSON.parse(line) as Resource;
          const id = r.resourceType === 'Patient' ? r.id : patientOf(r);
          if (r.resourceType !== 'Organization' && (id === undefined || !job.patients.has(id))) continue;
        }
        if (!res.write(`${line}\n`)) await new Promise((resolve) => res.once('drain', resolve));
      }
      res.end();
      return;
    }
    const read = /^\/Patient\/([^/]+)$/.exec(p);
    if (read !== null) {
      const found = (byType.get('Patient') ?? []).find((r) => r.id === read[1]);
      return found === undefined ? outcome(res, 404, 'not-found', 'no such patient') : json(res, 200, found);
    }
    const search = /^\/([A-Za-z]+)$/.exec(p);
    if (search !== null) {
      const type = search[1]!;
      const patient = url.searchParams.get('patient');
      const all =
        patient === null
          ? (byType.get(type) ?? [])
          : (byPatient.get(patient) ?? []).filter((r) => r.resourceType === type);
      const count = Number(url.searchParams.get('_count') ?? 50);
      const offset = Number(url.searchParams.get('_offset') ?? 0);
      const next = new URL(url.href);
      next.searchParams.set('_offset', String(offset + count));
      return json(res, 200, {
        resourceType: 'Bundle',
        type: 'searchset',
        total: all.length,
        link:
          offset + count < all.length
            ? [{ relation: 'next', url: `${base}${next.pathname.replace(/^\/fhir/, '')}${next.search}` }]
            : [],
        entry: all.slice(offset, offset + count).map((resource) => ({ resource, search: { mode: 'match' } })),
      });
    }
    return outcome(res, 404, 'not-found', 'unknown path');
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => outcome(res, 500, 'exception', String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`;
  return {
    baseUrl: base,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function practiceOf(patient: Resource): string | undefined {
  const ref = (patient['generalPractitioner'] as Array<{ reference?: string }> | undefined)?.[0]?.reference;
  return ref?.replace(/^Organization\//, '');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/fhir+json' }).end(JSON.stringify(body));
}

function outcome(res: ServerResponse, status: number, code: string, diagnostics: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  json(res, status, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] });
}
