/**
 * Calendar dates as `YYYY-MM-DD` strings, with the arithmetic CQL uses for Date values: adding months
 * keeps the day of the month and clamps it to the month's last day (CQL §22 "Add"; clinical-spec §0:
 * windows are calendar months). Day counts are whole days between dates.
 */
export type CalendarDate = string;

const MS_PER_DAY = 86_400_000;

export function toDayNumber(date: CalendarDate): number {
  return Math.round(Date.parse(`${date}T00:00:00Z`) / MS_PER_DAY);
}

export function fromDayNumber(day: number): CalendarDate {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

export function addDays(date: CalendarDate, days: number): CalendarDate {
  return fromDayNumber(toDayNumber(date) + days);
}

/** The date `months` calendar months later (negative: earlier), the day clamped to the month's end. */
export function addMonths(date: CalendarDate, months: number): CalendarDate {
  const key = `${date}|${months}`;
  let found = monthCache.get(key);
  if (found === undefined) {
    found = computeAddMonths(date, months);
    if (monthCache.size > 10_000) monthCache.clear();
    monthCache.set(key, found);
  }
  return found;
}

const monthCache = new Map<string, CalendarDate>();

function computeAddMonths(date: CalendarDate, months: number): CalendarDate {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

/** Whole days from `a` to `b` (negative when b is earlier). */
export function daysBetween(a: CalendarDate, b: CalendarDate): number {
  return toDayNumber(b) - toDayNumber(a);
}

/** Whether `date` is in [from, to], both ends included. */
export function within(date: CalendarDate, from: CalendarDate, to: CalendarDate): boolean {
  return date >= from && date <= to;
}
