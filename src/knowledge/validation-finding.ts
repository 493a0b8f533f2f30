/** One problem `loopcds knowledge validate` found: an error fails validation, a warning does not. */
export interface ValidationFinding {
  severity: 'error' | 'warning';
  /** `file`, or `file:line:col` when the place is known. */
  where: string;
  message: string;
}

export function error(where: string, message: string): ValidationFinding {
  return { severity: 'error', where, message };
}

export function warning(where: string, message: string): ValidationFinding {
  return { severity: 'warning', where, message };
}

/** `where message`, the shape editors and CI annotators recognise. */
export function formatFinding(f: ValidationFinding): string {
  return `${f.where} ${f.severity === 'warning' ? 'warning: ' : ''}${f.message}`;
}
