import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import type { IndicatorId } from './indicators.js';
import type { FindingContext } from './index.js';
import { contextMultiplier, isNewDestination, MAX_FACTOR, MIN_FACTOR, prevalencePart } from './multiplier.js';
import { DEFAULT_CONTEXT_SETTINGS } from './settings.js';

function context(overrides: Partial<FindingContext> = {}): FindingContext {
  return {
    prevalence: { sources: 1, ofSources: 1, share: 1, scope: 'local' },
    firstSeen: null,
    intel: [],
    indicators: [],
    phrases: [],
    ...overrides,
  };
}

function prevalence(sources: number, ofSources: number): FindingContext['prevalence'] {
  return { sources, ofSources, share: ofSources === 0 ? 0 : sources / ofSources, scope: 'local' };
}

function firstSeen(daysBeforeWindowEnd: number, daysAfterStoreStart: number): FindingContext['firstSeen'] {
  return { epochMs: 0, iso: '1970-01-01T00:00:00.000Z', daysBeforeWindowEnd, daysAfterStoreStart };
}

describe('prevalencePart', () => {
  it.each([
    [1, 101, 1.1],
    [26, 101, 1],
    [51, 101, 0.9],
    [101, 101, 0.7],
    [0, 100, 1.1],
    [1, 4, 1],
    [4, 4, 1],
    [0, 0, 1],
    [5, 5, 0.7],
  ])('%i of %i sources gives %d', (sources, ofSources, expected) => {
    expect(prevalencePart(prevalence(sources, ofSources))).toBe(expected);
  });

  it('never rises as more sources join', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        (population, extra) => {
          const ofSources = population + 5;
          const fewer = Math.min(ofSources, 1 + (extra % ofSources));
          const more = Math.min(ofSources, fewer + 1);
          expect(prevalencePart(prevalence(more, ofSources))).toBeLessThanOrEqual(
            prevalencePart(prevalence(fewer, ofSources)),
          );
        },
      ),
    );
  });
});

describe('isNewDestination', () => {
  it('needs recent first sighting and history', () => {
    expect(isNewDestination(firstSeen(2, 30))).toBe(true);
    expect(isNewDestination(firstSeen(7, 7))).toBe(true);
    expect(isNewDestination(firstSeen(7.001, 30))).toBe(false);
    expect(isNewDestination(firstSeen(2, 6.999))).toBe(false);
    expect(isNewDestination(firstSeen(0.5, 0))).toBe(false);
    expect(isNewDestination(null)).toBe(false);
  });
});

describe('contextMultiplier', () => {
  it('is neutral without context', () => {
    expect(contextMultiplier(context())).toEqual({
      factor: 1,
      parts: { prevalence: 1, firstSeen: 1, intel: 1 },
    });
  });

  it('names and multiplies every part', () => {
    const result = contextMultiplier(
      context({
        prevalence: prevalence(1, 200),
        firstSeen: firstSeen(1, 20),
        indicators: [
          { id: 'missing-host', detail: 'no Host header', weight: 0.2 },
          { id: 'rare-user-agent', detail: 'rare', weight: 0.05 },
        ],
      }),
    );
    expect(result.parts).toEqual({
      prevalence: 1.1,
      firstSeen: 1.1,
      intel: 1,
      'missing-host': 1.2,
      'rare-user-agent': 1.05,
    });
    // 1.1 × 1.1 × 1.2 × 1.05 = 1.5246, above the cap.
    expect(result.factor).toBe(1.5);
  });

  it('lowers common destinations', () => {
    const result = contextMultiplier(context({ prevalence: prevalence(300, 300) }));
    expect(result.factor).toBe(0.7);
  });

  it('raises threat-list hits', () => {
    const result = contextMultiplier(
      context({ intel: [{ list: 'c2.txt', entry: '203.0.113.0/24', matched: '203.0.113.9' }] }),
    );
    expect(result.parts.intel).toBe(1.4);
    expect(result.factor).toBe(1.4);
  });

  it('keeps the larger weight of a repeated id', () => {
    const result = contextMultiplier(
      context({
        indicators: [
          { id: 'tool-user-agent', detail: 'a', weight: 0.05 },
          { id: 'tool-user-agent', detail: 'b', weight: 0.1 },
        ],
      }),
    );
    expect(result.parts['tool-user-agent']).toBe(1.1);
  });

  const indicatorIds: IndicatorId[] = [
    'c2-default-uri',
    'dns-staging-name',
    'missing-host',
    'c2-default-user-agent',
    'outdated-user-agent',
    'tool-user-agent',
    'empty-user-agent',
    'short-user-agent',
    'rare-user-agent',
  ];
  const arbitraryContext = fc.record({
    sources: fc.integer({ min: 0, max: 100_000 }),
    extra: fc.integer({ min: 0, max: 100_000 }),
    days: fc.option(
      fc.tuple(fc.double({ min: 0, max: 1e4, noNaN: true }), fc.double({ min: 0, max: 1e4, noNaN: true })),
    ),
    hits: fc.integer({ min: 0, max: 3 }),
    indicators: fc.uniqueArray(
      fc.record({
        id: fc.constantFrom(...indicatorIds),
        weight: fc.double({ min: 0, max: 0.3, noNaN: true }),
      }),
      { selector: (entry) => entry.id },
    ),
  });

  it('stays within its bounds', () => {
    fc.assert(
      fc.property(arbitraryContext, (value) => {
        const built = build(value);
        const { factor, parts } = contextMultiplier(built);
        expect(factor).toBeGreaterThanOrEqual(MIN_FACTOR);
        expect(factor).toBeLessThanOrEqual(MAX_FACTOR);
        for (const part of Object.values(parts)) expect(Number.isFinite(part)).toBe(true);
      }),
    );
  });

  it('never falls when evidence is added', () => {
    fc.assert(
      fc.property(arbitraryContext, (value) => {
        const built = build(value);
        const withHit = {
          ...built,
          intel: [...built.intel, { list: 'extra', entry: '192.0.2.1', matched: '192.0.2.1' }],
        };
        expect(contextMultiplier(withHit).factor).toBeGreaterThanOrEqual(contextMultiplier(built).factor);
      }),
    );
  });
});

function build(value: {
  sources: number;
  extra: number;
  days: [number, number] | null;
  hits: number;
  indicators: { id: IndicatorId; weight: number }[];
}): FindingContext {
  return context({
    prevalence: prevalence(value.sources, value.sources + value.extra),
    firstSeen: value.days === null ? null : firstSeen(value.days[0], value.days[1]),
    intel: Array.from({ length: value.hits }, (_, index) => ({
      list: 'list',
      entry: `192.0.2.${index}`,
      matched: `192.0.2.${index}`,
    })),
    indicators: value.indicators.map((entry) => ({ ...entry, detail: entry.id })),
  });
}

it('default settings match the documented values', () => {
  expect(DEFAULT_CONTEXT_SETTINGS).toEqual({
    rareUserAgentMaxSources: 2,
    shortUserAgentMaxLength: 11,
    prevalenceMinSources: 5,
    newDestinationDays: 7,
    minHistoryDays: 7,
  });
});
