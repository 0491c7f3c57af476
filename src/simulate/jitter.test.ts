import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { describeJitter, drawGap, gapBounds, modelPeriod, type GapModel } from './jitter.js';
import { Random, streamSeed } from './random.js';
import { beaconTimes, ntpPollTimes, nextHoursStart, withinHours } from './timeline.js';

const seconds = fc.double({ min: 0.5, max: 86_400, noNaN: true });
const fraction = fc.double({ min: 0, max: 0.99, noNaN: true });

const models: fc.Arbitrary<GapModel> = fc.oneof(
  seconds.map((value) => ({ kind: 'fixed', seconds: value }) as const),
  fc
    .tuple(seconds, fraction)
    .map(([value, jitter]) => ({ kind: 'subtractive', seconds: value, jitter }) as const),
  fc
    .tuple(seconds, fraction)
    .map(([value, jitter]) => ({ kind: 'symmetric', seconds: value, jitter }) as const),
  fc
    .tuple(seconds, fc.double({ min: 0, max: 3600, noNaN: true }))
    .map(([value, extra]) => ({ kind: 'additive', seconds: value, maxExtraSeconds: extra }) as const),
  fc
    .tuple(seconds, fc.integer({ min: -99, max: 0 }), fc.integer({ min: 0, max: 100 }))
    .map(
      ([value, low, high]) =>
        ({ kind: 'percent-steps', seconds: value, minPercent: low, maxPercent: high }) as const,
    ),
  fc
    .tuple(seconds, seconds)
    .map(([a, b]) => ({ kind: 'uniform', minSeconds: Math.min(a, b), maxSeconds: Math.max(a, b) }) as const),
);

describe('gap models', () => {
  it('keeps every gap within its bounds', () => {
    fc.assert(
      fc.property(models, fc.integer(), (model, seed) => {
        const random = new Random(seed);
        const { min, max } = gapBounds(model);
        for (let draw = 0; draw < 200; draw += 1) {
          const gap = drawGap(model, random);
          expect(gap).toBeGreaterThanOrEqual(min - 1e-9 * Math.max(1, min));
          expect(gap).toBeLessThanOrEqual(max + 1e-9 * Math.max(1, max));
        }
      }),
    );
  });

  it('draws ART DNS gaps as whole percentages of 30 s', () => {
    const model: GapModel = { kind: 'percent-steps', seconds: 30, minPercent: -20, maxPercent: 19 };
    const random = new Random(3);
    const percents = new Set<number>();
    for (let draw = 0; draw < 5000; draw += 1)
      percents.add(Math.round((drawGap(model, random) / 30 - 1) * 100));
    expect(Math.min(...percents)).toBe(-20);
    expect(Math.max(...percents)).toBe(19);
    expect(percents.size).toBe(40);
  });

  it('keeps Cobalt Strike jitter 0.5 within 30 to 60 s', () => {
    const model: GapModel = { kind: 'subtractive', seconds: 60, jitter: 0.5 };
    expect(gapBounds(model)).toEqual({ min: 30, max: 60 });
    const random = new Random(11);
    const gaps = Array.from({ length: 10_000 }, () => drawGap(model, random));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(30);
    expect(Math.max(...gaps)).toBeLessThan(60);
    // A uniform draw over [30, 60) has mean 45; 10,000 draws put the sample mean within 0.5 s of it.
    const mean = gaps.reduce((sum, gap) => sum + gap, 0) / gaps.length;
    expect(Math.abs(mean - 45)).toBeLessThan(0.5);
  });

  it('gives Poisson gaps no upper bound', () => {
    expect(gapBounds({ kind: 'poisson', meanSeconds: 60 })).toEqual({
      min: 0,
      max: Number.POSITIVE_INFINITY,
    });
  });

  it('describes jitter for labels', () => {
    expect(describeJitter({ kind: 'subtractive', seconds: 60, jitter: 0 })).toBe('none');
    expect(describeJitter({ kind: 'subtractive', seconds: 60, jitter: 0.5 })).toBe('subtractive 0.5');
    expect(describeJitter({ kind: 'additive', seconds: 60, maxExtraSeconds: 30 })).toBe('additive 0-30 s');
    expect(describeJitter({ kind: 'symmetric', seconds: 10, jitter: 0.23 })).toBe('symmetric 0.23');
    expect(modelPeriod({ kind: 'poisson', meanSeconds: 60 })).toBeNull();
    expect(modelPeriod({ kind: 'fixed', seconds: 1024 })).toBe(1024);
  });
});

describe('beacon schedules', () => {
  const window = { start: Date.UTC(2026, 10, 2), end: Date.UTC(2026, 10, 3) };

  it('keeps every gap of a beacon within the model bounds', () => {
    fc.assert(
      fc.property(models, fc.integer(), (model, seed) => {
        const { min, max } = gapBounds(model);
        // Keep the run short: at most about 2,000 beats in the window.
        fc.pre(min * 1000 >= (window.end - window.start) / 2000);
        const times = beaconTimes(window, { model }, new Random(seed));
        for (let index = 1; index < times.length; index += 1) {
          const gap = ((times[index] as number) - (times[index - 1] as number)) / 1000;
          expect(gap).toBeGreaterThanOrEqual(Math.max(0.001, min) - 1e-6);
          expect(gap).toBeLessThanOrEqual(max + 1e-6);
        }
        for (const time of times) {
          expect(time).toBeGreaterThanOrEqual(window.start);
          expect(time).toBeLessThan(window.end);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('makes missed-beat gaps whole multiples of a fixed sleep', () => {
    const times = beaconTimes(
      window,
      { model: { kind: 'fixed', seconds: 60 }, missedShare: 0.8 },
      new Random(5),
    );
    const beats = times.map((time) => (time - (times[0] as number)) / 60_000);
    for (const beat of beats) expect(beat).toBe(Math.round(beat));
    // 1,440 beats a day with 80% missed leave about 288; 5 standard deviations is ±76.
    expect(times.length).toBeGreaterThan(288 - 76);
    expect(times.length).toBeLessThan(288 + 76);
  });

  it('starts a late implant in the last 3 hours', () => {
    const times = beaconTimes(
      window,
      { model: { kind: 'fixed', seconds: 60 }, activeFromMs: -3 * 3_600_000 },
      new Random(9),
    );
    expect(times[0]).toBeGreaterThanOrEqual(window.end - 3 * 3_600_000);
    expect(times.length).toBe(180);
  });

  it('keeps a working-hours beacon inside its hours', () => {
    const hours = { from: 8, to: 17 };
    const times = beaconTimes(window, { model: { kind: 'fixed', seconds: 2 }, hours }, new Random(2));
    expect(times.every((time) => withinHours(time, hours))).toBe(true);
    // 9 hours of 2 s beats: 16,200, less at most one beat at the start.
    expect(times.length).toBeGreaterThanOrEqual(16_199);
    expect(times.length).toBeLessThanOrEqual(16_200);
  });

  it('finds the next weekday hours start', () => {
    const saturday = Date.UTC(2026, 10, 7, 12);
    const monday = Date.UTC(2026, 10, 9, 8);
    expect(nextHoursStart(saturday, { from: 8, to: 18, weekdaysOnly: true })).toBe(monday);
  });

  it('adds tasking bursts with 1 to 5 s gaps', () => {
    const times = beaconTimes(
      window,
      {
        model: { kind: 'fixed', seconds: 60 },
        bursts: {
          share: 1,
          minLength: 3,
          maxLength: 3,
          gap: { kind: 'uniform', minSeconds: 1, maxSeconds: 5 },
        },
      },
      new Random(4),
    );
    const gaps = times.slice(1).map((time, index) => (time - (times[index] as number)) / 1000);
    const short = gaps.filter((gap) => gap < 60);
    expect(short.length).toBe(gaps.length - gaps.filter((gap) => gap === 60).length);
    expect(short.every((gap) => gap >= 1 && gap < 5)).toBe(true);
    // Each beat is followed by 3 burst check-ins, so three of every four gaps are short.
    expect(short.length / gaps.length).toBeCloseTo(0.75, 2);
  });

  it('doubles the NTP poll interval from 64 to 1024 s', () => {
    const times = ntpPollTimes(window, 64, 1024, 8, new Random(1));
    const gaps = times.slice(1).map((time, index) => (time - (times[index] as number)) / 1000);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(64 * 0.98);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(1024 * 1.02);
    expect(gaps.at(-1)).toBeGreaterThan(1000);
  });

  it('returns nothing for an empty window', () => {
    const empty = { start: window.start, end: window.start };
    expect(beaconTimes(empty, { model: { kind: 'fixed', seconds: 60 } }, new Random(1))).toEqual([]);
  });
});

describe('streamSeed', () => {
  it('separates names and seeds', () => {
    expect(streamSeed(1, 'havoc')).toBe(streamSeed(1, 'havoc'));
    expect(streamSeed(1, 'havoc')).not.toBe(streamSeed(2, 'havoc'));
    expect(streamSeed(1, 'havoc')).not.toBe(streamSeed(1, 'sliver'));
  });
});
