/**
 * One CSV line (RFC 4180): fields with a comma, quote or line break are quoted, quotes doubled. A field
 * starting with `=`, `+`, `-` or `@` is prefixed with a quote mark so that a spreadsheet does not run it
 * as a formula (OWASP "CSV injection"): action lists are opened in Excel by practice teams. A plain
 * negative number is left as it is.
 */
export function csvRow(fields: ReadonlyArray<string | number | boolean | null | undefined>): string {
  return `${fields
    .map((f) => {
      let text = f === null || f === undefined ? '' : String(f);
      if (typeof f === 'string' && /^[=+\-@]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text)) text = `'${text}`;
      return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    })
    .join(',')}\r\n`;
}
