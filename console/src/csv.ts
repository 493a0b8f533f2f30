/** A value of a CSV cell. */
export type CsvValue = string | number | boolean | null | undefined;

/**
 * RFC 4180 CSV: every field quoted when it holds a comma, quote or line break; CRLF line ends. A text
 * field that starts with =, +, -, @, tab or carriage return is prefixed with ' so that a spreadsheet does
 * not run it as a formula (OWASP "CSV Injection"); numbers are written as numbers.
 */
export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly CsvValue[]>): string {
  return [header, ...rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}

function cell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A file name from a title: lowercase words joined by hyphens, with the extension. */
export function csvFileName(title: string): string {
  const stem = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 80);
  return `${stem || 'table'}.csv`;
}
