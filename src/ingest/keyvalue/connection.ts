/**
 * The connection fields that LEEF and CEF events share under different keys, and their checks and
 * conversion into an event. Each reader collects the raw values by its own keys and names those keys in
 * its reject reasons.
 */
import type { ConnectionEvent } from '../../model/event.js';
import { emptyEvent } from '../../model/event.js';
import { isIpAddressText } from '../address.js';

/** Values as the event wrote them, trimmed, or null when the key is absent or its value empty. */
export interface ConnectionValues {
  source: string | null;
  destination: string | null;
  sourcePort: string | null;
  destinationPort: string | null;
  protocol: string | null;
  user: string | null;
  sourceBytes: string | null;
  destinationBytes: string | null;
  /** Destination host name (CEF and LEEF dhost). */
  host: string | null;
  url: string | null;
  userAgent: string | null;
}

export function emptyConnectionValues(): ConnectionValues {
  return {
    source: null,
    destination: null,
    sourcePort: null,
    destinationPort: null,
    protocol: null,
    user: null,
    sourceBytes: null,
    destinationBytes: null,
    host: null,
    url: null,
    userAgent: null,
  };
}

/** Reject reasons of one format, worded with its own keys ("missing src", "invalid dpt"). */
export interface ConnectionRejects {
  missingSource: string;
  missingDestination: string;
  invalidSource: string;
  invalidDestination: string;
  invalidSourcePort: string;
  invalidDestinationPort: string;
  invalidSourceBytes: string;
  invalidDestinationBytes: string;
}

/** Builds the reject reasons from a format's key names. */
export function connectionRejects(keys: {
  source: string;
  destination: string;
  sourcePort: string;
  destinationPort: string;
  sourceBytes: string;
  destinationBytes: string;
}): ConnectionRejects {
  return {
    missingSource: `missing ${keys.source}`,
    missingDestination: `missing ${keys.destination}`,
    invalidSource: `invalid ${keys.source}`,
    invalidDestination: `invalid ${keys.destination}`,
    invalidSourcePort: `invalid ${keys.sourcePort}`,
    invalidDestinationPort: `invalid ${keys.destinationPort}`,
    invalidSourceBytes: `invalid ${keys.sourceBytes}`,
    invalidDestinationBytes: `invalid ${keys.destinationBytes}`,
  };
}

/** Returns `text` without surrounding whitespace, or null when nothing is left. */
export function presentValue(text: string): string | null {
  const trimmed = text.trim();
  return trimmed === '' ? null : trimmed;
}

/** Returns the value of 1 to `maxDigits` plain decimal digits, or -1 for any other text. */
function digitsValue(text: string, maxDigits: number): number {
  if (text.length === 0 || text.length > maxDigits) return -1;
  let value = 0;
  for (let index = 0; index < text.length; index += 1) {
    const digit = text.charCodeAt(index) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** Digits in the longest byte count accepted: 15 keep every value exact in a double. */
const MAX_COUNT_DIGITS = 15;

/** Parses a port of plain decimal digits: null when absent, undefined when not 0-65535. */
export function parsePort(text: string | null): number | null | undefined {
  if (text === null) return null;
  const port = digitsValue(text, 5);
  return port >= 0 && port <= 65535 ? port : undefined;
}

/** Parses a byte count of plain decimal digits: null when absent, undefined when not a whole number. */
export function parseByteCount(text: string | null): number | null | undefined {
  if (text === null) return null;
  const count = digitsValue(text, MAX_COUNT_DIGITS);
  return count >= 0 ? count : undefined;
}

/**
 * Returns the event table's protocol for an IANA protocol number or a name, as QRadar's readers do: 6 and
 * names starting "tcp" are tcp, 17 and "udp…" udp, 1, 58 and names containing "icmp" icmp. Other numbers
 * give null and other names their lower-case text.
 */
export function protocolName(text: string | null): string | null {
  if (text === null) return null;
  const number = digitsValue(text, MAX_COUNT_DIGITS);
  if (number >= 0) {
    if (number === 6) return 'tcp';
    if (number === 17) return 'udp';
    if (number === 1 || number === 58) return 'icmp';
    return null;
  }
  const lower = text.toLowerCase();
  if (lower.startsWith('tcp')) return 'tcp';
  if (lower.startsWith('udp')) return 'udp';
  if (lower.includes('icmp')) return 'icmp';
  return lower;
}

/** scheme://[userinfo@]host[:port][/path]: groups: the host, an IPv6 literal in brackets included. */
const URL_HOST_REGEX = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:[^/?#@]*@)?(\[[^\]/?#]*\]|[^/?#:]*)/;

/**
 * Returns the host of an absolute URL in lower case, without port, user information or IPv6 brackets,
 * or null when the text has no scheme and authority ("/path" or "example.com/path").
 */
export function urlHost(url: string | null): string | null {
  if (url === null) return null;
  const match = URL_HOST_REGEX.exec(url);
  const host = match?.[1];
  if (host === undefined || host === '') return null;
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  return bare === '' ? null : bare.toLowerCase();
}

/**
 * Checks the connection fields and builds an event from them, without its start time. Returns null for
 * an event that names neither address, which is valid input but not a connection, and a reject reason
 * when one address is missing or a value is malformed.
 */
export function connectionEvent(
  values: ConnectionValues,
  rejects: ConnectionRejects,
  logsource: string,
  sourcefile: string,
  sourceline: number,
): ConnectionEvent | { reject: string } | null {
  const { source, destination } = values;
  if (source === null && destination === null) return null;
  if (source === null) return { reject: rejects.missingSource };
  if (destination === null) return { reject: rejects.missingDestination };
  if (!isIpAddressText(source)) return { reject: rejects.invalidSource };
  if (!isIpAddressText(destination)) return { reject: rejects.invalidDestination };
  const sourceport = parsePort(values.sourcePort);
  if (sourceport === undefined) return { reject: rejects.invalidSourcePort };
  const destinationport = parsePort(values.destinationPort);
  if (destinationport === undefined) return { reject: rejects.invalidDestinationPort };
  const sourcebytes = parseByteCount(values.sourceBytes);
  if (sourcebytes === undefined) return { reject: rejects.invalidSourceBytes };
  const destinationbytes = parseByteCount(values.destinationBytes);
  if (destinationbytes === undefined) return { reject: rejects.invalidDestinationBytes };

  const event = emptyEvent(sourcefile, sourceline);
  event.sourceip = source;
  event.sourceport = sourceport;
  event.destinationip = destination;
  event.destinationport = destinationport;
  event.username = values.user;
  event.protocol = protocolName(values.protocol);
  event.sourcebytes = sourcebytes;
  event.destinationbytes = destinationbytes;
  event.servername = values.host ?? urlHost(values.url);
  event.uri = values.url;
  event.useragent = values.userAgent;
  event.logsource = logsource;
  return event;
}
