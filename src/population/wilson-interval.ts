/** z for a two-sided 95% interval: the 97.5th percentile of the standard normal distribution. */
const Z_95 = 1.959963984540054;

/**
 * The Wilson score interval for a proportion x/n (Wilson 1927; Newcombe, Stat Med 1998;17:857-72,
 * method 3), 95% by default. Chosen over the normal ("Wald") interval because practice numerators are
 * small and often zero, where the Wald interval collapses to [0, 0]; the Wilson interval stays inside
 * [0, 1] and is honest about small counts. Undefined when n is 0 (no rate).
 */
export function wilsonInterval(x: number, n: number, z = Z_95): { low: number; high: number } | undefined {
  if (n <= 0) return undefined;
  const p = x / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}
