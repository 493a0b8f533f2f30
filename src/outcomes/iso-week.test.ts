import { describe, expect, it } from 'vitest';
import { isCalendarDate, isoWeekOf, isoWeekPeriod } from './iso-week.js';

describe('ISO weeks', () => {
  it.each([
    ['2026-11-23', '2026-W48'], // a Monday
    ['2026-11-29', '2026-W48'], // the Sunday of the same week
    ['2026-11-30', '2026-W49'],
    ['2021-01-03', '2020-W53'], // early January belongs to the last week of the previous year
    ['2024-12-30', '2025-W01'], // late December belongs to week 1 of the next year
    ['2020-12-31', '2020-W53'],
  ])('puts %s in %s', (date, week) => {
    expect(isoWeekOf(date)).toBe(week);
  });

  it('uses the local date of an evaluation time that carries an offset', () => {
    // 00:30 on Monday in BST is still Sunday in UTC: the clinician's week counts.
    expect(isoWeekOf('2026-06-15T00:30:00.000+01:00')).toBe('2026-W25');
  });

  it('gives the Monday and Sunday of a week', () => {
    expect(isoWeekPeriod('2026-W48')).toEqual({ start: '2026-11-23', end: '2026-11-29' });
    expect(isoWeekPeriod('2020-W53')).toEqual({ start: '2020-12-28', end: '2021-01-03' });
  });

  it('refuses a week that does not exist', () => {
    expect(() => isoWeekPeriod('2025-W53')).toThrow(RangeError); // 2025 began on a Wednesday: 52 weeks
    expect(isoWeekPeriod('2026-W53')).toEqual({ start: '2026-12-28', end: '2027-01-03' }); // began on a Thursday
    expect(() => isoWeekPeriod('2026-48')).toThrow(RangeError);
  });

  it('tells real calendar dates from impossible ones', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2026-02-29')).toBe(false);
    expect(isCalendarDate('2026-2-1')).toBe(false);
  });
});
