/** The signed-in user, as `GET /console/api/session` describes them. */
export interface Session {
  username: string;
  role: 'pharmacist' | 'informatician' | 'admin';
  permissions: string[];
  csrfToken: string;
  expiresAt: string;
}

/** An error answer of the API: its status and the OperationOutcome's text. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken = '';
let onSignedOut: () => void = () => undefined;

/** Remembers the session's CSRF token, sent with every state-changing request. */
export function useSession(session: Session | null): void {
  csrfToken = session?.csrfToken ?? '';
}

/** Called when the API answers 401 (the session ended): the app shows the sign-in page. */
export function whenSignedOut(callback: () => void): void {
  onSignedOut = callback;
}

/** Calls the console API (same origin, session cookie sent by the browser). */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  const response = await fetch(`/console/api/${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let json: unknown = undefined;
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: reported below
  }
  if (!response.ok) {
    if (response.status === 401 && path !== 'session') onSignedOut();
    throw new ApiError(response.status, outcomeText(json) ?? `${response.status} ${response.statusText}`);
  }
  return json as T;
}

function outcomeText(json: unknown): string | undefined {
  const issue = (json as { issue?: Array<{ details?: { text?: string }; diagnostics?: string }> } | undefined)
    ?.issue?.[0];
  if (issue === undefined) return undefined;
  return [issue.details?.text, issue.diagnostics].filter((x) => x !== undefined && x !== '').join(' ');
}

/** Builds a query string from the defined values. */
export function query(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') search.set(k, v);
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
