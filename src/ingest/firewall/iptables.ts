/**
 * Packets logged by netfilter's LOG target (iptables, ip6tables, nftables `log`, ufw), as the kernel
 * writes them to syslog: `[prefix]IN=eth0 OUT= MAC=... SRC=... DST=... LEN=60 ... PROTO=TCP SPT=51234
 * DPT=443 WINDOW=64240 RES=0x00 SYN URGP=0`, after a syslog header and usually `kernel:` and the kernel's
 * uptime stamp. The layout is that of the kernel's net/netfilter/nf_log_syslog.c (read in Linux 6.x).
 * It starts with IN and OUT, optional PHYSIN/PHYSOUT/MAC, SRC and DST. IPv4 goes on with LEN TOS PREC TTL
 * ID and the flags CE DF MF, IPv6 with LEN TC HOPLIMIT FLOWLBL. Then come PROTO, SPT and DPT for TCP and
 * UDP, and for TCP the flag words (CWR ECE URG ACK PSH RST SYN FIN). An ICMP error quotes the packet it answers in [...], which
 * is not read.
 *
 * Every logged packet is one event. The log shows one packet, not a connection, so connstate is only an
 * approximation: a TCP SYN without ACK is a connection attempt, S0 in Zeek's words, and any other TCP
 * packet is OTH (no SYN seen). UDP and ICMP packets get no connstate.
 */
import { emptyEvent, type ConnectionEvent } from '../../model/event.js';
import type { InputFormat, LoadContext, LoadResult } from '../format.js';
import type { FileSample } from '../sniff.js';
import type { SyslogLine } from '../syslog/header.js';
import { loadTextLines, textLinesLoadResult, type ParsedLine } from '../text-stream.js';
import { isNetfilterMessage, NETFILTER_START, syslogRecordFormat } from './other-formats.js';
import { frameSyslogLine, normaliseAddress, parsePortText, protocolName, yearReferenceMs } from './packet.js';

const FORMAT_ID = 'iptables';

/** `IN=` at the start of a word in a kernel message: the first key of every netfilter record. */
const NETFILTER_IN_WORD = /(?:^|[\s\]])IN=/;

/** The kernel's uptime stamp, `[ 5416.642476] `, which kern.log keeps before the message. */
const UPTIME_STAMP = /^\[\s*\d+\.\d+\]\s*/;

export const IPTABLES_REJECT = {
  notSyslog: 'not a syslog line',
  invalidTime: 'invalid syslog timestamp',
  truncated: 'truncated netfilter record (no SRC or DST)',
  damaged: 'damaged netfilter record (no "IN=... OUT=...")',
  invalidSource: 'invalid SRC address',
  invalidDestination: 'invalid DST address',
  invalidSourcePort: 'invalid SPT',
  invalidDestinationPort: 'invalid DPT',
} as const;

/** The fields of one netfilter record that the reader uses; a key the record lacks is undefined. */
export interface NetfilterRecord {
  SRC?: string;
  DST?: string;
  PROTO?: string;
  SPT?: string;
  DPT?: string;
  /** TCP flag words, and the ARP marker of a record without an IP packet. */
  syn: boolean;
  ack: boolean;
  arp: boolean;
}

const RECORD_KEYS = ['SRC', 'DST', 'PROTO', 'SPT', 'DPT'] as const;

/**
 * Reads the fields a NetfilterRecord keeps from a netfilter record, from `IN=` on, stopping at a quoted
 * inner packet (`[`). Of a key that appears twice, the first counts: the IP packet's LEN, not UDP's.
 * Returns null when the message has no `IN=... OUT=...`.
 */
export function parseNetfilterRecord(message: string): NetfilterRecord | null {
  const start = NETFILTER_START.exec(message);
  if (start === null) return null;
  const inner = message.indexOf(' [', start.index);
  // Padded with spaces so that every key and word, the first and last included, has one on each side.
  const body = ` ${inner === -1 ? message.slice(start.index) : message.slice(start.index, inner)} `;
  const record: NetfilterRecord = {
    syn: body.includes(' SYN '),
    ack: body.includes(' ACK '),
    arp: body.includes(' ARP '),
  };
  for (const key of RECORD_KEYS) {
    const at = body.indexOf(` ${key}=`);
    if (at !== -1) {
      const valueStart = at + key.length + 2;
      record[key] = body.slice(valueStart, body.indexOf(' ', valueStart));
    }
  }
  return record;
}

/** Zeek's connection state for one TCP packet: S0 for a SYN without ACK, OTH for any other. */
function tcpConnectionState(record: NetfilterRecord): string {
  return record.syn && !record.ack ? 'S0' : 'OTH';
}

/**
 * Maps one netfilter record onto an event, or returns the reject reason, or null for a record without an
 * IP packet (ARP), which is passed over.
 */
export function netfilterEvent(
  record: NetfilterRecord,
  starttime: number,
  host: string | null,
  sourcefile: string,
  sourceline: number,
): ConnectionEvent | { reject: string } | null {
  const sourceText = record.SRC;
  const destinationText = record.DST;
  if (sourceText === undefined || destinationText === undefined) {
    return record.arp ? null : { reject: IPTABLES_REJECT.truncated };
  }
  const sourceip = normaliseAddress(sourceText);
  if (sourceip === null) return { reject: IPTABLES_REJECT.invalidSource };
  const destinationip = normaliseAddress(destinationText);
  if (destinationip === null) return { reject: IPTABLES_REJECT.invalidDestination };

  const protocol = record.PROTO === undefined ? null : protocolName(record.PROTO);
  let sourceport: number | null = null;
  let destinationport: number | null = null;
  const sourcePortText = record.SPT;
  if (sourcePortText !== undefined) {
    const port = parsePortText(sourcePortText);
    if (port === undefined) return { reject: IPTABLES_REJECT.invalidSourcePort };
    sourceport = port;
  }
  const destinationPortText = record.DPT;
  if (destinationPortText !== undefined) {
    const port = parsePortText(destinationPortText);
    if (port === undefined) return { reject: IPTABLES_REJECT.invalidDestinationPort };
    destinationport = port;
  }

  return {
    ...emptyEvent(sourcefile, sourceline),
    starttime,
    sourceip,
    sourceport,
    destinationip,
    destinationport,
    protocol,
    connstate: protocol === 'tcp' ? tcpConnectionState(record) : null,
    logsource: host === null ? FORMAT_ID : `${FORMAT_ID}:${host}`,
  };
}

/**
 * Classifies a syslog line that contains no netfilter record. Other kernel and daemon messages share
 * kern.log and syslog with the netfilter records, so they are passed over (null). A record of another log
 * format, or a kernel message with an `IN=` word but without the `IN=... OUT=...` that starts every
 * netfilter record, is rejected.
 */
function otherSyslogLine(line: string, syslog: SyslogLine, message: string): ParsedLine {
  const other = syslogRecordFormat(line, syslog);
  if (other !== null) return { reject: `line is not iptables: ${other}` };
  const damaged = syslog.program === 'kernel' && NETFILTER_IN_WORD.test(message);
  return damaged ? { reject: IPTABLES_REJECT.damaged } : null;
}

/** Makes the line parser for one file; `referenceMs` supplies RFC 3164 years. */
export function iptablesLineParser(sourcefile: string, referenceMs: number) {
  return (line: string, lineNumber: number): ParsedLine => {
    const framed = frameSyslogLine(line, referenceMs);
    if (framed === null) return { reject: IPTABLES_REJECT.notSyslog };
    const message = framed.message.replace(UPTIME_STAMP, '');
    const record = parseNetfilterRecord(message);
    if (record === null) return otherSyslogLine(line, framed.syslog, message);
    if (framed.syslog.timeMs === null) return { reject: IPTABLES_REJECT.invalidTime };
    return netfilterEvent(record, framed.syslog.timeMs, framed.syslog.host, sourcefile, lineNumber);
  };
}

export const iptablesFormat: InputFormat = {
  id: FORMAT_ID,
  description: 'netfilter LOG records (iptables, nftables, ufw) in a syslog or kern.log file',
  recognisedBy: 'a syslog first line and a line with "IN=... OUT=... SRC=... DST=..."',
  example:
    'Apr 19 10:00:02 gw01 kernel: [5416.642476] OUTBOUND IN= OUT=eth0 SRC=10.1.2.3 DST=203.0.113.7 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=TCP SPT=50100 DPT=443 WINDOW=64240 RES=0x00 SYN URGP=0',
  providesDirection: false,

  detect(sample: FileSample): boolean {
    const first = sample.lines.find((line) => line.trim() !== '');
    if (first === undefined || frameSyslogLine(first, Date.now()) === null) return false;
    return sample.lines.some((line) => {
      const framed = frameSyslogLine(line, Date.now());
      return framed !== null && isNetfilterMessage(framed.message);
    });
  },

  async load(context: LoadContext): Promise<LoadResult> {
    const referenceMs = await yearReferenceMs(context.sample);
    const result = await loadTextLines(context, {
      formatId: 'iptables',
      sourcefile: context.sample.path,
      referenceMs,
    });
    return textLinesLoadResult(result, ['other syslog line', 'other syslog lines']);
  },
};
