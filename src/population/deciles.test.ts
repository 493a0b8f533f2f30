import { describe, expect, it } from 'vitest';
import { deciles, quantile, standing } from './deciles.js';

describe('deciles of practice rates', () => {
  it('interpolates between closest ranks as NumPy percentile does', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10, 0, 5], 0.1)).toBeCloseTo(1, 10);
    expect(
      deciles([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]).map((d) => Number(d.toFixed(10))),
    ).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
  });

  it('has no deciles without practices', () => {
    expect(deciles([])).toEqual([]);
  });

  it('ranks the highest rate first and shares ranks on ties', () => {
    const peers = [0.1, 0.3, 0.3, 0.05];
    expect(standing(0.3, peers)).toEqual({ rank: 1, percentile: 100 });
    expect(standing(0.1, peers)).toEqual({ rank: 3, percentile: 50 });
    expect(standing(0.05, peers)).toEqual({ rank: 4, percentile: 25 });
  });
});
