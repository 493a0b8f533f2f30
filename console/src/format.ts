/** Number and date formats of the console (en-GB, as the UK users read them). */

const integer = new Intl.NumberFormat('en-GB');

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : integer.format(n);
}

/** A ratio as a percentage with one decimal, or "—" when there is nothing to divide by. */
export function formatRate(r: number | null | undefined): string {
  return r === null || r === undefined || Number.isNaN(r) ? '—' : `${(r * 100).toFixed(1)}%`;
}

/** A ratio as a number of percent (for charts), or null. */
export function percent(r: number | null | undefined): number | null {
  return r === null || r === undefined || Number.isNaN(r) ? null : Math.round(r * 1000) / 10;
}

export function formatMs(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '—' : `${integer.format(Math.round(ms))} ms`;
}

/** An ISO instant as a local date and time (the browser's zone). */
export function formatInstant(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

/** Today's date in the browser's zone, YYYY-MM-DD. */
export function todayIso(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}
