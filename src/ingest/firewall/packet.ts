/**
 * Parts shared by the packet-per-line firewall readers (iptables, pfSense filterlog): the syslog framing,
 * protocol names, ports, IPv6 spelling and the reference time for years that RFC 3164 leaves out.
 */
import { stat } from 'node:fs/promises';

import ipaddr from 'ipaddr.js';

import { isIpAddressText } from '../address.js';
import type { FileSample } from '../sniff.js';
import { parseSyslogLine, type SyslogLine } from '../syslog/header.js';

/** Syslog lines of one reader: the header, and a message that the reader's pattern recognises. */
export interface FramedLine {
  syslog: SyslogLine;
  message: string;
}

/**
 * Returns the time that RFC 3164 years are chosen against: the file's modification time, since a line
 * cannot have been written after it. For a gzip file that is when it was compressed, which is later still.
 */
export async function yearReferenceMs(sample: FileSample): Promise<number> {
  // readPath: standard input and zip members have no file at `path`.
  return (await stat(sample.readPath)).mtimeMs;
}

/**
 * Returns the address in the form other sources write it: IPv6 compressed as RFC 5952 says
 * (the kernel writes all eight groups in full, `2001:0db8:0000:...`), IPv4 unchanged. Returns null for text
 * that is not an address.
 */
export function normaliseAddress(text: string): string | null {
  if (!isIpAddressText(text)) return null;
  // Dotted IPv4 inside IPv6 (::ffff:192.0.2.1) and zone ids are kept as written.
  if (!text.includes(':') || text.includes('.') || text.includes('%')) return text;
  return ipaddr.IPv6.parse(text).toRFC5952String();
}

/** Parses a port written as plain decimal digits, or returns undefined when it is not 0-65535. */
export function parsePortText(text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

/** IANA protocol numbers that the event table names; others keep their number as text. */
const PROTOCOL_NAMES: Record<string, string> = { '1': 'icmp', '6': 'tcp', '17': 'udp', '58': 'icmp' };

/**
 * Returns the event table's protocol name for a name or number as firewalls log it: TCP and 6 are tcp,
 * ICMPv6 and 58 are icmp as in Zeek, and other names are lower-cased.
 */
export function protocolName(text: string): string {
  const lower = text.toLowerCase();
  if (PROTOCOL_NAMES[lower] !== undefined) return PROTOCOL_NAMES[lower];
  if (lower === 'icmpv6' || lower === 'ipv6-icmp' || lower === 'icmp6') return 'icmp';
  return lower;
}

/** Splits a line into its syslog header and message, or returns null when it has no syslog header. */
export function frameSyslogLine(line: string, referenceMs: number): FramedLine | null {
  const syslog = parseSyslogLine(line, referenceMs);
  return syslog === null ? null : { syslog, message: syslog.message };
}
