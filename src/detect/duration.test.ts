import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { UsageError } from '../errors.js';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['24h', 86_400_000],
    ['90m', 5_400_000],
    ['7d', 604_800_000],
    ['3600s', 3_600_000],
    ['500ms', 500],
    ['0s', 0],
    ['1ms', 1],
    ['007d', 604_800_000],
  ])('parses %s', (text, expected) => {
    expect(parseDuration(text)).toBe(expected);
  });

  it.each([
    '',
    '24',
    'h',
    '24H',
    '1.5h',
    '-1h',
    '+1h',
    ' 24h',
    '24h ',
    '24 h',
    '1w',
    '10sec',
    '1h30m',
    '1e3ms',
    '２４h',
  ])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(UsageError);
  });

  it('names the accepted forms in the error', () => {
    expect(() => parseDuration('1w')).toThrow(
      'invalid duration "1w": use a whole number followed by ms, s, m, h or d, such as 500ms, 3600s, 90m, 24h or 7d',
    );
  });

  it('rejects a value beyond the safe integer range', () => {
    expect(() => parseDuration('9007199254740992ms')).toThrow(UsageError);
    expect(() => parseDuration('104249992d')).toThrow(UsageError);
  });

  it('accepts values up to the safe integer range', () => {
    expect(parseDuration('9007199254740991ms')).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseDuration('104249991d')).toBe(104_249_991 * 86_400_000);
  });

  it('multiplies the number by the unit', () => {
    const units = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
    fc.assert(
      fc.property(
        fc.nat({ max: 100_000_000 }),
        fc.constantFrom(...(Object.keys(units) as (keyof typeof units)[])),
        (n, unit) => {
          expect(parseDuration(`${n}${unit}`)).toBe(n * units[unit]);
        },
      ),
    );
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [500, '500ms'],
    [1_500, '1500ms'],
    [3_600_000, '1h'],
    [5_400_000, '90m'],
    [86_400_000, '1d'],
    [90_000_000, '25h'],
  ])('formats %d as %s', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });

  it('rejects negative and fractional values', () => {
    expect(() => formatDuration(-1)).toThrow(RangeError);
    expect(() => formatDuration(1.5)).toThrow(RangeError);
    expect(() => formatDuration(Number.NaN)).toThrow(RangeError);
  });

  it('round-trips through parseDuration', () => {
    // Whole multiples of each unit as well, because random safe integers almost never divide by 1000.
    const unitMs = fc.constantFrom(1, 1_000, 60_000, 3_600_000, 86_400_000);
    const wholeUnits = fc.tuple(fc.nat({ max: 100_000_000 }), unitMs).map(([n, unit]) => n * unit);
    fc.assert(
      fc.property(fc.oneof(fc.maxSafeNat(), wholeUnits), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });
});
