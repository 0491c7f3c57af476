/**
 * QRadar field names and the store columns they read. Every entry's SQL is a constant written here, so
 * a field name in a query selects one of these expressions and never reaches the engine as text.
 */
import { EVENT_COLUMN_NAMES } from '../model/event.js';

/** IANA protocol numbers of the transport names the store keeps in `protocol`. */
const PROTOCOL_ID_SQL =
  "CASE lower(protocol) WHEN 'icmp' THEN 1 WHEN 'tcp' THEN 6 WHEN 'udp' THEN 17 WHEN 'ipv6-icmp' THEN 58 " +
  "WHEN 'icmpv6' THEN 58 WHEN 'sctp' THEN 132 ELSE TRY_CAST(protocol AS INTEGER) END";

/** QRadar names that differ from a store column, lower-cased, with the SQL each reads. */
const QRADAR_FIELDS: Readonly<Record<string, string>> = {
  // The store keeps one time per event: QRadar's starttime for QRadar input and the sensor's event time
  // for every other format. So devicetime reads the same column as starttime.
  devicetime: 'starttime',
  protocolid: PROTOCOL_ID_SQL,
  // The store has the log source's name and no numeric id, so logsourceid reads the name and
  // LOGSOURCENAME(logsourceid) returns it unchanged.
  logsourceid: 'logsource',
  // Flow field names, for FROM flows: a flow's first packet is the event's start time.
  firstpackettime: 'starttime',
  lastpackettime: 'starttime + CAST(round(coalesce(duration, 0) * 1000) AS BIGINT)',
  flowdirection: 'eventdirection',
};

/** Returns the SQL for a field, matching the name case-insensitively, or undefined for an unknown name. */
export function fieldSql(name: string): string | undefined {
  const lower = name.toLowerCase();
  const mapped = QRADAR_FIELDS[lower];
  if (mapped !== undefined) return mapped;
  return (EVENT_COLUMN_NAMES as readonly string[]).includes(lower) ? lower : undefined;
}

/** Lists every field name a query may use, for error messages. */
export function knownFieldNames(): string[] {
  return [...EVENT_COLUMN_NAMES, ...Object.keys(QRADAR_FIELDS)].sort();
}

/** The protocol names PROTOCOLNAME returns for the numbers protocolid yields. */
export const PROTOCOL_NAMES: Readonly<Record<number, string>> = {
  1: 'ICMP',
  6: 'TCP',
  17: 'UDP',
  58: 'IPv6-ICMP',
  132: 'SCTP',
};
