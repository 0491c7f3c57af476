/**
 * Turns the rows behind a finding into the data its charts draw. That is the gaps between distinct
 * connection times, their histogram with the fitted period and jitter band, connections per hour of day,
 * and points over time thinned to a size a browser draws at once. The HTML report and `explain` share it.
 */
import type { BeaconFinding } from '../detect/beacon/index.js';
import type { QradarT1071Finding } from '../detect/qradar-t1071.js';
import type { DetectorId } from '../detect/registry.js';
import type { FindingSeries } from './series.js';

/** The period a detector fitted, and the band of gaps it counts as on the beat, all in seconds. */
export interface FittedPeriod {
  seconds: number;
  lowSeconds: number;
  highSeconds: number;
  /** Description of the band, such as "60 s sleep with 20 % subtractive jitter". */
  label: string;
}

export interface GapHistogram {
  /** Lower edge of the first bin and width of every bin, in seconds. */
  fromSeconds: number;
  binSeconds: number;
  counts: number[];
  /** Gaps above the last bin's upper edge. */
  overflow: number;
  /** Maximum gap, seconds. */
  maxSeconds: number;
}

export interface FindingCharts {
  /** Rows matched, rows loaded (fewer when the series was cut), and distinct start times among them. */
  rows: number;
  loadedRows: number;
  connections: number;
  /** Points in time order, at most MAX_PLOTTED_POINTS: each connection and the gap before it. */
  timeline: { times: number[]; gapsSeconds: (number | null)[] };
  gaps: GapHistogram;
  period: FittedPeriod | null;
  /** Connections per hour of day, shifted from UTC by utcOffsetMinutes, over every matched row. */
  hours: number[];
  utcOffsetMinutes: number;
  /** Bytes per row over time, at most MAX_PLOTTED_POINTS. */
  sizes: { times: number[]; sourceBytes: (number | null)[]; destinationBytes: (number | null)[] };
}

/** Points per plotted series: a canvas draws this many at once without stalling the page. */
export const MAX_PLOTTED_POINTS = 4_000;
/** Bins of the gap histogram: 1/20 of a period each, fine enough to show a jitter band of ±10 %. */
export const GAP_BINS = 80;
/** The histogram covers gaps up to this many periods, so that missed beats (2P, 3P) show. */
const PERIODS_SHOWN = 4;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const MINUTES_PER_DAY = 1_440;

/** Returns the period and jitter band the detector fitted to the finding, or null when it fits none. */
export function fittedPeriod(detector: DetectorId, finding: object): FittedPeriod | null {
  if (detector === 'beacon') {
    const beacon = finding as BeaconFinding;
    const { periodSeconds, jitterSeconds } = beacon.measures;
    if (!(periodSeconds > 0)) return null;
    if (beacon.jitter.model !== 'none' && beacon.jitter.highSeconds > beacon.jitter.lowSeconds) {
      return {
        seconds: periodSeconds,
        lowSeconds: beacon.jitter.lowSeconds,
        highSeconds: beacon.jitter.highSeconds,
        label: beacon.jitter.reason,
      };
    }
    return {
      seconds: periodSeconds,
      lowSeconds: Math.max(0, periodSeconds - jitterSeconds),
      highSeconds: periodSeconds + jitterSeconds,
      label: `period ${round(periodSeconds)} s ± ${round(jitterSeconds)} s`,
    };
  }
  if (detector === 'qradar-t1071') {
    // The rule has a mean gap and no band; the band is empty.
    const seconds = (finding as QradarT1071Finding).AvgIntervalMs / 1000;
    if (!(seconds > 0)) return null;
    return { seconds, lowSeconds: seconds, highSeconds: seconds, label: `mean gap ${round(seconds)} s` };
  }
  return null;
}

/** Returns the sorted distinct start times of the series. */
export function distinctTimes(times: readonly number[]): number[] {
  const distinct: number[] = [];
  for (const time of times) if (distinct.at(-1) !== time) distinct.push(time);
  return distinct;
}

/** Returns the gaps between consecutive distinct times, in seconds. */
export function gapsInSeconds(distinct: readonly number[]): number[] {
  const gaps: number[] = [];
  for (let index = 1; index < distinct.length; index += 1) {
    gaps.push(((distinct[index] as number) - (distinct[index - 1] as number)) / 1000);
  }
  return gaps;
}

/**
 * Bins gaps from 0 s to PERIODS_SHOWN periods, or, without a period, to the 95th percentile and half
 * again, so that a few very long gaps (a host asleep overnight) do not squeeze the rest into one bin.
 */
export function gapHistogram(
  gaps: readonly number[],
  period: FittedPeriod | null,
  bins = GAP_BINS,
): GapHistogram {
  const maxSeconds = gaps.reduce((max, gap) => Math.max(max, gap), 0);
  const sorted = [...gaps].sort((a, b) => a - b);
  const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? 0;
  const span = period !== null ? PERIODS_SHOWN * period.seconds : p95 * 1.5;
  const top = Math.max(span, 0.001);
  const binSeconds = top / bins;
  const counts = new Array<number>(bins).fill(0);
  let overflow = 0;
  for (const gap of gaps) {
    const bin = Math.floor(gap / binSeconds);
    if (bin >= bins) overflow += 1;
    else counts[bin] = (counts[bin] as number) + 1;
  }
  return { fromSeconds: 0, binSeconds, counts, overflow, maxSeconds };
}

/**
 * Counts connections per hour of day from counts per minute of the UTC day, shifted by
 * `utcOffsetMinutes` (a whole number of minutes, as every UTC offset in use is).
 */
export function hourCounts(minuteCounts: readonly number[], utcOffsetMinutes: number): number[] {
  const hours = new Array<number>(24).fill(0);
  minuteCounts.forEach((count, minute) => {
    const local = (((minute + utcOffsetMinutes) % MINUTES_PER_DAY) + MINUTES_PER_DAY) % MINUTES_PER_DAY;
    const hour = Math.floor(local / 60);
    hours[hour] = (hours[hour] as number) + count;
  });
  return hours;
}

/** Counts start times per minute of the UTC day. */
export function minuteCounts(times: readonly number[]): number[] {
  const counts = new Array<number>(MINUTES_PER_DAY).fill(0);
  for (const time of times) {
    const minute = Math.floor((((time % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS);
    counts[minute] = (counts[minute] as number) + 1;
  }
  return counts;
}

/** Returns evenly spaced indices, at most `limit` of them, always keeping the first and the last. */
export function thinnedIndices(length: number, limit: number): number[] {
  if (length <= limit) return Array.from({ length }, (_, index) => index);
  const step = (length - 1) / (limit - 1);
  return Array.from({ length: limit }, (_, index) => Math.round(index * step));
}

/** Builds the charts of one finding from its rows. */
export function buildCharts(
  series: FindingSeries,
  period: FittedPeriod | null,
  utcOffsetMinutes = 0,
): FindingCharts {
  const distinct = distinctTimes(series.times);
  const gaps = gapsInSeconds(distinct);
  const timelineIndices = thinnedIndices(distinct.length, MAX_PLOTTED_POINTS);
  const sizeIndices = thinnedIndices(series.times.length, MAX_PLOTTED_POINTS);
  return {
    rows: series.total,
    loadedRows: series.times.length,
    connections: distinct.length,
    timeline: {
      times: timelineIndices.map((index) => distinct[index] as number),
      gapsSeconds: timelineIndices.map((index) => (index === 0 ? null : (gaps[index - 1] as number))),
    },
    gaps: gapHistogram(gaps, period),
    period,
    // The hours come from every matched row; the series itself may have been cut.
    hours: hourCounts(series.minuteCounts ?? minuteCounts(series.times), utcOffsetMinutes),
    utcOffsetMinutes,
    sizes: {
      times: sizeIndices.map((index) => series.times[index] as number),
      sourceBytes: sizeIndices.map((index) => series.sourceBytes[index] ?? null),
      destinationBytes: sizeIndices.map((index) => series.destinationBytes[index] ?? null),
    },
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
