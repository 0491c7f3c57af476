import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import { MAX_EPOCH_MS } from '../time.js';
import {
  EPOCH_SECONDS_LIMIT,
  fractionMs,
  parseArcSightTime,
  parseEpochNumber,
  parseIsoTime,
  zoneOffsetMinutes,
} from './time.js';

const REFERENCE = Date.UTC(2024, 3, 22);

describe('parseArcSightTime', () => {
  test.each([
    ['1713700800000', Date.UTC(2024, 3, 21, 12)],
    ['1713700800000.6', Date.UTC(2024, 3, 21, 12, 0, 0, 1)],
    ['1713700800', Date.UTC(2024, 3, 21, 12)],
    ['1713700800.25', Date.UTC(2024, 3, 21, 12, 0, 0, 250)],
    ['1713700800.123456', Date.UTC(2024, 3, 21, 12, 0, 0, 123)],
    ['999999999', Date.UTC(2001, 8, 9, 1, 46, 39)],
    ['Apr 21 2024 12:00:00', Date.UTC(2024, 3, 21, 12)],
    ['Apr 21 2024 12:00:00.250', Date.UTC(2024, 3, 21, 12, 0, 0, 250)],
    ['Apr 21 2024 12:00:00 UTC', Date.UTC(2024, 3, 21, 12)],
    ['Apr 21 2024 12:00:00.250 CEST', Date.UTC(2024, 3, 21, 10, 0, 0, 250)],
    ['Apr 21 2024 12:00:00 GMT+02:00', Date.UTC(2024, 3, 21, 10)],
    ['Apr 21 2024 12:00:00 -0500', Date.UTC(2024, 3, 21, 17)],
    ['apr  1 2024 12:00:00', Date.UTC(2024, 3, 1, 12)],
    ['Apr 21 12:00:00', Date.UTC(2024, 3, 21, 12)],
    ['Apr 21 12:00:00.5 PST', Date.UTC(2024, 3, 21, 20, 0, 0, 500)],
    ['2024-04-21T12:00:00Z', Date.UTC(2024, 3, 21, 12)],
    ['2024-04-21T14:00:00.125+02:00', Date.UTC(2024, 3, 21, 12, 0, 0, 125)],
  ])('reads %s', (text, expected) => {
    expect(parseArcSightTime(text, REFERENCE)).toBe(expected);
  });

  test.each([
    [''],
    ['yesterday'],
    ['Foo 21 2024 12:00:00'],
    ['Feb 30 2024 12:00:00'],
    ['Apr 21 2024 24:00:00'],
    ['Apr 21 2024 12:00:00 IST'],
    ['0'],
    ['-1713700800000'],
    ['1e12'],
    [String(MAX_EPOCH_MS + 1)],
    ['1713700800000 UTC'],
  ])('rejects %j', (text) => {
    expect(parseArcSightTime(text, REFERENCE)).toBeNull();
  });
});

describe('parseEpochNumber', () => {
  test('reads ten digits as seconds and thirteen as milliseconds', () => {
    expect(parseEpochNumber('1713700800')).toBe(1_713_700_800_000);
    expect(parseEpochNumber('1713700800000')).toBe(1_713_700_800_000);
  });

  test('reads a fraction below the limit as seconds', () => {
    expect(parseEpochNumber('1713700800.5')).toBe(1_713_700_800_500);
    expect(parseEpochNumber('99999999999.999')).toBe(99_999_999_999_999);
  });

  test('reads the limit itself as milliseconds', () => {
    expect(parseEpochNumber(String(EPOCH_SECONDS_LIMIT))).toBe(EPOCH_SECONDS_LIMIT);
    expect(parseEpochNumber('100000000000.4')).toBe(EPOCH_SECONDS_LIMIT);
  });

  test.each([['0'], ['0.0004'], ['-1'], ['1e9'], ['12:00'], [String(MAX_EPOCH_MS + 1)], ['']])(
    'rejects %j',
    (text) => {
      expect(parseEpochNumber(text)).toBeNull();
    },
  );

  test('whole seconds below the limit are seconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: EPOCH_SECONDS_LIMIT - 1 }), (seconds) => {
        expect(parseEpochNumber(String(seconds))).toBe(seconds * 1000);
      }),
    );
  });

  test('seconds with milliseconds below the limit are seconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: EPOCH_SECONDS_LIMIT * 1000 - 1 }), (ms) => {
        const text = `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}`;
        expect(parseEpochNumber(text)).toBe(ms);
      }),
    );
  });

  test('numbers from the limit on are milliseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: EPOCH_SECONDS_LIMIT, max: MAX_EPOCH_MS }), (ms) => {
        expect(parseEpochNumber(String(ms))).toBe(ms);
      }),
    );
  });

  test('numbers around the limit switch unit at the limit', () => {
    const nearLimit = fc.integer({ min: EPOCH_SECONDS_LIMIT - 10_000, max: EPOCH_SECONDS_LIMIT + 10_000 });
    fc.assert(
      fc.property(nearLimit, (value) => {
        const expected = value < EPOCH_SECONDS_LIMIT ? value * 1000 : value;
        expect(parseEpochNumber(String(value))).toBe(expected);
      }),
    );
  });
});

describe('parseIsoTime', () => {
  test('reads a space separator and no offset as UTC', () => {
    expect(parseIsoTime('2024-04-21 12:00:00')).toBe(Date.UTC(2024, 3, 21, 12));
  });

  test('reads a comma before the fraction', () => {
    expect(parseIsoTime('2024-04-21T12:00:00,5Z')).toBe(Date.UTC(2024, 3, 21, 12, 0, 0, 500));
  });

  test('rejects a date before 1970', () => {
    expect(parseIsoTime('1969-12-31T23:59:59Z')).toBeNull();
  });
});

describe('zoneOffsetMinutes', () => {
  test.each([
    ['Z', 0],
    ['utc', 0],
    ['GMT', 0],
    ['+05:30', 330],
    ['-0800', -480],
    ['+02', 120],
    ['GMT-3', -180],
    ['UTC+01:00', 60],
    ['EDT', -240],
  ])('reads %s', (text, expected) => {
    expect(zoneOffsetMinutes(text)).toBe(expected);
  });

  test.each([['IST'], ['+24:00'], ['+05:60'], ['Europe/Berlin'], ['']])('rejects %j', (text) => {
    expect(zoneOffsetMinutes(text)).toBeNull();
  });
});

describe('fractionMs', () => {
  test('reads digits as a fraction of a second', () => {
    expect(fractionMs('5')).toBe(500);
    expect(fractionMs('05')).toBe(50);
    expect(fractionMs('123456789')).toBe(123);
    expect(fractionMs(undefined)).toBe(0);
  });
});
