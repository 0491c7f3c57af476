/**
 * Parts shared by the Sysmon JSON and XML readers: the test for network connection records, the reject
 * reasons, UtcTime parsing, and the mapping of Event ID 3 fields onto event columns.
 *
 * Direction: Sysmon on Windows writes the connection's initiator as SourceIp, whichever end logged it. A
 * process that accepts a connection logs Initiated=false with the remote client as SourceIp and its own
 * address as DestinationIp. So sourceip is always SourceIp, and nothing is swapped. Two sources show this.
 * In the OTRF Security-Datasets capture empire_psremoting_stager, both hosts log one WinRM connection with
 * the same SourceIp and DestinationIp, the client with Initiated=true and the server with Initiated=false.
 * Microsoft Sentinel's ASIM parser ASimNetworkSessionMicrosoftSysmon maps SourceIp to SrcIpAddr for either
 * value of Initiated, and uses Initiated only to pick the local end.
 * NOTE: Sysmon for Linux is assumed to follow the same convention, but no capture of it has been checked.
 */
import type { ConnectionEvent } from '../../model/event.js';
import { emptyEvent } from '../../model/event.js';
import type { LoadResult } from '../format.js';
import { isIpAddressText } from '../address.js';
import { MAX_EPOCH_MS } from '../time.js';
import { countOf } from '../../text/plural.js';

/** Sysmon's event ID for "Network connection detected". */
export const NETWORK_CONNECT_EVENT_ID = 3;

/** Skipped-line reasons for Event ID 3 records, worded after Sysmon's own field names. */
export const SYSMON_REJECT = {
  missingTime: 'missing UtcTime',
  invalidTime: 'invalid UtcTime',
  missingSourceIp: 'missing SourceIp',
  invalidSourceIp: 'invalid SourceIp',
  missingDestinationIp: 'missing DestinationIp',
  invalidDestinationIp: 'invalid DestinationIp',
  invalidSourcePort: 'invalid SourcePort',
  invalidDestinationPort: 'invalid DestinationPort',
} as const;

/** UtcTime as Sysmon writes it, "2020-09-20 21:08:39.557", with up to microseconds accepted. */
export const SYSMON_TIME_PATTERN = '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,6})?';

const SYSMON_TIME_REGEX = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/**
 * Parses a Sysmon UtcTime into epoch milliseconds, dropping digits below a millisecond. Returns null for
 * any other text, an impossible date such as Feb 30, or a time outside 1970-01-01 to 9999-12-31 (the range
 * the QRadar readers accept too).
 */
export function parseSysmonUtcTime(text: string): number | null {
  const match = SYSMON_TIME_REGEX.exec(text);
  if (match === null) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millisecond = Number((match[7] ?? '').padEnd(3, '0').slice(0, 3));
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millisecond);
  // Date.UTC rolls Feb 30 over into March, so check that the day survived.
  if (new Date(ms).getUTCDate() !== day) return null;
  return ms >= 1 && ms <= MAX_EPOCH_MS ? ms : null;
}

/**
 * SQL for `parseSysmonUtcTime`, accepting exactly the same times. DuckDB's cast also reads 24:00:00 as the
 * next midnight, so the cast value must print back as the text's date and time.
 */
export function sysmonUtcTimeMsSql(text: string): string {
  const timestamp = `TRY_CAST(${text} AS TIMESTAMP)`;
  const parsed = `(CASE WHEN regexp_full_match(${text}, '${SYSMON_TIME_PATTERN}')
                         AND strftime(${timestamp}, '%Y-%m-%d %H:%M:%S') = left(${text}, 19)
                        THEN epoch_ms(${timestamp}) END)`;
  return `(CASE WHEN ${parsed} BETWEEN 1 AND ${MAX_EPOCH_MS} THEN ${parsed} END)`;
}

/** Returns true when a provider or channel name is Sysmon's, or when the record names neither. */
export function isSysmonSource(provider: string | null, channel: string | null): boolean {
  if (provider === null && channel === null) return true;
  return `${provider ?? ''} ${channel ?? ''}`.toLowerCase().includes('sysmon');
}

/** Sysmon writes "-" for a field it has no value for, such as DestinationHostname without reverse DNS. */
export function presentValue(text: string | null | undefined): string | null {
  const trimmed = text?.trim() ?? '';
  return trimmed === '' || trimmed === '-' ? null : trimmed;
}

/** The Event ID 3 fields a reader extracts, by Sysmon's names; Computer is the logging host. */
export interface NetworkConnectFields {
  UtcTime: string | null;
  SourceIp: string | null;
  SourcePort: string | null;
  DestinationIp: string | null;
  DestinationPort: string | null;
  Protocol: string | null;
  User: string | null;
  Image: string | null;
  DestinationHostname: string | null;
  Computer: string | null;
}

function parsePort(text: string | null): number | null | undefined {
  if (text === null) return null;
  if (!/^[0-9]{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

/**
 * Maps one Event ID 3 record onto an event, or returns the reject reason. The checks and their order match
 * the SQL in the JSON reader. `fields` values must already be trimmed, with absent values null.
 */
export function networkConnectEvent(
  fields: NetworkConnectFields,
  formatId: string,
  sourcefile: string,
  sourceline: number,
): ConnectionEvent | { reject: string } {
  if (fields.UtcTime === null) return { reject: SYSMON_REJECT.missingTime };
  const starttime = parseSysmonUtcTime(fields.UtcTime);
  if (starttime === null) return { reject: SYSMON_REJECT.invalidTime };
  if (fields.SourceIp === null) return { reject: SYSMON_REJECT.missingSourceIp };
  if (!isIpAddressText(fields.SourceIp)) return { reject: SYSMON_REJECT.invalidSourceIp };
  if (fields.DestinationIp === null) return { reject: SYSMON_REJECT.missingDestinationIp };
  if (!isIpAddressText(fields.DestinationIp)) return { reject: SYSMON_REJECT.invalidDestinationIp };
  const sourceport = parsePort(fields.SourcePort);
  if (sourceport === undefined) return { reject: SYSMON_REJECT.invalidSourcePort };
  const destinationport = parsePort(fields.DestinationPort);
  if (destinationport === undefined) return { reject: SYSMON_REJECT.invalidDestinationPort };

  const computer = presentValue(fields.Computer);
  return {
    ...emptyEvent(sourcefile, sourceline),
    starttime,
    sourceip: fields.SourceIp,
    sourceport,
    destinationip: fields.DestinationIp,
    destinationport,
    username: presentValue(fields.User),
    protocol: fields.Protocol === null ? null : fields.Protocol.toLowerCase(),
    processimage: presentValue(fields.Image),
    servername: presentValue(fields.DestinationHostname),
    logsource: computer === null ? formatId : `${formatId}:${computer}`,
  };
}

export interface SysmonCounts {
  events: number;
  skipped: number;
  /** Records of other event IDs or providers, which are valid input but not connections. */
  ignored: number;
}

/** Builds the load result for a Sysmon file. A file without any Event ID 3 record is reported as ignored. */
export function sysmonLoadResult(counts: SysmonCounts): LoadResult {
  if (counts.events === 0 && counts.skipped === 0 && counts.ignored > 0) {
    return {
      status: 'ignored',
      events: 0,
      skipped: 0,
      message: `no Sysmon network connection events (Event ID 3) among ${counts.ignored} events`,
    };
  }
  const result: LoadResult = { status: 'loaded', events: counts.events, skipped: counts.skipped };
  if (counts.ignored > 0) result.message = `${countOf(counts.ignored, 'non-network event')} ignored`;
  return result;
}
