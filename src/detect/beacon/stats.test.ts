import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import {
  bowleySkew,
  consecutiveGaps,
  median,
  medianAbsoluteDeviation,
  quantileSorted,
  quartiles,
  sortedCopy,
} from './stats.js';

const finiteNumbers = fc.array(fc.double({ min: -1e9, max: 1e9, noNaN: true }), {
  minLength: 1,
  maxLength: 200,
});

describe('quantileSorted', () => {
  test('matches hand-computed type 7 values', () => {
    const sorted = [1, 2, 3, 4];
    expect(quantileSorted(sorted, 0)).toBe(1);
    expect(quantileSorted(sorted, 0.25)).toBe(1.75);
    expect(quantileSorted(sorted, 0.5)).toBe(2.5);
    expect(quantileSorted(sorted, 0.75)).toBe(3.25);
    expect(quantileSorted(sorted, 1)).toBe(4);
  });

  test('empty input gives NaN', () => {
    expect(quantileSorted([], 0.5)).toBeNaN();
  });

  test('quantiles are monotonic and within the range', () => {
    fc.assert(
      fc.property(finiteNumbers, fc.double({ min: 0, max: 1, noNaN: true }), (values, p) => {
        const sorted = sortedCopy(values);
        const value = quantileSorted(sorted, p);
        expect(value).toBeGreaterThanOrEqual(sorted[0]!);
        expect(value).toBeLessThanOrEqual(sorted.at(-1)!);
        expect(quantileSorted(sorted, Math.min(1, p + 0.1))).toBeGreaterThanOrEqual(value);
      }),
    );
  });
});

describe('median and MAD', () => {
  test('odd and even lengths', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  test('MAD of a known series', () => {
    // Deviations from the median 3 are 2, 1, 0, 1, 97: their median is 1.
    expect(medianAbsoluteDeviation([1, 2, 3, 4, 100])).toBe(1);
  });

  test('MAD is zero for a constant series and never negative', () => {
    expect(medianAbsoluteDeviation([7, 7, 7])).toBe(0);
    fc.assert(fc.property(finiteNumbers, (values) => medianAbsoluteDeviation(values) >= 0));
  });

  test('shifting the series moves the median and keeps the MAD', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 100 }),
        fc.integer({ min: -1e6, max: 1e6 }),
        (values, shift) => {
          const shifted = values.map((value) => value + shift);
          expect(median(shifted)).toBeCloseTo(median(values) + shift, 6);
          expect(medianAbsoluteDeviation(shifted)).toBeCloseTo(medianAbsoluteDeviation(values), 6);
        },
      ),
    );
  });
});

describe('bowleySkew', () => {
  test('symmetric quartiles give zero', () => {
    expect(bowleySkew({ q1: 1, median: 2, q3: 3 })).toBe(0);
  });

  test('right skew is positive', () => {
    expect(bowleySkew({ q1: 1, median: 1.5, q3: 4 })).toBeCloseTo(0.6667, 4);
  });

  test('constant series has no skew', () => {
    expect(bowleySkew({ q1: 5, median: 5, q3: 5 })).toBe(0);
  });

  test('stays within [-1, 1]', () => {
    fc.assert(fc.property(finiteNumbers, (values) => Math.abs(bowleySkew(quartiles(values))) <= 1 + 1e-9));
  });
});

describe('consecutiveGaps', () => {
  test('differences of a sorted series', () => {
    expect(consecutiveGaps([10, 15, 30])).toEqual([5, 15]);
  });

  test('one value has no gaps', () => {
    expect(consecutiveGaps([10])).toEqual([]);
  });

  test('gaps sum to the span', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1e9 }), { minLength: 2, maxLength: 100 }), (values) => {
        const sorted = sortedCopy(values);
        const total = consecutiveGaps(sorted).reduce((sum, gap) => sum + gap, 0);
        expect(total).toBe(sorted.at(-1)! - sorted[0]!);
      }),
    );
  });
});
