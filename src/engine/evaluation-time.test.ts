import { describe, expect, it } from 'vitest';
import { evaluationTime } from './evaluation-time.js';

describe('evaluationTime', () => {
  it('carries the GMT offset in winter in London', () => {
    expect(evaluationTime(new Date('2026-01-15T09:30:00.123Z'), 'Europe/London')).toBe(
      '2026-01-15T09:30:00.123+00:00',
    );
  });

  it('carries the BST offset in summer, so that the local date is right just after midnight', () => {
    expect(evaluationTime(new Date('2026-06-14T23:30:00.000Z'), 'Europe/London')).toBe(
      '2026-06-15T00:30:00.000+01:00',
    );
  });

  it('handles zones west of Greenwich', () => {
    expect(evaluationTime(new Date('2026-06-15T12:00:00.000Z'), 'America/New_York')).toBe(
      '2026-06-15T08:00:00.000-04:00',
    );
  });
});
