/**
 * Times as syslog senders write them: the RFC 3164 and RFC 5424 header timestamps, and the text forms that
 * ArcSight CEF defines for its timestamp fields, which LEEF's devTime uses too. Every parser returns epoch
 * milliseconds (UTC) or null, and accepts only times from 1970-01-01 to MAX_EPOCH_MS.
 *
 * NOTE: a time written without an offset or zone is read as UTC. Senders that write local time without a
 * zone are off by their zone's offset, as with QRadar's console exports.
 */
import { MAX_EPOCH_MS } from '../time.js';

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;

const MONTH_NAMES = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

/** English month names, full and three-letter, lower case, to their 0-based index. */
const MONTH_INDEX = new Map<string, number>();
for (const [index, name] of MONTH_NAMES.entries()) {
  MONTH_INDEX.set(name, index);
  MONTH_INDEX.set(name.slice(0, 3), index);
}

/** Returns the 0-based month of an English month name, full or three-letter, in any case. */
export function monthIndex(name: string): number | undefined {
  return MONTH_INDEX.get(name.toLowerCase());
}

/**
 * Returns epoch milliseconds for a date and time in UTC, or null when a field is out of range (a month
 * of 13, Feb 30, 24:00) or the result is outside 1970-01-01 to MAX_EPOCH_MS. `month` is 0-based.
 */
export function utcEpochMs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millisecond: number,
): number | null {
  if (month < 0 || month > 11 || day < 1 || day > 31) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const ms = Date.UTC(year, month, day, hour, minute, second, millisecond);
  // Date.UTC rolls Feb 30 over into March, so the day must survive.
  if (new Date(ms).getUTCDate() !== day) return null;
  // Date.UTC reads years 0 to 99 as 1900 to 1999, but such years are out of range anyway.
  if (year < 1970) return null;
  return inRange(ms);
}

/** Returns `ms` when it lies in the accepted range, else null. */
export function inRange(ms: number): number | null {
  return Number.isFinite(ms) && ms >= 1 && ms <= MAX_EPOCH_MS ? ms : null;
}

/** Returns the milliseconds in a fraction of a second written as digits: "5" is 500, "123456" is 123. */
export function fractionMs(digits: string | undefined): number {
  if (digits === undefined || digits === '') return 0;
  return Number(digits.length >= 3 ? digits.slice(0, 3) : digits.padEnd(3, '0'));
}

/**
 * Offsets east of UTC, in minutes, of zone abbreviations with one meaning in common use, and of the North
 * American EST, CST, MST and PST with their daylight forms (CST as China Standard Time is not read).
 * Abbreviations with several meanings, such as IST and BST, are left out, so text with them is rejected.
 */
const ZONE_ABBREVIATIONS = new Map<string, number>([
  ['Z', 0],
  ['UT', 0],
  ['UTC', 0],
  ['GMT', 0],
  ['WET', 0],
  ['WEST', 60],
  ['CET', 60],
  ['CEST', 120],
  ['MET', 60],
  ['MEST', 120],
  ['EET', 120],
  ['EEST', 180],
  ['MSK', 180],
  ['JST', 540],
  ['KST', 540],
  ['HKT', 480],
  ['AEST', 600],
  ['AEDT', 660],
  ['NZST', 720],
  ['NZDT', 780],
  ['EST', -300],
  ['EDT', -240],
  ['CST', -360],
  ['CDT', -300],
  ['MST', -420],
  ['MDT', -360],
  ['PST', -480],
  ['PDT', -420],
  ['AKST', -540],
  ['AKDT', -480],
  ['HST', -600],
]);

/** "+05:30", "+0530", "+05", optionally after GMT, UTC or UT: sign, hours, minutes. */
const OFFSET_REGEX = /^(?:GMT|UTC|UT)?([+-])(\d{1,2})(?::?(\d{2}))?$/i;

/**
 * Returns the offset east of UTC in minutes of zone text: Z, UTC or GMT, a numeric offset (+02:00, -0800,
 * +05, GMT+01:00), or an abbreviation from ZONE_ABBREVIATIONS. Returns null for anything else.
 */
export function zoneOffsetMinutes(text: string): number | null {
  const named = ZONE_ABBREVIATIONS.get(text.toUpperCase());
  if (named !== undefined) return named;
  const match = OFFSET_REGEX.exec(text);
  if (match === null) return null;
  const hours = Number(match[2]);
  const minutes = Number(match[3] ?? '0');
  if (hours > 23 || minutes > 59) return null;
  const offset = hours * 60 + minutes;
  return match[1] === '-' ? -offset : offset;
}

/** How far after the reference time a year-less timestamp may lie: clock skew and time zone differences. */
const YEARLESS_LEAD_MS = MS_PER_DAY;

/** Years searched back from the reference year, enough to reach a leap year for Feb 29. */
const YEARLESS_SEARCH_YEARS = 8;

/**
 * Returns epoch milliseconds for a timestamp written without a year, such as RFC 3164's "Apr 21 12:00:00".
 * The year is the latest one that puts the time no more than a day after `referenceMs`. Readers pass the
 * input file's last modification time, because a log line is written before its file last changes. So a
 * timestamp from late December read with a reference in early January lands in the year before.
 * `offsetMinutes` is the zone offset, east of UTC.
 */
export function resolveYearless(
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millisecond: number,
  offsetMinutes: number,
  referenceMs: number,
): number | null {
  const latest = referenceMs + YEARLESS_LEAD_MS;
  const referenceYear = new Date(referenceMs).getUTCFullYear();
  for (let year = referenceYear + 1; year >= referenceYear - YEARLESS_SEARCH_YEARS; year -= 1) {
    const local = utcEpochMs(year, month, day, hour, minute, second, millisecond);
    if (local === null) continue;
    const ms = local - offsetMinutes * MS_PER_MINUTE;
    if (ms <= latest) return inRange(ms);
  }
  return null;
}

/** An epoch time as digits with an optional fraction, in seconds or milliseconds (see parseEpochNumber). */
const EPOCH_NUMBER_REGEX = /^\d{1,15}(?:\.\d*)?$/;

/**
 * Epoch numbers below this are seconds, and numbers from it on are milliseconds. As seconds it is in the
 * year 5138 and as milliseconds on 1973-03-03, so a log time after 1973 and before 5138 is read in the
 * right unit whichever one the sender wrote. Ten-digit numbers (seconds since 2001-09-09) stay below it,
 * and thirteen-digit ones (milliseconds since 2001-09-09) are above it.
 */
export const EPOCH_SECONDS_LIMIT = 1e11;

/**
 * Returns epoch milliseconds for an epoch number written as digits with an optional fraction: seconds when
 * it is below EPOCH_SECONDS_LIMIT, milliseconds otherwise, rounded to a whole millisecond. Returns null
 * for other text and for times outside 1970-01-01 to MAX_EPOCH_MS.
 */
export function parseEpochNumber(text: string): number | null {
  if (!EPOCH_NUMBER_REGEX.test(text)) return null;
  const value = Number(text);
  return inRange(Math.round(value < EPOCH_SECONDS_LIMIT ? value * 1000 : value));
}

/**
 * CEF's text timestamps: "MMM dd[ yyyy] HH:mm:ss[.SSS][ zzz]". The day may be padded with a space, as
 * RFC 3164 writes it. Groups: month, day, year, hour, minute, second, fraction, zone.
 */
const CEF_TEXT_TIME_REGEX =
  /^([A-Za-z]{3}) {1,2}(\d{1,2})(?: (\d{4}))? (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?: (\S+))?$/;

/**
 * ISO 8601 date and time, with T or a space between them and an optional offset. Groups: year, month,
 * day, hour, minute, second, fraction, zone.
 */
const ISO_TIME_REGEX =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)? ?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Parses a timestamp in one of the forms that CEF defines for its timestamp fields (rt, start, end): epoch
 * milliseconds, or "MMM dd yyyy HH:mm:ss" with optional milliseconds, zone, and year. A year-less time
 * gets its year from `resolveYearless`. Two forms that senders write although CEF does not define them
 * are accepted too: epoch seconds, which parseEpochNumber distinguishes from milliseconds by size, and
 * ISO 8601 (2024-04-21T12:00:00Z). Returns null for any other text.
 */
export function parseArcSightTime(text: string, referenceMs: number): number | null {
  const first = text.charCodeAt(0);
  if (first >= 0x30 && first <= 0x39) {
    if (EPOCH_NUMBER_REGEX.test(text)) return parseEpochNumber(text);
    return parseIsoTime(text);
  }
  const match = CEF_TEXT_TIME_REGEX.exec(text);
  if (match === null) return null;
  const month = monthIndex(match[1] as string);
  if (month === undefined) return null;
  const offset = match[8] === undefined ? 0 : zoneOffsetMinutes(match[8]);
  if (offset === null) return null;
  const day = Number(match[2]);
  const hour = Number(match[4]);
  const minute = Number(match[5]);
  const second = Number(match[6]);
  const millisecond = fractionMs(match[7]);
  if (match[3] === undefined) {
    return resolveYearless(month, day, hour, minute, second, millisecond, offset, referenceMs);
  }
  const local = utcEpochMs(Number(match[3]), month, day, hour, minute, second, millisecond);
  return local === null ? null : inRange(local - offset * MS_PER_MINUTE);
}

/**
 * Parses an ISO 8601 date and time such as an RFC 5424 TIMESTAMP (2024-04-21T12:00:00.123+02:00). Text
 * without an offset is read as UTC. Returns null for any other text.
 */
export function parseIsoTime(text: string): number | null {
  const match = ISO_TIME_REGEX.exec(text);
  if (match === null) return null;
  const offset = match[8] === undefined ? 0 : zoneOffsetMinutes(match[8]);
  if (offset === null) return null;
  const local = utcEpochMs(
    Number(match[1]),
    Number(match[2]) - 1,
    Number(match[3]),
    Number(match[4]),
    Number(match[5]),
    Number(match[6] ?? '0'),
    fractionMs(match[7]),
  );
  return local === null ? null : inRange(local - offset * MS_PER_MINUTE);
}
