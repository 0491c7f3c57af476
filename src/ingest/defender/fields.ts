/**
 * The mapping of Microsoft Defender for Endpoint's DeviceNetworkEvents onto event columns, shared by the
 * CSV and JSON readers. Column names and meanings are those of the advanced hunting schema reference
 * (learn.microsoft.com/defender-xdr/advanced-hunting-devicenetworkevents-table). Each reader supplies
 * `field(name)`: SQL for the trimmed text of one column, NULL when the record has no value.
 *
 * ActionType decides what a record is:
 * - ConnectionSuccess: the device opened a connection (SF).
 * - ConnectionFailed: the device's attempt failed (S0). Defender does not say whether the server refused
 *   or never answered, so REJ and S0 cannot be told apart; S0 is used for both.
 * - InboundConnectionAccepted: the device accepted a connection, so the remote side is the source.
 * - Every other ActionType (ListeningConnectionCreated, the *ConnectionInspected records that repeat a
 *   connection with protocol details, ...) is counted and passed over.
 */
import type { EventColumnName } from '../../model/event.js';
import type { LoadResult } from '../format.js';
import { portSql, validIpAddressSql } from '../address.js';
import type { ProjectionLayer } from '../projection.js';
import type { RecordCheck, StagedCounts } from '../staged.js';
import { MAX_EPOCH_MS } from '../time.js';
import { countOf } from '../../text/plural.js';

/** The DeviceNetworkEvents columns the readers use. */
export const DEFENDER_COLUMNS = [
  'Timestamp',
  'DeviceName',
  'ActionType',
  'RemoteIP',
  'RemotePort',
  'RemoteUrl',
  'LocalIP',
  'LocalPort',
  'Protocol',
  'InitiatingProcessFileName',
  'InitiatingProcessFolderPath',
  'InitiatingProcessAccountName',
  'InitiatingProcessAccountDomain',
] as const;

export type DefenderColumn = (typeof DEFENDER_COLUMNS)[number];

export type DefenderFieldSql = (column: DefenderColumn) => string;

/** Zeek connection state per loaded ActionType. */
const LOADED_ACTIONS: Record<string, string> = {
  ConnectionSuccess: 'SF',
  ConnectionFailed: 'S0',
  InboundConnectionAccepted: 'SF',
};

const INBOUND = 'InboundConnectionAccepted';

export const DEFENDER_REJECT = {
  missingActionType: 'missing ActionType',
  invalidTimestamp: 'missing or invalid Timestamp',
  invalidLocalIp: 'missing or invalid LocalIP',
  invalidRemoteIp: 'missing or invalid RemoteIP',
  invalidLocalPort: 'invalid LocalPort',
  invalidRemotePort: 'invalid RemotePort',
} as const;

/** ISO 8601 as Defender writes it, `2024-04-19T10:00:02.2502154Z`, with the offset optional. */
const TIMESTAMP_PATTERN =
  '[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|z|[+-][0-9]{2}:?[0-9]{2})?';

/**
 * SQL for a Timestamp as epoch milliseconds, NULL when it is not ISO 8601 or not a real time in range. A
 * time without an offset is read as UTC, which is what Defender records.
 */
export function defenderTimestampMsSql(text: string): string {
  // DuckDB's casts take at most microseconds, and Defender writes ten-millionths of a second.
  const trimmed = `regexp_replace(${text}, '(\\.[0-9]{6})[0-9]+', '\\1')`;
  const zoned = `regexp_matches(${text}, '(Z|z|[+-][0-9]{2}:?[0-9]{2})$')`;
  const parsed = `(CASE WHEN NOT regexp_full_match(${text}, '${TIMESTAMP_PATTERN}') THEN NULL
                        WHEN ${zoned} THEN epoch_ms(TRY_CAST(${trimmed} AS TIMESTAMPTZ))
                        ELSE epoch_ms(TRY_CAST(${trimmed} AS TIMESTAMP)) END)`;
  return `(CASE WHEN ${parsed} BETWEEN 1 AND ${MAX_EPOCH_MS} THEN ${parsed} END)`;
}

/** Defender writes IPv4 peers of a dual-stack socket as ::ffff:192.0.2.1; the IPv4 form joins other logs. */
function unmappedAddressSql(text: string): string {
  return `regexp_replace(${text}, '^::ffff:([0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+)$', '\\1', 'i')`;
}

/**
 * Returns the projection layers that compute each column's text once (named after the column) and then
 * the parsed values that the checks and event columns use.
 */
export function defenderProjectionLayers(field: DefenderFieldSql): ProjectionLayer[] {
  const texts: ProjectionLayer = {};
  for (const column of DEFENDER_COLUMNS) texts[column] = field(column);
  return [
    texts,
    {
      start_ms: defenderTimestampMsSql('"Timestamp"'),
      local_address: unmappedAddressSql('"LocalIP"'),
      remote_address: unmappedAddressSql('"RemoteIP"'),
      local_port: portSql('"LocalPort"'),
      remote_port: portSql('"RemotePort"'),
      inbound: `coalesce("ActionType" = '${INBOUND}', false)`,
    },
    {
      local_valid: `coalesce(${validIpAddressSql('local_address')}, false)`,
      remote_valid: `coalesce(${validIpAddressSql('remote_address')}, false)`,
    },
  ];
}

/** The record checks over the projected columns, in order: ActionType, time, addresses, ports. */
export const DEFENDER_CHECKS: readonly RecordCheck[] = [
  { when: '"ActionType" IS NULL', reject: DEFENDER_REJECT.missingActionType },
  {
    when: `"ActionType" NOT IN (${Object.keys(LOADED_ACTIONS)
      .map((action) => `'${action}'`)
      .join(', ')})`,
    ignore: true,
  },
  { when: 'start_ms IS NULL', reject: DEFENDER_REJECT.invalidTimestamp },
  { when: 'NOT local_valid', reject: DEFENDER_REJECT.invalidLocalIp },
  { when: 'NOT remote_valid', reject: DEFENDER_REJECT.invalidRemoteIp },
  { when: '"LocalPort" IS NOT NULL AND local_port IS NULL', reject: DEFENDER_REJECT.invalidLocalPort },
  { when: '"RemotePort" IS NOT NULL AND remote_port IS NULL', reject: DEFENDER_REJECT.invalidRemotePort },
];

/**
 * SQL for the host in RemoteUrl, which is a bare name (`c2.example.net`) or a URL
 * (`https://c2.example.net:8443/x`): the scheme, user, port and path are dropped.
 */
function remoteHostSql(text: string): string {
  const host = `regexp_extract(${text}, '^(?:[A-Za-z][A-Za-z0-9+.-]*://)?(?:[^@/]*@)?(\\[[^\\]]*\\]|[^:/?#]*)', 1)`;
  return `nullif(lower(${host}), '')`;
}

/**
 * SQL for the process image. The schema calls InitiatingProcessFolderPath a folder, so it is joined with
 * InitiatingProcessFileName, unless it already ends with that file name.
 */
const PROCESS_IMAGE_SQL = `(CASE
    WHEN "InitiatingProcessFolderPath" IS NULL THEN "InitiatingProcessFileName"
    WHEN "InitiatingProcessFileName" IS NULL
      OR ends_with(lower("InitiatingProcessFolderPath"), lower("InitiatingProcessFileName"))
      THEN "InitiatingProcessFolderPath"
    ELSE rtrim("InitiatingProcessFolderPath", '\\') || '\\' || "InitiatingProcessFileName"
  END)`;

/** Returns the SQL per event column over the projected columns. `formatId` prefixes logsource. */
export function defenderEventColumns(formatId: string): Partial<Record<EventColumnName, string>> {
  const states = Object.entries(LOADED_ACTIONS)
    .map(([action, state]) => `WHEN '${action}' THEN '${state}'`)
    .join(' ');
  return {
    starttime: 'start_ms',
    sourceip: '(CASE WHEN inbound THEN remote_address ELSE local_address END)',
    sourceport: '(CASE WHEN inbound THEN remote_port ELSE local_port END)',
    destinationip: '(CASE WHEN inbound THEN local_address ELSE remote_address END)',
    destinationport: '(CASE WHEN inbound THEN local_port ELSE remote_port END)',
    // Defender writes Tcp, TcpV4, TcpV6, Udp, ...
    protocol: `regexp_replace(lower("Protocol"), 'v[46]$', '')`,
    connstate: `(CASE "ActionType" ${states} END)`,
    servername: `(CASE WHEN NOT inbound THEN ${remoteHostSql('"RemoteUrl"')} END)`,
    processimage: PROCESS_IMAGE_SQL,
    username: `(CASE WHEN "InitiatingProcessAccountName" IS NOT NULL
                  THEN concat_ws('\\', "InitiatingProcessAccountDomain", "InitiatingProcessAccountName") END)`,
    logsource: `'${formatId}' || coalesce(':' || "DeviceName", '')`,
  };
}

/** Builds the load result; a file with records but none of a loaded ActionType is reported as ignored. */
export function defenderLoadResult(counts: StagedCounts): LoadResult {
  if (counts.events === 0 && counts.skipped === 0 && counts.ignored > 0) {
    return {
      status: 'ignored',
      events: 0,
      skipped: 0,
      message: `no ConnectionSuccess, ConnectionFailed or InboundConnectionAccepted among ${counts.ignored} records`,
    };
  }
  const result: LoadResult = { status: 'loaded', events: counts.events, skipped: counts.skipped };
  if (counts.ignored > 0)
    result.message = `${countOf(counts.ignored, 'record')} of other ActionTypes ignored`;
  return result;
}
