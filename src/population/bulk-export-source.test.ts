import { describe, expect, it } from 'vitest';
import { retryAfterMs } from './bulk-export-source.js';

describe('retryAfterMs', () => {
  it('reads delay-seconds and HTTP dates (RFC 9110 §10.2.3)', () => {
    const now = Date.parse('2026-11-23T10:00:00Z');
    expect(retryAfterMs('5', 2000, now)).toBe(5000);
    expect(retryAfterMs('Mon, 23 Nov 2026 10:00:30 GMT', 2000, now)).toBe(30_000);
  });

  it('falls back on a missing or unreadable header, and never waits more than 10 minutes or less than nothing', () => {
    expect(retryAfterMs(null, 2000)).toBe(2000);
    expect(retryAfterMs('soon', 2000)).toBe(2000);
    expect(retryAfterMs('86400', 2000)).toBe(600_000);
    expect(retryAfterMs('Mon, 23 Nov 2026 09:00:00 GMT', 2000, Date.parse('2026-11-23T10:00:00Z'))).toBe(0);
  });
});
