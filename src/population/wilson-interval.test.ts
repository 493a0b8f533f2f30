import { describe, expect, it } from 'vitest';
import { wilsonInterval } from './wilson-interval.js';

describe('wilsonInterval', () => {
  it('matches Newcombe (1998) method 3 for 81 of 263', () => {
    const ci = wilsonInterval(81, 263)!;
    expect(ci.low).toBeCloseTo(0.2553, 4);
    expect(ci.high).toBeCloseTo(0.3662, 4);
  });

  it('stays above zero width when the numerator is zero, unlike the Wald interval', () => {
    const ci = wilsonInterval(0, 10)!;
    expect(ci.low).toBe(0);
    expect(ci.high).toBeCloseTo(0.2775, 4);
  });

  it('is symmetric about one half for half of the patients', () => {
    const ci = wilsonInterval(5, 10)!;
    expect(ci.low).toBeCloseTo(0.2366, 4);
    expect(ci.high).toBeCloseTo(0.7634, 4);
  });

  it('gives no interval without a denominator', () => {
    expect(wilsonInterval(0, 0)).toBeUndefined();
  });
});
