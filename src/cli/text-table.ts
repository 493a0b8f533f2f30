/** Where a command writes; tests pass their own. */
export interface Output {
  write(text: string): unknown;
}

/** The streams of a command. */
export interface CommandIo {
  stdout: Output;
  stderr: Output;
}

/**
 * A plain-text table: columns padded to their widest cell (cut at `maxWidth` with an ellipsis), a rule
 * under the header. Plain ASCII, so that it reads the same in a terminal, a CI log and a file.
 */
export function formatTable(
  headers: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  maxWidth = 60,
): string {
  const cut = (s: string) => {
    const flat = s.replace(/\s+/g, ' ');
    return flat.length > maxWidth ? `${flat.slice(0, maxWidth - 1)}…` : flat;
  };
  const cells = [headers, ...rows].map((r) => headers.map((_, i) => cut(r[i] ?? '')));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const [head, ...body] = cells;
  return [line(head ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n') + '\n';
}

/** A value as a table shows it: JSON, except plain strings. */
export function showValue(value: unknown): string {
  if (value === undefined) return '(none)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
