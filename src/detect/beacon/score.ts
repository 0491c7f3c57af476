/**
 * Scores one connection series for beacon-like regularity. The period comes first: it is estimated
 * from the gaps (period.ts) with a false-alarm probability, and everything else is measured given that
 * period: the jitter model (jitter.ts), missed beats, tasking bursts, a change of sleep, a daily window
 * and a recent start (patterns.ts). The score is built from parts a person can recompute:
 *
 *   periodicity = significance × (0.5·regularity + 0.3·onBeat + 0.2·coherence) × (0.85 + 0.15·size)
 *   score       = periodicity × (0.4 + 0.6·coverage) × (0.5 + 0.5·evidence) × established × protocol × names
 *
 * Significance gates everything: steady all-day Poisson traffic, however constant its request size,
 * has no period the false-alarm test believes, so presence alone never scores as a beacon.
 */
import { fitJitter, type JitterFit } from './jitter.js';
import { findBeatPatterns, type BeatPatterns } from './patterns.js';
import { estimatePeriod, positiveGapsSeconds, type PeriodEstimate } from './period.js';
import { bowleySkew, median, medianAbsoluteDeviation, quartiles } from './stats.js';

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
  /** Start of the analysis window, epoch ms, when the window is bounded. */
  windowStart?: number;
  /** Weight for services periodic by design; 1 for everything else. */
  protocolWeight?: number;
  /**
   * For a series of DNS queries: distinct names over queries, 0..1. Left out for connection series.
   */
  nameNovelty?: number;
  /** Offset of the analysts' local time from UTC, minutes, for the daily window. */
  utcOffsetMinutes?: number;
}

export interface ScoreParts {
  /** 0..1 from the false-alarm probability: −log10(FAP) / 6, so FAP 1e-6 or less gives 1. */
  significance: number;
  /** 1 / (1 + (MAD / period / 0.35)²) over the gaps within half a period of the period. */
  regularity: number;
  /** Share of the beat gaps that land on a whole number of periods (one beat, or missed beats). */
  onBeat: number;
  /** Mean cos(2π·gap/period) over the gaps of at least half a period. */
  coherence: number;
  /** Regularity of request sizes; null when the source records no sizes. */
  size: number | null;
  /** Share of time bins holding a connection, from the first connection to the window end. */
  coverage: number;
  /** min(1, ln(1 + gaps) / ln(501)): more beats are stronger evidence. */
  evidence: number;
  /** 0.75 for a series of failed attempts only, else 1. */
  established: number;
  /** Below 1 for services that are periodic by design, such as NTP. */
  protocol: number;
  /**
   * 0.6 + 0.4 × (distinct names / queries) for a series of DNS queries, else 1. A client looks up the
   * same few names again whenever their cached records expire, which makes repeated names periodic by
   * design. A beacon over DNS carries its data in a fresh name each time.
   */
  names: number;
}

export interface SeriesMeasures {
  /** Estimated beacon period, seconds. */
  periodSeconds: number;
  /** Median absolute deviation of the gaps near the period from the period, seconds. */
  jitterSeconds: number;
  /** False-alarm probability of the period: the chance that timing without a period looks this regular. */
  falseAlarmProbability: number;
  coherence: number;
  /** Autocorrelation of binned connection counts at a lag of one period; null for short series. */
  autocorrelation: number | null;
  /** The search step that found the period, such as `gap-cluster` or `gap-cluster/2`. */
  periodMethod: string;
  jitterModel: JitterFit['model'];
  /** The configured sleep the jitter model implies, seconds. */
  sleepSeconds: number;
  /** j of the jitter model (J/S for additive). */
  jitterFraction: number;
  gapMedianSeconds: number;
  gapMadSeconds: number;
  gapQ1Seconds: number;
  gapQ3Seconds: number;
  bowleySkew: number;
  /** Share of beat gaps within tolerance of one period. */
  onBeatFraction: number;
  /** Share of the expected beats that are missing: gaps at 2×, 3×, … the period. */
  missedBeatFraction: number;
  /** Runs of 1–5 s gaps (tasking), and connections in them. */
  burstRuns: number;
  burstConnections: number;
  sizeMedianBytes: number | null;
  sizeMadBytes: number | null;
  failedFraction: number;
  spanSeconds: number;
}

export interface SeriesScore {
  score: number;
  periodicity: number;
  /** The coverage part, kept under its former name for the table and CSV. */
  support: number;
  parts: ScoreParts;
  measures: SeriesMeasures;
  period: PeriodEstimate;
  jitter: JitterFit;
  patterns: BeatPatterns;
}

/**
 * Relative spread (MAD / period) at which the regularity and size parts fall to one half. Uniform jitter
 * of ±j around the period has a relative MAD of j/2, so 0.35 keeps C2 frameworks' usual 10–50 % jitter
 * between 0.66 and 0.99.
 */
const HALF_SCORE_RELATIVE_SPREAD = 0.35;
const PERIODICITY_WEIGHTS = { regularity: 0.5, onBeat: 0.3, coherence: 0.2 };
/** −log10 of the false-alarm probability at which significance reaches 1. */
const FULL_SIGNIFICANCE_DIGITS = 6;
/** Share of the periodicity that a steady request size can add or take away. */
const SIZE_SHARE = 0.15;
/**
 * Gaps at which the evidence part reaches 1; it grows with log(1 + gaps): 6 gaps 0.31, 45 gaps 0.62,
 * 200 gaps 0.85. A 60 s beacon reaches it in about eight hours, a 5 min beacon in 42 hours.
 */
const FULL_EVIDENCE_GAPS = 500;
const REPEATED_NAMES_WEIGHT = 0.6;
/** Weight kept by a series of failed attempts only. */
const ALL_FAILED_WEIGHT = 0.75;
/** Coverage bins per pair horizon; bins are never shorter than two periods. */
const COVERAGE_BINS = 24;

export const MIN_SERIES_LENGTH = 3;

/** Returns null when the series has fewer than MIN_SERIES_LENGTH distinct times or no period can be fitted. */
export function scoreSeries(input: SeriesInput): SeriesScore | null {
  const { times } = input;
  if (times.length < MIN_SERIES_LENGTH) return null;
  const period = estimatePeriod(times);
  if (period === null) return null;
  const periodSeconds = period.periodSeconds;
  const gaps = positiveGapsSeconds(times);
  const patterns = findBeatPatterns(times, periodSeconds, input.windowEnd, {
    ...(input.windowStart !== undefined ? { windowStartMs: input.windowStart } : {}),
    ...(input.utcOffsetMinutes !== undefined ? { utcOffsetMinutes: input.utcOffsetMinutes } : {}),
  });
  const jitter = fitJitter(gaps, periodSeconds);

  const gapQuartiles = quartiles(gaps);
  const near = gaps.filter((gap) => gap >= 0.5 * periodSeconds && gap <= 1.5 * periodSeconds);
  const jitterSeconds = near.length > 0 ? medianAbsoluteDeviation(near, periodSeconds) : Number.NaN;
  const missed = patterns.missedBeats;
  const onMultiple = missed.onBeatGaps + missed.gapsByMultiple.reduce((sum, entry) => sum + entry.gaps, 0);
  const sizeMedian = input.sizes.length > 0 ? median(input.sizes) : null;
  const sizeMad = sizeMedian === null ? null : medianAbsoluteDeviation(input.sizes, sizeMedian);

  const parts: ScoreParts = {
    significance: significance(period.falseAlarmProbability),
    regularity: Number.isNaN(jitterSeconds) ? 0 : spreadScore(jitterSeconds, periodSeconds),
    onBeat: missed.beatGaps > 0 ? onMultiple / missed.beatGaps : 0,
    coherence: period.coherence,
    size: sizeMedian === null || sizeMad === null ? null : spreadScore(sizeMad, sizeMedian),
    coverage: coverage(times, periodSeconds, input.windowEnd, patterns),
    evidence: Math.min(1, Math.log1p(gaps.length) / Math.log1p(FULL_EVIDENCE_GAPS)),
    established: input.failed === input.connections && input.failed > 0 ? ALL_FAILED_WEIGHT : 1,
    protocol: input.protocolWeight ?? 1,
    names:
      input.nameNovelty === undefined
        ? 1
        : REPEATED_NAMES_WEIGHT + (1 - REPEATED_NAMES_WEIGHT) * Math.min(1, Math.max(0, input.nameNovelty)),
  };
  const factors = scoreFactors(parts);
  const periodicity = productOf(factors.filter((factor) => factor.periodicity));
  const score = productOf(factors);

  const first = times[0] as number;
  const last = times[times.length - 1] as number;
  return {
    score,
    periodicity,
    support: parts.coverage,
    parts,
    period,
    jitter,
    patterns,
    measures: {
      periodSeconds,
      jitterSeconds: Number.isNaN(jitterSeconds)
        ? medianAbsoluteDeviation(gaps, periodSeconds)
        : jitterSeconds,
      falseAlarmProbability: period.falseAlarmProbability,
      coherence: period.coherence,
      autocorrelation: period.autocorrelation,
      periodMethod: period.method,
      jitterModel: jitter.model,
      sleepSeconds: jitter.sleepSeconds,
      jitterFraction: jitter.jitterFraction,
      gapMedianSeconds: gapQuartiles.median,
      gapMadSeconds: medianAbsoluteDeviation(gaps, gapQuartiles.median),
      gapQ1Seconds: gapQuartiles.q1,
      gapQ3Seconds: gapQuartiles.q3,
      bowleySkew: bowleySkew(gapQuartiles),
      onBeatFraction: missed.beatGaps > 0 ? missed.onBeatGaps / missed.beatGaps : 0,
      missedBeatFraction: missed.missedShare,
      burstRuns: patterns.bursts.runs,
      burstConnections: patterns.bursts.connections,
      sizeMedianBytes: sizeMedian,
      sizeMadBytes: sizeMad,
      failedFraction: input.connections > 0 ? input.failed / input.connections : 0,
      spanSeconds: (last - first) / 1000,
    },
  };
}

/** Maps a false-alarm probability to 0..1: each factor of ten below 1 adds 1/6, up to 1 at 1e-6. */
export function significance(falseAlarmProbability: number): number {
  const digits = -Math.log10(Math.max(falseAlarmProbability, Number.MIN_VALUE));
  return Math.min(1, Math.max(0, digits / FULL_SIGNIFICANCE_DIGITS));
}

/** One factor of the timing score, with the formula that makes it from the score parts. */
export interface ScoreFactor {
  name: string;
  formula: string;
  value: number;
  /** True for the factors whose product is the periodicity. */
  periodicity: boolean;
}

/**
 * Returns the factors whose product is the timing score, in the order they are multiplied. The scorer
 * and `explain` both use this list, so the explanation cannot drift from the score.
 */
export function scoreFactors(parts: ScoreParts): ScoreFactor[] {
  const weights = PERIODICITY_WEIGHTS;
  const timing =
    weights.regularity * parts.regularity +
    weights.onBeat * parts.onBeat +
    weights.coherence * parts.coherence;
  return [
    {
      name: 'significance',
      formula: `−log10(false-alarm probability) / ${FULL_SIGNIFICANCE_DIGITS}, at most 1`,
      value: parts.significance,
      periodicity: true,
    },
    {
      name: 'timing',
      formula: `${weights.regularity} × regularity + ${weights.onBeat} × on-beat + ${weights.coherence} × coherence`,
      value: timing,
      periodicity: true,
    },
    {
      name: 'size',
      formula:
        parts.size === null ? 'no sizes logged: 1' : `${1 - SIZE_SHARE} + ${SIZE_SHARE} × size regularity`,
      value: parts.size === null ? 1 : 1 - SIZE_SHARE + SIZE_SHARE * parts.size,
      periodicity: true,
    },
    {
      name: 'coverage',
      formula: '0.4 + 0.6 × coverage',
      value: 0.4 + 0.6 * parts.coverage,
      periodicity: false,
    },
    {
      name: 'evidence',
      formula: '0.5 + 0.5 × evidence',
      value: 0.5 + 0.5 * parts.evidence,
      periodicity: false,
    },
    {
      name: 'established',
      formula: `${ALL_FAILED_WEIGHT} for failed attempts only, else 1`,
      value: parts.established,
      periodicity: false,
    },
    {
      name: 'protocol',
      formula: 'below 1 for services periodic by design',
      value: parts.protocol,
      periodicity: false,
    },
    {
      name: 'names',
      formula: `${REPEATED_NAMES_WEIGHT} + ${1 - REPEATED_NAMES_WEIGHT} × distinct names / queries (DNS series), else 1`,
      value: parts.names,
      periodicity: false,
    },
  ];
}

/** Multiplies the factors' values in order. */
function productOf(factors: readonly ScoreFactor[]): number {
  return factors.reduce((product, factor) => product * factor.value, 1);
}

/** 1 for no spread, 0.5 at HALF_SCORE_RELATIVE_SPREAD, falling towards 0 as spread grows. */
function spreadScore(spread: number, centre: number): number {
  if (spread === 0) return 1;
  if (centre <= 0) return 0;
  const relative = spread / centre / HALF_SCORE_RELATIVE_SPREAD;
  return 1 / (1 + relative * relative);
}

/**
 * Share of time bins, from the series' first connection to the end of the window, that hold at least one
 * connection. Measuring from the first connection rather than the window start keeps an implant that
 * started late at full coverage, while a burst that stopped long ago covers few bins. For a series
 * confined to working hours, only bins that start inside its daily window (and on weekdays, if it is
 * silent at weekends) are counted, so nights and weekends are not held against it.
 */
function coverage(
  times: readonly number[],
  periodSeconds: number,
  windowEnd: number,
  patterns: BeatPatterns,
): number {
  const first = times[0] as number;
  const horizon = Math.max(windowEnd, times[times.length - 1] as number) - first;
  const binMs = Math.max(2 * periodSeconds * 1000, horizon / COVERAGE_BINS);
  if (binMs <= 0 || horizon <= 0) return 1;
  const bins = Math.max(1, Math.ceil(horizon / binMs));
  const counted = countedBin(patterns);
  const active = new Set(times.map((time) => Math.min(bins - 1, Math.floor((time - first) / binMs))));
  let total = 0;
  let hit = 0;
  for (let bin = 0; bin < bins; bin += 1) {
    if (!active.has(bin) && !counted(first + bin * binMs)) continue;
    total += 1;
    if (active.has(bin)) hit += 1;
  }
  return total === 0 ? 1 : hit / total;
}

/** Returns a test of whether an empty bin starting at a time counts against coverage. */
function countedBin(patterns: BeatPatterns): (startMs: number) => boolean {
  const { daily } = patterns;
  if (!daily.workingHours || daily.window === null) return () => true;
  const { startHour, hours } = daily.window;
  const offsetMs = daily.utcOffsetMinutes * 60_000;
  return (startMs) => {
    const local = new Date(startMs + offsetMs);
    const hour = local.getUTCHours();
    const inWindow = (hour - startHour + 24) % 24 < hours;
    const day = local.getUTCDay();
    const weekend = day === 0 || day === 6;
    return inWindow && !(daily.weekdaysOnly && weekend);
  };
}
