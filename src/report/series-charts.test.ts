import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  buildCharts,
  distinctTimes,
  GAP_BINS,
  gapHistogram,
  gapsInSeconds,
  hourCounts,
  MAX_PLOTTED_POINTS,
  minuteCounts,
  thinnedIndices,
  type FittedPeriod,
} from './series-charts.js';

const PERIOD: FittedPeriod = { seconds: 60, lowSeconds: 48, highSeconds: 60, label: 'test band' };

/** Sorted epoch-ms times, duplicates allowed, as a store returns them. */
const sortedTimes = fc
  .array(fc.integer({ min: 1_700_000_000_000, max: 1_700_000_000_000 + 7 * 86_400_000 }), { maxLength: 300 })
  .map((times) => times.sort((a, b) => a - b));

describe('gap histogram', () => {
  it('counts every gap once', () => {
    fc.assert(
      fc.property(
        sortedTimes,
        fc.option(fc.double({ min: 1, max: 86_400, noNaN: true })),
        (times, period) => {
          const gaps = gapsInSeconds(distinctTimes(times));
          const fitted =
            period === null ? null : { seconds: period, lowSeconds: period, highSeconds: period, label: '' };
          const histogram = gapHistogram(gaps, fitted);
          const binned = histogram.counts.reduce((sum, count) => sum + count, 0);
          expect(binned + histogram.overflow).toBe(gaps.length);
          expect(histogram.counts).toHaveLength(GAP_BINS);
        },
      ),
    );
  });

  it('spans four periods when fitted', () => {
    const histogram = gapHistogram([60, 60, 120], PERIOD);
    expect(histogram.binSeconds * GAP_BINS).toBeCloseTo(240);
    // 60 s falls in bin 20 of 80 (3 s each), 120 s in bin 40.
    expect(histogram.counts[20]).toBe(2);
    expect(histogram.counts[40]).toBe(1);
    expect(histogram.overflow).toBe(0);
  });

  it('puts overnight gaps in overflow', () => {
    const gaps = [...Array.from({ length: 99 }, () => 30), 40_000];
    const histogram = gapHistogram(gaps, null);
    expect(histogram.overflow).toBe(1);
    expect(histogram.maxSeconds).toBe(40_000);
  });

  it('handles no gaps at all', () => {
    const histogram = gapHistogram([], null);
    expect(histogram.counts.every((count) => count === 0)).toBe(true);
    expect(histogram.overflow).toBe(0);
  });
});

describe('hour counts', () => {
  it('sums to the connections', () => {
    fc.assert(
      fc.property(sortedTimes, fc.integer({ min: -720, max: 840 }), (times, offset) => {
        const distinct = distinctTimes(times);
        const hours = hourCounts(minuteCounts(distinct), offset);
        expect(hours).toHaveLength(24);
        expect(hours.reduce((sum, count) => sum + count, 0)).toBe(distinct.length);
      }),
    );
  });

  it('shifts by the UTC offset', () => {
    const elevenUtc = minuteCounts([Date.UTC(2026, 0, 5, 11, 30)]);
    expect(hourCounts(elevenUtc, 0)[11]).toBe(1);
    expect(hourCounts(elevenUtc, 120)[13]).toBe(1);
    expect(hourCounts(elevenUtc, -720)[23]).toBe(1);
    // India's +05:30 moves 11:30 UTC to 17:00, and 11:29 UTC to 16:59.
    expect(hourCounts(elevenUtc, 330)[17]).toBe(1);
    expect(hourCounts(minuteCounts([Date.UTC(2026, 0, 5, 11, 29)]), 330)[16]).toBe(1);
  });
});

describe('thinned indices', () => {
  it('keeps ends and stays bounded', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: 2, max: 5_000 }),
        (length, limit) => {
          const indices = thinnedIndices(length, limit);
          expect(indices.length).toBe(Math.min(length, limit));
          if (length > 0) {
            expect(indices[0]).toBe(0);
            expect(indices.at(-1)).toBe(length - 1);
          }
          for (let index = 1; index < indices.length; index += 1) {
            expect(indices[index]).toBeGreaterThan(indices[index - 1] as number);
          }
        },
      ),
    );
  });
});

describe('buildCharts', () => {
  it('pairs each point with its gap', () => {
    const start = Date.UTC(2026, 0, 5);
    const times = [start, start, start + 60_000, start + 120_000, start + 240_000];
    const charts = buildCharts(
      { times, sourceBytes: [10, 10, 12, null, 11], destinationBytes: [1, 1, 2, 3, 4], total: 5 },
      PERIOD,
    );
    expect(charts.connections).toBe(4);
    expect(charts.timeline.times).toEqual([start, start + 60_000, start + 120_000, start + 240_000]);
    expect(charts.timeline.gapsSeconds).toEqual([null, 60, 60, 120]);
    expect(charts.sizes.sourceBytes).toEqual([10, 10, 12, null, 11]);
    expect(charts.period).toBe(PERIOD);
  });

  it('thins long series for plotting', () => {
    const start = Date.UTC(2026, 0, 5);
    const times = Array.from({ length: 20_000 }, (_, index) => start + index * 1_000);
    const bytes = times.map(() => 100);
    const charts = buildCharts({ times, sourceBytes: bytes, destinationBytes: bytes, total: 30_000 }, null);
    expect(charts.timeline.times).toHaveLength(MAX_PLOTTED_POINTS);
    expect(charts.sizes.times).toHaveLength(MAX_PLOTTED_POINTS);
    expect(charts.rows).toBe(30_000);
    expect(charts.loadedRows).toBe(20_000);
    // Every gap is still counted, not only the plotted ones.
    expect(charts.gaps.counts.reduce((sum, count) => sum + count, 0) + charts.gaps.overflow).toBe(19_999);
  });
});
