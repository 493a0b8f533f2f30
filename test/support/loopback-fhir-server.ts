import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  authorization: string | undefined;
}

export type Behaviour = 'ok' | 'slow' | 'hang' | 'http-500' | 'http-429' | 'reset' | 'malformed-json';

export interface LoopbackFhirServer {
  baseUrl: string;
  requests: RecordedRequest[];
  /** Changes how the server answers from the next request on. */
  behave(behaviour: Behaviour, delayMs?: number): void;
  /** Answers the next `count` requests with `behaviour`, then goes back to `ok`. */
  behaveFor(count: number, behaviour: Behaviour): void;
  close(): Promise<void>;
}

type Resource = { resourceType: string; id?: string; [k: string]: unknown };

/**
 * A real HTTP server on loopback standing in for an EHR's FHIR R4 server: read by id, and search of a
 * type by `patient` (with `_include=MedicationRequest:medication`), answering after a delay, with errors,
 * resets or malformed JSON as told.
 */
export async function startLoopbackFhirServer(
  resources: Resource[],
  options: { delayMs?: number } = {},
): Promise<LoopbackFhirServer> {
  const requests: RecordedRequest[] = [];
  let behaviour: Behaviour = 'ok';
  let remaining = Infinity;
  let delayMs = options.delayMs ?? 0;

  const answer = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://loopback');
    requests.push({
      method: req.method ?? 'GET',
      url: url.pathname + url.search,
      authorization: req.headers.authorization,
    });
    const current = remaining > 0 ? behaviour : 'ok';
    remaining -= 1;
    const send = () => {
      switch (current) {
        case 'hang':
          return; // never answers: the client's deadline must end it
        case 'reset':
          req.socket.destroy();
          return;
        case 'http-500':
          return json(res, 500, {
            resourceType: 'OperationOutcome',
            issue: [{ severity: 'error', code: 'exception', diagnostics: 'boom' }],
          });
        case 'http-429':
          res.setHeader('Retry-After', '1');
          return json(res, 429, {
            resourceType: 'OperationOutcome',
            issue: [{ severity: 'error', code: 'throttled' }],
          });
        case 'malformed-json':
          res.writeHead(200, { 'content-type': 'application/fhir+json' });
          res.end('{"resourceType": "Bundle", "entry": [');
          return;
        case 'ok':
        case 'slow':
          return json(res, ...route(url, resources));
      }
    };
    if (delayMs > 0) setTimeout(send, delayMs);
    else send();
  };

  const server: Server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/fhir`,
    requests,
    behaveFor(count, next) {
      behaviour = next;
      remaining = count;
    },
    behave(next, delay) {
      behaviour = next;
      remaining = Infinity;
      if (delay !== undefined) delayMs = delay;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/fhir+json' });
  res.end(JSON.stringify(body));
}

function route(url: URL, resources: Resource[]): [number, unknown] {
  const parts = url.pathname
    .replace(/^\/fhir\/?/, '')
    .split('/')
    .filter(Boolean);
  const [type, id] = parts;
  if (type === undefined) return [404, notFound('no type')];
  if (id !== undefined) {
    const found = resources.find((r) => r.resourceType === type && r.id === id);
    return found ? [200, found] : [404, notFound(`${type}/${id}`)];
  }
  const patient = url.searchParams.get('patient') ?? url.searchParams.get('subject');
  const matches = resources.filter(
    (r) =>
      r.resourceType === type &&
      (patient === null ||
        (r['subject'] as { reference?: string } | undefined)?.reference === `Patient/${patient}`),
  );
  const entry: Array<{ resource: Resource; search: { mode: string } }> = matches.map((resource) => ({
    resource,
    search: { mode: 'match' },
  }));
  if (url.searchParams.get('_include') === 'MedicationRequest:medication') {
    for (const m of matches) {
      const ref = (m['medicationReference'] as { reference?: string } | undefined)?.reference;
      const med = resources.find((r) => r.resourceType === 'Medication' && `Medication/${r.id}` === ref);
      if (med) entry.push({ resource: med, search: { mode: 'include' } });
    }
  }
  return [200, { resourceType: 'Bundle', type: 'searchset', total: matches.length, entry }];
}

function notFound(what: string) {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: 'not-found', diagnostics: what }],
  };
}
