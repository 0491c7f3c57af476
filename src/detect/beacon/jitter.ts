/**
 * Fits the sleep-and-jitter settings of C2 frameworks to the gaps of a periodic series. Each framework
 * draws every sleep from a uniform interval:
 *
 *   subtractive  [S(1 − j), S]         Cobalt Strike
 *   additive     [S, S + J]            Sliver
 *   symmetric    [S(1 − j), S(1 + j)]  Empire, PoshC2, Mythic, Havoc
 *   none         S, give or take network delay
 *
 * The gaps only show the interval [a, b], which every model can produce. The settings an operator
 * typed are usually round numbers, so the model chosen is the one whose sleep S (b, a or (a + b)/2) is
 * the roundest, such as 60 s rather than 48 s or 54 s.
 */
import { quantileSorted } from './stats.js';

export type JitterModel = 'subtractive' | 'additive' | 'symmetric' | 'none';

export interface JitterFit {
  model: JitterModel;
  /** Sleep S as measured: b for subtractive, a for additive, (a + b)/2 for symmetric and none. */
  sleepSeconds: number;
  /** The round value within the measurement tolerance of S that decided the model, e.g. 60 for 59.93. */
  roundSleepSeconds: number;
  /** j for subtractive and symmetric, J/S for additive, (b − a)/S for none. */
  jitterFraction: number;
  /** Half-width (b − a)/2 for symmetric; width b − a otherwise. */
  jitterSeconds: number;
  /** a: the fitted low end of the gap interval, seconds. */
  lowSeconds: number;
  /** b: the fitted high end of the gap interval, seconds. */
  highSeconds: number;
  /** Gaps within half a period of the period, which the fit uses. */
  onBeatGaps: number;
  /**
   * Kolmogorov–Smirnov distance between the on-beat gaps and the uniform distribution on [a, b]; null
   * when the interval has zero width or there are no gaps.
   */
  uniformity: number | null;
  /** Whether the KS distance is below the 1 % critical value 1.63/√n, so the gaps may be uniform. */
  flat: boolean;
  /** The fit in one phrase, e.g. "gaps fill 48–60 s evenly: 60 s sleep with 20 % subtractive jitter". */
  reason: string;
}

/** Relative width (b − a)/S below which the gaps count as unjittered: network delay and clock noise. */
const NO_JITTER_WIDTH = 0.02;
/**
 * Network and logging delay allowed per connection time, seconds. A gap is the difference of two such
 * delays, so delay alone spreads the gaps over twice this width.
 * NOTE: this also calls real jitter of up to 0.4 s unjittered, such as a 2 s sleep with ±10 %.
 */
const NETWORK_DELAY_SECONDS = 0.2;
/** Quantiles used for the interval ends, robust to a few missed beats or bursts that fall on the beat. */
const LOW_QUANTILE = 0.02;
const HIGH_QUANTILE = 0.98;
/** Sleep units, seconds, from the roundest down: whole days, hours, minutes, seconds, tenths. */
const ROUND_UNITS = [86_400, 3600, 1800, 900, 600, 300, 60, 30, 15, 10, 5, 1, 0.5, 0.1, 0.01, 0.001];
/** Relative tolerance for a sleep to count as round, before the sampling and resolution terms. */
const RELATIVE_TOLERANCE = 0.01;
/** The model chosen when two sleeps are equally round: the commonest framework style first. */
const TIE_ORDER: readonly JitterModel[] = ['subtractive', 'symmetric', 'additive'];
/** Kolmogorov distribution quantile for a 1 % level, asymptotic. */
const KS_CRITICAL_1_PERCENT = 1.63;

/**
 * Fits the jitter models to the gaps (seconds) of a series with the given period (seconds). Throws a
 * RangeError when the period is not a positive number.
 */
export function fitJitter(gapsSeconds: readonly number[], periodSeconds: number): JitterFit {
  if (!(periodSeconds > 0) || !Number.isFinite(periodSeconds)) {
    throw new RangeError(`periodSeconds must be a positive number of seconds, got ${periodSeconds}`);
  }
  const positive = gapsSeconds.filter((gap) => gap > 0);
  // Gaps within half a period of the period: missed beats (2P, 3P) and tasking bursts (1–5 s) fall outside.
  let onBeat = positive.filter((gap) => gap >= 0.5 * periodSeconds && gap <= 1.5 * periodSeconds);
  if (onBeat.length === 0) onBeat = positive;
  if (onBeat.length === 0) return emptyFit(periodSeconds);
  const sorted = [...onBeat].sort((a, b) => a - b);

  const { low, high } = uniformInterval(sorted);
  const width = high - low;
  const middle = (low + high) / 2;
  const uniformity = width > 0 ? kolmogorovSmirnovUniform(sorted, low, high) : null;
  const flat = uniformity === null || uniformity <= KS_CRITICAL_1_PERCENT / Math.sqrt(sorted.length);
  const resolution = timestampResolution(sorted);
  // Tolerance when rounding a sleep: 1 % of it, the expected spacing of two sampled gaps, and the clock step.
  const tolerance = (value: number) =>
    Math.max(RELATIVE_TOLERANCE * value, (2 * width) / (sorted.length + 1), resolution);
  const common = { lowSeconds: low, highSeconds: high, onBeatGaps: sorted.length, uniformity, flat };

  if (width <= Math.max(NO_JITTER_WIDTH * middle, 2 * NETWORK_DELAY_SECONDS)) {
    const round = roundest(middle, tolerance(middle));
    return {
      model: 'none',
      sleepSeconds: middle,
      roundSleepSeconds: round.value,
      jitterFraction: width / middle,
      jitterSeconds: width,
      ...common,
      reason: `gaps vary by ${formatSeconds(width)} around ${formatSeconds(middle)}: no jitter beyond network delay`,
    };
  }

  const sleeps: Record<Exclude<JitterModel, 'none'>, number> = {
    subtractive: high,
    additive: low,
    symmetric: middle,
  };
  let model: Exclude<JitterModel, 'none'> = 'subtractive';
  let best = roundest(high, tolerance(high));
  for (const candidate of TIE_ORDER.slice(1) as Exclude<JitterModel, 'none'>[]) {
    const sleep = sleeps[candidate];
    const round = roundest(sleep, tolerance(sleep));
    if (round.unit > best.unit) {
      model = candidate;
      best = round;
    }
  }

  const sleep = sleeps[model];
  const jitterFraction = model === 'symmetric' ? width / 2 / middle : width / sleep;
  const jitterSeconds = model === 'symmetric' ? width / 2 : width;
  return {
    model,
    sleepSeconds: sleep,
    roundSleepSeconds: best.value,
    jitterFraction,
    jitterSeconds,
    ...common,
    reason: describe(model, low, high, best.value, jitterFraction, jitterSeconds, flat, uniformity),
  };
}

/**
 * Returns the ends [a, b] of a uniform distribution from the 2nd and 98th percentiles of a sorted
 * sample. For n uniform values the type 7 p-quantile has expectation a + (b − a)·(1 + (n − 1)p)/(n + 1),
 * so solving that for a and b makes the estimate unbiased for every n ≥ 2.
 */
export function uniformInterval(sorted: readonly number[]): { low: number; high: number } {
  const n = sorted.length;
  const lowQuantile = quantileSorted(sorted, LOW_QUANTILE);
  const highQuantile = quantileSorted(sorted, HIGH_QUANTILE);
  if (n < 2) return { low: lowQuantile, high: highQuantile };
  const width = ((highQuantile - lowQuantile) * (n + 1)) / ((n - 1) * (HIGH_QUANTILE - LOW_QUANTILE));
  const low = lowQuantile - (width * (1 + (n - 1) * LOW_QUANTILE)) / (n + 1);
  return { low, high: low + width };
}

/** Kolmogorov–Smirnov distance between a sorted sample and the uniform distribution on [low, high]. */
export function kolmogorovSmirnovUniform(sorted: readonly number[], low: number, high: number): number {
  const n = sorted.length;
  let distance = 0;
  for (let index = 0; index < n; index += 1) {
    const cdf = Math.min(1, Math.max(0, ((sorted[index] as number) - low) / (high - low)));
    distance = Math.max(distance, cdf - index / n, (index + 1) / n - cdf);
  }
  return distance;
}

/**
 * Returns the multiple of the largest unit in ROUND_UNITS that lies within the tolerance of the value.
 * Zero is never a sleep, so a unit larger than the value only counts when the value rounds up to it.
 */
export function roundest(value: number, tolerance: number): { value: number; unit: number } {
  for (const unit of ROUND_UNITS) {
    // Units below 1 s are divided by their whole inverse, so 77 tenths is exactly 7.7.
    const multiple =
      unit >= 1 ? unit * Math.round(value / unit) : Math.round(value / unit) / Math.round(1 / unit);
    if (multiple > 0 && Math.abs(value - multiple) <= tolerance) return { value: multiple, unit };
  }
  return { value, unit: 0 };
}

/** Finds the coarsest clock step (1 s, 0.1 s, 0.01 s, else 1 ms) that every gap is a whole multiple of. */
function timestampResolution(gaps: readonly number[]): number {
  for (const step of [1, 0.1, 0.01]) {
    if (gaps.every((gap) => Math.abs(gap / step - Math.round(gap / step)) < 1e-6)) return step;
  }
  return 0.001;
}

function emptyFit(periodSeconds: number): JitterFit {
  return {
    model: 'none',
    sleepSeconds: periodSeconds,
    roundSleepSeconds: periodSeconds,
    jitterFraction: 0,
    jitterSeconds: 0,
    lowSeconds: periodSeconds,
    highSeconds: periodSeconds,
    onBeatGaps: 0,
    uniformity: null,
    flat: false,
    reason: 'no positive gaps: jitter unknown',
  };
}

function describe(
  model: Exclude<JitterModel, 'none'>,
  low: number,
  high: number,
  sleep: number,
  jitterFraction: number,
  jitterSeconds: number,
  flat: boolean,
  uniformity: number | null,
): string {
  const spread = flat
    ? `gaps fill ${formatSeconds(low, false)}–${formatSeconds(high)} evenly`
    : `gaps fill ${formatSeconds(low, false)}–${formatSeconds(high)} unevenly (KS distance ${uniformity?.toFixed(2)}, peaked rather than uniform)`;
  const percent = `${Math.round(jitterFraction * 100)} %`;
  switch (model) {
    case 'subtractive':
      return `${spread}: ${formatSeconds(sleep)} sleep with ${percent} subtractive jitter (Cobalt Strike style)`;
    case 'additive':
      return `${spread}: ${formatSeconds(sleep)} sleep plus up to ${formatSeconds(jitterSeconds)} of added jitter (Sliver style)`;
    case 'symmetric':
      return `${spread}: ${formatSeconds(sleep)} sleep with ±${percent} symmetric jitter (Empire, PoshC2, Mythic, Havoc style)`;
  }
}

/** Formats seconds with three significant digits at most, e.g. "60 s", "7.7 s", "0.25 s". */
function formatSeconds(seconds: number, unit = true): string {
  const text = String(Number(seconds.toPrecision(3)));
  return unit ? `${text} s` : text;
}
