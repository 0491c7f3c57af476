import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import { findEventStart, isEventLine, parseSyslogLine, syslogTimeBefore } from './header.js';

const APRIL_22_2024 = Date.UTC(2024, 3, 22);

describe('parseSyslogLine RFC 3164', () => {
  test('reads PRI, time, host, tag and message', () => {
    const line = '<134>Apr 21 12:00:05 fw01.example.net edgewall[2201]: connection allowed';

    expect(parseSyslogLine(line, APRIL_22_2024)).toEqual({
      flavour: 'rfc3164',
      priority: 134,
      timeMs: Date.UTC(2024, 3, 21, 12, 0, 5),
      host: 'fw01.example.net',
      program: 'edgewall',
      pid: '2201',
      message: 'connection allowed',
    });
  });

  test('accepts a missing PRI and a space-padded day', () => {
    const parsed = parseSyslogLine('Apr  1 09:00:00 gw01 kernel: text', APRIL_22_2024);

    expect(parsed?.priority).toBeNull();
    expect(parsed?.timeMs).toBe(Date.UTC(2024, 3, 1, 9));
    expect(parsed?.program).toBe('kernel');
  });

  test('reads a year written after the day', () => {
    const parsed = parseSyslogLine('Dec 31 2019 23:59:59 host app: text', APRIL_22_2024);

    expect(parsed?.timeMs).toBe(Date.UTC(2019, 11, 31, 23, 59, 59));
  });

  test('keeps a message without a tag whole', () => {
    const parsed = parseSyslogLine('Apr 21 12:00:00 gw01 LEEF:1.0|a|b|c|d|', APRIL_22_2024);

    expect(parsed?.host).toBe('gw01');
    expect(parsed?.program).toBeNull();
    expect(parsed?.message).toBe('LEEF:1.0|a|b|c|d|');
  });

  test('reads a first word ending in a colon as the tag', () => {
    const parsed = parseSyslogLine('Apr 21 12:00:00 kernel: [ 12.5] IN=eth0', APRIL_22_2024);

    expect(parsed?.host).toBeNull();
    expect(parsed?.program).toBe('kernel');
    expect(parsed?.message).toBe('[ 12.5] IN=eth0');
  });

  test('gives Feb 30 no time but keeps the header', () => {
    const parsed = parseSyslogLine('Feb 30 12:00:00 host app: text', APRIL_22_2024);

    expect(parsed?.flavour).toBe('rfc3164');
    expect(parsed?.timeMs).toBeNull();
  });

  test('rejects text that is not a header', () => {
    expect(parseSyslogLine('Foo 21 12:00:00 host app: text', APRIL_22_2024)).toBeNull();
    expect(parseSyslogLine('{"ts": 1}', APRIL_22_2024)).toBeNull();
    expect(parseSyslogLine('', APRIL_22_2024)).toBeNull();
  });
});

describe('RFC 3164 year', () => {
  test('is the reference year for earlier dates', () => {
    const parsed = parseSyslogLine('Jan  5 10:00:00 host app: x', Date.UTC(2024, 5, 1));

    expect(parsed?.timeMs).toBe(Date.UTC(2024, 0, 5, 10));
  });

  test('is the year before for dates after the reference', () => {
    const parsed = parseSyslogLine('Dec 30 10:00:00 host app: x', Date.UTC(2024, 0, 2));

    expect(parsed?.timeMs).toBe(Date.UTC(2023, 11, 30, 10));
  });

  test('allows one day after the reference', () => {
    const parsed = parseSyslogLine('Jan  1 00:30:00 host app: x', Date.UTC(2023, 11, 31, 23));

    expect(parsed?.timeMs).toBe(Date.UTC(2024, 0, 1, 0, 30));
  });

  test('finds the last leap year for Feb 29', () => {
    const parsed = parseSyslogLine('Feb 29 08:00:00 host app: x', Date.UTC(2023, 5, 1));

    expect(parsed?.timeMs).toBe(Date.UTC(2020, 1, 29, 8));
  });
});

describe('parseSyslogLine RFC 5424', () => {
  test('reads every header field and the message after "-"', () => {
    const line = '<165>1 2024-04-21T12:00:00.123+02:00 host.example.net app 1234 ID47 - the message';

    expect(parseSyslogLine(line, APRIL_22_2024)).toEqual({
      flavour: 'rfc5424',
      priority: 165,
      timeMs: Date.UTC(2024, 3, 21, 10, 0, 0, 123),
      host: 'host.example.net',
      program: 'app',
      pid: '1234',
      message: 'the message',
    });
  });

  test('skips structured data with an escaped bracket', () => {
    const line = '<13>1 2024-04-21T12:00:00Z h a - - [x@1 note="a \\] b"][y@1 k="v"] CEF:0|rest';

    expect(parseSyslogLine(line, APRIL_22_2024)?.message).toBe('CEF:0|rest');
  });

  test('maps "-" fields and time to null', () => {
    const parsed = parseSyslogLine('<13>1 - - - - - -', APRIL_22_2024);

    expect(parsed).toMatchObject({ timeMs: null, host: null, program: null, pid: null, message: '' });
  });

  test('drops a byte order mark before the message', () => {
    const parsed = parseSyslogLine('<13>1 2024-04-21T12:00:00Z h a - - - \uFEFFLEEF:2.0|x', APRIL_22_2024);

    expect(parsed?.message).toBe('LEEF:2.0|x');
  });

  test('rejects structured data that is not "-" or [', () => {
    expect(parseSyslogLine('<13>1 2024-04-21T12:00:00Z h a - - x message', APRIL_22_2024)).toBeNull();
    expect(parseSyslogLine('<13>1 2024-04-21T12:00:00Z h a - - [open', APRIL_22_2024)).toBeNull();
  });
});

describe('parseSyslogLine RFC 3339 stamp', () => {
  test('reads rsyslog file lines', () => {
    const parsed = parseSyslogLine('2024-04-21T12:06:00.250+00:00 gw01 securegw: text', APRIL_22_2024);

    expect(parsed).toMatchObject({
      flavour: 'rfc3339',
      timeMs: Date.UTC(2024, 3, 21, 12, 6, 0, 250),
      host: 'gw01',
      program: 'securegw',
      message: 'text',
    });
  });

  test('rejects an impossible date', () => {
    expect(parseSyslogLine('2024-02-30T12:00:00Z gw01 app: text', APRIL_22_2024)).toBeNull();
  });
});

describe('findEventStart', () => {
  test('finds a marker after a header, tag, bracket or PRI', () => {
    expect(findEventStart('CEF:0|a', 'CEF:')).toBe(0);
    expect(findEventStart('Apr 21 12:00:00 h CEF:0|a', 'CEF:')).toBe(18);
    expect(findEventStart('h app:CEF:0|a', 'CEF:')).toBe(6);
    expect(findEventStart('[sd x="1"]CEF:0|a', 'CEF:')).toBe(10);
    expect(findEventStart('<13>CEF:0|a', 'CEF:')).toBe(4);
  });

  test('skips a marker inside a word', () => {
    expect(findEventStart('xCEF:0 then CEF:1|a', 'CEF:')).toBe(12);
    expect(findEventStart('NOTCEF:0', 'CEF:')).toBe(-1);
  });
});

describe('syslogTimeBefore', () => {
  test('reads the header before the event', () => {
    const line = '<13>Apr 21 12:00:00 gw01 LEEF:1.0|a|b|c|d|';

    expect(syslogTimeBefore(line, line.indexOf('LEEF:'), APRIL_22_2024)).toBe(Date.UTC(2024, 3, 21, 12));
  });

  test('returns null without a header', () => {
    expect(syslogTimeBefore('LEEF:1.0|a|b|c|d|', 0, APRIL_22_2024)).toBeNull();
    expect(syslogTimeBefore('junk LEEF:1.0|a|b|c|d|', 5, APRIL_22_2024)).toBeNull();
  });
});

describe('isEventLine', () => {
  test('accepts bare and syslog-framed events', () => {
    expect(isEventLine('CEF:0|a|b|c|d|e|f|', 'CEF:')).toBe(true);
    expect(isEventLine('  <134>Apr 21 12:00:00 fw01 CEF:0|a', 'CEF:')).toBe(true);
    expect(isEventLine('<134>1 2024-04-21T12:00:00Z fw01 app - - - CEF:0|a', 'CEF:')).toBe(true);
  });

  test('rejects markers inside other text', () => {
    expect(isEventLine('{"payload": "CEF:0|a|b"}', 'CEF:')).toBe(false);
    expect(isEventLine('2024-04-21 12:00:00,123 INFO CEF:0|a', 'CEF:')).toBe(false);
    expect(isEventLine('Apr 21 12:00:00 fw01 message', 'CEF:')).toBe(false);
  });
});

describe('syslog header properties', () => {
  test('random text never throws', () => {
    const text = fc.string({ unit: 'binary', maxLength: 200 });
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: 4e12 }), (line, reference) => {
        parseSyslogLine(line, reference);
        isEventLine(line, 'CEF:');
        findEventStart(line, 'LEEF:');
      }),
    );
  });

  test('times are in range or null', () => {
    const month = fc.constantFrom('Jan', 'Feb', 'Mar', 'Apr', 'Jun', 'Sep', 'Dec');
    const twoDigits = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
    fc.assert(
      fc.property(
        month,
        fc.integer({ min: 1, max: 31 }),
        twoDigits(23),
        twoDigits(59),
        (m, day, hour, minute) => {
          const line = `${m} ${String(day).padStart(2, ' ')} ${hour}:${minute}:00 host app: x`;
          const time = parseSyslogLine(line, APRIL_22_2024)?.timeMs ?? null;

          expect(time === null || (time > 0 && time <= APRIL_22_2024 + 86_400_000)).toBe(true);
        },
      ),
    );
  });
});
