/** One line of a diff: kept (` `), removed (`-`) or added (`+`). */
export interface DiffLine {
  op: ' ' | '-' | '+';
  text: string;
  /** 1-based line numbers in the old and new text (absent for the side the line is not on). */
  oldLine?: number;
  newLine?: number;
}

/**
 * The line diff of two texts: a longest common subsequence of lines (dynamic programming, O(n·m); CQL
 * libraries are hundreds of lines), common head and tail trimmed first so that a small change in a large
 * file stays cheap.
 */
export function diffLines(oldText: string, newText: string): DiffLine[] {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head += 1;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail += 1;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  // lcs[i][j]: length of the LCS of x[i..] and y[j..]
  const lcs = Array.from({ length: x.length + 1 }, () => new Uint32Array(y.length + 1));
  for (let i = x.length - 1; i >= 0; i -= 1) {
    const row = lcs[i] as Uint32Array;
    const below = lcs[i + 1] as Uint32Array;
    for (let j = y.length - 1; j >= 0; j -= 1)
      row[j] = x[i] === y[j] ? (below[j + 1] ?? 0) + 1 : Math.max(below[j] ?? 0, row[j + 1] ?? 0);
  }
  const out: DiffLine[] = [];
  for (let k = 0; k < head; k += 1) out.push({ op: ' ', text: a[k] ?? '', oldLine: k + 1, newLine: k + 1 });
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      out.push({ op: ' ', text: x[i] ?? '', oldLine: head + i + 1, newLine: head + j + 1 });
      i += 1;
      j += 1;
    } else if (i < x.length && (j === y.length || (lcs[i + 1]?.[j] ?? 0) >= (lcs[i]?.[j + 1] ?? 0))) {
      // Removals before additions, as unified diffs show a changed line.
      out.push({ op: '-', text: x[i] ?? '', oldLine: head + i + 1 });
      i += 1;
    } else {
      out.push({ op: '+', text: y[j] ?? '', newLine: head + j + 1 });
      j += 1;
    }
  }
  for (let k = 0; k < tail; k += 1) {
    const oldLine = a.length - tail + k + 1;
    out.push({ op: ' ', text: a[oldLine - 1] ?? '', oldLine, newLine: b.length - tail + k + 1 });
  }
  return out;
}

/** The diff as unified-diff hunks (`@@ -l,n +l,n @@`) with `context` lines around each change. */
export function unifiedHunks(lines: readonly DiffLine[], context = 2): string[] {
  const changed = lines.map((l, i) => (l.op === ' ' ? -1 : i)).filter((i) => i >= 0);
  if (changed.length === 0) return [];
  const out: string[] = [];
  let start = 0;
  while (start < changed.length) {
    let end = start;
    while (end + 1 < changed.length && (changed[end + 1] ?? 0) - (changed[end] ?? 0) <= 2 * context + 1)
      end += 1;
    const from = Math.max(0, (changed[start] ?? 0) - context);
    const to = Math.min(lines.length - 1, (changed[end] ?? 0) + context);
    const hunk = lines.slice(from, to + 1);
    const oldStart = hunk.find((l) => l.oldLine !== undefined)?.oldLine ?? 0;
    const newStart = hunk.find((l) => l.newLine !== undefined)?.newLine ?? 0;
    const oldCount = hunk.filter((l) => l.op !== '+').length;
    const newCount = hunk.filter((l) => l.op !== '-').length;
    out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`);
    for (const l of hunk) out.push(`${l.op}${l.text}`);
    start = end + 1;
  }
  return out;
}

function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}
