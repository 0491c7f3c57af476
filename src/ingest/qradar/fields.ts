/**
 * The mapping from QRadar fields onto event columns, shared by the Ariel JSON and CSV readers. Fields are
 * found by name, case-insensitively and ignoring spaces and punctuation, so Ariel names (`sourceip`,
 * `userName`), unaliased AQL function columns (`logsourcename_logsourceid`) and the console's display
 * names ("Source IP") all match. Each reader supplies `field(name)`: a SQL expression for the trimmed text of
 * one logical field, NULL when the record has no value.
 *
 * NOTE: the function-column spellings such as logsourcename_logsourceid, the console display names and the
 * console's "N/A" for no user are unverified, because no real QRadar export was available to check them.
 */
import { InputError } from '../../errors.js';
import type { EventColumnName } from '../../model/event.js';
import { invalidPortSql, portSql, validIpAddressSql } from '../address.js';
import type { RecordCheck } from '../staged.js';
import { startTimeMsSql } from '../time.js';
import { quoteForMessage } from '../wrong-format.js';

/** Logical QRadar fields and the names each may have in an export, most specific first. */
export const QRADAR_FIELD_NAMES = {
  starttime: ['starttime', 'Start Time'],
  devicetime: ['devicetime', 'Log Source Time'],
  sourceip: ['sourceip', 'Source IP'],
  sourcev6: ['sourcev6', 'IPv6 Source'],
  sourceport: ['sourceport', 'Source Port'],
  destinationip: ['destinationip', 'Destination IP'],
  destinationv6: ['destinationv6', 'IPv6 Destination'],
  destinationport: ['destinationport', 'Destination Port'],
  username: ['username', 'Username'],
  eventdirection: ['eventdirection', 'Event Direction', 'Direction', 'flowdirection', 'Flow Direction'],
  protocolid: ['protocolid'],
  protocolname: ['protocolname_protocolid', 'protocolname', 'protocol', 'Protocol'],
  eventcount: ['eventcount', 'Event Count'],
  sourcebytes: ['sourcebytes', 'Source Bytes'],
  destinationbytes: ['destinationbytes', 'Destination Bytes'],
  logsourcename: ['logsourcename_logsourceid', 'logsourcename', 'Log Source'],
  logsourceid: ['logsourceid', 'Log Source ID'],
} as const;

export type QRadarField = keyof typeof QRADAR_FIELD_NAMES;

export type QRadarFieldSql = (field: QRadarField) => string;

/**
 * Columns of the AQL beaconing search that reports one row per source and destination. A user may export
 * its results by mistake instead of the events.
 */
const RESULT_COLUMNS = ['firstseenepochms', 'lastseenepochms', 'avgintervalms', 'connectioncount'];

/** Lower-cases a field name and drops everything but letters and digits: "Source IP" and "sourceIP" match. */
export function normaliseFieldName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * Finds, for each logical field, the positions in `names` (JSON keys or CSV header cells) that hold it, in
 * the order of QRADAR_FIELD_NAMES. A field absent from the export gets an empty list.
 */
export function locateQRadarFields(names: readonly string[]): Record<QRadarField, number[]> {
  const normalised = names.map(normaliseFieldName);
  const located = {} as Record<QRadarField, number[]>;
  for (const [field, aliases] of Object.entries(QRADAR_FIELD_NAMES) as Array<
    [QRadarField, readonly string[]]
  >) {
    const positions: number[] = [];
    for (const alias of aliases.map(normaliseFieldName)) {
      normalised.forEach((name, index) => {
        if (name === alias && !positions.includes(index)) positions.push(index);
      });
    }
    located[field] = positions;
  }
  return located;
}

/** Returns true when the names are those of the beaconing search's result rows rather than of events. */
export function isRuleResultExport(names: readonly string[]): boolean {
  const normalised = new Set(names.map(normaliseFieldName));
  const hasTime = normalised.has('starttime') || normalised.has('devicetime');
  return !hasTime && RESULT_COLUMNS.some((column) => normalised.has(column));
}

/**
 * Raises InputError when an export cannot hold events: rule results (one row per source and destination),
 * or no start time or address field at all. Per-record gaps are left to the reject checks.
 */
export function assertEventExport(
  path: string,
  names: readonly string[],
  located: Record<QRadarField, number[]>,
): void {
  if (isRuleResultExport(names)) {
    throw new InputError(
      `${path}: this is the output of a beaconing search (FirstSeenEpochMs, LastSeenEpochMs, ConnectionCount ` +
        'per source and destination), not events; export the events themselves, for example ' +
        'SELECT starttime, sourceip, sourceport, destinationip, destinationport, username, eventdirection, ' +
        'protocolid, eventcount FROM events LAST 24 HOURS',
      path,
    );
  }
  const missing: string[] = [];
  if (located.starttime.length === 0 && located.devicetime.length === 0) missing.push('starttime');
  if (located.sourceip.length === 0 && located.sourcev6.length === 0) missing.push('sourceip');
  if (located.destinationip.length === 0 && located.destinationv6.length === 0) missing.push('destinationip');
  if (missing.length > 0) {
    throw new InputError(
      `${path}: no ${missing.join(', ')} field in the QRadar export (found: ${names.slice(0, 12).map(quoteForMessage).join(', ')}); ` +
        'add the missing fields to the AQL SELECT or the console columns and export again',
      path,
    );
  }
}

/**
 * Returns SQL for an address that falls back to the IPv6 field (sourcev6, destinationv6) when the IPv4 field
 * is absent or 0.0.0.0. An all-zero IPv6 address counts as absent.
 */
function addressSql(field: QRadarFieldSql, ipv4: QRadarField, ipv6: QRadarField): string {
  const v6 = `nullif(nullif(${field(ipv6)}, '0:0:0:0:0:0:0:0'), '::')`;
  return `coalesce(nullif(${field(ipv4)}, '0.0.0.0'), ${v6}, ${field(ipv4)})`;
}

/** starttime, or devicetime when the record has no starttime. */
function timeTextSql(field: QRadarFieldSql): string {
  return `coalesce(${field('starttime')}, ${field('devicetime')})`;
}

/** Returns the column that projectQRadarFieldsSql gives a field. */
function field(name: QRadarField): string {
  return `"qradar_${name}"`;
}

/** Columns computed once per record by projectQRadarFieldsSql. */
const TIME_TEXT_COLUMN = 'qradar_time_text';
const TIME_MS_COLUMN = 'qradar_time_ms';
const SOURCE_COLUMN = 'qradar_source';
const DESTINATION_COLUMN = 'qradar_destination';

/**
 * Wraps a reader's stage so that every QRadar field, the start time and both addresses are columns of
 * their own, each computed once per record from `rawField`. Written inline, the time parse appeared in
 * several checks and columns, which doubled the cost of a load.
 */
export function projectQRadarFieldsSql(stageSql: string, rawField: QRadarFieldSql): string {
  const names = Object.keys(QRADAR_FIELD_NAMES) as QRadarField[];
  const fields = names.map((name) => `${rawField(name)} AS ${field(name)}`).join(', ');
  return `SELECT *, ${startTimeMsSql(TIME_TEXT_COLUMN)} AS ${TIME_MS_COLUMN}
            FROM (SELECT *, ${timeTextSql(field)} AS ${TIME_TEXT_COLUMN},
                         ${addressSql(field, 'sourceip', 'sourcev6')} AS ${SOURCE_COLUMN},
                         ${addressSql(field, 'destinationip', 'destinationv6')} AS ${DESTINATION_COLUMN}
                    FROM (SELECT *, ${fields} FROM (${stageSql})))`;
}

/**
 * Returns the checks that reject a QRadar record, over the columns of projectQRadarFieldsSql. They run in
 * order, and the first that matches wins.
 */
export function qradarRecordChecks(): RecordCheck[] {
  const time = TIME_TEXT_COLUMN;
  const source = SOURCE_COLUMN;
  const destination = DESTINATION_COLUMN;
  const eventCount = field('eventcount');
  return [
    { when: `${time} IS NULL`, reject: 'missing starttime' },
    { when: `${TIME_MS_COLUMN} IS NULL`, reject: 'invalid starttime' },
    { when: `${source} IS NULL`, reject: 'missing sourceip' },
    { when: `NOT ${validIpAddressSql(source)}`, reject: 'invalid sourceip' },
    { when: `${destination} IS NULL`, reject: 'missing destinationip' },
    { when: `NOT ${validIpAddressSql(destination)}`, reject: 'invalid destinationip' },
    { when: invalidPortSql(field('sourceport')), reject: 'invalid sourceport' },
    { when: invalidPortSql(field('destinationport')), reject: 'invalid destinationport' },
    {
      when: `${eventCount} IS NOT NULL AND NOT regexp_full_match(${eventCount}, '0*[1-9][0-9]{0,8}')`,
      reject: 'invalid eventcount',
    },
  ];
}

/**
 * Transport protocol from protocolid (an IANA protocol number) or a protocol name such as "TCP" or QRadar's
 * "tcp.ip". ICMPv6 (58) becomes icmp, as in Zeek's conn.log. Other numbers give NULL, other names their
 * lower-case text.
 */
function protocolSql(): string {
  const name = `lower(${field('protocolname')})`;
  const number = `coalesce(TRY_CAST(${field('protocolid')} AS INTEGER), TRY_CAST(${name} AS INTEGER))`;
  return `(CASE
    WHEN ${number} = 6 THEN 'tcp'
    WHEN ${number} = 17 THEN 'udp'
    WHEN ${number} IN (1, 58) THEN 'icmp'
    WHEN ${number} IS NOT NULL THEN NULL
    WHEN starts_with(${name}, 'tcp') THEN 'tcp'
    WHEN starts_with(${name}, 'udp') THEN 'udp'
    WHEN contains(${name}, 'icmp') THEN 'icmp'
    ELSE ${name}
  END)`;
}

/** SQL per event column for a record that passed `qradarRecordChecks`. */
export function qradarEventColumns(formatId: string): Partial<Record<EventColumnName, string>> {
  const direction = `upper(${field('eventdirection')})`;
  const logSource = `coalesce(${field('logsourcename')}, ${field('logsourceid')})`;
  return {
    starttime: TIME_MS_COLUMN,
    sourceip: SOURCE_COLUMN,
    sourceport: portSql(field('sourceport')),
    destinationip: DESTINATION_COLUMN,
    destinationport: portSql(field('destinationport')),
    // The console shows N/A for an event without a user.
    username: `nullif(${field('username')}, 'N/A')`,
    // Anything but the four QRadar values is left NULL, and the import then computes it from --local-net.
    eventdirection: `(CASE WHEN ${direction} IN ('L2L', 'L2R', 'R2L', 'R2R') THEN ${direction} END)`,
    protocol: protocolSql(),
    sourcebytes: `TRY_CAST(${field('sourcebytes')} AS BIGINT)`,
    destinationbytes: `TRY_CAST(${field('destinationbytes')} AS BIGINT)`,
    logsource: `'${formatId}' || coalesce(':' || ${logSource}, '')`,
    eventcount: `coalesce(TRY_CAST(${field('eventcount')} AS INTEGER), 1)`,
  };
}
