import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import { Random } from '../../simulate/random.js';
import { scoreSeries, significance, type SeriesInput } from './score.js';

const HOUR = 3_600_000;

/** Builds an input from gaps in seconds, starting at t = 0, with the window ending at the last event. */
function seriesFromGaps(gapsSeconds: readonly number[], overrides: Partial<SeriesInput> = {}): SeriesInput {
  const times = [0];
  for (const gap of gapsSeconds) times.push((times.at(-1) ?? 0) + gap * 1000);
  return {
    times,
    sizes: times.map(() => 300),
    failed: 0,
    connections: times.length,
    windowEnd: times.at(-1) ?? 0,
    ...overrides,
  };
}

function gaps(count: number, next: () => number): number[] {
  return Array.from({ length: count }, next);
}

describe('scoreSeries', () => {
  test('fewer than three times are not scored', () => {
    expect(scoreSeries(seriesFromGaps([]))).toBeNull();
    expect(scoreSeries(seriesFromGaps([60]))).toBeNull();
  });

  test('a perfect 60 s beacon scores near 1', () => {
    const scored = scoreSeries(seriesFromGaps(gaps(300, () => 60)))!;

    expect(scored.measures.periodSeconds).toBeCloseTo(60, 6);
    expect(scored.measures.jitterSeconds).toBeCloseTo(0, 6);
    expect(scored.measures.jitterModel).toBe('none');
    expect(scored.parts.significance).toBe(1);
    expect(scored.parts.regularity).toBeCloseTo(1, 6);
    expect(scored.parts.onBeat).toBe(1);
    expect(scored.score).toBeGreaterThan(0.95);
  });

  test('Poisson traffic scores far below a beacon with the same mean gap', () => {
    const random = new Random(7);
    const beacon = scoreSeries(seriesFromGaps(gaps(500, () => random.between(48, 72))))!;
    const poisson = scoreSeries(seriesFromGaps(gaps(500, () => random.exponential(60))))!;

    expect(beacon.score).toBeGreaterThan(0.85);
    expect(poisson.score).toBeLessThan(0.1);
    expect(poisson.parts.significance).toBeLessThan(0.3);
  });

  test('Poisson scores lower than a beacon for any seed and mean', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 5, max: 7200 }), (seed, mean) => {
        const random = new Random(seed);
        const beacon = scoreSeries(seriesFromGaps(gaps(200, () => random.between(0.8 * mean, mean))))!;
        const poisson = scoreSeries(seriesFromGaps(gaps(200, () => random.exponential(mean))))!;
        expect(beacon.score - poisson.score).toBeGreaterThan(0.3);
      }),
      { numRuns: 50 },
    );
  });

  test('period and jitter of a Cobalt Strike-style subtractive jitter', () => {
    const random = new Random(11);
    // Sleep 60 s with 20 % jitter: gaps uniform in [48, 60], median 54, MAD 3.
    const scored = scoreSeries(seriesFromGaps(gaps(2000, () => random.between(48, 60))))!;

    expect(scored.measures.periodSeconds).toBeCloseTo(54, 0);
    expect(scored.measures.jitterSeconds).toBeCloseTo(3, 0);
    expect(scored.measures.jitterModel).toBe('subtractive');
    expect(scored.measures.sleepSeconds).toBeCloseTo(60, 0);
    expect(scored.measures.jitterFraction).toBeCloseTo(0.2, 1);
  });

  test('steady all-day Poisson traffic with a constant size is not a beacon', () => {
    const random = new Random(5);
    const scored = scoreSeries(seriesFromGaps(gaps(1440, () => random.exponential(60))))!;

    expect(scored.parts.size).toBe(1);
    expect(scored.score).toBeLessThan(0.1);
  });

  test('80 % missed beats still score as a beacon', () => {
    const random = new Random(3);
    // A 300 s beacon over three days that reaches the sensor one beat in five, with 2 % jitter.
    const times: number[] = [];
    for (let beat = 0; beat < 864; beat += 1) {
      if (random.next() < 0.2) times.push(Math.round(beat * 300_000 + random.between(-3000, 3000)));
    }
    const scored = scoreSeries({
      times,
      sizes: [],
      failed: 0,
      connections: times.length,
      windowEnd: times.at(-1)!,
    })!;

    expect(scored.measures.periodSeconds).toBeGreaterThan(295);
    expect(scored.measures.periodSeconds).toBeLessThan(305);
    expect(scored.measures.missedBeatFraction).toBeGreaterThan(0.7);
    expect(scored.score).toBeGreaterThan(0.6);
  });

  test('a daily beacon over a week is scored from seven times', () => {
    const scored = scoreSeries(seriesFromGaps(gaps(6, () => 86_400)))!;

    expect(scored.measures.periodSeconds).toBeCloseTo(86_400, 0);
    expect(scored.score).toBeGreaterThan(0.3);
  });

  test('nights and weekends do not count against a working-hours beacon', () => {
    const times: number[] = [];
    // Monday 2026-01-05 to Sunday 2026-01-18, 10-minute beacon from 08:00 to 18:00 UTC on weekdays.
    const monday = Date.parse('2026-01-05T00:00:00Z');
    for (let day = 0; day < 14; day += 1) {
      if (day % 7 >= 5) continue;
      for (let minute = 8 * 60; minute < 18 * 60; minute += 10)
        times.push(monday + day * 86_400_000 + minute * 60_000);
    }
    const scored = scoreSeries({
      times,
      sizes: [],
      failed: 0,
      connections: times.length,
      windowEnd: monday + 14 * 86_400_000,
    })!;

    expect(scored.patterns.daily.workingHours).toBe(true);
    expect(scored.parts.coverage).toBeGreaterThan(0.9);
    expect(scored.score).toBeGreaterThan(0.8);
  });

  test('missed beats are counted and leave the period alone', () => {
    const pattern = [60, 60, 120, 60, 60, 60, 180, 60, 60, 60];
    const scored = scoreSeries(
      seriesFromGaps(Array.from({ length: 100 }, (_, index) => pattern[index % 10]!)),
    )!;

    expect(scored.measures.periodSeconds).toBeCloseTo(60, 6);
    // 10 gaps of every 10 hide 3 beats: 3 missed of 13 expected.
    expect(scored.measures.missedBeatFraction).toBeCloseTo(3 / 13, 5);
    expect(scored.measures.onBeatFraction).toBeCloseTo(0.8, 5);
    expect(scored.parts.onBeat).toBe(1);
  });

  test('a clock jump of one hour does not change the period', () => {
    const series = gaps(200, () => 30);
    series[100] = 3600;
    const scored = scoreSeries(seriesFromGaps(series))!;

    expect(scored.measures.periodSeconds).toBeCloseTo(30, 6);
    expect(scored.parts.regularity).toBeCloseTo(1, 6);
  });

  test('every attempt failed lowers the score by a quarter', () => {
    const steady = gaps(300, () => 10);
    const working = scoreSeries(seriesFromGaps(steady))!;
    const blocked = scoreSeries(seriesFromGaps(steady, { failed: 301, connections: 301 }))!;

    expect(blocked.parts.established).toBe(0.75);
    expect(blocked.score).toBeCloseTo(working.score * 0.75, 10);
  });

  test('a burst long before the window end has low coverage', () => {
    const burst = seriesFromGaps(gaps(300, () => 7));
    const current = scoreSeries(burst)!;
    const stale = scoreSeries({ ...burst, windowEnd: 72 * HOUR })!;

    expect(stale.parts.coverage).toBeLessThan(0.1);
    // Coverage has a floor of 0.4, so a stale burst keeps a little over half the score of a live one.
    expect(stale.score).toBeLessThan(0.55 * current.score);
  });

  test('a beacon that started shortly before the window end keeps full coverage', () => {
    const late = seriesFromGaps(gaps(180, () => 60));
    const shifted = { ...late, times: late.times.map((time) => time + 21 * HOUR), windowEnd: 24 * HOUR };
    const scored = scoreSeries(shifted)!;

    expect(scored.parts.coverage).toBeGreaterThan(0.9);
  });

  test('no sizes leaves the size part out', () => {
    const scored = scoreSeries(
      seriesFromGaps(
        gaps(50, () => 60),
        { sizes: [] },
      ),
    )!;

    expect(scored.parts.size).toBeNull();
    expect(scored.measures.sizeMedianBytes).toBeNull();
    expect(scored.periodicity).toBeGreaterThan(0.95);
  });

  test('score stays within [0, 1] for any gaps', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 86_400 }), { minLength: 2, maxLength: 300 }),
        (gapList) => {
          const scored = scoreSeries(seriesFromGaps(gapList))!;
          expect(scored.score).toBeGreaterThanOrEqual(0);
          expect(scored.score).toBeLessThanOrEqual(1);
          for (const value of Object.values(scored.parts)) {
            if (value !== null) expect(value).toBeGreaterThanOrEqual(0);
            if (value !== null) expect(value).toBeLessThanOrEqual(1);
          }
        },
      ),
    );
  });
});

describe('significance', () => {
  test.each([
    [1, 0],
    [0.1, 1 / 6],
    [1e-3, 0.5],
    [1e-6, 1],
    [0, 1],
  ])('false-alarm probability %d gives %d', (probability, expected) => {
    expect(significance(probability)).toBeCloseTo(expected, 10);
  });

  test('tasking bursts do not move the period', () => {
    const gapList = [60, 61, 59, 2, 1, 3, 60, 120, 60, 62, 58, 60, 60, 59, 61, 60];
    const scored = scoreSeries(seriesFromGaps(gapList))!;

    expect(scored.measures.periodSeconds).toBeGreaterThan(58);
    expect(scored.measures.periodSeconds).toBeLessThan(62);
  });
});
