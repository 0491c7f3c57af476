import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { DuckDbStore, sqlString } from '../store/duckdb.js';
import { MAX_EPOCH_MS, startTimeMsSql } from './time.js';

let store: DuckDbStore;

beforeAll(async () => {
  store = await DuckDbStore.open();
});

afterAll(async () => {
  await store.close();
});

/** Runs startTimeMsSql over every text in one query and returns the results in the same order. */
async function parseTimes(texts: readonly string[]): Promise<Array<number | null>> {
  const values = texts.map((text, index) => `(${index}, ${sqlString(text)})`).join(', ');
  const rows = await store.all<{ ms: number | null }>(
    `SELECT ${startTimeMsSql('t')} AS ms FROM (VALUES ${values}) AS input(i, t) ORDER BY i`,
  );
  return rows.map((row) => row.ms);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Formats a UTC time in the QRadar console's display form, "Apr 19, 2024, 1:05:30 PM". */
function consoleText(ms: number): string {
  const date = new Date(ms);
  const hours = date.getUTCHours();
  const clock = hours % 12 === 0 ? 12 : hours % 12;
  const minutes = String(date.getUTCMinutes()).padStart(2, '0');
  const seconds = String(date.getUTCSeconds()).padStart(2, '0');
  const month = MONTHS[date.getUTCMonth()];
  return `${month} ${date.getUTCDate()}, ${date.getUTCFullYear()}, ${clock}:${minutes}:${seconds} ${hours < 12 ? 'AM' : 'PM'}`;
}

/** ISO 8601 local time at `offsetMinutes` from UTC, with the offset written as +hh:mm. */
function offsetText(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 23);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const hours = String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, '0');
  const minutes = String(Math.abs(offsetMinutes) % 60).padStart(2, '0');
  return `${local}${sign}${hours}:${minutes}`;
}

describe('startTimeMsSql', () => {
  test('parses the accepted forms', async () => {
    const cases: Array<[string, number]> = [
      ['1713520800000', 1713520800000],
      ['1713520800000.6', 1713520800001],
      ['2024-04-19T10:00:00Z', 1713520800000],
      ['2024-04-19T10:00:00.250Z', 1713520800250],
      ['2024-04-19T12:00:00+02:00', 1713520800000],
      ['2024-04-19T15:30:00+0530', 1713520800000],
      ['2024-04-19T10:00:00', 1713520800000],
      ['2024-04-19 10:00:00.5', 1713520800500],
      ['2024-04-19', Date.UTC(2024, 3, 19)],
      ['Apr 19, 2024, 10:00:00 AM', 1713520800000],
      ['Apr 19, 2024 10:00:00 AM', 1713520800000],
      ['Apr 19, 2024, 10:00 AM', 1713520800000],
      ['Apr 19, 2024, 22:00:00', Date.UTC(2024, 3, 19, 22)],
      ['Apr 19, 2024, 12:00:00 AM', Date.UTC(2024, 3, 19, 0)],
      ['Apr 19, 2024, 12:30:00 PM', Date.UTC(2024, 3, 19, 12, 30)],
    ];
    const parsed = await parseTimes(cases.map(([text]) => text));
    cases.forEach(([text, expected], index) => {
      expect(parsed[index], text).toBe(expected);
    });
  });

  test('returns NULL for invalid times', async () => {
    const invalid = [
      '',
      'yesterday',
      '19/04/2024 10:00',
      '04/19/2024 10:00:00',
      'Apr 31, 2024, 10:00:00 AM',
      'Apr 19, 2024, 13:00:00 PM',
      '2024-13-01 00:00:00',
      '2024-02-30T00:00:00Z',
      '0',
      '-5',
      '1e12',
      '0x1F',
      '99999999999999999999',
      'true',
      '{"ms": 1713520800000}',
    ];
    const parsed = await parseTimes(invalid);
    invalid.forEach((text, index) => {
      expect(parsed[index], text).toBeNull();
    });
  });

  test('round-trips every accepted form', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: MAX_EPOCH_MS }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        async (ms, offsetMinutes) => {
          const wholeSeconds = ms - (ms % 1000);
          const iso = new Date(ms).toISOString();
          const texts = [String(ms), iso, iso.slice(0, -1), consoleText(ms), offsetText(ms, offsetMinutes)];
          const [epoch, zoned, local, display, offset] = await parseTimes(texts);
          expect(epoch).toBe(ms);
          expect(zoned).toBe(ms);
          expect(local).toBe(ms);
          // The display form has no milliseconds, so the first second of 1970 becomes 0, which is rejected.
          expect(display).toBe(wholeSeconds >= 1 ? wholeSeconds : null);
          // Offsets that push the local time past year 9999 or before 1970 fall outside the accepted range.
          const localMs = ms + offsetMinutes * 60_000;
          if (localMs > 0 && localMs <= MAX_EPOCH_MS) expect(offset).toBe(ms);
        },
      ),
      { numRuns: 200 },
    );
  });
});
