/**
 * The one error currency of loopcds: a FHIR R4 OperationOutcome.
 * Code throws {@link OperationOutcomeError}; the HTTP error handler is the only place that sends it.
 * https://hl7.org/fhir/R4/operationoutcome.html
 */

export type IssueSeverity = 'fatal' | 'error' | 'warning' | 'information';

/** FHIR R4 issue-type codes used by loopcds (http://hl7.org/fhir/issue-type). */
export type IssueType =
  | 'invalid'
  | 'structure'
  | 'required'
  | 'value'
  | 'security'
  | 'login'
  | 'forbidden'
  | 'not-found'
  | 'not-supported'
  | 'too-costly'
  | 'processing'
  | 'exception'
  | 'timeout'
  | 'incomplete'
  | 'transient';

export interface OperationOutcomeIssue {
  severity: IssueSeverity;
  code: IssueType;
  details?: { coding?: Array<{ system: string; code: string; display?: string }>; text?: string };
  diagnostics?: string;
  expression?: string[];
}

export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue: OperationOutcomeIssue[];
}

export function isOperationOutcome(value: unknown): value is OperationOutcome {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { resourceType?: unknown }).resourceType === 'OperationOutcome'
  );
}

/** An error that carries the OperationOutcome to send and the HTTP status to send it with. */
export class OperationOutcomeError extends Error {
  readonly outcome: OperationOutcome;
  readonly status: number;

  constructor(outcome: OperationOutcome, status: number, cause?: unknown) {
    super(outcome.issue[0]?.diagnostics ?? outcome.issue[0]?.details?.text ?? 'OperationOutcome', { cause });
    this.name = 'OperationOutcomeError';
    this.outcome = outcome;
    this.status = status;
  }
}
