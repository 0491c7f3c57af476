/**
 * LEEF's devTimeFormat: a Java SimpleDateFormat pattern such as "MMM dd yyyy HH:mm:ss.SSS zzz" or
 * "yyyy-MM-dd'T'HH:mm:ssXXX", compiled once into a regular expression and a field reader.
 *
 * Pattern letters read: G (era, AD only), y and Y (year), M and L (month, numeric or English names), d,
 * D (day in year), E (English day name, not checked against the date), u (day number, ignored), a
 * (AM/PM), H, k, K, h, m, s, S, and the zones z, Z and X (see zoneOffsetMinutes). Y, Java's week year, is
 * read as the calendar year. Text in single quotes is literal, and '' is a quote. The week letters w, W
 * and F, and letters that Java rejects, make the pattern unsupported.
 *
 * Parsing follows SimpleDateFormat where it matters for logs. A number takes as many digits as it has,
 * unless another number follows without a separator ("yyyyMMdd"), where it takes exactly as many digits
 * as its pattern letters. A two-digit year "yy" lies within 80 years before and 20 years after the
 * reference time. Month and day names match in any case, full or three-letter. A space in the pattern
 * matches one or more spaces. These differ from Java on purpose:
 * - S is a fraction of a second (".5" is 500 ms), as in java.time, not a count of milliseconds.
 * - A pattern without a year takes the year from resolveYearless, where Java would give 1970.
 * - A pattern without a zone is read as UTC, where Java would use the JVM's zone.
 */
import {
  fractionMs,
  inRange,
  monthIndex,
  resolveYearless,
  utcEpochMs,
  zoneOffsetMinutes,
} from '../syslog/time.js';

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;

type Component =
  | 'era'
  | 'year'
  | 'month'
  | 'day'
  | 'dayOfYear'
  | 'weekday'
  | 'weekdayNumber'
  | 'ampm'
  | 'hour0to23'
  | 'hour1to24'
  | 'hour0to11'
  | 'hour1to12'
  | 'minute'
  | 'second'
  | 'fraction'
  | 'zone';

const LETTER_COMPONENTS: Readonly<Record<string, Component>> = {
  G: 'era',
  y: 'year',
  Y: 'year',
  M: 'month',
  L: 'month',
  d: 'day',
  D: 'dayOfYear',
  E: 'weekday',
  u: 'weekdayNumber',
  a: 'ampm',
  H: 'hour0to23',
  k: 'hour1to24',
  K: 'hour0to11',
  h: 'hour1to12',
  m: 'minute',
  s: 'second',
  S: 'fraction',
  z: 'zone',
  Z: 'zone',
  X: 'zone',
};

type Token = { literal: string } | { component: Component; count: number };

/** Parses a time with a compiled pattern: epoch milliseconds, or null when the text does not match. */
export type DateFormatParser = (text: string, referenceMs: number) => number | null;

function isNumeric(token: Token | undefined): boolean {
  if (token === undefined || 'literal' in token) return false;
  const { component, count } = token;
  if (component === 'month') return count < 3;
  return !['era', 'weekday', 'ampm', 'zone'].includes(component);
}

/** Splits a pattern into literals and fields, or returns null for an unsupported letter or open quote. */
function tokenize(pattern: string): Token[] | null {
  const tokens: Token[] = [];
  let literal = '';
  let index = 0;
  while (index < pattern.length) {
    const character = pattern[index] as string;
    if (character === "'") {
      if (pattern[index + 1] === "'") {
        literal += "'";
        index += 2;
        continue;
      }
      // Quoted text runs to the next lone quote, and '' inside it is a quote.
      index += 1;
      for (;;) {
        if (index >= pattern.length) return null;
        if (pattern[index] === "'") {
          if (pattern[index + 1] !== "'") break;
          index += 1;
        }
        literal += pattern[index] as string;
        index += 1;
      }
      index += 1;
    } else if (/[A-Za-z]/.test(character)) {
      const component = LETTER_COMPONENTS[character];
      if (component === undefined) return null;
      let count = 1;
      while (pattern[index + count] === character) count += 1;
      if (literal !== '') tokens.push({ literal });
      literal = '';
      tokens.push({ component, count });
      index += count;
    } else {
      literal += character;
      index += 1;
    }
  }
  if (literal !== '') tokens.push({ literal });
  return tokens;
}

const ZONE_SOURCE = '(Z|[A-Za-z]{1,5}(?:[+-]\\d{1,2}(?::?\\d{2})?)?|[+-]\\d{1,2}(?::?\\d{2})?)';

function literalSource(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ +/g, ' +');
}

function fieldSource(token: { component: Component; count: number }, abutting: boolean): string {
  switch (token.component) {
    case 'era':
      return '([A-Za-z]{2})';
    case 'weekday':
      return '([A-Za-z]{3,9})';
    case 'ampm':
      return '([AaPp][Mm])';
    case 'zone':
      return ZONE_SOURCE;
    case 'month':
      if (token.count >= 3) return '([A-Za-z]{3,9})';
      break;
    default:
      break;
  }
  return abutting ? `(\\d{${token.count}})` : `(\\d{1,${Math.max(token.count, 9)}})`;
}

/** Compiles a SimpleDateFormat pattern, or returns null when it is not supported (see the file header). */
export function compileDateFormat(pattern: string): DateFormatParser | null {
  const tokens = tokenize(pattern);
  if (tokens === null || tokens.length === 0) return null;
  const fields: Array<{ component: Component; count: number }> = [];
  let source = '^';
  for (const [index, token] of tokens.entries()) {
    if ('literal' in token) {
      source += literalSource(token.literal);
    } else {
      source += fieldSource(token, isNumeric(token) && isNumeric(tokens[index + 1]));
      fields.push(token);
    }
  }
  const regex = new RegExp(`${source}$`);
  return (text, referenceMs) => {
    const match = regex.exec(text);
    return match === null ? null : readFields(fields, match, referenceMs);
  };
}

/** Fields read from one time, before they are combined. */
interface TimeFields {
  year: number | null;
  twoDigitYear: boolean;
  month: number | null;
  day: number | null;
  dayOfYear: number | null;
  hour: number;
  hourOfHalfDay: number | null;
  pm: boolean;
  minute: number;
  second: number;
  millisecond: number;
  offsetMinutes: number;
}

/** Stores one matched field in `fields`, and returns false when its value is out of range. */
function readField(component: Component, count: number, text: string, fields: TimeFields): boolean {
  const number = Number(text);
  switch (component) {
    case 'era':
      return text.toUpperCase() === 'AD';
    case 'year':
      fields.year = number;
      fields.twoDigitYear = count <= 2 && text.length === 2;
      return true;
    case 'month': {
      const month = count >= 3 ? monthIndex(text) : number - 1;
      if (month === undefined || month < 0 || month > 11) return false;
      fields.month = month;
      return true;
    }
    case 'day':
      fields.day = number;
      return true;
    case 'dayOfYear':
      fields.dayOfYear = number;
      return number >= 1 && number <= 366;
    case 'weekday':
    case 'weekdayNumber':
      return true;
    case 'ampm':
      fields.pm = text.toUpperCase() === 'PM';
      return true;
    case 'hour0to23':
      fields.hour = number;
      return number <= 23;
    case 'hour1to24':
      fields.hour = number === 24 ? 0 : number;
      return number >= 1 && number <= 24;
    case 'hour0to11':
      fields.hourOfHalfDay = number;
      return number <= 11;
    case 'hour1to12':
      fields.hourOfHalfDay = number === 12 ? 0 : number;
      return number >= 1 && number <= 12;
    case 'minute':
      fields.minute = number;
      return number <= 59;
    case 'second':
      fields.second = number;
      return number <= 59;
    case 'fraction':
      fields.millisecond = fractionMs(text);
      return true;
    case 'zone': {
      const offset = zoneOffsetMinutes(text);
      if (offset === null) return false;
      fields.offsetMinutes = offset;
      return true;
    }
  }
}

function readFields(
  slots: ReadonlyArray<{ component: Component; count: number }>,
  match: RegExpExecArray,
  referenceMs: number,
): number | null {
  const fields: TimeFields = {
    year: null,
    twoDigitYear: false,
    month: null,
    day: null,
    dayOfYear: null,
    hour: 0,
    hourOfHalfDay: null,
    pm: false,
    minute: 0,
    second: 0,
    millisecond: 0,
    offsetMinutes: 0,
  };
  for (const [index, slot] of slots.entries()) {
    if (!readField(slot.component, slot.count, match[index + 1] as string, fields)) return null;
  }
  const hour = fields.hourOfHalfDay === null ? fields.hour : fields.hourOfHalfDay + (fields.pm ? 12 : 0);
  const { minute, second, millisecond, offsetMinutes } = fields;

  if (fields.year === null) {
    if (fields.dayOfYear !== null) return null;
    const month = fields.month ?? 0;
    const day = fields.day ?? 1;
    return resolveYearless(month, day, hour, minute, second, millisecond, offsetMinutes, referenceMs);
  }
  const year = fields.twoDigitYear ? twoDigitYear(fields.year, referenceMs) : fields.year;
  let local: number | null;
  if (fields.dayOfYear !== null && fields.month === null && fields.day === null) {
    const newYear = utcEpochMs(year, 0, 1, hour, minute, second, millisecond);
    local = newYear === null ? null : newYear + (fields.dayOfYear - 1) * MS_PER_DAY;
    if (local !== null && new Date(local).getUTCFullYear() !== year) return null;
  } else {
    local = utcEpochMs(year, fields.month ?? 0, fields.day ?? 1, hour, minute, second, millisecond);
  }
  return local === null ? null : inRange(local - offsetMinutes * MS_PER_MINUTE);
}

/** Places a two-digit year within 80 years before and 20 years after the reference, as SimpleDateFormat does. */
function twoDigitYear(digits: number, referenceMs: number): number {
  const earliest = new Date(referenceMs).getUTCFullYear() - 80;
  const year = earliest - (earliest % 100) + digits;
  return year < earliest ? year + 100 : year;
}

/** Compiled patterns by text. A file uses one or a few, so the cache is small and emptied when full. */
const compiled = new Map<string, DateFormatParser | null>();
const MAX_CACHED_PATTERNS = 64;

/** Returns the compiled parser for a pattern, compiled on first use, or null when it is unsupported. */
export function dateFormatParser(pattern: string): DateFormatParser | null {
  let parser = compiled.get(pattern);
  if (parser === undefined) {
    if (compiled.size >= MAX_CACHED_PATTERNS) compiled.clear();
    parser = compileDateFormat(pattern);
    compiled.set(pattern, parser);
  }
  return parser;
}
