import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import { compileDateFormat, dateFormatParser } from './date-format.js';

const REFERENCE = Date.UTC(2024, 3, 22);

function parseWith(pattern: string, text: string, reference = REFERENCE): number | null {
  const parser = compileDateFormat(pattern);
  if (parser === null) throw new Error(`pattern ${pattern} is unsupported`);
  return parser(text, reference);
}

describe('devTimeFormat patterns', () => {
  test.each([
    ['MMM dd yyyy HH:mm:ss', 'Apr 21 2024 12:00:00', Date.UTC(2024, 3, 21, 12)],
    ['MMM dd yyyy HH:mm:ss.SSS zzz', 'Apr 21 2024 12:00:00.250 GMT', Date.UTC(2024, 3, 21, 12, 0, 0, 250)],
    ['MMM dd yyyy HH:mm:ss z', 'Jan 28 2015 02:00:36 GMT+00:00', Date.UTC(2015, 0, 28, 2, 0, 36)],
    ["yyyy-MM-dd'T'HH:mm:ss.SSSXXX", '2024-04-21T14:00:00.500+02:00', Date.UTC(2024, 3, 21, 12, 0, 0, 500)],
    ["yyyy-MM-dd'T'HH:mm:ssX", '2024-04-21T12:00:00Z', Date.UTC(2024, 3, 21, 12)],
    ["yyyy-MM-dd'T'HH:mm:ss'Z'", '2024-04-21T12:00:00Z', Date.UTC(2024, 3, 21, 12)],
    ['dd/MMM/yyyy:HH:mm:ss Z', '21/Apr/2024:12:00:00 -0700', Date.UTC(2024, 3, 21, 19)],
    ['yyyyMMddHHmmss', '20240421120005', Date.UTC(2024, 3, 21, 12, 0, 5)],
    ['yyMMdd HHmm', '240421 1200', Date.UTC(2024, 3, 21, 12)],
    ['MM/dd/yy hh:mm:ss a', '04/21/24 01:30:00 PM', Date.UTC(2024, 3, 21, 13, 30)],
    ['MM/dd/yy hh:mm a', '04/21/24 12:05 AM', Date.UTC(2024, 3, 21, 0, 5)],
    ['M/d/yyyy K:mm a', '4/1/2024 0:15 pm', Date.UTC(2024, 3, 1, 12, 15)],
    ['EEE, d MMM yyyy HH:mm:ss Z', 'Sun, 21 Apr 2024 12:00:00 +0000', Date.UTC(2024, 3, 21, 12)],
    ['EEEE MMMM d yyyy kk:mm', 'sunday april 21 2024 24:10', Date.UTC(2024, 3, 21, 0, 10)],
    ['yyyy-DDD HH:mm', '2024-112 12:00', Date.UTC(2024, 3, 21, 12)],
    ["yyyy.MM.dd G 'at' HH:mm:ss", '2024.04.21 AD at 12:00:00', Date.UTC(2024, 3, 21, 12)],
    ["hh 'o''clock' a, MMM d yyyy", "01 o'clock PM, Apr 21 2024", Date.UTC(2024, 3, 21, 13)],
    ['MMM dd HH:mm:ss', 'Apr 21 12:00:00', Date.UTC(2024, 3, 21, 12)],
    ['MMM dd HH:mm:ss', 'Dec 31 23:00:00', Date.UTC(2023, 11, 31, 23)],
    ['yyyy-MM-dd HH:mm:ss.SSSSSS', '2024-04-21 12:00:00.123456', Date.UTC(2024, 3, 21, 12, 0, 0, 123)],
    ['yyyy-MM-dd HH:mm:ss.S', '2024-04-21 12:00:00.5', Date.UTC(2024, 3, 21, 12, 0, 0, 500)],
  ])('%s reads %j', (pattern, text, expected) => {
    expect(parseWith(pattern, text)).toBe(expected);
  });

  test('places two-digit years near the reference', () => {
    expect(parseWith('yy-MM-dd', '30-01-01')).toBe(Date.UTC(2030, 0, 1));
    expect(parseWith('yy-MM-dd', '75-01-01')).toBe(Date.UTC(1975, 0, 1));
  });

  test.each([
    ['yyyy-MM-dd', '2024-02-30'],
    ['yyyy-MM-dd', '2024-13-01'],
    ['yyyy-MM-dd HH:mm', '2024-04-21 24:00'],
    ['yyyy-MM-dd', '21.04.2024'],
    ['yyyy-MM-dd', '2024-04-21 trailing'],
    ['hh:mm a yyyy-MM-dd', '13:00 PM 2024-04-21'],
    ['MMM dd yyyy', 'Foo 21 2024'],
    ['yyyy-MM-dd z', '2024-04-21 IST'],
    ['yyyy G', '2024 BC'],
    ['yyyy-DDD', '2023-366'],
  ])('%s rejects %j', (pattern, text) => {
    expect(parseWith(pattern, text)).toBeNull();
  });

  test.each([['yyyy-ww'], ['yyyy-MM-dd W'], ['F'], ['yyyy-MM-ddTHH:mm:ss'], ["yyyy 'open"], ['']])(
    'rejects pattern %j',
    (pattern) => {
      expect(compileDateFormat(pattern)).toBeNull();
    },
  );

  test('caches compiled patterns', () => {
    expect(dateFormatParser('yyyy-MM-dd')).toBe(dateFormatParser('yyyy-MM-dd'));
    expect(dateFormatParser('yyyy-ww')).toBeNull();
  });

  test('random patterns and times never throw', () => {
    const letters = fc.constantFrom(...'GyYMLdDEuaHkKhmsSzZXw'.split(''), "'", '-', ' ', ':', '.', 'T');
    fc.assert(
      fc.property(
        fc.string({ unit: letters, maxLength: 16 }),
        fc.string({ maxLength: 24 }),
        (pattern, text) => {
          const parser = compileDateFormat(pattern);
          const result = parser?.(text, REFERENCE) ?? null;
          expect(result === null || (Number.isInteger(result) && result > 0)).toBe(true);
        },
      ),
    );
  });
});
