/**
 * Recognises syslog lines that carry a record of another log format that beaconhunt reads: CEF, LEEF,
 * Sysmon event XML, PAN-OS log records, netfilter LOG records and pfSense filterlog. A firewall reader
 * rejects such a line, because the file has switched to another format and the line would otherwise be lost
 * without a trace. Messages of programs that write no such records (sshd, dhcpd, other kernel messages) are
 * valid syslog lines of no use to the reader, and it passes over them.
 */
import { findEventStart, type SyslogLine } from '../syslog/header.js';

/** The formats recognised, named as reject reasons show them. */
export type SyslogRecordFormat =
  | 'CEF event'
  | 'LEEF event'
  | 'Sysmon event XML'
  | 'PAN-OS log record'
  | 'netfilter LOG record'
  | 'pfSense filterlog record';

/** `IN=` and `OUT=` as the kernel starts every netfilter LOG record; the --log-prefix text comes before. */
export const NETFILTER_START = /IN=(\S*) OUT=(\S*)(?: |$)/;

/** CEF's version and first "|", after the marker. */
const CEF_EVENT = /^CEF:\d{1,3}\|/;

/** LEEF's version and first "|", after the marker. */
const LEEF_EVENT = /^LEEF:(?:1|2)(?:\.0)?\|/;

/** A PAN-OS record's first fields: FUTURE_USE, receive time, serial number and a log type in capitals. */
const PANOS_RECORD = /^\d+,\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2},[^,]*,[A-Z]+,/;

/** Returns true when a syslog message is a netfilter LOG record with its addresses. */
export function isNetfilterMessage(message: string): boolean {
  return NETFILTER_START.test(message) && / SRC=\S+ DST=\S+ /.test(message);
}

/** Returns true when `marker` starts an event in `line` and `pattern` matches from there. */
function hasEvent(line: string, marker: string, pattern: RegExp): boolean {
  const start = findEventStart(line, marker);
  return start >= 0 && pattern.test(line.slice(start));
}

/**
 * Returns the format of the record that a syslog line carries, or null when it carries none of those listed
 * in the file comment. `syslog` is the line split by parseSyslogLine.
 */
export function syslogRecordFormat(line: string, syslog: SyslogLine): SyslogRecordFormat | null {
  if (syslog.program === 'filterlog') return 'pfSense filterlog record';
  if (hasEvent(line, 'CEF:', CEF_EVENT)) return 'CEF event';
  if (hasEvent(line, 'LEEF:', LEEF_EVENT)) return 'LEEF event';
  if (/<Event[\s>]/.test(line) && line.includes('<EventID>') && line.includes('Sysmon')) {
    return 'Sysmon event XML';
  }
  if (PANOS_RECORD.test(syslog.message)) return 'PAN-OS log record';
  if (isNetfilterMessage(syslog.message)) return 'netfilter LOG record';
  return null;
}
