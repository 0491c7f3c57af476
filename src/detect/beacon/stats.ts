/**
 * Robust statistics for gap series. Quantiles use linear interpolation between order statistics
 * (Hyndman and Fan type 7, the default of R, NumPy and DuckDB's quantile_cont), so a reader can check
 * any reported number with those tools.
 */

/** Returns the p-quantile (0 ≤ p ≤ 1) of values that are already sorted ascending; NaN when empty. */
export function quantileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * p;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = sorted[lower] as number;
  const high = sorted[upper] as number;
  return low + (high - low) * (position - lower);
}

export function sortedCopy(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

export function median(values: readonly number[]): number {
  return quantileSorted(sortedCopy(values), 0.5);
}

/** Median absolute deviation from the median, unscaled (not multiplied by 1.4826). */
export function medianAbsoluteDeviation(values: readonly number[], centre = median(values)): number {
  return median(values.map((value) => Math.abs(value - centre)));
}

export interface Quartiles {
  q1: number;
  median: number;
  q3: number;
}

export function quartiles(values: readonly number[]): Quartiles {
  const sorted = sortedCopy(values);
  return {
    q1: quantileSorted(sorted, 0.25),
    median: quantileSorted(sorted, 0.5),
    q3: quantileSorted(sorted, 0.75),
  };
}

/**
 * Bowley's quartile skewness, (Q3 + Q1 − 2·median) / (Q3 − Q1), in [−1, 1]: 0 for a symmetric centre.
 * Returns 0 when the quartiles coincide, since a constant series has no skew.
 */
export function bowleySkew({ q1, median: centre, q3 }: Quartiles): number {
  const spread = q3 - q1;
  if (spread <= 0) return 0;
  return (q3 + q1 - 2 * centre) / spread;
}

/** Differences between consecutive values of an ascending series. */
export function consecutiveGaps(sortedTimes: readonly number[]): number[] {
  const gaps: number[] = [];
  for (let index = 1; index < sortedTimes.length; index += 1) {
    gaps.push((sortedTimes[index] as number) - (sortedTimes[index - 1] as number));
  }
  return gaps;
}
