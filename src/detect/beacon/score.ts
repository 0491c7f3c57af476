/**
 * Scores one connection series for beacon-like regularity. The score is built from parts that a person
 * can recompute from the reported numbers:
 *
 *   periodicity = weighted mean of regularity, on-beat share, skew and size parts
 *   support     = sqrt(coverage × continuity)
 *   score       = periodicity × (0.4 + 0.6 × support) × evidence × established × protocol
 *
 * Periodicity says how clock-like the gaps are; support says whether the series looks like a steady
 * implant rather than a burst; evidence grows with the number of gaps, so 900 beats outrank 20 equally
 * regular ones; established discounts pairs whose every attempt failed (refused or unanswered), which are
 * blocked attempts rather than a working channel; protocol discounts services that poll by design (NTP).
 */
import { bowleySkew, consecutiveGaps, median, medianAbsoluteDeviation, quartiles } from './stats.js';

export interface SeriesInput {
  /** Connection start times, epoch ms, ascending, without exact duplicates. */
  times: readonly number[];
  /** Bytes sent by the initiator per connection, where the source recorded them. */
  sizes: readonly number[];
  /** Connections whose state shows no established session (refused, unanswered, reset in the handshake). */
  failed: number;
  /** All connections, duplicates included. */
  connections: number;
  /** End of the analysis window, epoch ms. */
  windowEnd: number;
  /** Weight for services periodic by design; 1 for everything else. */
  protocolWeight?: number;
}

export interface ScoreParts {
  regularity: number;
  onBeat: number;
  skew: number;
  /** Null when the source records no sizes; the periodicity weights are then renormalised. */
  size: number | null;
  coverage: number;
  continuity: number;
  evidence: number;
  established: number;
  /** Below 1 for services that are periodic by design, such as NTP. */
  protocol: number;
}

export interface SeriesMeasures {
  /** Estimated beacon period, seconds: the median of the gaps near the overall median gap. */
  periodSeconds: number;
  /** Median absolute deviation of the on-beat gaps from the period, seconds. */
  jitterSeconds: number;
  gapMedianSeconds: number;
  gapMadSeconds: number;
  gapQ1Seconds: number;
  gapQ3Seconds: number;
  bowleySkew: number;
  /** Share of gaps within tolerance of one period. */
  onBeatFraction: number;
  /** Share of gaps within tolerance of two or three periods: beats the implant skipped or we missed. */
  missedBeatFraction: number;
  sizeMedianBytes: number | null;
  sizeMadBytes: number | null;
  failedFraction: number;
  spanSeconds: number;
}

export interface SeriesScore {
  score: number;
  periodicity: number;
  support: number;
  parts: ScoreParts;
  measures: SeriesMeasures;
}

/**
 * Relative spread (MAD / median) at which the regularity and size parts fall to one half. Uniform jitter
 * of ±j around the period has a relative MAD of j/2, so 0.35 keeps C2 frameworks' usual 10–50 % jitter
 * between 0.66 and 0.99, while exponential (Poisson) gaps, with a relative MAD near 0.69, score about 0.2.
 */
const HALF_SCORE_RELATIVE_SPREAD = 0.35;
const PERIODICITY_WEIGHTS = { regularity: 0.45, onBeat: 0.25, skew: 0.15, size: 0.15 };
/** Gaps at which the evidence part reaches 1; it grows with log(1 + gaps): 9 gaps 0.43, 45 gaps 0.72. */
const FULL_EVIDENCE_GAPS = 200;
/** Relative IQR below which quartile skew is treated as noise: skew of a near-constant series means little. */
const MATERIAL_RELATIVE_IQR = 0.1;
/** Weight kept by a pair whose every attempt failed. */
const ALL_FAILED_WEIGHT = 0.75;
/** Coverage bins per pair horizon; bins are never shorter than two periods. */
const COVERAGE_BINS = 24;

export const MIN_SERIES_LENGTH = 3;

/** Returns null when the series has fewer than MIN_SERIES_LENGTH distinct times. */
export function scoreSeries(input: SeriesInput): SeriesScore | null {
  const { times } = input;
  if (times.length < MIN_SERIES_LENGTH) return null;
  const gaps = consecutiveGaps(times).map((gap) => gap / 1000);
  const gapQuartiles = quartiles(gaps);
  const gapMad = medianAbsoluteDeviation(gaps, gapQuartiles.median);
  const skew = bowleySkew(gapQuartiles);

  const { period, jitter } = estimatePeriod(gaps, gapQuartiles.median);
  const tolerance = Math.max(2 * jitter, 0.05 * period);
  const onBeat = gaps.filter((gap) => Math.abs(gap - period) <= tolerance).length / gaps.length;
  const missed =
    gaps.filter((gap) => [2, 3].some((k) => Math.abs(gap - k * period) <= tolerance * Math.sqrt(k))).length /
    gaps.length;

  const sizeMedian = input.sizes.length > 0 ? median(input.sizes) : null;
  const sizeMad = sizeMedian === null ? null : medianAbsoluteDeviation(input.sizes, sizeMedian);

  const first = times[0] as number;
  const last = times[times.length - 1] as number;
  const spanSeconds = (last - first) / 1000;

  const parts: ScoreParts = {
    regularity: spreadScore(gapMad, gapQuartiles.median),
    onBeat,
    skew:
      1 - Math.min(1, Math.abs(skew)) * materiality(gapQuartiles.q3 - gapQuartiles.q1, gapQuartiles.median),
    size: sizeMedian === null || sizeMad === null ? null : spreadScore(sizeMad, sizeMedian),
    coverage: coverage(times, period, input.windowEnd),
    continuity: period > 0 ? Math.min(1, gaps.length / (spanSeconds / period)) : 0,
    evidence: Math.min(1, Math.log1p(gaps.length) / Math.log1p(FULL_EVIDENCE_GAPS)),
    established: ALL_FAILED_WEIGHT + (1 - ALL_FAILED_WEIGHT) * (1 - input.failed / input.connections),
    protocol: input.protocolWeight ?? 1,
  };
  const periodicity = weightedPeriodicity(parts);
  const support = Math.sqrt(parts.coverage * parts.continuity);
  const score = periodicity * (0.4 + 0.6 * support) * parts.evidence * parts.established * parts.protocol;

  return {
    score,
    periodicity,
    support,
    parts,
    measures: {
      periodSeconds: period,
      jitterSeconds: jitter,
      gapMedianSeconds: gapQuartiles.median,
      gapMadSeconds: gapMad,
      gapQ1Seconds: gapQuartiles.q1,
      gapQ3Seconds: gapQuartiles.q3,
      bowleySkew: skew,
      onBeatFraction: onBeat,
      missedBeatFraction: missed,
      sizeMedianBytes: sizeMedian,
      sizeMadBytes: sizeMad,
      failedFraction: input.failed / input.connections,
      spanSeconds,
    },
  };
}

/**
 * Estimates the period as the median of the gaps within ±50 % of the overall median gap, which keeps
 * missed beats (2×, 3×) and tasking bursts out of the estimate; jitter is their MAD from the period.
 */
export function estimatePeriod(
  gaps: readonly number[],
  gapMedian: number,
): { period: number; jitter: number } {
  const near = gaps.filter((gap) => gap >= 0.5 * gapMedian && gap <= 1.5 * gapMedian);
  // With no gap near the median (gaps of 4 ms and 48 s, say), the spread of all gaps is the honest jitter.
  if (near.length === 0) return { period: gapMedian, jitter: medianAbsoluteDeviation(gaps, gapMedian) };
  const period = median(near);
  return { period, jitter: medianAbsoluteDeviation(near, period) };
}

/** 1 for no spread, 0.5 at HALF_SCORE_RELATIVE_SPREAD, falling towards 0 as spread grows. */
function spreadScore(spread: number, centre: number): number {
  if (spread === 0) return 1;
  if (centre <= 0) return 0;
  const relative = spread / centre / HALF_SCORE_RELATIVE_SPREAD;
  return 1 / (1 + relative * relative);
}

/** 0 for a spread that is negligible against the centre, rising to 1 at MATERIAL_RELATIVE_IQR. */
function materiality(spread: number, centre: number): number {
  if (centre <= 0) return 1;
  return Math.min(1, spread / centre / MATERIAL_RELATIVE_IQR);
}

function weightedPeriodicity(parts: ScoreParts): number {
  const weights = PERIODICITY_WEIGHTS;
  let total =
    weights.regularity * parts.regularity + weights.onBeat * parts.onBeat + weights.skew * parts.skew;
  let weight = weights.regularity + weights.onBeat + weights.skew;
  if (parts.size !== null) {
    total += weights.size * parts.size;
    weight += weights.size;
  }
  return total / weight;
}

/**
 * Share of time bins, from the pair's first connection to the end of the window, that hold at least one
 * connection. Measuring from the first connection rather than the window start keeps an implant that
 * started late at full coverage, while a burst that stopped long ago covers few bins.
 */
function coverage(times: readonly number[], periodSeconds: number, windowEnd: number): number {
  const first = times[0] as number;
  const horizon = Math.max(windowEnd, times[times.length - 1] as number) - first;
  const binMs = Math.max(2 * periodSeconds * 1000, horizon / COVERAGE_BINS);
  if (binMs <= 0) return 1;
  const bins = Math.max(1, Math.ceil(horizon / binMs));
  const active = new Set(times.map((time) => Math.min(bins - 1, Math.floor((time - first) / binMs))));
  return active.size / bins;
}
