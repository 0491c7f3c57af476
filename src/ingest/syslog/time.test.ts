import { describe, expect, test } from 'vitest';

import { MAX_EPOCH_MS } from '../time.js';
import { fractionMs, parseArcSightTime, parseIsoTime, zoneOffsetMinutes } from './time.js';

const REFERENCE = Date.UTC(2024, 3, 22);

describe('parseArcSightTime', () => {
  test.each([
    ['1713700800000', Date.UTC(2024, 3, 21, 12)],
    ['1713700800000.6', Date.UTC(2024, 3, 21, 12, 0, 0, 1)],
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
