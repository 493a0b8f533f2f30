import { OperationOutcomeError, type IssueType, type OperationOutcome } from './operation-outcome.js';

/**
 * The error-code catalogue. Every error loopcds puts on the wire has a code here, documented in
 * docs/errors.md; test/unit/error-catalogue.test.ts keeps the two in step.
 */
export const ERROR_CATALOGUE = {
  LOOPCDS_ERR_MALFORMED_JSON: {
    status: 400,
    type: 'structure',
    message: 'The request body is not valid JSON.',
  },
  LOOPCDS_ERR_INVALID_REQUEST: {
    status: 400,
    type: 'invalid',
    message: 'The request does not match the CDS Hooks schema.',
  },
  LOOPCDS_ERR_INVALID_CONTEXT: {
    status: 400,
    type: 'invalid',
    message: 'The hook context is not valid for this hook.',
  },
  LOOPCDS_ERR_HOOK_MISMATCH: {
    status: 400,
    type: 'invalid',
    message: 'The service does not answer this hook.',
  },
  LOOPCDS_ERR_BODY_TOO_LARGE: {
    status: 413,
    type: 'too-costly',
    message: 'The request body is larger than allowed.',
  },
  LOOPCDS_ERR_UNSUPPORTED_MEDIA: {
    status: 415,
    type: 'not-supported',
    message: 'The request body must be application/json.',
  },
  LOOPCDS_ERR_UNAUTHORIZED: { status: 401, type: 'login', message: 'Authentication is required.' },
  LOOPCDS_ERR_UNKNOWN_SERVICE: { status: 404, type: 'not-found', message: 'No CDS service has this id.' },
  LOOPCDS_ERR_NOT_FOUND: { status: 404, type: 'not-found', message: 'No such resource.' },
  LOOPCDS_ERR_METHOD_NOT_ALLOWED: {
    status: 405,
    type: 'not-supported',
    message: 'This method is not allowed here.',
  },
  LOOPCDS_ERR_DATA_UNOBTAINABLE: {
    status: 412,
    type: 'incomplete',
    message: 'The data the service needs could not be obtained.',
  },
  LOOPCDS_ERR_OUTCOME_STORE_UNAVAILABLE: {
    status: 503,
    type: 'transient',
    message: 'The outcome store is not available.',
  },
  LOOPCDS_ERR_ADMIN_DISABLED: {
    status: 403,
    type: 'forbidden',
    message: 'Admin endpoints are disabled: no LOOPCDS_ADMIN_TOKEN is set.',
  },
  LOOPCDS_ERR_KNOWLEDGE_RELOAD_FAILED: {
    status: 422,
    type: 'processing',
    message: 'The knowledge could not be reloaded; the previous knowledge is still serving.',
  },
  LOOPCDS_ERR_CONSOLE_SIGN_IN_FAILED: {
    status: 401,
    type: 'login',
    message: 'The user name or password is wrong.',
  },
  LOOPCDS_ERR_CONSOLE_FORBIDDEN: {
    status: 403,
    type: 'forbidden',
    message: 'Your console role does not allow this.',
  },
  LOOPCDS_ERR_CONSOLE_CSRF: {
    status: 403,
    type: 'security',
    message: 'The request has no valid CSRF token, or comes from another origin.',
  },
  LOOPCDS_ERR_CONSOLE_THROTTLED: {
    status: 429,
    type: 'transient',
    message: 'Too many failed sign-ins; wait before trying again.',
  },
  LOOPCDS_ERR_CONSOLE_NOT_BUILT: {
    status: 503,
    type: 'transient',
    message: 'The console is not built: run npm run build:console.',
  },
  LOOPCDS_ERR_INTERNAL: { status: 500, type: 'exception', message: 'An internal error occurred.' },
} as const satisfies Record<string, { status: number; type: IssueType; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** The system of the coding that names a catalogue code in `issue.details`. */
export const ERROR_CODE_SYSTEM = 'https://loopcds.org/fhir/CodeSystem/error-code';

/** Builds the OperationOutcome for a catalogue code, with optional diagnostics and FHIRPath-ish locations. */
export function outcomeFor(code: ErrorCode, diagnostics?: string, expression?: string[]): OperationOutcome {
  const entry = ERROR_CATALOGUE[code];
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: 'error',
        code: entry.type,
        details: { coding: [{ system: ERROR_CODE_SYSTEM, code }], text: entry.message },
        ...(diagnostics === undefined ? {} : { diagnostics }),
        ...(expression === undefined ? {} : { expression }),
      },
    ],
  };
}

/** Creates the error to throw for a catalogue code. */
export function loopcdsError(code: ErrorCode, diagnostics?: string, cause?: unknown, expression?: string[]) {
  return new OperationOutcomeError(
    outcomeFor(code, diagnostics, expression),
    ERROR_CATALOGUE[code].status,
    cause,
  );
}
