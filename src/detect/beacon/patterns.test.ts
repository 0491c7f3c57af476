import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import { Random } from '../../simulate/random.js';
import { findBeatPatterns, formatDuration, type BeatPatterns } from './patterns.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Monday 2024-04-15 00:00:00 UTC. */
const MONDAY = Date.UTC(2024, 3, 15);

/** Builds the times of a beacon every periodMs from startMs until before endMs, each moved by up to ±jitterMs. */
function beacon(startMs: number, endMs: number, periodMs: number, random?: Random, jitterMs = 0): number[] {
  const times: number[] = [];
  for (let time = startMs; time < endMs; time += periodMs) {
    const offset = random === undefined ? 0 : Math.round(random.between(-jitterMs, jitterMs));
    times.push(time + offset);
  }
  return times;
}

function countsOf(patterns: BeatPatterns) {
  return {
    missed: patterns.missedBeats,
    bursts: { ...patterns.bursts, firstRuns: patterns.bursts.firstRuns.map((run) => run.connections) },
    sleepGaps: patterns.sleepChange && [patterns.sleepChange.gapsBefore, patterns.sleepChange.gapsAfter],
    hourCounts: patterns.daily.hourCounts,
    window: patterns.daily.window,
    workingHours: patterns.daily.workingHours,
    overnight: patterns.overnightGaps.map((gap) => gap.index),
    histogram: patterns.gapHistogram,
    recent: patterns.start.recentStart,
    regimes: patterns.regimes,
  };
}

describe('missed beats', () => {
  test('every 5th beat of 300 s is 80% missed', () => {
    const times = beacon(MONDAY, MONDAY + 2 * DAY, 5 * 300 * SECOND);
    const patterns = findBeatPatterns(times, 300, MONDAY + 2 * DAY);
    const gaps = times.length - 1;

    expect(patterns.missedBeats.gapsByMultiple).toEqual([{ multiple: 5, gaps }]);
    expect(patterns.missedBeats.missedBeats).toBe(4 * gaps);
    expect(patterns.missedBeats.expectedBeats).toBe(5 * gaps);
    expect(patterns.missedBeats.missedShare).toBe(0.8);
    expect(patterns.missedBeats.onBeatGaps).toBe(0);
    expect(patterns.phrases[0]).toBe(`${4 * gaps} missed beats (5× the period), 80% of expected beats`);
  });

  test('random 80% loss with jitter is near 0.8', () => {
    const random = new Random(7);
    const all = beacon(MONDAY, MONDAY + 20 * DAY, 300 * SECOND, random, 3 * SECOND);
    const keptTimes = all.filter(() => random.next() < 0.2);
    const patterns = findBeatPatterns(keptTimes, 300, MONDAY + 20 * DAY);

    expect(patterns.missedBeats.missedShare).toBeGreaterThan(0.78);
    expect(patterns.missedBeats.missedShare).toBeLessThan(0.82);
    expect(patterns.sleepChange).toBeNull();
  });

  test('2× and 3× gaps give exact counts', () => {
    // Gaps 60, 120, 60, 180, 60, 121 s: two 2× gaps and one 3× gap hide 1 + 2 + 1 = 4 beats.
    const gapsSeconds = [60, 120, 60, 180, 60, 121];
    const times = [MONDAY];
    for (const gap of gapsSeconds) times.push((times.at(-1) as number) + gap * SECOND);
    const patterns = findBeatPatterns(times, 60, times.at(-1) as number);

    expect(patterns.missedBeats.gapsByMultiple).toEqual([
      { multiple: 2, gaps: 2 },
      { multiple: 3, gaps: 1 },
    ]);
    expect(patterns.missedBeats.missedBeats).toBe(4);
    expect(patterns.missedBeats.beatGaps).toBe(6);
    expect(patterns.missedBeats.onBeatGaps).toBe(3);
    expect(patterns.missedBeats.expectedBeats).toBe(10);
    expect(patterns.missedBeats.missedShare).toBe(0.4);
    expect(patterns.phrases).toContain('4 missed beats (2× and 3× the period), 40% of expected beats');
  });

  test('gap between two multiples is not counted', () => {
    // 150 s is 2.5 periods of 60 s: outside 2 × 60 ± 3 × √2 s with no jitter.
    const times = [0, 60, 120, 180, 330, 390].map((second) => MONDAY + second * SECOND);
    const patterns = findBeatPatterns(times, 60, times.at(-1) as number);

    expect(patterns.missedBeats.missedBeats).toBe(0);
    expect(patterns.missedBeats.onBeatGaps).toBe(4);
    expect(patterns.missedBeats.beatGaps).toBe(5);
    expect(patterns.regimes[0]?.toleranceSeconds).toBe(3);
  });

  test('gaps beyond 24 periods are long gaps', () => {
    const times = [0, 60, 120, 120 + 30 * 60, 120 + 31 * 60].map((second) => MONDAY + second * SECOND);
    const patterns = findBeatPatterns(times, 60, times.at(-1) as number);

    expect(patterns.missedBeats.longGaps).toBe(1);
    expect(patterns.missedBeats.missedBeats).toBe(0);
    expect(patterns.missedBeats.expectedBeats).toBe(4);
  });
});

describe('tasking bursts', () => {
  /** Builds a 60 s beacon over 6 h with bursts of 3, 5 and 8 follow-up connections after beats 40, 150, 300. */
  function beaconWithBursts(jitterMs: number): number[] {
    const random = new Random(11);
    const beats = beacon(MONDAY, MONDAY + 6 * HOUR, 60 * SECOND, random, jitterMs);
    const extras = new Map([
      [40, 3],
      [150, 5],
      [300, 8],
    ]);
    const times: number[] = [];
    beats.forEach((beat, index) => {
      times.push(beat);
      let time = beat;
      for (let extra = 0; extra < (extras.get(index) ?? 0); extra += 1) {
        time += Math.round(random.between(1, 5) * SECOND);
        times.push(time);
      }
    });
    return times;
  }

  test('three bursts with their lengths', () => {
    const times = beaconWithBursts(3 * SECOND);
    const patterns = findBeatPatterns(times, 60, MONDAY + 6 * HOUR);

    expect(patterns.bursts.runs).toBe(3);
    expect(patterns.bursts.firstRuns.map((run) => run.connections)).toEqual([4, 6, 9]);
    expect(patterns.bursts.connections).toBe(19);
    expect(patterns.bursts.longestRunConnections).toBe(9);
    expect(patterns.bursts.firstRuns[0]?.startMs).toBe(times[40]);
    expect(patterns.bursts.firstRuns[0]?.start).toBe(new Date(times[40] as number).toISOString());
    expect(patterns.phrases).toContain('3 tasking bursts of gaps up to 5 s, longest 9 connections');
  });

  test('burst connections are not beats', () => {
    const times = beaconWithBursts(0);
    const patterns = findBeatPatterns(times, 60, MONDAY + 6 * HOUR);
    const beats = 6 * 60;

    expect(patterns.bursts.runs).toBe(3);
    expect(patterns.missedBeats.beatGaps).toBe(beats - 1);
    expect(patterns.missedBeats.onBeatGaps).toBe(beats - 1);
    expect(patterns.missedBeats.missedBeats).toBe(0);
  });

  test('jittered beats around bursts are not missed', () => {
    const patterns = findBeatPatterns(beaconWithBursts(3 * SECOND), 60, MONDAY + 6 * HOUR);

    expect(patterns.missedBeats.beatGaps).toBe(6 * 60 - 1);
    expect(patterns.missedBeats.missedBeats).toBe(0);
  });

  test('chance short gaps are not named', () => {
    const random = new Random(8);
    const times: number[] = [MONDAY];
    while ((times.at(-1) as number) < MONDAY + DAY) {
      times.push((times.at(-1) as number) + Math.round(random.exponential(60) * SECOND) + 1);
    }
    const patterns = findBeatPatterns(times, 45, MONDAY + DAY);

    expect(patterns.bursts.runs).toBeGreaterThan(50);
    expect(patterns.start.onBeatShare).toBeLessThan(0.5);
    expect(patterns.phrases.some((phrase) => phrase.includes('burst'))).toBe(false);
  });

  test('no bursts under a 10 s period', () => {
    const times = beacon(MONDAY, MONDAY + HOUR, 4 * SECOND);
    const patterns = findBeatPatterns(times, 10, MONDAY + HOUR);

    expect(patterns.bursts.runs).toBe(0);
    expect(patterns.bursts.connections).toBe(0);
  });

  test('burst at the end adds no beat gap', () => {
    const times = [0, 60, 120, 122, 124].map((second) => MONDAY + second * SECOND);
    const patterns = findBeatPatterns(times, 60, times.at(-1) as number);

    expect(patterns.bursts.runs).toBe(1);
    expect(patterns.bursts.longestRunConnections).toBe(3);
    expect(patterns.missedBeats.beatGaps).toBe(2);
  });
});

describe('sleep change', () => {
  const change = MONDAY + 12 * HOUR;
  function sleepChangeSeries(): number[] {
    const random = new Random(3);
    return [
      ...beacon(MONDAY, change, 60 * SECOND, random, 3 * SECOND),
      ...beacon(change, change + 12 * HOUR, 5 * SECOND, random, 250),
    ];
  }

  test.each([5, 60])('60 s then 5 s found with period %d s', (period) => {
    const patterns = findBeatPatterns(sleepChangeSeries(), period, change + 12 * HOUR);
    const found = patterns.sleepChange;

    expect(found).not.toBeNull();
    expect(Math.abs((found?.changeMs ?? 0) - change)).toBeLessThanOrEqual(60 * SECOND);
    expect(found?.periodBeforeSeconds).toBeCloseTo(60, 0);
    expect(found?.periodAfterSeconds).toBeCloseTo(5, 0);
    expect(found?.gapsBefore).toBe(720);
    expect(patterns.bursts.runs).toBe(0);
    expect(patterns.missedBeats.missedBeats).toBe(0);
    expect(patterns.regimes.map((regime) => Math.round(regime.periodSeconds))).toEqual([60, 5]);
    expect(patterns.phrases).toContain(`sleep changed from 60 s to 5 s at ${found?.change}`);
  });

  test('jittered single regime has no change', () => {
    const random = new Random(5);
    const times: number[] = [MONDAY];
    // Cobalt Strike style jitter: sleep uniform in [30 s, 60 s].
    for (let beat = 0; beat < 2000; beat += 1) {
      times.push((times.at(-1) as number) + Math.round(random.between(30, 60) * SECOND));
    }
    expect(findBeatPatterns(times, 45, times.at(-1) as number).sleepChange).toBeNull();
  });

  test('change needs 8 gaps per side', () => {
    // Four gaps of 60 s, then thirty of 5 s: any split with 8 gaps before it keeps half of its cost.
    const times = [
      ...beacon(MONDAY, MONDAY + 4 * MINUTE, MINUTE),
      ...beacon(MONDAY + 4 * MINUTE, MONDAY + 4 * MINUTE + 155 * SECOND, 5 * SECOND),
    ];
    expect(times).toHaveLength(35);
    expect(findBeatPatterns(times, 5, times.at(-1) as number).sleepChange).toBeNull();
  });
});

describe('working hours', () => {
  /** Builds a 10-minute beacon 08:00–18:00 local time on the weekdays of 14 days from a Monday. */
  function officeBeacon(offsetMinutes = 0): number[] {
    const times: number[] = [];
    for (let day = 0; day < 14; day += 1) {
      if (day % 7 >= 5) continue;
      const open = MONDAY + day * DAY + 8 * HOUR - offsetMinutes * MINUTE;
      times.push(...beacon(open, open + 10 * HOUR, 10 * MINUTE));
    }
    return times;
  }

  test('office beacon is confined to 08–18 weekdays', () => {
    const times = officeBeacon();
    const patterns = findBeatPatterns(times, 600, MONDAY + 14 * DAY);
    const expectedHours = new Array<number>(24).fill(0).map((_, hour) => (hour >= 8 && hour < 18 ? 60 : 0));

    expect(patterns.daily.hourCounts).toEqual(expectedHours);
    expect(patterns.daily.weekdayCounts).toEqual([120, 120, 120, 120, 120, 0, 0]);
    expect(patterns.daily.window).toEqual({ startHour: 8, endHour: 18, hours: 10, share: 1 });
    expect(patterns.daily.workingHours).toBe(true);
    expect(patterns.daily.weekendsObserved).toBe(1);
    expect(patterns.daily.weekdaysOnly).toBe(true);
    expect(patterns.phrases).toContain('active only 08:00–18:00 UTC on weekdays (100% of connections)');
  });

  test('overnight gaps are listed and not missed', () => {
    const times = officeBeacon();
    const patterns = findBeatPatterns(times, 600, MONDAY + 14 * DAY);
    // Ten working days of 60 beats: the gap after each day's last beat, except the last day's.
    const expectedIndexes = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((day) => day * 60 - 1);

    expect(patterns.overnightGaps.map((gap) => gap.index)).toEqual(expectedIndexes);
    expect(patterns.overnightGaps[0]).toEqual({
      index: 59,
      startMs: MONDAY + 17 * HOUR + 50 * MINUTE,
      endMs: MONDAY + DAY + 8 * HOUR,
    });
    expect(patterns.overnightGaps[4]?.endMs).toBe(MONDAY + 7 * DAY + 8 * HOUR);
    expect(patterns.missedBeats.missedBeats).toBe(0);
    expect(patterns.missedBeats.longGaps).toBe(0);
    expect(patterns.missedBeats.beatGaps).toBe(times.length - 1 - 9);
  });

  test('local offset moves the window', () => {
    const patterns = findBeatPatterns(officeBeacon(120), 600, MONDAY + 14 * DAY, { utcOffsetMinutes: 120 });

    expect(patterns.daily.window).toEqual({ startHour: 8, endHour: 18, hours: 10, share: 1 });
    expect(patterns.daily.weekdaysOnly).toBe(true);
    expect(patterns.overnightGaps).toHaveLength(9);
    expect(patterns.phrases).toContain('active only 08:00–18:00 UTC+02:00 on weekdays (100% of connections)');
  });

  test('all-day beacon is not working hours', () => {
    const times = beacon(MONDAY, MONDAY + 14 * DAY, 10 * MINUTE);
    const patterns = findBeatPatterns(times, 600, MONDAY + 14 * DAY);

    expect(patterns.daily.workingHours).toBe(false);
    expect(patterns.daily.window?.hours).toBe(23);
    expect(patterns.daily.weekdaysOnly).toBe(false);
    expect(patterns.daily.weekendShare).toBeCloseTo(4 / 14, 10);
    expect(patterns.overnightGaps).toEqual([]);
    expect(patterns.phrases).toEqual([]);
  });

  test('one day is too short for working hours', () => {
    const times = beacon(MONDAY + 8 * HOUR, MONDAY + 18 * HOUR, 10 * MINUTE);
    const patterns = findBeatPatterns(times, 600, MONDAY + DAY);

    expect(patterns.daily.window?.hours).toBe(10);
    expect(patterns.daily.workingHours).toBe(false);
  });

  test('daily beacon is not working hours', () => {
    const times = beacon(MONDAY + 9 * HOUR, MONDAY + 30 * DAY, DAY);
    const patterns = findBeatPatterns(times, 86_400, MONDAY + 30 * DAY);

    expect(patterns.daily.window?.hours).toBe(1);
    expect(patterns.daily.workingHours).toBe(false);
    expect(patterns.overnightGaps).toEqual([]);
  });
});

describe('recent start', () => {
  const end = MONDAY + DAY;

  test('beacon from 3 h before the end is recent', () => {
    const times = beacon(end - 3 * HOUR, end, MINUTE);
    const patterns = findBeatPatterns(times, 60, end, { windowStartMs: MONDAY });

    expect(patterns.start.startedBeforeEndSeconds).toBe(10_800);
    expect(patterns.start.onBeatShare).toBe(1);
    expect(patterns.start.recentStart).toBe(true);
    expect(patterns.phrases).toContain('started 3 h before the data ends');
  });

  test('beacon from 12 h before the end is not recent', () => {
    const times = beacon(end - 12 * HOUR, end, MINUTE);
    const patterns = findBeatPatterns(times, 60, end, { windowStartMs: MONDAY });

    expect(patterns.start.startedBeforeEndSeconds).toBe(43_200);
    expect(patterns.start.recentStart).toBe(false);
  });

  test('last quarter of a long window is recent', () => {
    const windowStart = end - 4 * DAY;
    const times = beacon(end - 20 * HOUR, end, MINUTE);

    expect(findBeatPatterns(times, 60, end, { windowStartMs: windowStart }).start.recentStart).toBe(true);
    expect(findBeatPatterns(times, 60, end).start.recentStart).toBe(false);
  });

  test('irregular recent series is not recent', () => {
    const random = new Random(9);
    const times: number[] = [end - 3 * HOUR];
    while ((times.at(-1) as number) < end - 2 * MINUTE) {
      times.push((times.at(-1) as number) + Math.round(random.exponential(60) * SECOND) + 1);
    }
    const patterns = findBeatPatterns(times, 60, end);

    expect(patterns.start.onBeatShare).toBeLessThan(0.5);
    expect(patterns.start.recentStart).toBe(false);
  });
});

describe('gap histogram', () => {
  test('bins are relative to the period', () => {
    const gapsSeconds = [10, 30, 60, 66, 80, 120, 180, 300];
    const times = [MONDAY];
    for (const gap of gapsSeconds) times.push((times.at(-1) as number) + gap * SECOND);
    const patterns = findBeatPatterns(times, 60, times.at(-1) as number);

    expect(patterns.gapHistogram.map((bin) => bin.label)).toEqual([
      '<0.5P',
      '0.5–0.9P',
      '0.9–1.1P',
      '1.1–1.5P',
      '~2P',
      '~3P',
      '>3.5P',
    ]);
    expect(patterns.gapHistogram.map((bin) => bin.gaps)).toEqual([1, 1, 2, 1, 1, 1, 1]);
    expect(patterns.gapHistogram.at(-1)?.toPeriods).toBeNull();
  });
});

describe('neutral input', () => {
  test('empty series', () => {
    const patterns = findBeatPatterns([], 60, MONDAY);

    expect(patterns.connections).toBe(0);
    expect(patterns.gaps).toBe(0);
    expect(patterns.missedBeats.missedShare).toBe(0);
    expect(patterns.missedBeats.expectedBeats).toBe(0);
    expect(patterns.bursts.runs).toBe(0);
    expect(patterns.sleepChange).toBeNull();
    expect(patterns.daily.window).toBeNull();
    expect(patterns.daily.workingHours).toBe(false);
    expect(patterns.daily.hourCounts).toEqual(new Array<number>(24).fill(0));
    expect(patterns.start).toEqual({
      firstMs: null,
      startedBeforeEndSeconds: null,
      onBeatShare: 0,
      recentStart: false,
    });
    expect(patterns.gapHistogram.every((bin) => bin.gaps === 0)).toBe(true);
    expect(patterns.phrases).toEqual([]);
  });

  test('single time', () => {
    const patterns = findBeatPatterns([MONDAY + HOUR], 60, MONDAY + 2 * HOUR);

    expect(patterns.connections).toBe(1);
    expect(patterns.gaps).toBe(0);
    expect(patterns.missedBeats.missedShare).toBe(0);
    expect(patterns.daily.window).toEqual({ startHour: 1, endHour: 2, hours: 1, share: 1 });
    expect(patterns.daily.workingHours).toBe(false);
    expect(patterns.start.startedBeforeEndSeconds).toBe(3600);
    expect(patterns.start.recentStart).toBe(false);
    expect(patterns.phrases).toEqual([]);
  });

  test.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY])('period %d leaves beats empty', (period) => {
    const times = beacon(MONDAY, MONDAY + HOUR, MINUTE);
    const patterns = findBeatPatterns(times, period, MONDAY + HOUR);

    expect(patterns.regimes).toEqual([]);
    expect(patterns.missedBeats.beatGaps).toBe(0);
    expect(patterns.missedBeats.missedShare).toBe(0);
    expect(patterns.bursts.runs).toBe(0);
    expect(patterns.gapHistogram.every((bin) => bin.gaps === 0)).toBe(true);
  });

  test('unsorted, duplicate and NaN times are rejected', () => {
    expect(() => findBeatPatterns([2, 1], 60, 3)).toThrow(RangeError);
    expect(() => findBeatPatterns([1, 1], 60, 3)).toThrow(/distinct and ascending/);
    expect(() => findBeatPatterns([1, Number.NaN], 60, 3)).toThrow(/index 1/);
  });

  test('huge epoch values', () => {
    // Dates near the end of the ECMAScript range (8.64e15 ms) still work.
    const start = 8.6e15;
    const times = beacon(start, start + 3 * HOUR, MINUTE);
    const patterns = findBeatPatterns(times, 60, start + 3 * HOUR);

    expect(patterns.missedBeats.onBeatGaps).toBe(179);
    expect(patterns.start.startedBeforeEndSeconds).toBe(10_800);
  });
});

describe('formatDuration', () => {
  test.each([
    [5, '5 s'],
    [60, '60 s'],
    [600, '10 min'],
    [9000, '2.5 h'],
    [10_800, '3 h'],
    [3 * 86_400, '3 d'],
  ])('%d s is %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe('properties', () => {
  const seriesArbitrary = fc.record({
    seed: fc.integer({ min: 0, max: 1_000_000 }),
    periodSeconds: fc.integer({ min: 1, max: 7200 }),
    beats: fc.integer({ min: 0, max: 400 }),
    keepShare: fc.double({ min: 0.2, max: 1, noNaN: true }),
    burstShare: fc.double({ min: 0, max: 0.1, noNaN: true }),
  });

  /** Builds a jittered beacon with random drops and bursts, in whole milliseconds so shifted gaps are exact. */
  function randomSeries(spec: {
    seed: number;
    periodSeconds: number;
    beats: number;
    keepShare: number;
    burstShare: number;
  }): number[] {
    const random = new Random(spec.seed);
    const times: number[] = [];
    let time = MONDAY;
    for (let beat = 0; beat < spec.beats; beat += 1) {
      time += Math.max(1, Math.round(spec.periodSeconds * SECOND * random.between(0.9, 1.1)));
      if (random.next() >= spec.keepShare) continue;
      times.push(time);
      if (random.next() < spec.burstShare) {
        const last = times.at(-1) as number;
        times.push(last + 1500, last + 3000);
        time = Math.max(time, last + 3000);
      }
    }
    return times;
  }

  test('shifting by whole days keeps every count', () => {
    fc.assert(
      fc.property(seriesArbitrary, fc.integer({ min: -2000, max: 2000 }), (spec, days) => {
        const times = randomSeries(spec);
        const end = (times.at(-1) ?? MONDAY) + HOUR;
        const shift = days * DAY;
        const base = findBeatPatterns(times, spec.periodSeconds, end, { windowStartMs: MONDAY });
        const shifted = findBeatPatterns(
          times.map((time) => time + shift),
          spec.periodSeconds,
          end + shift,
          { windowStartMs: MONDAY + shift },
        );
        expect(countsOf(shifted)).toEqual(countsOf(base));
      }),
      { numRuns: 60 },
    );
  });

  test('shifting by whole weeks keeps weekdays', () => {
    fc.assert(
      fc.property(seriesArbitrary, fc.integer({ min: -200, max: 200 }), (spec, weeks) => {
        const times = randomSeries(spec);
        const end = (times.at(-1) ?? MONDAY) + HOUR;
        const shift = weeks * 7 * DAY;
        const base = findBeatPatterns(times, spec.periodSeconds, end);
        const shifted = findBeatPatterns(
          times.map((time) => time + shift),
          spec.periodSeconds,
          end + shift,
        );
        expect(shifted.daily).toEqual(base.daily);
      }),
      { numRuns: 60 },
    );
  });

  test('strictly periodic series has no missed beats', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 86_400_000 }),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 0, max: 2_000_000_000_000 }),
        (periodMs, count, start) => {
          const times = Array.from({ length: count }, (_, index) => start + index * periodMs);
          const patterns = findBeatPatterns(times, periodMs / 1000, (times.at(-1) ?? start) + periodMs);
          const gaps = Math.max(0, count - 1);

          expect(patterns.missedBeats.missedBeats).toBe(0);
          expect(patterns.missedBeats.onBeatGaps).toBe(gaps);
          expect(patterns.missedBeats.longGaps).toBe(0);
          expect(patterns.bursts.runs).toBe(0);
          expect(patterns.sleepChange).toBeNull();
          expect(patterns.overnightGaps).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });
});
