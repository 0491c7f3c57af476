import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import { Random } from '../../simulate/random.js';
import {
  binnedAutocorrelation,
  coherenceAt,
  complementaryErrorFunction,
  estimatePeriod,
  isPeriodic,
  normalUpperTail,
  positiveGapsSeconds,
  type PeriodEstimate,
} from './period.js';

const DAY_SECONDS = 86_400;
const START_MS = 1_700_000_000_000;

interface SeriesOptions {
  /** Share of beats that never reach the log. */
  missedShare?: number;
  /** Share of beats followed by a tasking connection 1–5 s later. */
  burstShare?: number;
}

/**
 * Connection times (epoch ms) of an implant that sleeps `sleep()` seconds after each callback, so the
 * jitter accumulates in phase as it does in real implants.
 */
function beaconTimes(
  seed: number,
  spanSeconds: number,
  sleep: (random: Random) => number,
  options: SeriesOptions = {},
) {
  const random = new Random(seed);
  const times: number[] = [];
  let time = START_MS + random.between(0, 60_000);
  const end = time + spanSeconds * 1000;
  while (time < end) {
    if (random.next() >= (options.missedShare ?? 0)) {
      times.push(Math.round(time));
      if (random.next() < (options.burstShare ?? 0)) {
        time += 1000 * random.between(1, 5);
        times.push(Math.round(time));
      }
    }
    time += 1000 * sleep(random);
  }
  return times;
}

function poissonTimes(seed: number, count: number, meanSeconds: number): number[] {
  const random = new Random(seed);
  const times: number[] = [];
  let time = START_MS;
  for (let index = 0; index < count; index += 1) {
    times.push(Math.round(time));
    time += 1000 * random.exponential(meanSeconds);
  }
  return times;
}

function expectPeriodNear(estimate: PeriodEstimate | null, expectedSeconds: number, relativeError: number) {
  expect(estimate).not.toBeNull();
  expect(Math.abs(estimate!.periodSeconds / expectedSeconds - 1)).toBeLessThan(relativeError);
}

describe('estimatePeriod on beacons', () => {
  test('exact 60 s period', () => {
    const times = Array.from({ length: 1440 }, (_, index) => START_MS + index * 60_000);
    const estimate = estimatePeriod(times)!;
    expect(estimate.periodSeconds).toBeCloseTo(60, 9);
    expect(estimate.coherence).toBeCloseTo(1, 12);
    expect(estimate.falseAlarmProbability).toBeLessThan(1e-10);
    expect(estimate.autocorrelation).toBeGreaterThan(0.99);
    expect(estimate.method).toBe('gap-cluster');
    expect(estimate.gaps).toBe(1439);
    expect(estimate.phasedGaps).toBe(1439);
    expect(isPeriodic(estimate)).toBe(true);
  });

  test.each([
    [0.2, 54],
    [0.5, 45],
  ])('Cobalt Strike 60 s with j = %f over 24 h', (jitter, meanSleep) => {
    const times = beaconTimes(2, DAY_SECONDS, (random) => random.between(60 * (1 - jitter), 60));
    const estimate = estimatePeriod(times);
    expectPeriodNear(estimate, meanSleep, 0.1);
    expect(estimate!.falseAlarmProbability).toBeLessThan(1e-3);
  });

  test('Sliver 60 s plus up to 30 s', () => {
    const estimate = estimatePeriod(beaconTimes(4, DAY_SECONDS, (random) => 60 + random.between(0, 30)));
    expectPeriodNear(estimate, 75, 0.1);
    expect(isPeriodic(estimate)).toBe(true);
  });

  test.each([
    ['Mythic', 10, 0.23],
    ['Havoc', 2, 0.15],
  ])('%s symmetric %f s ± %f', (_name, sleep, jitter) => {
    const times = beaconTimes(5, DAY_SECONDS, (random) =>
      random.between(sleep * (1 - jitter), sleep * (1 + jitter)),
    );
    const estimate = estimatePeriod(times);
    expectPeriodNear(estimate, sleep, 0.05);
    expect(isPeriodic(estimate)).toBe(true);
  });

  test('80 % missed beats keep the 300 s period', () => {
    const times = beaconTimes(7, 3 * DAY_SECONDS, (random) => random.between(294, 306), { missedShare: 0.8 });
    const estimate = estimatePeriod(times);
    expectPeriodNear(estimate, 300, 0.02);
    expect(isPeriodic(estimate)).toBe(true);
    // Most gaps hold several sleeps, so the commonest gap is not the period.
    const gaps = positiveGapsSeconds(times);
    expect(gaps.filter((gap) => gap < 450).length / gaps.length).toBeLessThan(0.3);
  });

  test.each([3600, 8 * 3600, DAY_SECONDS])('%i s period with 10 %% jitter over 7 days', (sleep) => {
    const times = beaconTimes(8, 7 * DAY_SECONDS, (random) => random.between(0.9 * sleep, 1.1 * sleep));
    const estimate = estimatePeriod(times);
    expectPeriodNear(estimate, sleep, 0.1);
    expect(isPeriodic(estimate)).toBe(true);
  });

  test('tasking bursts of 1–5 s', () => {
    const times = beaconTimes(11, DAY_SECONDS, (random) => random.between(48, 60), { burstShare: 0.11 });
    const estimate = estimatePeriod(times)!;
    const bursts = positiveGapsSeconds(times).filter((gap) => gap <= 5).length;
    expect(bursts / estimate.gaps).toBeGreaterThan(0.08);
    expectPeriodNear(estimate, 54, 0.1);
    expect(isPeriodic(estimate)).toBe(true);
    expect(estimate.phasedGaps).toBe(estimate.gaps - bursts);
  });

  test('whole-second timestamps do not pull the period to 1 s', () => {
    const times = beaconTimes(12, DAY_SECONDS, (random) => random.between(48, 60)).map(
      (time) => Math.round(time / 1000) * 1000,
    );
    const estimate = estimatePeriod(times);
    expectPeriodNear(estimate, 54, 0.1);
  });

  test('exact period picks the period, not a divisor', () => {
    // Every gap is 120 s or 240 s: coherent at 60 s and 40 s too, but the period is 120 s.
    const gaps = [120, 240, 120, 120, 240, 120, 120, 120, 240, 120, 120, 120];
    const times = [START_MS];
    for (const gap of gaps) times.push((times.at(-1) as number) + gap * 1000);
    const estimate = estimatePeriod(times)!;
    expect(estimate.periodSeconds).toBeCloseTo(120, 6);
  });

  test('divisor of the commonest gap', () => {
    // Gaps of 120 s and 180 s are two and three beats of 60 s, and the search starts at the
    // 10th-percentile gap, so a few single beats must be present.
    const gaps = [60, 120, 180, 120, 120, 60, 180, 120, 180, 120, 120, 180, 60];
    const times = [START_MS];
    for (const gap of gaps) times.push((times.at(-1) as number) + gap * 1000);
    const estimate = estimatePeriod(times)!;
    expect(estimate.periodSeconds).toBeCloseTo(60, 6);
    expect(estimate.method).toBe('gap-cluster/2');
    expect(estimate.coherence).toBeCloseTo(1, 9);
  });

  test('candidates list the chosen period first', () => {
    const estimate = estimatePeriod(beaconTimes(3, DAY_SECONDS, (random) => random.between(30, 60)))!;
    expect(estimate.candidates.length).toBeGreaterThanOrEqual(1);
    expect(estimate.candidates.length).toBeLessThanOrEqual(3);
    expect(estimate.candidates[0]!.periodSeconds).toBe(estimate.periodSeconds);
    expect(estimate.candidates[0]!.fap).toBe(estimate.falseAlarmProbability);
  });
});

describe('estimatePeriod on random times', () => {
  test('Poisson gaps with mean 60 s', () => {
    const estimate = estimatePeriod(poissonTimes(1, 1440, 60))!;
    expect(estimate.falseAlarmProbability).toBeGreaterThan(0.01);
    expect(isPeriodic(estimate)).toBe(false);
  });

  test('Poisson gaps over 20 seeds make at most one false call', () => {
    let calls = 0;
    for (let seed = 100; seed < 120; seed += 1) {
      if (isPeriodic(estimatePeriod(poissonTimes(seed, 1440, 60)))) calls += 1;
    }
    expect(calls).toBeLessThanOrEqual(1);
  });

  test('steady all-day traffic with Poisson times', () => {
    // One connection every 20 s on average for 24 h, as a chatty client with constant-size requests.
    const estimate = estimatePeriod(poissonTimes(7, 4320, 20));
    expect(isPeriodic(estimate)).toBe(false);
  });
});

describe('estimatePeriod edge cases', () => {
  test('empty, one and two times give null', () => {
    expect(estimatePeriod([])).toBeNull();
    expect(estimatePeriod([START_MS])).toBeNull();
    expect(estimatePeriod([START_MS, START_MS + 60_000])).toBeNull();
  });

  test('equal times count once', () => {
    expect(estimatePeriod([START_MS, START_MS, START_MS])).toBeNull();
    const times = [0, 0, 60_000, 120_000, 120_000, 180_000, 240_000].map((offset) => START_MS + offset);
    const estimate = estimatePeriod(times)!;
    expect(estimate.gaps).toBe(4);
    expect(estimate.periodSeconds).toBeCloseTo(60, 9);
  });

  test('three times give an estimate', () => {
    const estimate = estimatePeriod([START_MS, START_MS + 60_000, START_MS + 120_000])!;
    expect(estimate.periodSeconds).toBeCloseTo(60, 9);
    expect(estimate.gaps).toBe(2);
    expect(estimate.autocorrelation).toBeNull();
    // Two gaps are too few for any significance: p = ½·erfc(√2) ≈ 0.023.
    expect(estimate.falseAlarmProbability).toBeCloseTo(normalUpperTail(2), 12);
    expect(isPeriodic(estimate)).toBe(false);
  });

  test('gaps below the minimum period (0.1 s) give null', () => {
    const times = Array.from({ length: 100 }, (_, index) => START_MS + index * 50);
    expect(estimatePeriod(times)).toBeNull();
    expect(estimatePeriod(times, { minPeriodSeconds: 0.01 })?.periodSeconds).toBeCloseTo(0.05, 9);
  });

  test('gaps above the maximum period give null', () => {
    const times = Array.from({ length: 10 }, (_, index) => START_MS + index * 2 * DAY_SECONDS * 1000);
    expect(estimatePeriod(times)).toBeNull();
    expect(estimatePeriod(times, { maxPeriodSeconds: 3 * DAY_SECONDS })?.periodSeconds).toBeCloseTo(
      2 * DAY_SECONDS,
      6,
    );
  });

  test('huge epoch values and 100,000 times', () => {
    const times = beaconTimes(42, 1_100_000, (random) => random.between(8, 12)).slice(0, 100_000);
    expect(times.length).toBe(100_000);
    const estimate = estimatePeriod(times.map((time) => time + 8e15));
    expectPeriodNear(estimate, 10, 0.05);
  });
});

describe('estimatePeriod properties', () => {
  test('shifting all times leaves the estimate unchanged', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: -1e12, max: 1e12 }), (seed, shift) => {
        const times = beaconTimes(seed, 6 * 3600, (random) => random.between(48, 60));
        expect(estimatePeriod(times.map((time) => time + shift))).toEqual(estimatePeriod(times));
      }),
      { numRuns: 20 },
    );
  });

  test('scaling all times scales the period', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: 0.1, max: 50, noNaN: true }),
        (seed, factor) => {
          const times = beaconTimes(seed, 6 * 3600, (random) => random.between(40, 60)).map(
            (time) => time - START_MS,
          );
          const original = estimatePeriod(times)!;
          const scaled = estimatePeriod(times.map((time) => time * factor))!;
          expect(scaled.periodSeconds / (original.periodSeconds * factor)).toBeCloseTo(1, 6);
          expect(scaled.coherence).toBeCloseTo(original.coherence, 6);
        },
      ),
      { numRuns: 20 },
    );
  });
});

describe('coherenceAt', () => {
  test('whole multiples are fully coherent', () => {
    const result = coherenceAt([60, 60, 120], 60);
    expect(result.coherence).toBeCloseTo(1, 12);
    expect(result.phasedGaps).toBe(3);
    expect(result.score).toBeCloseTo(Math.sqrt(6), 12);
  });

  test('half periods cancel and short gaps are left out', () => {
    // 10 s is below P/2 and left out; 30 s and 90 s are half a cycle off (cos π = −1), 60 s is on the beat.
    const result = coherenceAt([10, 30, 60, 90], 60);
    expect(result.phasedGaps).toBe(3);
    expect(result.coherence).toBeCloseTo(-1 / 3, 12);
  });

  test('no phased gaps', () => {
    expect(coherenceAt([1, 2], 60)).toEqual({ periodSeconds: 60, coherence: 0, phasedGaps: 0, score: 0 });
  });
});

describe('normal tail', () => {
  test('known values of erfc', () => {
    expect(complementaryErrorFunction(0)).toBe(1);
    expect(complementaryErrorFunction(0.5)).toBeCloseTo(0.4795001221869535, 14);
    expect(complementaryErrorFunction(3) / 2.209049699858544e-5).toBeCloseTo(1, 10);
    expect(complementaryErrorFunction(-1)).toBeCloseTo(1.8427007929497148, 14);
    expect(complementaryErrorFunction(30)).toBe(0);
  });

  test('normal upper tail at 0, 1.96 and 5', () => {
    expect(normalUpperTail(0)).toBe(0.5);
    expect(normalUpperTail(1.959963984540054)).toBeCloseTo(0.025, 12);
    expect(normalUpperTail(5) / 2.866515718791939e-7).toBeCloseTo(1, 9);
  });

  test('erfc is decreasing and within 0..2', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -6, max: 6, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (x, dx) => {
          const value = complementaryErrorFunction(x);
          expect(value).toBeGreaterThanOrEqual(0);
          expect(value).toBeLessThanOrEqual(2);
          expect(complementaryErrorFunction(x + dx)).toBeLessThanOrEqual(value + 1e-15);
        },
      ),
    );
  });
});

describe('binnedAutocorrelation', () => {
  test('exact beacon is near 1', () => {
    const times = Array.from({ length: 100 }, (_, index) => index * 60_000);
    expect(binnedAutocorrelation(times, 60)).toBeGreaterThan(0.98);
  });

  test('short series gives null', () => {
    const times = Array.from({ length: 8 }, (_, index) => index * 60_000);
    expect(binnedAutocorrelation(times, 60)).toBeNull();
    expect(binnedAutocorrelation([0], 60)).toBeNull();
  });

  test('Poisson times are near 0', () => {
    const value = binnedAutocorrelation(poissonTimes(3, 2000, 60), 60)!;
    expect(Math.abs(value)).toBeLessThan(0.1);
  });
});

describe('isPeriodic', () => {
  test('null and the threshold', () => {
    expect(isPeriodic(null)).toBe(false);
    const estimate = estimatePeriod(poissonTimes(1, 1440, 60))!;
    expect(isPeriodic(estimate, 1)).toBe(true);
    expect(isPeriodic({ ...estimate, falseAlarmProbability: 1e-3 })).toBe(true);
    expect(isPeriodic({ ...estimate, falseAlarmProbability: 1.1e-3 })).toBe(false);
  });
});
