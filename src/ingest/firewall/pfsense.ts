/**
 * pfSense's packet filter log: `filterlog[pid]: ` after a syslog header, then comma-separated values as
 * Netgate's "Raw Filter Log Format" page (docs.netgate.com/pfsense/en/latest/monitoring/raw-filter-log-format.html)
 * lists them. Common fields: rule, sub rule, anchor, tracker, interface, reason, action, direction, IP
 * version. IPv4 goes on with TOS, ECN, TTL, ID, offset, flags, protocol id, protocol text; IPv6 with class,
 * flow label, hop limit, protocol text, protocol id. Both then have length, source and destination, and for
 * TCP and UDP source port, destination port and data length (TCP adds flags, sequence, ACK, window, URG and
 * options).
 *
 * Every logged packet is one event. pf logs the packet that matched a rule, which for a pass rule is the
 * first packet of a connection, so the outcome of the connection is not in the log. connstate is an
 * approximation: block (dropped) is S0, reject (refused with a reset or ICMP unreachable) is REJ, and pass
 * is SF although the connection may still have failed.
 */
import { emptyEvent, type ConnectionEvent } from '../../model/event.js';
import type { InputFormat, LoadContext, LoadResult } from '../format.js';
import type { FileSample } from '../sniff.js';
import { loadTextLines, textLinesLoadResult, type ParsedLine } from '../text-stream.js';
import { syslogRecordFormat } from './other-formats.js';
import { frameSyslogLine, normaliseAddress, parsePortText, protocolName, yearReferenceMs } from './packet.js';

const FORMAT_ID = 'pfsense-filterlog';

const PROGRAM = 'filterlog';

export const PFSENSE_REJECT = {
  notSyslog: 'not a syslog line',
  invalidTime: 'invalid syslog timestamp',
  invalidIpVersion: 'IP version is neither 4 nor 6',
  tooFewFields: 'too few fields for the IP version and protocol',
  invalidSource: 'invalid source address',
  invalidDestination: 'invalid destination address',
  invalidSourcePort: 'invalid source port',
  invalidDestinationPort: 'invalid destination port',
} as const;

/** 0-based positions of the fields that follow the common ones, per IP version. */
const LAYOUT = {
  '4': { protocol: 16, source: 18, destination: 19, sourcePort: 20, destinationPort: 21, dataLength: 22 },
  '6': { protocol: 12, source: 15, destination: 16, sourcePort: 17, destinationPort: 18, dataLength: 19 },
} as const;

const ACTION_FIELD = 6;
const IP_VERSION_FIELD = 8;

/** Zeek connection state for a pf action; see the file comment for why these are approximations. */
const ACTION_STATES: Record<string, string> = { block: 'S0', reject: 'REJ', pass: 'SF' };

/**
 * Maps the CSV fields of one filterlog record onto an event, or returns the reject reason. `fields` is the
 * message split on commas; pfSense writes no quotes.
 */
export function filterlogEvent(
  fields: readonly string[],
  starttime: number,
  host: string | null,
  sourcefile: string,
  sourceline: number,
): ConnectionEvent | { reject: string } {
  const version = fields[IP_VERSION_FIELD];
  if (version !== '4' && version !== '6') return { reject: PFSENSE_REJECT.invalidIpVersion };
  const layout = LAYOUT[version];
  if (fields.length <= layout.destination) return { reject: PFSENSE_REJECT.tooFewFields };
  const protocol = protocolName(fields[layout.protocol] ?? '');
  const hasPorts = protocol === 'tcp' || protocol === 'udp';
  if (hasPorts && fields.length <= layout.dataLength) return { reject: PFSENSE_REJECT.tooFewFields };

  const sourceip = normaliseAddress(fields[layout.source] ?? '');
  if (sourceip === null) return { reject: PFSENSE_REJECT.invalidSource };
  const destinationip = normaliseAddress(fields[layout.destination] ?? '');
  if (destinationip === null) return { reject: PFSENSE_REJECT.invalidDestination };

  const event: ConnectionEvent = {
    ...emptyEvent(sourcefile, sourceline),
    starttime,
    sourceip,
    destinationip,
    protocol,
    connstate: ACTION_STATES[fields[ACTION_FIELD] ?? ''] ?? null,
    logsource: host === null ? FORMAT_ID : `${FORMAT_ID}:${host}`,
  };
  if (hasPorts) {
    const sourceport = parsePortText(fields[layout.sourcePort] ?? '');
    if (sourceport === undefined) return { reject: PFSENSE_REJECT.invalidSourcePort };
    const destinationport = parsePortText(fields[layout.destinationPort] ?? '');
    if (destinationport === undefined) return { reject: PFSENSE_REJECT.invalidDestinationPort };
    event.sourceport = sourceport;
    event.destinationport = destinationport;
    // The packet's payload length; pf logs only this packet, so it is not the connection's total.
    const dataLength = parsePortText(fields[layout.dataLength] ?? '');
    event.sourcebytes = dataLength ?? null;
  }
  return event;
}

/** Makes the line parser for one file; `referenceMs` supplies RFC 3164 years. */
export function filterlogLineParser(sourcefile: string, referenceMs: number) {
  return (line: string, lineNumber: number): ParsedLine => {
    const framed = frameSyslogLine(line, referenceMs);
    if (framed === null) return { reject: PFSENSE_REJECT.notSyslog };
    if (framed.syslog.program !== PROGRAM) {
      // Other pfSense daemons (dhcpd, unbound, sshd) may share a remote syslog file, but a record of
      // another log format means that the file has switched format.
      const other = syslogRecordFormat(line, framed.syslog);
      return other === null ? null : { reject: `line is not pfSense filterlog: ${other}` };
    }
    if (framed.syslog.timeMs === null) return { reject: PFSENSE_REJECT.invalidTime };
    return filterlogEvent(
      framed.message.trim().split(','),
      framed.syslog.timeMs,
      framed.syslog.host,
      sourcefile,
      lineNumber,
    );
  };
}

export const pfsenseFilterlogFormat: InputFormat = {
  id: FORMAT_ID,
  description: "pfSense filterlog: pf's logged packets as comma-separated values in syslog",
  recognisedBy: 'a syslog first line and a line from the program filterlog',
  example:
    'Apr 19 10:00:02 fw filterlog[4012]: 5,,,1000000103,igb1,match,pass,out,4,0x0,,64,3117,0,DF,6,tcp,60,10.1.2.3,203.0.113.7,50100,443,0,S,2903749104,,64240,,mss;sackOK;TS;nop;wscale',
  providesDirection: false,

  detect(sample: FileSample): boolean {
    const first = sample.lines.find((line) => line.trim() !== '');
    if (first === undefined || frameSyslogLine(first, Date.now()) === null) return false;
    return sample.lines.some((line) => frameSyslogLine(line, Date.now())?.syslog.program === PROGRAM);
  },

  async load(context: LoadContext): Promise<LoadResult> {
    const referenceMs = await yearReferenceMs(context.sample);
    const result = await loadTextLines(context, {
      formatId: 'pfsense-filterlog',
      sourcefile: context.sample.path,
      referenceMs,
    });
    return textLinesLoadResult(result, ['line from another program', 'lines from other programs']);
  },
};
