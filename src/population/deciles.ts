/**
 * The q-th quantile (0..1) of values, by linear interpolation between closest ranks (Hyndman & Fan
 * type 7, the default of R's `quantile` and NumPy's `percentile`, which OpenSAFELY's decile charts use).
 */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** The 10th, 20th, … 90th percentiles of practice rates (the lines of an OpenSAFELY decile chart). */
export function deciles(values: readonly number[]): number[] {
  if (values.length === 0) return [];
  return [1, 2, 3, 4, 5, 6, 7, 8, 9].map((d) => quantile(values, d / 10)!);
}

/**
 * Where a practice stands among its peers on a rate where lower is better: its rank (1 = the highest
 * rate, ties sharing the best rank) and its percentile (the share of practices whose rate is at or below
 * its own, in percent: 100 is the highest rate).
 */
export function standing(rate: number, peers: readonly number[]): { rank: number; percentile: number } {
  const above = peers.filter((r) => r > rate).length;
  const atOrBelow = peers.filter((r) => r <= rate).length;
  return {
    rank: above + 1,
    percentile: peers.length === 0 ? 0 : Math.round((1000 * atOrBelow) / peers.length) / 10,
  };
}
