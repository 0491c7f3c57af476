/**
 * Beat patterns of one connection series: missed beats, tasking bursts, a change of sleep, activity
 * confined to working hours, and a recent start. Each finding is a count, a share or a time that a person
 * can check against the connection times, plus a short English phrase for the finding's `why` list.
 *
 * Real C2 operations show all of these. An implant skips beats when the host sleeps or the network drops,
 * and it sends a quick run of connections while it runs a task. Its operator may set a new sleep time or
 * configure it to call home only in office hours.
 */
import { consecutiveGaps, median, medianAbsoluteDeviation } from './stats.js';

export interface BeatPatternOptions {
  /** Offset of local time from UTC in minutes (120 for UTC+02:00), used by the hour and weekday histograms. */
  utcOffsetMinutes?: number;
  /** Start of the analysis window, epoch ms. With it, a series that began in the last quarter is recent. */
  windowStartMs?: number;
}

/** Part of the series with one sleep time. A series has two regimes when its sleep changed, else one. */
export interface BeatRegime {
  /** Index of the first gap of the regime (gap i runs from time i to time i + 1). */
  firstGapIndex: number;
  gaps: number;
  /** Reference period, seconds: the given period, or the own median gap of the far side of a sleep change. */
  periodSeconds: number;
  /** Median absolute deviation from the period of the regime's beat gaps within ±50 % of it, seconds. */
  jitterSeconds: number;
  /** max(2 × jitter, 5 % of the period), seconds. A gap near k periods may be off by tolerance × √k. */
  toleranceSeconds: number;
}

export interface MissedBeats {
  /** Beat gaps near k periods, for every k from 2 to MAX_MISSED_MULTIPLE that occurs. */
  gapsByMultiple: { multiple: number; gaps: number }[];
  /** Sum of (k − 1) over the gaps near k periods. */
  missedBeats: number;
  /** Beat gaps that were classified: bursts merged into their first connection, overnight gaps left out. */
  beatGaps: number;
  /** Beat gaps within tolerance of one period. */
  onBeatGaps: number;
  /** Beat gaps near a multiple that cannot be distinguished from the next one, or beyond 24 periods. */
  longGaps: number;
  /** beatGaps + missedBeats: the beats a steady implant would have sent over the classified gaps. */
  expectedBeats: number;
  /** missedBeats / expectedBeats, 0 when nothing was expected. */
  missedShare: number;
}

export interface TaskingBurstRun {
  startMs: number;
  /** Start as ISO 8601 UTC. */
  start: string;
  connections: number;
}

export interface TaskingBursts {
  runs: number;
  /** Connections inside all runs, the first connection of each run included. */
  connections: number;
  longestRunConnections: number;
  /** The first MAX_LISTED_BURSTS runs. */
  firstRuns: TaskingBurstRun[];
}

export interface SleepChange {
  /** Time of the first connection of the second regime, epoch ms. */
  changeMs: number;
  /** The same time as ISO 8601 UTC. */
  change: string;
  /** Median gap before the change, seconds. */
  periodBeforeSeconds: number;
  /** Median gap after the change, seconds. */
  periodAfterSeconds: number;
  gapsBefore: number;
  gapsAfter: number;
  /** Summed absolute deviation of log gaps from their segment medians, split and unsplit. */
  splitCost: number;
  unsplitCost: number;
}

export interface DailyWindow {
  /** Local hour (0–23) at which the window opens. */
  startHour: number;
  /** Local hour (0–23) at which it closes, smaller than startHour when the window spans midnight. */
  endHour: number;
  hours: number;
  /** Share of connections inside the window. */
  share: number;
}

export interface DailyActivity {
  utcOffsetMinutes: number;
  /** Connections per local hour of day, index 0 = 00:00–01:00. */
  hourCounts: number[];
  /** Connections per local day of week, ISO order: index 0 = Monday, 6 = Sunday. */
  weekdayCounts: number[];
  /** Shortest run of whole local hours that contains WORKING_HOURS_SHARE of connections, null when empty. */
  window: DailyWindow | null;
  /**
   * True when the window is at most WORKING_HOURS_MAX_HOURS long, the series spans 2 days and has 10
   * connections, and the closed part of the day lasts at least two periods.
   */
  workingHours: boolean;
  /** Saturdays followed by a Sunday that lie wholly between the first and the last connection. */
  weekendsObserved: number;
  /** Share of connections on a local Saturday or Sunday. */
  weekendShare: number;
  /** True when at least one whole weekend was observed and weekends have at most MAX_WEEKEND_SHARE. */
  weekdaysOnly: boolean;
}

export interface OvernightGap {
  /** Index of the gap: it runs from timesMs[index] to timesMs[index + 1]. */
  index: number;
  startMs: number;
  endMs: number;
}

export interface SeriesStart {
  firstMs: number | null;
  /** windowEndMs − first time in seconds, or null for an empty series. */
  startedBeforeEndSeconds: number | null;
  /** Share of beat gaps on the beat (within tolerance of one period). */
  onBeatShare: number;
  recentStart: boolean;
}

export interface GapHistogramBin {
  label: string;
  /** Lower bound in periods, inclusive. */
  fromPeriods: number;
  /** Upper bound in periods, exclusive except for the on-beat bin, or null for no bound. */
  toPeriods: number | null;
  gaps: number;
}

export interface BeatPatterns {
  periodSeconds: number;
  connections: number;
  gaps: number;
  regimes: BeatRegime[];
  missedBeats: MissedBeats;
  bursts: TaskingBursts;
  sleepChange: SleepChange | null;
  daily: DailyActivity;
  /** Gaps across the closed part of the day, present only when workingHours is true. */
  overnightGaps: OvernightGap[];
  start: SeriesStart;
  /** All raw gaps binned by their length relative to periodSeconds. */
  gapHistogram: GapHistogramBin[];
  phrases: string[];
}

/** Largest gap in a tasking burst, seconds: an implant sends task results within seconds, not a sleep later. */
export const BURST_MAX_GAP_SECONDS = 5;
/** Bursts are sought only under periods at least this long, so that a 5 s gap differs clearly from a beat. */
export const BURST_MIN_PERIOD_SECONDS = 15;
/** Largest multiple of the period counted as missed beats, because a longer silence is a pause. */
export const MAX_MISSED_MULTIPLE = 24;
/** Minimum gaps on each side of a sleep change. */
export const SLEEP_CHANGE_MIN_GAPS = 8;
/** The two sides' median gaps differ at least by this factor. */
export const SLEEP_CHANGE_MIN_RATIO = 1.5;
/** The split must at least halve the summed deviation of log gaps, so noise in one regime does not split. */
const SLEEP_CHANGE_MAX_COST_RATIO = 0.5;
/** Share of connections that the daily window must contain. */
export const WORKING_HOURS_SHARE = 0.95;
export const WORKING_HOURS_MAX_HOURS = 14;
/** The series must span at least this long for a daily pattern to mean anything. */
const WORKING_HOURS_MIN_SPAN_MS = 2 * 86_400_000;
/** Fewer connections than this cannot show a daily pattern or a silent weekend. */
const DAILY_PATTERN_MIN_CONNECTIONS = 10;
/** Weekends count as silent when they have at most this share of connections. */
const MAX_WEEKEND_SHARE = 0.02;
/** A series is recent when it began in the last quarter of the window or in the last 6 hours. */
const RECENT_WINDOW_FRACTION = 0.25;
const RECENT_START_MAX_SECONDS = 6 * 3600;
const RECENT_START_MIN_BEAT_GAPS = 3;
const MAX_LISTED_BURSTS = 5;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * Finds the beat patterns of one series. `timesMs` are the distinct connection times in epoch ms, strictly
 * ascending, and `periodSeconds` is the estimated period. A period that is not a positive finite number
 * leaves the period-based findings empty. Throws a RangeError when a time is not finite or not after the
 * previous one.
 */
export function findBeatPatterns(
  timesMs: readonly number[],
  periodSeconds: number,
  windowEndMs: number,
  options: BeatPatternOptions = {},
): BeatPatterns {
  validateTimes(timesMs);
  const utcOffsetMinutes = options.utcOffsetMinutes ?? 0;
  const gaps = consecutiveGaps(timesMs).map((gap) => gap / 1000);
  const hasPeriod = Number.isFinite(periodSeconds) && periodSeconds > 0;

  const sleepChange = findSleepChange(timesMs, gaps);
  const regimeOfGap = (index: number): number =>
    sleepChange !== null && index >= sleepChange.gapsBefore ? 1 : 0;
  const regimePeriods = hasPeriod ? referencePeriods(periodSeconds, sleepChange) : [];

  const burstGap = gaps.map((gap, index) => {
    const period = regimePeriods[regimeOfGap(index)] ?? 0;
    return period >= BURST_MIN_PERIOD_SECONDS && gap <= BURST_MAX_GAP_SECONDS;
  });
  const bursts = collectBursts(timesMs, burstGap);

  const daily = measureDailyActivity(timesMs, utcOffsetMinutes, periodSeconds);
  const isOvernight = (index: number, spanSeconds: number): boolean =>
    daily.workingHours &&
    daily.window !== null &&
    spanSeconds > 1.5 * (regimePeriods[regimeOfGap(index)] ?? periodSeconds) &&
    crossesClosingTime(timesMs[index] as number, spanSeconds, daily.window.endHour, utcOffsetMinutes);
  const overnightGaps: OvernightGap[] = [];
  gaps.forEach((gap, index) => {
    if (!isOvernight(index, gap)) return;
    overnightGaps.push({ index, startMs: timesMs[index] as number, endMs: timesMs[index + 1] as number });
  });

  // Each burst collapses into its first connection, because a task's follow-up connections are not beats.
  // Gaps across the night are left out of the beat gaps when the implant only works by day.
  const beatGaps = mergeBurstGaps(gaps, burstGap).filter(
    (beat) => !isOvernight(beat.firstIndex, beat.seconds),
  );
  const regimes = hasPeriod ? describeRegimes(gaps.length, regimePeriods, sleepChange, beatGaps) : [];
  const missedBeats = classifyBeatGaps(beatGaps, regimes, regimeOfGap);

  const start = describeStart(timesMs, windowEndMs, options.windowStartMs, missedBeats);
  const gapHistogram = binGaps(gaps, hasPeriod ? periodSeconds : 0);

  const patterns: BeatPatterns = {
    periodSeconds,
    connections: timesMs.length,
    gaps: gaps.length,
    regimes,
    missedBeats,
    bursts,
    sleepChange,
    daily,
    overnightGaps,
    start,
    gapHistogram,
    phrases: [],
  };
  patterns.phrases = describePatterns(patterns);
  return patterns;
}

function validateTimes(timesMs: readonly number[]): void {
  for (let index = 0; index < timesMs.length; index += 1) {
    const time = timesMs[index] as number;
    if (!Number.isFinite(time)) {
      throw new RangeError(`Invalid connection time at index ${index}: ${time}, expected epoch milliseconds`);
    }
    if (index > 0 && time <= (timesMs[index - 1] as number)) {
      throw new RangeError(
        `Connection times must be distinct and ascending, but index ${index} (${time}) follows ${timesMs[index - 1]}`,
      );
    }
  }
}

/**
 * Chooses each regime's reference period. Without a sleep change it is the given period. With one, the
 * side whose median gap is nearer the given period (by ratio) keeps it. The other side uses its own median
 * gap, so that a 60 s regime is not read as missed beats of a 5 s one.
 */
function referencePeriods(periodSeconds: number, change: SleepChange | null): number[] {
  if (change === null) return [periodSeconds];
  const before = Math.abs(Math.log(change.periodBeforeSeconds / periodSeconds));
  const after = Math.abs(Math.log(change.periodAfterSeconds / periodSeconds));
  return before <= after
    ? [periodSeconds, change.periodAfterSeconds]
    : [change.periodBeforeSeconds, periodSeconds];
}

// ---------------------------------------------------------------------------------------------------
// Tasking bursts

function collectBursts(timesMs: readonly number[], burstGap: readonly boolean[]): TaskingBursts {
  const runs: TaskingBurstRun[] = [];
  let runStart = -1;
  for (let index = 0; index <= burstGap.length; index += 1) {
    const inBurst = index < burstGap.length && burstGap[index] === true;
    if (inBurst && runStart < 0) runStart = index;
    if (!inBurst && runStart >= 0) {
      // Gaps runStart … index − 1 are short, so connections runStart … index form the run.
      const startMs = timesMs[runStart] as number;
      runs.push({ startMs, start: isoSeconds(startMs), connections: index - runStart + 1 });
      runStart = -1;
    }
  }
  return {
    runs: runs.length,
    connections: runs.reduce((sum, run) => sum + run.connections, 0),
    longestRunConnections: runs.reduce((longest, run) => Math.max(longest, run.connections), 0),
    firstRuns: runs.slice(0, MAX_LISTED_BURSTS),
  };
}

interface BeatGap {
  /** Index of the first raw gap that the beat gap covers. */
  firstIndex: number;
  seconds: number;
}

/** Joins each burst gap to the gap that ends the burst, so only the first connection of a burst remains. */
function mergeBurstGaps(gaps: readonly number[], burstGap: readonly boolean[]): BeatGap[] {
  const merged: BeatGap[] = [];
  let pending: BeatGap | null = null;
  gaps.forEach((gap, index) => {
    if (pending === null) pending = { firstIndex: index, seconds: 0 };
    pending.seconds += gap;
    if (burstGap[index] !== true) {
      merged.push(pending);
      pending = null;
    }
  });
  // A series that ends inside a burst has no beat after it, so the trailing burst adds no beat gap.
  return merged;
}

// ---------------------------------------------------------------------------------------------------
// Missed beats

function describeRegimes(
  gapCount: number,
  periods: readonly number[],
  change: SleepChange | null,
  beatGaps: readonly BeatGap[],
): BeatRegime[] {
  return periods.map((periodSeconds, regime) => {
    const firstGapIndex = regime === 0 ? 0 : (change?.gapsBefore ?? 0);
    const endGapIndex = regime === 0 && change !== null ? change.gapsBefore : gapCount;
    const near = beatGaps
      .filter((beat) => beat.firstIndex >= firstGapIndex && beat.firstIndex < endGapIndex)
      .map((beat) => beat.seconds)
      .filter((gap) => gap >= 0.5 * periodSeconds && gap <= 1.5 * periodSeconds);
    const jitterSeconds = near.length > 0 ? medianAbsoluteDeviation(near, periodSeconds) : 0;
    return {
      firstGapIndex,
      gaps: endGapIndex - firstGapIndex,
      periodSeconds,
      jitterSeconds,
      toleranceSeconds: Math.max(2 * jitterSeconds, 0.05 * periodSeconds),
    };
  });
}

/**
 * Sorts each beat gap to its nearest multiple k of the regime's period. A gap within tolerance × √k of
 * k periods is on the beat (k = 1) or hides k − 1 missed beats; the tolerance grows with √k because the
 * jitter of k independent sleeps adds up. When a multiple's window reaches halfway to the next multiple,
 * the two cannot be distinguished, so such gaps count as long gaps instead.
 *
 * NOTE: under heavy jitter this undercounts. With sleeps uniform in [30 s, 60 s] and 20 % of beats lost,
 * only 2× gaps qualify, and the missed share comes out near 0.13 instead of 0.2.
 */
function classifyBeatGaps(
  beatGaps: readonly BeatGap[],
  regimes: readonly BeatRegime[],
  regimeOfGap: (index: number) => number,
): MissedBeats {
  const byMultiple = new Map<number, number>();
  let missedBeats = 0;
  let onBeatGaps = 0;
  let longGaps = 0;
  for (const beat of beatGaps) {
    const regime = regimes[regimeOfGap(beat.firstIndex)];
    if (regime === undefined) continue;
    const period = regime.periodSeconds;
    const multiple = Math.max(1, Math.round(beat.seconds / period));
    const window = regime.toleranceSeconds * Math.sqrt(multiple);
    const distinguishable = multiple <= MAX_MISSED_MULTIPLE && window < 0.5 * period;
    if (multiple >= 2 && !distinguishable) {
      longGaps += 1;
      continue;
    }
    if (Math.abs(beat.seconds - multiple * period) > window) continue;
    if (multiple === 1) {
      onBeatGaps += 1;
      continue;
    }
    byMultiple.set(multiple, (byMultiple.get(multiple) ?? 0) + 1);
    missedBeats += multiple - 1;
  }
  const classified = regimes.length > 0 ? beatGaps.length : 0;
  const expectedBeats = classified + missedBeats;
  return {
    gapsByMultiple: [...byMultiple.entries()]
      .sort(([a], [b]) => a - b)
      .map(([multiple, gaps]) => ({ multiple, gaps })),
    missedBeats,
    beatGaps: classified,
    onBeatGaps,
    longGaps,
    expectedBeats,
    missedShare: expectedBeats > 0 ? missedBeats / expectedBeats : 0,
  };
}

// ---------------------------------------------------------------------------------------------------
// Change of sleep

/**
 * Finds the split of the gap series into two segments that minimises the summed absolute deviation of
 * log gaps from each segment's median. Logs make a change from 60 s to 5 s weigh as much as one from
 * 600 s to 50 s. Returns null unless both sides hold SLEEP_CHANGE_MIN_GAPS gaps, their median gaps differ
 * by SLEEP_CHANGE_MIN_RATIO, and the split at least halves the unsplit deviation.
 */
function findSleepChange(timesMs: readonly number[], gaps: readonly number[]): SleepChange | null {
  const count = gaps.length;
  if (count < 2 * SLEEP_CHANGE_MIN_GAPS) return null;
  const logGaps = gaps.map((gap) => Math.log(gap));
  const prefix = prefixDeviationCosts(logGaps);
  const suffix = prefixDeviationCosts([...logGaps].reverse());
  const unsplitCost = prefix[count] as number;
  if (!(unsplitCost > 0)) return null;

  let bestSplit = -1;
  let bestCost = Number.POSITIVE_INFINITY;
  for (let split = SLEEP_CHANGE_MIN_GAPS; split <= count - SLEEP_CHANGE_MIN_GAPS; split += 1) {
    const cost = (prefix[split] as number) + (suffix[count - split] as number);
    if (cost < bestCost) {
      bestCost = cost;
      bestSplit = split;
    }
  }
  if (bestSplit < 0 || bestCost > SLEEP_CHANGE_MAX_COST_RATIO * unsplitCost) return null;

  const periodBeforeSeconds = median(gaps.slice(0, bestSplit));
  const periodAfterSeconds = median(gaps.slice(bestSplit));
  const ratio =
    Math.max(periodBeforeSeconds, periodAfterSeconds) / Math.min(periodBeforeSeconds, periodAfterSeconds);
  if (!(ratio >= SLEEP_CHANGE_MIN_RATIO)) return null;

  const changeMs = timesMs[bestSplit] as number;
  return {
    changeMs,
    change: isoSeconds(changeMs),
    periodBeforeSeconds,
    periodAfterSeconds,
    gapsBefore: bestSplit,
    gapsAfter: count - bestSplit,
    splitCost: bestCost,
    unsplitCost,
  };
}

/**
 * Returns, for every prefix length i (0 … n), the summed absolute deviation of values[0 … i) from their
 * median. Two heaps hold the lower and upper halves, so each step costs O(log n). With a lower half of
 * a values summing to L and an upper half of b values summing to U (a = b or a = b + 1), the deviation
 * from the median m = max(lower half) is U − L + (a − b) · m.
 */
function prefixDeviationCosts(values: readonly number[]): Float64Array {
  const costs = new Float64Array(values.length + 1);
  const lower = new MinHeap(); // negated values, so its minimum is the largest value of the lower half
  const upper = new MinHeap();
  let lowerSum = 0;
  let upperSum = 0;
  values.forEach((value, index) => {
    if (lower.size === 0 || value <= -lower.peek()) {
      lower.push(-value);
      lowerSum += value;
    } else {
      upper.push(value);
      upperSum += value;
    }
    if (lower.size > upper.size + 1) {
      const moved = -lower.pop();
      lowerSum -= moved;
      upper.push(moved);
      upperSum += moved;
    } else if (upper.size > lower.size) {
      const moved = upper.pop();
      upperSum -= moved;
      lower.push(-moved);
      lowerSum += moved;
    }
    const centre = -lower.peek();
    costs[index + 1] = upperSum - lowerSum + (lower.size - upper.size) * centre;
  });
  return costs;
}

class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): number {
    return this.items[0] as number;
  }

  push(value: number): void {
    const items = this.items;
    items.push(value);
    let child = items.length - 1;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if ((items[parent] as number) <= value) break;
      items[child] = items[parent] as number;
      child = parent;
    }
    items[child] = value;
  }

  pop(): number {
    const items = this.items;
    const top = items[0] as number;
    const last = items.pop() as number;
    if (items.length === 0) return top;
    let parent = 0;
    for (;;) {
      const left = 2 * parent + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && (items[right] as number) < (items[left] as number) ? right : left;
      if ((items[child] as number) >= last) break;
      items[parent] = items[child] as number;
      parent = child;
    }
    items[parent] = last;
    return top;
  }
}

// ---------------------------------------------------------------------------------------------------
// Working hours

function localTime(timeMs: number, utcOffsetMinutes: number): number {
  return timeMs + utcOffsetMinutes * 60_000;
}

/** Returns the ISO day of week of a local time, 0 = Monday. Epoch day 0, 1970-01-01, was a Thursday. */
function isoWeekday(localMs: number): number {
  const day = Math.floor(localMs / DAY_MS);
  return (((day + 3) % 7) + 7) % 7;
}

function measureDailyActivity(
  timesMs: readonly number[],
  utcOffsetMinutes: number,
  periodSeconds: number,
): DailyActivity {
  const hourCounts = new Array<number>(24).fill(0);
  const weekdayCounts = new Array<number>(7).fill(0);
  for (const time of timesMs) {
    const local = localTime(time, utcOffsetMinutes);
    const hour = Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
    hourCounts[hour] = (hourCounts[hour] as number) + 1;
    const weekday = isoWeekday(local);
    weekdayCounts[weekday] = (weekdayCounts[weekday] as number) + 1;
  }

  const count = timesMs.length;
  const window = count > 0 ? shortestDailyWindow(hourCounts, count) : null;
  const spanMs = count > 0 ? (timesMs[count - 1] as number) - (timesMs[0] as number) : 0;
  const workingHours =
    window !== null &&
    count >= DAILY_PATTERN_MIN_CONNECTIONS &&
    spanMs >= WORKING_HOURS_MIN_SPAN_MS &&
    window.hours <= WORKING_HOURS_MAX_HOURS &&
    // The closed part of the day must be longer than two beats, or a slow beacon (one beat a day, say)
    // would look confined to the hour in which it happens to beat.
    Number.isFinite(periodSeconds) &&
    periodSeconds > 0 &&
    2 * periodSeconds * 1000 <= (24 - window.hours) * HOUR_MS;

  const weekendCount = (weekdayCounts[5] as number) + (weekdayCounts[6] as number);
  const weekendShare = count > 0 ? weekendCount / count : 0;
  const weekendsObserved =
    count > 0 ? countWholeWeekends(timesMs[0] as number, timesMs[count - 1] as number, utcOffsetMinutes) : 0;
  const weekdaysOnly =
    count >= DAILY_PATTERN_MIN_CONNECTIONS && weekendsObserved >= 1 && weekendShare <= MAX_WEEKEND_SHARE;

  return {
    utcOffsetMinutes,
    hourCounts,
    weekdayCounts,
    window,
    workingHours,
    weekendsObserved,
    weekendShare,
    weekdaysOnly,
  };
}

/**
 * Finds the fewest whole consecutive hours (wrapping past midnight) that contain WORKING_HOURS_SHARE of the
 * connections. Among equally short windows, the one with the most connections wins, then the earliest.
 */
function shortestDailyWindow(hourCounts: readonly number[], count: number): DailyWindow {
  for (let hours = 1; hours <= 24; hours += 1) {
    let bestStart = -1;
    let bestInside = -1;
    for (let startHour = 0; startHour < 24; startHour += 1) {
      let inside = 0;
      for (let offset = 0; offset < hours; offset += 1)
        inside += hourCounts[(startHour + offset) % 24] as number;
      if (inside > bestInside) {
        bestInside = inside;
        bestStart = startHour;
      }
      if (hours === 24) break;
    }
    if (bestInside >= WORKING_HOURS_SHARE * count) {
      return { startHour: bestStart, endHour: (bestStart + hours) % 24, hours, share: bestInside / count };
    }
  }
  // Unreachable, because 24 hours contain every connection.
  return { startHour: 0, endHour: 0, hours: 24, share: 1 };
}

/** Counts local Saturdays that, with the Sunday after them, lie wholly between firstMs and lastMs. */
function countWholeWeekends(firstMs: number, lastMs: number, utcOffsetMinutes: number): number {
  const firstWholeDay = Math.ceil(localTime(firstMs, utcOffsetMinutes) / DAY_MS);
  const endDay = Math.floor(localTime(lastMs, utcOffsetMinutes) / DAY_MS); // days before this one are whole
  let weekends = 0;
  for (let day = firstWholeDay; day + 2 <= endDay; day += 1) {
    if (isoWeekday(day * DAY_MS) === 5) weekends += 1;
  }
  return weekends;
}

/** Returns whether a gap from startMs lasting spanSeconds passes the local time endHour:00. */
function crossesClosingTime(
  startMs: number,
  spanSeconds: number,
  endHour: number,
  utcOffsetMinutes: number,
): boolean {
  const localStart = localTime(startMs, utcOffsetMinutes);
  let closing = Math.floor(localStart / DAY_MS) * DAY_MS + endHour * HOUR_MS;
  if (closing <= localStart) closing += DAY_MS;
  return localStart + spanSeconds * 1000 > closing;
}

// ---------------------------------------------------------------------------------------------------
// Recent start and gap histogram

function describeStart(
  timesMs: readonly number[],
  windowEndMs: number,
  windowStartMs: number | undefined,
  missed: MissedBeats,
): SeriesStart {
  const firstMs = timesMs[0];
  const onBeatShare = missed.beatGaps > 0 ? missed.onBeatGaps / missed.beatGaps : 0;
  if (firstMs === undefined) {
    return { firstMs: null, startedBeforeEndSeconds: null, onBeatShare, recentStart: false };
  }
  const startedBeforeEndSeconds = (windowEndMs - firstMs) / 1000;
  const inLastQuarter =
    windowStartMs !== undefined &&
    windowEndMs > windowStartMs &&
    firstMs >= windowEndMs - RECENT_WINDOW_FRACTION * (windowEndMs - windowStartMs);
  const recentStart =
    (inLastQuarter || startedBeforeEndSeconds <= RECENT_START_MAX_SECONDS) &&
    missed.beatGaps >= RECENT_START_MIN_BEAT_GAPS &&
    onBeatShare > 0.5;
  return { firstMs, startedBeforeEndSeconds, onBeatShare, recentStart };
}

const GAP_BINS: readonly { label: string; fromPeriods: number; toPeriods: number | null }[] = [
  { label: '<0.5P', fromPeriods: 0, toPeriods: 0.5 },
  { label: '0.5–0.9P', fromPeriods: 0.5, toPeriods: 0.9 },
  { label: '0.9–1.1P', fromPeriods: 0.9, toPeriods: 1.1 },
  { label: '1.1–1.5P', fromPeriods: 1.1, toPeriods: 1.5 },
  { label: '~2P', fromPeriods: 1.5, toPeriods: 2.5 },
  { label: '~3P', fromPeriods: 2.5, toPeriods: 3.5 },
  { label: '>3.5P', fromPeriods: 3.5, toPeriods: null },
];

/** Counts gaps per bin of GAP_BINS. Without a usable period every bin stays empty. */
function binGaps(gaps: readonly number[], periodSeconds: number): GapHistogramBin[] {
  const bins = GAP_BINS.map((bin) => ({ ...bin, gaps: 0 }));
  if (periodSeconds <= 0) return bins;
  for (const gap of gaps) {
    const ratio = gap / periodSeconds;
    // The on-beat bin includes both ends, so a gap of exactly 1.1 periods stays on the beat.
    const index = bins.findIndex((bin, position) =>
      position === 2
        ? ratio >= bin.fromPeriods && ratio <= (bin.toPeriods as number)
        : ratio >= bin.fromPeriods && (bin.toPeriods === null || ratio < bin.toPeriods),
    );
    const bin = bins[index];
    if (bin !== undefined) bin.gaps += 1;
  }
  return bins;
}

// ---------------------------------------------------------------------------------------------------
// Phrases

function describePatterns(patterns: BeatPatterns): string[] {
  const phrases: string[] = [];
  const { missedBeats, bursts, sleepChange, daily, start } = patterns;

  if (missedBeats.missedBeats > 0) {
    const multiples = joinWords(missedBeats.gapsByMultiple.map((entry) => `${entry.multiple}×`));
    phrases.push(
      `${plural(missedBeats.missedBeats, 'missed beat')} (${multiples} the period), ` +
        `${percent(missedBeats.missedShare)} of expected beats`,
    );
  }
  // Short gaps also occur by chance in irregular traffic (8 % of Poisson gaps with a 60 s mean are under
  // 5 s), so a burst is named only when most beat gaps are on the beat.
  if (bursts.runs > 0 && start.onBeatShare > 0.5) {
    phrases.push(
      `${plural(bursts.runs, 'tasking burst')} of gaps up to ${BURST_MAX_GAP_SECONDS} s, ` +
        `longest ${bursts.longestRunConnections} connections`,
    );
  }
  if (sleepChange !== null) {
    phrases.push(
      `sleep changed from ${formatDuration(sleepChange.periodBeforeSeconds)} to ` +
        `${formatDuration(sleepChange.periodAfterSeconds)} at ${sleepChange.change}`,
    );
  }
  if (daily.workingHours && daily.window !== null) {
    const { startHour, endHour, share } = daily.window;
    const days = daily.weekdaysOnly ? ' on weekdays' : '';
    phrases.push(
      `active only ${clock(startHour)}–${clock(endHour)} ${utcLabel(daily.utcOffsetMinutes)}${days} ` +
        `(${percent(share)} of connections)`,
    );
  } else if (daily.weekdaysOnly) {
    phrases.push(`active only on weekdays (${percent(1 - daily.weekendShare)} of connections)`);
  }
  if (start.recentStart && start.startedBeforeEndSeconds !== null) {
    phrases.push(`started ${formatDuration(start.startedBeforeEndSeconds)} before the data ends`);
  }
  return phrases;
}

function isoSeconds(timeMs: number): string {
  const iso = new Date(timeMs).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/** Formats seconds as s, min, h or d with at most one decimal: 9000 → "2.5 h". */
export function formatDuration(seconds: number): string {
  const oneDecimal = (value: number): string => String(Number(value.toFixed(1)));
  if (seconds < 90) return `${oneDecimal(seconds)} s`;
  if (seconds < 90 * 60) return `${oneDecimal(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${oneDecimal(seconds / 3600)} h`;
  return `${oneDecimal(seconds / 86_400)} d`;
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

function clock(hour: number): string {
  return `${String(hour).padStart(2, '0')}:00`;
}

function utcLabel(offsetMinutes: number): string {
  if (offsetMinutes === 0) return 'UTC';
  const sign = offsetMinutes > 0 ? '+' : '-';
  const absolute = Math.abs(offsetMinutes);
  const hours = String(Math.floor(absolute / 60)).padStart(2, '0');
  const minutes = String(absolute % 60).padStart(2, '0');
  return `UTC${sign}${hours}:${minutes}`;
}
