import { InvalidArgumentError } from 'commander';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import { parseRetention } from './parse.js';

describe('parseRetention', () => {
  test.each([
    ['14d', 14 * 86_400_000],
    ['36h', 36 * 3_600_000],
    ['90m', 90 * 60_000],
    ['2w', 14 * 86_400_000],
    ['1w', 7 * 86_400_000],
    ['3600s', 3_600_000],
    ['1ms', 1],
  ])('%s', (text, expected) => {
    expect(parseRetention(text)).toBe(expected);
  });

  test.each(['0d', '0w', '0ms', '2y', '-1d', '1.5d', '', '14 d', '2W', 'w'])('rejects "%s"', (text) => {
    expect(() => parseRetention(text)).toThrow(InvalidArgumentError);
  });

  test('rejects weeks beyond safe integers', () => {
    expect(() => parseRetention('99999999999999w')).toThrow(/exceeds 9007199254740991 ms/);
  });

  test('weeks equal seven times the days', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (weeks) => {
        expect(parseRetention(`${weeks}w`)).toBe(parseRetention(`${weeks * 7}d`));
      }),
    );
  });
});
