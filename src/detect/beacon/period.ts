/**
 * Estimates the period of one connection series and the probability that so regular a series arises by
 * chance.
 *
 * The test works on the gaps between consecutive connections, not on absolute times. Implants re-arm
 * their sleep after each callback, so the jitter of every sleep adds up. After m beats of a 60 s sleep
 * with 20 % jitter the phase has drifted by about 3.5 s·√m, a whole period after a few hundred beats.
 * A periodogram of absolute times (Lomb–Scargle, binned FFT) then smears the peak, while each gap still
 * contains one sleep.
 *
 * Steps:
 * 1. Candidates: the median of the densest cluster of gaps on a log scale, that median divided by 2 and
 *    by 3 (missed beats make the commonest gap a multiple of the period), and the median gap.
 * 2. Coherence: for a trial period P, the mean of cos(2π·gap/P) over the gaps of at least P/2. It is 1
 *    when every gap is a whole multiple of P (missed beats included) and near 0 when the phases of the
 *    gaps are spread evenly. Gaps shorter than P/2 (tasking bursts) are left out, because their phase is
 *    near 0 and bursty benign traffic would otherwise look coherent. It also keeps smooth gap
 *    distributions from scoring at long trial periods: for exponential gaps the gaps above P/2 have a
 *    negative mean cosine. A log-spaced grid around each candidate is scanned, then refined.
 * 3. False-alarm probability: under the null hypothesis of no period the phases are uniform, and
 *    n·C (C the coherence over n gaps) is the V statistic of a Rayleigh test whose expected direction
 *    is known (phase 0). Then C·√(2n) is approximately standard normal, and the one-sided tail is
 *    ½·erfc(C·√n) ≤ ½·exp(−n·C²), which for C = R is half the Rayleigh approximation exp(−n·R²). The
 *    scan picks the best of M roughly independent trial periods, so FAP = 1 − (1 − p)^M.
 *    NOTE: gaps with a hard minimum and a falling density (Pareto gaps of at least 5 s) are coherent
 *    near that minimum, so they are called periodic. The jitter fit's uniformity test can tell them
 *    apart, but the score does not use it yet.
 * 4. Confirmation: the autocorrelation at lag P of the connection counts in bins of P/4.
 */
import { quantileSorted } from './stats.js';

export interface PeriodOptions {
  /** Shortest period searched, in seconds. The default is 0.1. */
  minPeriodSeconds?: number;
  /** Maximum period searched, in seconds. The default is 86,400 (24 h). */
  maxPeriodSeconds?: number;
}

/** Period search steps, as reported in `PeriodEstimate.method`. */
export type PeriodSource = 'gap-cluster' | 'gap-cluster/2' | 'gap-cluster/3' | 'median-gap';

export interface PeriodCandidate {
  periodSeconds: number;
  /** Mean cos(2π·gap/P) over the gaps of at least P/2, clamped to 0..1. */
  coherence: number;
  /** False-alarm probability of this candidate, corrected for the number of trial periods. */
  fap: number;
}

export interface PeriodEstimate {
  periodSeconds: number;
  /** Mean cos(2π·gap/P) over the phased gaps, clamped to 0..1: 1 when every gap is a whole multiple of P. */
  coherence: number;
  /** Probability that a series without a period reaches this coherence at some trial period. */
  falseAlarmProbability: number;
  /**
   * Autocorrelation at lag P of the connection counts in bins of P/4, in −1..1; null when the series
   * spans fewer than MIN_AUTOCORRELATION_PERIODS periods or would need more than MAX_AUTOCORRELATION_BINS.
   */
  autocorrelation: number | null;
  /**
   * The candidate whose scan window held the period, e.g. `gap-cluster/2`. A suffix `*k` means the
   * period was then multiplied by k because the gaps were as coherent at k·P, as exact timestamps are
   * at every divisor of their period.
   */
  method: string;
  /** Positive gaps in the series; equal times count once. */
  gaps: number;
  /** Gaps of at least P/2, over which the coherence is measured. Shorter gaps are tasking bursts. */
  phasedGaps: number;
  /** M, the number of roughly independent trial periods the false-alarm probability is corrected for. */
  trialPeriods: number;
  /** The best period of up to three candidate windows, the chosen one first. */
  candidates: PeriodCandidate[];
}

// Reconnect loops of RATs retry faster than once a second (Remcos in the Stratosphere capture: 0.5 s).
const DEFAULT_MIN_PERIOD_SECONDS = 0.1;
const DEFAULT_MAX_PERIOD_SECONDS = 86_400;
/** Width of the gap-clustering window on a log scale: gaps within a factor of 1.25 of each other. */
const CLUSTER_LOG_WIDTH = Math.log(1.25);
/**
 * Half-width of the scan window around a candidate, as a factor. With 50 % subtractive jitter the densest
 * cluster sits near the top of the gaps, at about 0.9 S. The coherence peaks near the mean sleep 0.75 S,
 * so the window must reach at least 20 % below the candidate.
 */
const SCAN_FACTOR = 1.4;
/**
 * Largest phase shift, in cycles, that one grid step may cause to the 90th-percentile gap. Coherence
 * falls by 1 − cos(2π·0.025) ≈ 1 % at half a step, so the coarse grid cannot step over a peak.
 */
const GRID_PHASE_STEP = 0.05;
const MIN_GRID_STEP = 5e-4;
const MAX_GRID_STEP = 5e-3;
/** The coarse scan uses an evenly spaced subsample of the sorted gaps above this size, for speed. */
const MAX_SCAN_GAPS = 20_000;
/**
 * Share of the coherence that k·P must keep for the period to move up to k·P. Exact timestamps are
 * as coherent at P/2 as at P, while a jittered beacon at P/2 loses coherence because each gap then
 * spans two cycles and its phase spread doubles.
 */
const HARMONIC_KEEP = 0.9;
const MIN_AUTOCORRELATION_PERIODS = 8;
const MAX_AUTOCORRELATION_BINS = 4_000_000;

/**
 * Estimates the period of a series of connection start times (epoch ms, ascending). Returns null when
 * fewer than two positive gaps remain, or when no period between the bounds fits the gaps: the search
 * starts at the 10th-percentile gap and ends at the longest gap.
 */
export function estimatePeriod(
  timesMs: readonly number[],
  options: PeriodOptions = {},
): PeriodEstimate | null {
  const gaps = positiveGapsSeconds(timesMs);
  if (gaps.length < 2) return null;
  const sorted = [...gaps].sort((a, b) => a - b);

  const q10 = quantileSorted(sorted, 0.1);
  const q90 = quantileSorted(sorted, 0.9);
  const longest = sorted[sorted.length - 1] as number;
  // A period shorter than the 10th-percentile gap would put 90 % of the gaps several cycles away, where
  // any lattice fits: timestamps rounded to whole seconds are perfectly coherent at P = 1 s. Only
  // tasking bursts are shorter than a true period, and they are rarely more than 10 % of the gaps.
  const lower = Math.max(options.minPeriodSeconds ?? DEFAULT_MIN_PERIOD_SECONDS, q10);
  const upper = Math.min(options.maxPeriodSeconds ?? DEFAULT_MAX_PERIOD_SECONDS, longest);
  if (!(lower <= upper)) return null;

  // Phase of a gap g changes by one cycle when 1/P changes by 1/g, so the trial frequencies between 1/upper
  // and 1/lower hold about (1/lower − 1/upper)·g independent values for a typical long gap g.
  const trialPeriods = 1 + (1 / lower - 1 / upper) * q90;
  const step = Math.min(MAX_GRID_STEP, Math.max(MIN_GRID_STEP, (GRID_PHASE_STEP * lower) / q90));
  const scanGaps = evenSubsample(sorted, MAX_SCAN_GAPS);

  const windows: ScoredPeriod[] = [];
  for (const candidate of candidatePeriods(sorted)) {
    const centre = candidate.periodSeconds;
    const from = Math.max(lower, centre / SCAN_FACTOR);
    const to = Math.min(upper, centre * SCAN_FACTOR);
    if (from > to) continue;
    const coarse = scanGrid(scanGaps, from, to, step);
    const refined = refine(sorted, coarse.periodSeconds, step, lower, upper);
    windows.push({ ...refined, source: candidate.source });
  }
  if (windows.length === 0) return null;
  windows.sort((a, b) => b.score - a.score);

  let best = windows[0] as ScoredPeriod;
  let method: string = best.source;
  for (let climbs = 0; climbs < 4; climbs += 1) {
    const multiple = climbHarmonic(sorted, best, step, lower, upper);
    if (multiple === null) break;
    best = multiple.period;
    method += `*${multiple.factor}`;
  }

  const candidates = distinctCandidates([best, ...windows], trialPeriods);
  return {
    periodSeconds: best.periodSeconds,
    coherence: clampUnit(best.coherence),
    falseAlarmProbability: falseAlarmProbability(best, trialPeriods),
    autocorrelation: binnedAutocorrelation(timesMs, best.periodSeconds),
    method,
    gaps: gaps.length,
    phasedGaps: best.phasedGaps,
    trialPeriods,
    candidates,
  };
}

/** Tells whether an estimate shows a period at the given false-alarm probability. */
export function isPeriodic(estimate: PeriodEstimate | null, maxFap = 1e-3): boolean {
  return estimate !== null && estimate.falseAlarmProbability <= maxFap;
}

/** Differences between consecutive times in seconds, without the zero gaps that equal times make. */
export function positiveGapsSeconds(timesMs: readonly number[]): number[] {
  const gaps: number[] = [];
  for (let index = 1; index < timesMs.length; index += 1) {
    const gap = ((timesMs[index] as number) - (timesMs[index - 1] as number)) / 1000;
    if (gap > 0) gaps.push(gap);
  }
  return gaps;
}

interface Coherence {
  periodSeconds: number;
  /** Mean cosine of the gap phases, −1..1. */
  coherence: number;
  phasedGaps: number;
  /** C·√(2n), approximately standard normal when there is no period. */
  score: number;
}

interface ScoredPeriod extends Coherence {
  source: PeriodSource;
}

/** Measures the coherence of the gaps of at least P/2 (sorted ascending) at period P. */
export function coherenceAt(sortedGaps: ArrayLike<number>, periodSeconds: number): Coherence {
  const start = lowerBound(sortedGaps, periodSeconds / 2);
  const phasedGaps = sortedGaps.length - start;
  if (phasedGaps === 0) return { periodSeconds, coherence: 0, phasedGaps, score: 0 };
  let sum = 0;
  for (let index = start; index < sortedGaps.length; index += 1) {
    const cycles = (sortedGaps[index] as number) / periodSeconds;
    // Reducing to the nearest whole cycle first keeps cos accurate for gaps of many thousand cycles.
    sum += Math.cos(2 * Math.PI * (cycles - Math.round(cycles)));
  }
  const coherence = sum / phasedGaps;
  return { periodSeconds, coherence, phasedGaps, score: coherence * Math.sqrt(2 * phasedGaps) };
}

/**
 * Returns the candidate periods of step 1. The densest cluster is the window of relative width 1.25
 * on the sorted gaps that contains the most gaps, and the first such window wins a tie.
 */
function candidatePeriods(sorted: readonly number[]): { periodSeconds: number; source: PeriodSource }[] {
  let bestStart = 0;
  let bestCount = 0;
  let end = 0;
  const limit = Math.exp(CLUSTER_LOG_WIDTH);
  for (let start = 0; start < sorted.length; start += 1) {
    const ceiling = (sorted[start] as number) * limit;
    while (end < sorted.length && (sorted[end] as number) <= ceiling) end += 1;
    if (end - start > bestCount) {
      bestCount = end - start;
      bestStart = start;
    }
  }
  const cluster = quantileSorted(sorted.slice(bestStart, bestStart + bestCount), 0.5);
  const gapMedian = quantileSorted(sorted, 0.5);
  const all: { periodSeconds: number; source: PeriodSource }[] = [
    { periodSeconds: cluster, source: 'gap-cluster' },
    { periodSeconds: cluster / 2, source: 'gap-cluster/2' },
    { periodSeconds: cluster / 3, source: 'gap-cluster/3' },
    { periodSeconds: gapMedian, source: 'median-gap' },
  ];
  // A candidate within 2 % of an earlier one would scan the same window again.
  return all.filter((candidate, index) =>
    all
      .slice(0, index)
      .every((earlier) => Math.abs(candidate.periodSeconds / earlier.periodSeconds - 1) > 0.02),
  );
}

/** Scans log-spaced periods from `from` to `to` with relative step `step`; returns the highest score. */
function scanGrid(sortedGaps: ArrayLike<number>, from: number, to: number, step: number): Coherence {
  let best = coherenceAt(sortedGaps, from);
  const points = Math.floor(Math.log(to / from) / step);
  for (let index = 1; index <= points; index += 1) {
    const trial = coherenceAt(sortedGaps, from * Math.exp(index * step));
    if (trial.score > best.score) best = trial;
  }
  if (to > from) {
    const last = coherenceAt(sortedGaps, to);
    if (last.score > best.score) best = last;
  }
  return best;
}

/** Narrows the best period on all gaps: two finer grids of ±1 coarse step, then ±1/10 of it. */
function refine(
  sortedGaps: readonly number[],
  period: number,
  step: number,
  lower: number,
  upper: number,
): Coherence {
  let best = period;
  let width = step;
  for (let round = 0; round < 2; round += 1) {
    const from = Math.max(lower, best * Math.exp(-width));
    const to = Math.min(upper, best * Math.exp(width));
    best = scanGrid(sortedGaps, from, to, Math.max((2 * width) / 20, 1e-9)).periodSeconds;
    width /= 10;
  }
  return coherenceAt(sortedGaps, best);
}

/**
 * Returns k·P (k = 2 or 3) when the gaps are about as coherent there as at P, which happens when the
 * times are exact and P is a divisor of the true period; null otherwise.
 */
function climbHarmonic(
  sortedGaps: readonly number[],
  current: ScoredPeriod,
  step: number,
  lower: number,
  upper: number,
): { period: ScoredPeriod; factor: number } | null {
  if (current.coherence <= 0) return null;
  for (const factor of [2, 3]) {
    const target = current.periodSeconds * factor;
    if (target > upper) continue;
    const coarse = scanGrid(
      sortedGaps,
      Math.max(lower, target * Math.exp(-2 * step)),
      Math.min(upper, target * Math.exp(2 * step)),
      step / 4,
    );
    const multiple = refine(sortedGaps, coarse.periodSeconds, step / 4, lower, upper);
    // The score weighs coherence by the gaps it was measured on: at a long multiple, short gaps drop out
    // of the phased set, and one long gap (a clock jump, a night) is perfectly coherent on its own.
    if (
      multiple.coherence >= HARMONIC_KEEP * current.coherence &&
      multiple.score >= HARMONIC_KEEP * current.score
    ) {
      return { period: { ...multiple, source: current.source }, factor };
    }
  }
  return null;
}

function distinctCandidates(periods: readonly Coherence[], trialPeriods: number): PeriodCandidate[] {
  const distinct: Coherence[] = [];
  for (const period of periods) {
    if (distinct.length === 3) break;
    if (distinct.some((other) => Math.abs(other.periodSeconds / period.periodSeconds - 1) < 0.01)) continue;
    distinct.push(period);
  }
  return distinct.map((period) => ({
    periodSeconds: period.periodSeconds,
    coherence: clampUnit(period.coherence),
    fap: falseAlarmProbability(period, trialPeriods),
  }));
}

/** Computes FAP = 1 − (1 − p)^M, p the one-sided normal tail of the score, accurately for tiny p. */
function falseAlarmProbability(period: Coherence, trialPeriods: number): number {
  const single = normalUpperTail(period.score);
  if (single >= 1) return 1;
  return clampUnit(-Math.expm1(trialPeriods * Math.log1p(-single)));
}

/**
 * Autocorrelation at lag 4 bins of the connection counts in bins of P/4 from the first time. A beacon
 * puts one connection in every fourth bin, give or take the jitter of one sleep, so the value is near 1
 * for exact beacons and near 0 for Poisson times.
 */
export function binnedAutocorrelation(timesMs: readonly number[], periodSeconds: number): number | null {
  if (timesMs.length < 2 || !(periodSeconds > 0)) return null;
  const first = timesMs[0] as number;
  const spanMs = (timesMs[timesMs.length - 1] as number) - first;
  const binMs = (periodSeconds * 1000) / 4;
  const binCount = Math.floor(spanMs / binMs) + 1;
  if (spanMs < MIN_AUTOCORRELATION_PERIODS * periodSeconds * 1000) return null;
  if (binCount > MAX_AUTOCORRELATION_BINS) return null;

  const counts = new Float64Array(binCount);
  for (const time of timesMs) {
    const bin = Math.min(binCount - 1, Math.floor((time - first) / binMs));
    counts[bin] = (counts[bin] as number) + 1;
  }
  const mean = timesMs.length / binCount;
  let variance = 0;
  let covariance = 0;
  for (let index = 0; index < binCount; index += 1) {
    const deviation = (counts[index] as number) - mean;
    variance += deviation * deviation;
    if (index + 4 < binCount) covariance += deviation * ((counts[index + 4] as number) - mean);
  }
  if (variance === 0) return null;
  return covariance / variance;
}

/** P(Z ≥ z) for a standard normal Z. */
export function normalUpperTail(z: number): number {
  return 0.5 * complementaryErrorFunction(z / Math.SQRT2);
}

/**
 * erfc(x): the Maclaurin series of erf below |x| = 2.5, where it loses at most three of 16 digits to
 * cancellation, and Laplace's continued fraction erfc x = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + 3/2/(x + …))))
 * above, evaluated from 80 levels deep, which is exact to double precision from x = 2.5 on.
 */
export function complementaryErrorFunction(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return 2 - complementaryErrorFunction(-x);
  if (x < 2.5) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 100; n += 1) {
      term *= (-x * x) / n;
      const addend = term / (2 * n + 1);
      sum += addend;
      if (Math.abs(addend) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  let fraction = x;
  for (let k = 80; k >= 1; k -= 1) fraction = x + k / 2 / fraction;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / fraction;
}

/** Index of the first value ≥ target in an ascending array. */
function lowerBound(sorted: ArrayLike<number>, target: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as number) < target) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Takes every k-th value of a sorted array, so the subsample keeps the shape of the distribution. */
function evenSubsample(sorted: readonly number[], size: number): readonly number[] {
  if (sorted.length <= size) return sorted;
  const stride = sorted.length / size;
  const sample: number[] = [];
  for (let index = 0; index < size; index += 1) sample.push(sorted[Math.floor(index * stride)] as number);
  return sample;
}

function clampUnit(value: number): number {
  return Math.min(1, Math.max(0, value));
}
