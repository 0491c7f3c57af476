import { InvalidArgumentError } from 'commander';
import { describe, expect, test } from 'vitest';

import { parseFraction, parseInteger, parsePortList, parseTime, parseWindow } from './parse.js';

describe('parseTime', () => {
  test.each([
    ['1713700000000', 1_713_700_000_000],
    ['2024-04-21T12:00:00Z', Date.UTC(2024, 3, 21, 12)],
    ['2024-04-21T12:00:00', Date.UTC(2024, 3, 21, 12)],
    ['2024-04-21 12:00:00', Date.UTC(2024, 3, 21, 12)],
    ['2024-04-21T14:00:00+02:00', Date.UTC(2024, 3, 21, 12)],
    ['2024-04-21', Date.UTC(2024, 3, 21)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
  ])('%s', (text, expected) => {
    expect(parseTime(text)).toBe(expected);
  });

  test.each(['garbage', '-5', 'April 21', '2024-13-45T00:00:00Z', '2026-11-31T12:00:00Z', '2025-02-29'])(
    'rejects %s',
    (text) => {
      expect(() => parseTime(text)).toThrow(InvalidArgumentError);
    },
  );
});

describe('parseWindow', () => {
  test('all means no limit', () => {
    expect(parseWindow('all')).toBe(Number.POSITIVE_INFINITY);
  });

  test('durations in ms', () => {
    expect(parseWindow('24h')).toBe(86_400_000);
  });

  test.each(['0s', '0ms', 'soon', '-1h'])('rejects %s', (text) => {
    expect(() => parseWindow(text)).toThrow(InvalidArgumentError);
  });
});

describe('numeric flags', () => {
  test('integers have a floor', () => {
    expect(parseInteger('--top')('5')).toBe(5);
    expect(() => parseInteger('--top')('-1')).toThrow(/--top takes a whole number of at least 0/);
    expect(() => parseInteger('--min-connections', 3)('2')).toThrow(InvalidArgumentError);
  });

  test('fractions stay within 0 to 1', () => {
    expect(parseFraction('--min-score')('0.5')).toBe(0.5);
    expect(() => parseFraction('--min-score')('2')).toThrow(/from 0 to 1/);
  });

  test('port lists', () => {
    expect(parsePortList('80, 443,8080')).toEqual([80, 443, 8080]);
    expect(() => parsePortList('80,http')).toThrow(InvalidArgumentError);
    expect(() => parsePortList('70000')).toThrow(InvalidArgumentError);
  });
});
