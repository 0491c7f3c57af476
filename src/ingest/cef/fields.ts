/**
 * Maps one CEF line onto an event. The keys are those of the CEF standard: src, dst, spt, dpt, proto,
 * suser (else duser), dhost, request, requestClientApplication, the times start, rt and end, and in and
 * out. In and out are read as the bytes sent by the source and by the destination, as Elastic's
 * decode_cef maps bytesIn and bytesOut. Without src or dst, the address comes from c6a2 or c6a3
 * (deviceCustomIPv6Address2 and 3), whose labels the standard sets to "Source IPv6 Address" and
 * "Destination IPv6 Address".
 */
import type { ParsedLine } from '../text-stream.js';
import {
  connectionEvent,
  connectionRejects,
  emptyConnectionValues,
  presentValue,
  type ConnectionRejects,
  type ConnectionValues,
} from '../keyvalue/connection.js';
import type { PairVisitor } from '../keyvalue/pairs.js';
import { findEventStart, syslogTimeBefore } from '../syslog/header.js';
import { parseArcSightTime } from '../syslog/time.js';
import { CEF_MARKER, parseCefHeader, scanCefExtension, unescapeCefValue } from './parse.js';

export const CEF_FORMAT_ID = 'cef';

export const CEF_REJECT = {
  ...connectionRejects({
    source: 'src',
    destination: 'dst',
    sourcePort: 'spt',
    destinationPort: 'dpt',
    sourceBytes: 'in',
    destinationBytes: 'out',
  }),
  missingHeader: 'not a CEF event (no CEF: header)',
  invalidStart: 'invalid start',
  invalidReceiptTime: 'invalid rt',
  invalidEnd: 'invalid end',
  missingTime: 'missing time: no start, rt or end, and no syslog timestamp',
} as const;

/** Reject reasons for events whose addresses come from c6a2 or c6a3, named by the keys that gave them. */
const IPV6_FIELD_REJECTS = {
  source: { ...CEF_REJECT, invalidSource: 'invalid c6a2' },
  destination: { ...CEF_REJECT, invalidDestination: 'invalid c6a3' },
  both: { ...CEF_REJECT, invalidSource: 'invalid c6a2', invalidDestination: 'invalid c6a3' },
} as const;

/** The labels that the CEF standard gives c6a2 and c6a3, lower-cased. */
const SOURCE_IPV6_LABEL = 'source ipv6 address';
const DESTINATION_IPV6_LABEL = 'destination ipv6 address';

/**
 * Collects the extension values that the event table uses.
 * NOTE: cnt (baseEventCount) is not read, so an event that a sender aggregated from repeats counts once.
 */
class CefValues implements PairVisitor {
  readonly connection: ConnectionValues = emptyConnectionValues();
  destinationUser: string | null = null;
  start: string | null = null;
  receiptTime: string | null = null;
  end: string | null = null;
  /** c6a2 and c6a3 with their labels (c6a2Label, c6a3Label). */
  sourceIpv6: string | null = null;
  sourceIpv6Label: string | null = null;
  destinationIpv6: string | null = null;
  destinationIpv6Label: string | null = null;

  pair(key: string, rawValue: string): void {
    switch (key) {
      case 'src':
        this.connection.source = value(rawValue);
        break;
      case 'dst':
        this.connection.destination = value(rawValue);
        break;
      case 'spt':
        this.connection.sourcePort = value(rawValue);
        break;
      case 'dpt':
        this.connection.destinationPort = value(rawValue);
        break;
      case 'proto':
        this.connection.protocol = value(rawValue);
        break;
      case 'suser':
        this.connection.user = value(rawValue);
        break;
      case 'duser':
        this.destinationUser = value(rawValue);
        break;
      case 'in':
        this.connection.sourceBytes = value(rawValue);
        break;
      case 'out':
        this.connection.destinationBytes = value(rawValue);
        break;
      case 'dhost':
        this.connection.host = value(rawValue);
        break;
      case 'request':
        this.connection.url = value(rawValue);
        break;
      case 'requestClientApplication':
        this.connection.userAgent = value(rawValue);
        break;
      case 'start':
        this.start = value(rawValue);
        break;
      case 'rt':
        this.receiptTime = value(rawValue);
        break;
      case 'end':
        this.end = value(rawValue);
        break;
      case 'c6a2':
        this.sourceIpv6 = value(rawValue);
        break;
      case 'c6a2Label':
        this.sourceIpv6Label = value(rawValue);
        break;
      case 'c6a3':
        this.destinationIpv6 = value(rawValue);
        break;
      case 'c6a3Label':
        this.destinationIpv6Label = value(rawValue);
        break;
    }
  }
}

/** Returns true when a custom field's label is absent or is `expected`, in any case and spacing. */
function hasStandardLabel(label: string | null, expected: string): boolean {
  return label === null || label.toLowerCase().replace(/\s+/g, ' ') === expected;
}

/**
 * Fills a missing src or dst from c6a2 or c6a3 when their labels are the standard's or absent, since a
 * sender may use these custom fields for other addresses under labels of its own. Returns the reject
 * reasons that name the keys the addresses came from.
 */
function fillIpv6Addresses(values: CefValues): ConnectionRejects {
  const connection = values.connection;
  let fromSource = false;
  let fromDestination = false;
  if (
    connection.source === null &&
    values.sourceIpv6 !== null &&
    hasStandardLabel(values.sourceIpv6Label, SOURCE_IPV6_LABEL)
  ) {
    connection.source = values.sourceIpv6;
    fromSource = true;
  }
  if (
    connection.destination === null &&
    values.destinationIpv6 !== null &&
    hasStandardLabel(values.destinationIpv6Label, DESTINATION_IPV6_LABEL)
  ) {
    connection.destination = values.destinationIpv6;
    fromDestination = true;
  }
  if (fromSource && fromDestination) return IPV6_FIELD_REJECTS.both;
  if (fromSource) return IPV6_FIELD_REJECTS.source;
  if (fromDestination) return IPV6_FIELD_REJECTS.destination;
  return CEF_REJECT;
}

function value(rawValue: string): string | null {
  return presentValue(unescapeCefValue(rawValue));
}

/**
 * Returns a parser for the lines of one CEF file. `referenceMs` (the file's modification time) gives
 * year-less times their year. Lines without addresses are passed over as valid events that are not
 * connections.
 */
export function cefLineParser(
  sourcefile: string,
  referenceMs: number,
): (line: string, lineNumber: number) => ParsedLine {
  return (line, lineNumber) => {
    const start = findEventStart(line, CEF_MARKER);
    if (start < 0) return { reject: CEF_REJECT.missingHeader };
    const header = parseCefHeader(line, start);
    if ('reject' in header) return header;

    const values = new CefValues();
    const extensionReject = scanCefExtension(line, header.extensionStart, values);
    if (extensionReject !== null) return { reject: extensionReject };
    values.connection.user ??= values.destinationUser;
    const rejects = fillIpv6Addresses(values);

    const logsource = cefLogSource(header.deviceVendor, header.deviceProduct);
    const event = connectionEvent(values.connection, rejects, logsource, sourcefile, lineNumber);
    if (event === null || 'reject' in event) return event;

    const times = eventTimes(values, referenceMs);
    if (typeof times === 'string') return { reject: times };
    const starttime = times.start ?? syslogTimeBefore(line, start, referenceMs);
    if (starttime === null) return { reject: CEF_REJECT.missingTime };
    event.starttime = starttime;
    if (times.duration !== null) event.duration = times.duration;
    return event;
  };
}

/** Returns "cef:Vendor/Product", or "cef" alone when the header names neither. */
export function cefLogSource(vendor: string, product: string): string {
  if (vendor === '' && product === '') return CEF_FORMAT_ID;
  return `${CEF_FORMAT_ID}:${vendor}/${product}`;
}

/**
 * Returns the event's start time, from start, else rt, else end, and its duration in seconds when it has
 * both start and end. Returns the reject reason when a time that is present cannot be read.
 * NOTE: dtz (deviceTimeZone) is not applied, so a time written without a zone is read as UTC even when
 * dtz names another zone.
 */
function eventTimes(
  values: CefValues,
  referenceMs: number,
): { start: number | null; duration: number | null } | string {
  if (values.start !== null) {
    const start = parseArcSightTime(values.start, referenceMs);
    if (start === null) return CEF_REJECT.invalidStart;
    if (values.end === null) return { start, duration: null };
    const end = parseArcSightTime(values.end, referenceMs);
    if (end === null) return CEF_REJECT.invalidEnd;
    return { start, duration: end >= start ? (end - start) / 1000 : null };
  }
  if (values.receiptTime !== null) {
    const receiptTime = parseArcSightTime(values.receiptTime, referenceMs);
    return receiptTime === null ? CEF_REJECT.invalidReceiptTime : { start: receiptTime, duration: null };
  }
  if (values.end !== null) {
    const end = parseArcSightTime(values.end, referenceMs);
    return end === null ? CEF_REJECT.invalidEnd : { start: end, duration: null };
  }
  return { start: null, duration: null };
}
