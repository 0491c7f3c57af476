import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import { Random } from '../../simulate/random.js';
import { fitJitter, kolmogorovSmirnovUniform, roundest, uniformInterval } from './jitter.js';
import { positiveGapsSeconds } from './period.js';

/** Gaps in seconds of `count` sleeps, measured from times that each gain 0..`delayMs` of network delay. */
function sleepGaps(seed: number, count: number, sleep: (random: Random) => number, delayMs = 0): number[] {
  const random = new Random(seed);
  const times: number[] = [];
  let time = 1_700_000_000_000;
  for (let index = 0; index <= count; index += 1) {
    times.push(Math.round(time + random.between(0, delayMs)));
    time += 1000 * sleep(random);
  }
  return positiveGapsSeconds(times.sort((a, b) => a - b));
}

const cobaltStrike = (random: Random) => random.between(48, 60);
const sliver = (random: Random) => 60 + random.between(0, 30);
const empire = (random: Random) => random.between(4.5, 5.5);
const mythic = (random: Random) => random.between(7.7, 12.3);

describe('fitJitter models', () => {
  test('Cobalt Strike 60 s with 20 % jitter is subtractive', () => {
    const fit = fitJitter(sleepGaps(1, 1000, cobaltStrike), 54);
    expect(fit.model).toBe('subtractive');
    expect(fit.sleepSeconds).toBeCloseTo(60, 0);
    expect(fit.roundSleepSeconds).toBe(60);
    expect(fit.jitterFraction).toBeCloseTo(0.2, 2);
    expect(fit.jitterSeconds).toBeCloseTo(12, 0);
    expect(fit.onBeatGaps).toBe(1000);
    expect(fit.flat).toBe(true);
    expect(fit.reason).toBe(
      'gaps fill 48–60.1 s evenly: 60 s sleep with 20 % subtractive jitter (Cobalt Strike style)',
    );
  });

  test('Sliver 60 s plus up to 30 s is additive', () => {
    const fit = fitJitter(sleepGaps(2, 1000, sliver), 75);
    expect(fit.model).toBe('additive');
    expect(fit.sleepSeconds).toBeCloseTo(60, 0);
    expect(fit.jitterSeconds).toBeCloseTo(30, 0);
    expect(fit.jitterFraction).toBeCloseTo(0.5, 1);
    expect(fit.reason).toContain('Sliver style');
  });

  test.each([
    ['Empire 5 s ± 10 %', empire, 5, 0.1],
    ['Mythic 10 s ± 23 %', mythic, 10, 0.23],
  ])('%s is symmetric', (_name, sleep, expectedSleep, expectedJitter) => {
    const fit = fitJitter(sleepGaps(3, 1000, sleep), expectedSleep);
    expect(fit.model).toBe('symmetric');
    expect(fit.sleepSeconds).toBeCloseTo(expectedSleep, 1);
    expect(fit.roundSleepSeconds).toBe(expectedSleep);
    expect(fit.jitterFraction).toBeCloseTo(expectedJitter, 2);
    expect(fit.jitterSeconds).toBeCloseTo(expectedSleep * expectedJitter, 1);
  });

  test('exact 300 s has no jitter', () => {
    const fit = fitJitter(
      Array.from({ length: 50 }, () => 300),
      300,
    );
    expect(fit.model).toBe('none');
    expect(fit.sleepSeconds).toBe(300);
    expect(fit.jitterSeconds).toBe(0);
    expect(fit.uniformity).toBeNull();
    expect(fit.reason).toBe('gaps vary by 0 s around 300 s: no jitter beyond network delay');
  });

  test('200 ms network delay keeps model', () => {
    const cases: [(random: Random) => number, number, string][] = [
      [cobaltStrike, 54, 'subtractive'],
      [(random) => random.between(8, 10), 9, 'subtractive'],
      [sliver, 75, 'additive'],
      [mythic, 10, 'symmetric'],
      [(random) => random.between(9, 11), 10, 'symmetric'],
      [() => 300, 300, 'none'],
      [() => 10, 10, 'none'],
    ];
    for (const [sleep, period, model] of cases) {
      for (let seed = 1; seed <= 5; seed += 1) {
        expect(fitJitter(sleepGaps(seed, 1000, sleep, 200), period).model).toBe(model);
      }
    }
  });

  test('missed beats and tasking bursts stay out of the fit', () => {
    const gaps = sleepGaps(4, 500, cobaltStrike);
    const noisy = [...gaps, 2, 3, 4.5, 1.2, 110, 115, 170];
    const fit = fitJitter(noisy, 54);
    expect(fit.onBeatGaps).toBe(500);
    expect(fit.model).toBe('subtractive');
    expect(fit.roundSleepSeconds).toBe(60);
  });

  test('peaked gaps are not flat', () => {
    // A triangular distribution on 50..70 s: the sum of two uniform halves.
    const random = new Random(5);
    const gaps = Array.from({ length: 2000 }, () => 50 + random.between(0, 10) + random.between(0, 10));
    const fit = fitJitter(gaps, 60);
    expect(fit.flat).toBe(false);
    expect(fit.uniformity).toBeGreaterThan(0.05);
    expect(fit.reason).toContain('unevenly');
  });
});

describe('fitJitter edge cases', () => {
  test('three gaps still give a fit', () => {
    const fit = fitJitter([52, 57, 60], 56);
    expect(fit.onBeatGaps).toBe(3);
    expect(['subtractive', 'additive', 'symmetric', 'none']).toContain(fit.model);
    expect(Number.isFinite(fit.sleepSeconds)).toBe(true);
    expect(fit.lowSeconds).toBeLessThanOrEqual(52);
    expect(fit.highSeconds).toBeGreaterThanOrEqual(60);
  });

  test('one gap and no gaps', () => {
    const single = fitJitter([60], 60);
    expect(single.model).toBe('none');
    expect(single.sleepSeconds).toBe(60);
    const none = fitJitter([], 60);
    expect(none.model).toBe('none');
    expect(none.onBeatGaps).toBe(0);
    expect(none.reason).toBe('no positive gaps: jitter unknown');
  });

  test('gaps far from the period fall back to all gaps', () => {
    const fit = fitJitter([10, 10, 10], 60);
    expect(fit.onBeatGaps).toBe(3);
    expect(fit.sleepSeconds).toBe(10);
  });

  test('invalid period is rejected', () => {
    expect(() => fitJitter([60], 0)).toThrow(RangeError);
    expect(() => fitJitter([60], Number.NaN)).toThrow(RangeError);
    expect(() => fitJitter([60], Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe('uniformInterval', () => {
  test('evenly spaced sample gives its exact support', () => {
    const sorted = Array.from({ length: 9 }, (_, index) => index + 1);
    const { low, high } = uniformInterval(sorted);
    // Nine values 1..9 are the expected order statistics of a uniform sample on [0, 10].
    expect(low).toBeCloseTo(0, 12);
    expect(high).toBeCloseTo(10, 12);
  });

  test('interval is unbiased on average', () => {
    const random = new Random(9);
    let lowSum = 0;
    let highSum = 0;
    for (let round = 0; round < 400; round += 1) {
      const sample = Array.from({ length: 20 }, () => random.between(30, 60)).sort((a, b) => a - b);
      const { low, high } = uniformInterval(sample);
      lowSum += low;
      highSum += high;
    }
    expect(lowSum / 400).toBeCloseTo(30, 0);
    expect(highSum / 400).toBeCloseTo(60, 0);
  });
});

describe('kolmogorovSmirnovUniform', () => {
  test('hand-computed distance', () => {
    // CDF values 0.1, 0.2, 0.9 against steps of 1/3: the largest difference is 2/3 − 0.2.
    expect(kolmogorovSmirnovUniform([1, 2, 9], 0, 10)).toBeCloseTo(2 / 3 - 0.2, 12);
  });

  test('distance lies in 0..1', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1 }), (values) => {
        const sorted = [...values].sort((a, b) => a - b);
        const distance = kolmogorovSmirnovUniform(sorted, -10, 10);
        expect(distance).toBeGreaterThanOrEqual(0);
        expect(distance).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe('roundest', () => {
  test('prefers minutes over seconds', () => {
    expect(roundest(59.6, 0.6)).toEqual({ value: 60, unit: 60 });
    expect(roundest(48.2, 0.5)).toEqual({ value: 48, unit: 1 });
    expect(roundest(45, 0.5)).toEqual({ value: 45, unit: 15 });
    expect(roundest(7.7, 0.1)).toEqual({ value: 7.7, unit: 0.1 });
    expect(roundest(28_790, 300)).toEqual({ value: 28_800, unit: 3600 });
  });

  test('never rounds to zero', () => {
    expect(roundest(0.4, 0.5).value).toBeGreaterThan(0);
  });
});
