/**
 * ISO 8601 week dates (ISO 8601-1:2019 §5.2.3.3): weeks start on Monday and week 1 is the week with the
 * year's first Thursday. Figures are grouped by the ISO week of the call's local date (the date part of
 * the evaluation time, which carries the configured time zone's offset), so a Monday-morning call in
 * British Summer Time is counted in the week the clinician lived it.
 */

const DAY_MS = 86_400_000;

/** The ISO week of a calendar date `YYYY-MM-DD`, as `YYYY-Www` (e.g. `2026-W48`). */
export function isoWeekOf(localDate: string): string {
  const date = parseDate(localDate);
  const weekday = (date.getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const thursday = new Date(date.getTime() + (3 - weekday) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const dayOfYear = Math.round((thursday.getTime() - Date.UTC(year, 0, 1)) / DAY_MS);
  const week = Math.floor(dayOfYear / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** The first (Monday) and last (Sunday) dates of an ISO week `YYYY-Www`. */
export function isoWeekPeriod(week: string): { start: string; end: string } {
  const match = /^(\d{4})-W(\d{2})$/.exec(week);
  if (match === null) throw new RangeError(`not an ISO week: ${week}`);
  const year = Number(match[1]);
  const number = Number(match[2]);
  // 4 January is always in week 1.
  const jan4 = Date.UTC(year, 0, 4);
  const jan4Weekday = (new Date(jan4).getUTCDay() + 6) % 7;
  const monday = jan4 - jan4Weekday * DAY_MS + (number - 1) * 7 * DAY_MS;
  const start = new Date(monday).toISOString().slice(0, 10);
  if (number < 1 || number > 53 || isoWeekOf(start) !== week)
    throw new RangeError(`no such ISO week: ${week}`);
  return { start, end: new Date(monday + 6 * DAY_MS).toISOString().slice(0, 10) };
}

/** Whether a string is a calendar date `YYYY-MM-DD` that exists. */
export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  return parseDate(value).toISOString().slice(0, 10) === value;
}

function parseDate(localDate: string): Date {
  const date = new Date(`${localDate.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a date: ${localDate}`);
  return date;
}
