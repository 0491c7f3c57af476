/**
 * Syslog headers as line-oriented log files carry them. Three forms are recognised:
 *
 * - RFC 3164: an optional `<PRI>`, "MMM dd HH:mm:ss" (the day padded with a space below 10; a year after
 *   the day is accepted too), a host name, and usually a tag such as "app[123]:".
 * - RFC 5424: `<PRI>1`, an RFC 3339 TIMESTAMP or "-", HOSTNAME, APP-NAME, PROCID, MSGID, and
 *   STRUCTURED-DATA that is "-" or one or more [elements], then the message.
 * - An RFC 3339 timestamp in place of the RFC 3164 one, optionally after `<PRI>`, as rsyslog's
 *   RSYSLOG_FileFormat writes it. The rest of the line is read as in RFC 3164.
 *
 * RFC 3164 times have no year and no zone: they are read as UTC, with the year from resolveYearless.
 */
import { monthIndex, parseIsoTime, resolveYearless, utcEpochMs } from './time.js';

export type SyslogFlavour = 'rfc3164' | 'rfc5424' | 'rfc3339';

/** One syslog line split into its header fields and message. */
export interface SyslogLine {
  flavour: SyslogFlavour;
  /** The PRI value (facility * 8 + severity), or null when the line has none. */
  priority: number | null;
  /** The header's timestamp in epoch milliseconds, or null for RFC 5424's "-" and dates such as Feb 30. */
  timeMs: number | null;
  /** HOSTNAME, or null when it is absent or "-". */
  host: string | null;
  /** The RFC 3164 tag or the RFC 5424 APP-NAME, or null when it is absent or "-". */
  program: string | null;
  /** The process id in the tag's brackets or PROCID, or null when it is absent or "-". */
  pid: string | null;
  /** The text after the header, after the STRUCTURED-DATA in RFC 5424 and without a byte order mark. */
  message: string;
}

/** `<PRI>`, with the value as its group. */
const PRI_REGEX = /^<(\d{1,3})>/;

/** RFC 3164 timestamp and the separator after it. Groups: month, day, year, hour, minute, second, fraction. */
const RFC3164_TIME_REGEX =
  /^([A-Za-z]{3}) {1,2}(\d{1,2})(?: (\d{4}))? (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?:?(?: |$)/;

/** RFC 5424 after the PRI. Groups: TIMESTAMP, HOSTNAME, APP-NAME, PROCID (MSGID is not kept). */
const RFC5424_REGEX = /^1 (\S+) (\S+) (\S+) (\S+) \S+ /;

/** RFC 3339 timestamp used in place of the RFC 3164 one, and the separator after it. Groups: timestamp. */
const RFC3339_TIME_REGEX = /^(\d{4}-\d{2}-\d{2}T\S+)(?: |$)/;

/** An RFC 3164 tag. Groups: the program, and the pid in brackets. */
const TAG_REGEX = /^([^\s:[\]]+)(?:\[([^\]\s]*)\])?:(?: |$)/;

/**
 * Splits a syslog line into header fields and message. Returns null when the line does not start with
 * one of the recognised headers. `referenceMs` supplies the year of an RFC 3164 timestamp, as
 * resolveYearless explains, so readers pass the file's modification time.
 */
export function parseSyslogLine(line: string, referenceMs: number): SyslogLine | null {
  const pri = PRI_REGEX.exec(line);
  const priority = pri === null ? null : Number(pri[1]);
  const rest = pri === null ? line : line.slice(pri[0].length);
  const first = rest.charCodeAt(0);
  if (first >= 0x30 && first <= 0x39) {
    if (priority !== null && rest.startsWith('1 ')) return parseRfc5424(rest, priority);
    return parseRfc3339(rest, priority);
  }
  return parseRfc3164(rest, priority, referenceMs);
}

function parseRfc3164(rest: string, priority: number | null, referenceMs: number): SyslogLine | null {
  const match = RFC3164_TIME_REGEX.exec(rest);
  if (match === null) return null;
  const monthText = match[1] as string;
  const month = monthIndex(monthText);
  if (month === undefined) return null;
  const day = Number(match[2]);
  const hour = Number(match[4]);
  const minute = Number(match[5]);
  const second = Number(match[6]);
  const millisecond = match[7] === undefined ? 0 : Number(match[7].padEnd(3, '0').slice(0, 3));
  const timeMs =
    match[3] === undefined
      ? resolveYearless(month, day, hour, minute, second, millisecond, 0, referenceMs)
      : utcEpochMs(Number(match[3]), month, day, hour, minute, second, millisecond);
  return { flavour: 'rfc3164', priority, timeMs, ...splitHostAndTag(rest.slice(match[0].length)) };
}

function parseRfc3339(rest: string, priority: number | null): SyslogLine | null {
  const match = RFC3339_TIME_REGEX.exec(rest);
  if (match === null) return null;
  const timeMs = parseIsoTime(match[1] as string);
  if (timeMs === null) return null;
  return { flavour: 'rfc3339', priority, timeMs, ...splitHostAndTag(rest.slice(match[0].length)) };
}

/** Reads "HOST TAG: message" after an RFC 3164 timestamp. A first word ending in ":" is a tag, not a host. */
function splitHostAndTag(text: string): Pick<SyslogLine, 'host' | 'program' | 'pid' | 'message'> {
  let host: string | null = null;
  let rest = text;
  const space = text.indexOf(' ');
  const firstWord = space < 0 ? text : text.slice(0, space);
  if (firstWord !== '' && !TAG_REGEX.test(firstWord)) {
    host = firstWord;
    rest = space < 0 ? '' : text.slice(space + 1);
  }
  const tag = TAG_REGEX.exec(rest);
  if (tag === null) return { host, program: null, pid: null, message: rest };
  return {
    host,
    program: tag[1] as string,
    pid: tag[2] === undefined || tag[2] === '' ? null : tag[2],
    message: rest.slice(tag[0].length),
  };
}

function parseRfc5424(rest: string, priority: number): SyslogLine | null {
  const match = RFC5424_REGEX.exec(rest);
  if (match === null) return null;
  const timestamp = match[1] as string;
  const messageStart = structuredDataEnd(rest, match[0].length);
  if (messageStart < 0) return null;
  let message = rest.slice(messageStart);
  if (message.charCodeAt(0) === 0xfeff) message = message.slice(1);
  return {
    flavour: 'rfc5424',
    priority,
    timeMs: timestamp === '-' ? null : parseIsoTime(timestamp),
    host: nilToNull(match[2] as string),
    program: nilToNull(match[3] as string),
    pid: nilToNull(match[4] as string),
    message,
  };
}

function nilToNull(value: string): string | null {
  return value === '-' ? null : value;
}

/**
 * Returns the index where the message starts after the STRUCTURED-DATA that begins at `start`, or -1 when
 * it is neither "-" nor a run of [elements]. Inside an element, "]" ends it unless it is in a quoted
 * PARAM-VALUE, where a backslash escapes the next character.
 */
function structuredDataEnd(text: string, start: number): number {
  let index = start;
  if (text.charCodeAt(index) === 0x2d) {
    index += 1;
  } else {
    if (text.charCodeAt(index) !== 0x5b) return -1;
    while (text.charCodeAt(index) === 0x5b) {
      index = elementEnd(text, index + 1);
      if (index < 0) return -1;
    }
  }
  if (index === text.length) return index;
  return text.charCodeAt(index) === 0x20 ? index + 1 : -1;
}

/** Returns the index just after the "]" that closes an SD-ELEMENT whose content starts at `start`, or -1. */
function elementEnd(text: string, start: number): number {
  let quoted = false;
  for (let index = start; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (quoted && code === 0x5c) {
      index += 1;
    } else if (code === 0x22) {
      quoted = !quoted;
    } else if (code === 0x5d && !quoted) {
      return index + 1;
    }
  }
  return -1;
}

/**
 * Returns the index where `marker` (such as "LEEF:" or "CEF:") starts an event in `line`, or -1. The marker
 * must start the line or follow a space, tab, colon, "]" or ">" (the end of a syslog header, a tag,
 * structured data or a PRI), or a byte order mark, which RFC 5424 allows before the message.
 */
export function findEventStart(line: string, marker: string): number {
  let index = line.indexOf(marker);
  while (index > 0) {
    const before = line.charCodeAt(index - 1);
    if (
      before === 0x20 ||
      before === 0x09 ||
      before === 0x3a ||
      before === 0x5d ||
      before === 0x3e ||
      before === 0xfeff
    ) {
      return index;
    }
    index = line.indexOf(marker, index + 1);
  }
  return index;
}

/**
 * Returns the syslog header's time for an event that starts at `eventStart` in `line`: epoch milliseconds,
 * null when the text before the event is not a syslog header or its time is "-" or not a real date.
 */
export function syslogTimeBefore(line: string, eventStart: number, referenceMs: number): number | null {
  if (eventStart === 0) return null;
  return parseSyslogLine(line.slice(0, eventStart), referenceMs)?.timeMs ?? null;
}

/**
 * Returns true when `line` is an event that starts with `marker`, at the start of the line or after a
 * syslog header. Used to recognise a file from its first line, where a marker inside other text (a JSON
 * payload field, say) must not count.
 */
export function isEventLine(line: string, marker: string): boolean {
  const trimmed = line.trimStart();
  const start = findEventStart(trimmed, marker);
  if (start <= 0) return start === 0;
  return parseSyslogLine(trimmed.slice(0, start), Date.now()) !== null;
}
