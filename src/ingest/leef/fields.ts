/**
 * Maps one LEEF line onto an event. The keys are IBM's predefined LEEF attributes src, dst, srcPort,
 * dstPort, proto, usrName, srcBytes, dstBytes, devTime and devTimeFormat. The server name and URL come
 * from dhost and url, and a user from suser when there is no usrName, as Trend Micro's Deep Discovery
 * products write them in LEEF. The user agent comes from userAgent.
 */
import {
  connectionEvent,
  connectionRejects,
  emptyConnectionValues,
  presentValue,
  type ConnectionValues,
} from '../keyvalue/connection.js';
import type { PairVisitor } from '../keyvalue/pairs.js';
import { findEventStart, syslogTimeBefore } from '../syslog/header.js';
import { parseArcSightTime } from '../syslog/time.js';
import type { ParsedLine } from '../text-stream.js';
import { dateFormatParser } from './date-format.js';
import { LEEF_MARKER, parseLeefHeader, scanLeefAttributes } from './parse.js';

export const LEEF_FORMAT_ID = 'leef';

export const LEEF_REJECT = {
  ...connectionRejects({
    source: 'src',
    destination: 'dst',
    sourcePort: 'srcPort',
    destinationPort: 'dstPort',
    sourceBytes: 'srcBytes',
    destinationBytes: 'dstBytes',
  }),
  missingHeader: 'not a LEEF event (no LEEF: header)',
  noAttributes: 'invalid LEEF attributes: no key=value pair read',
  invalidDevTime: 'invalid devTime',
  unsupportedDevTimeFormat: 'unsupported devTimeFormat',
  missingTime: 'missing time: no devTime and no syslog timestamp',
} as const;

/** Collects the attribute values that the event table uses. */
class LeefValues implements PairVisitor {
  readonly connection: ConnectionValues = emptyConnectionValues();
  sourceUser: string | null = null;
  devTime: string | null = null;
  devTimeFormat: string | null = null;
  /** Attributes read, of any key. */
  pairs = 0;

  pair(key: string, rawValue: string): void {
    this.pairs += 1;
    switch (key) {
      case 'src':
        this.connection.source = presentValue(rawValue);
        break;
      case 'dst':
        this.connection.destination = presentValue(rawValue);
        break;
      case 'srcPort':
        this.connection.sourcePort = presentValue(rawValue);
        break;
      case 'dstPort':
        this.connection.destinationPort = presentValue(rawValue);
        break;
      case 'proto':
        this.connection.protocol = presentValue(rawValue);
        break;
      case 'usrName':
        this.connection.user = presentValue(rawValue);
        break;
      case 'suser':
        this.sourceUser = presentValue(rawValue);
        break;
      case 'srcBytes':
        this.connection.sourceBytes = presentValue(rawValue);
        break;
      case 'dstBytes':
        this.connection.destinationBytes = presentValue(rawValue);
        break;
      case 'dhost':
        this.connection.host = presentValue(rawValue);
        break;
      case 'url':
        this.connection.url = presentValue(rawValue);
        break;
      case 'userAgent':
        this.connection.userAgent = presentValue(rawValue);
        break;
      case 'devTime':
        this.devTime = presentValue(rawValue);
        break;
      case 'devTimeFormat':
        this.devTimeFormat = presentValue(rawValue);
        break;
    }
  }
}

/** Returns "leef:Vendor/Product", or "leef" alone when the header names neither. */
export function leefLogSource(vendor: string, product: string): string {
  if (vendor === '' && product === '') return LEEF_FORMAT_ID;
  return `${LEEF_FORMAT_ID}:${vendor}/${product}`;
}

/**
 * Returns devTime in epoch milliseconds, null when the event has none, or the reject reason. Without
 * devTimeFormat, devTime is read in CEF's forms (parseArcSightTime): epoch milliseconds or seconds, or
 * "MMM dd yyyy HH:mm:ss" with optional milliseconds and zone.
 */
function devTimeMs(values: LeefValues, referenceMs: number): number | null | string {
  if (values.devTime === null) return null;
  if (values.devTimeFormat === null) {
    return parseArcSightTime(values.devTime, referenceMs) ?? LEEF_REJECT.invalidDevTime;
  }
  const parser = dateFormatParser(values.devTimeFormat);
  if (parser === null) return LEEF_REJECT.unsupportedDevTimeFormat;
  return parser(values.devTime, referenceMs) ?? LEEF_REJECT.invalidDevTime;
}

/**
 * Returns a parser for the lines of one LEEF file. `referenceMs` (the file's modification time) gives
 * year-less times their year. Lines without addresses are passed over as valid events that are not
 * connections.
 */
export function leefLineParser(
  sourcefile: string,
  referenceMs: number,
): (line: string, lineNumber: number) => ParsedLine {
  return (line, lineNumber) => {
    const start = findEventStart(line, LEEF_MARKER);
    if (start < 0) return { reject: LEEF_REJECT.missingHeader };
    const header = parseLeefHeader(line, start);
    if ('reject' in header) return header;

    const values = new LeefValues();
    scanLeefAttributes(line, header.attributesStart, header.delimiter, values);
    // Attribute text with no pair in it is damage or another format, not an event without addresses.
    if (values.pairs === 0 && line.slice(header.attributesStart).trim() !== '') {
      return { reject: LEEF_REJECT.noAttributes };
    }
    values.connection.user ??= values.sourceUser;

    const logsource = leefLogSource(header.vendor, header.product);
    const event = connectionEvent(values.connection, LEEF_REJECT, logsource, sourcefile, lineNumber);
    if (event === null || 'reject' in event) return event;

    const devTime = devTimeMs(values, referenceMs);
    if (typeof devTime === 'string') return { reject: devTime };
    const starttime = devTime ?? syslogTimeBefore(line, start, referenceMs);
    if (starttime === null) return { reject: LEEF_REJECT.missingTime };
    event.starttime = starttime;
    return event;
  };
}
