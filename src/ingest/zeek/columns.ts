/**
 * The mapping from Zeek's conn, ssl and http fields onto event columns, shared by the TSV and JSON
 * readers. Each reader supplies `field(name)`: a SQL expression for the raw text of one Zeek field, NULL
 * when the field is absent or unset.
 */
import { EVENT_COLUMN_NAMES } from '../../model/event.js';

export type FieldSql = (zeekField: string) => string;

/** Zeek `ts` is epoch seconds with microseconds; JSON logs may instead carry ISO 8601 text. */
export function timestampMsSql(field: FieldSql): string {
  const ts = field('ts');
  return `coalesce(
    CAST(round(TRY_CAST(${ts} AS DOUBLE) * 1000) AS BIGINT),
    epoch_ms(TRY_CAST(${ts} AS TIMESTAMPTZ))
  )`;
}

/** The reason a conn record is rejected, or NULL when it is usable; the first failing check wins. */
export function connRejectReasonSql(field: FieldSql, fieldCountCheck: string | null): string {
  const checks: Array<[string, string]> = [];
  if (fieldCountCheck) checks.push([fieldCountCheck, 'wrong field count']);
  checks.push(
    [`${timestampMsSql(field)} IS NULL`, 'invalid or missing timestamp (ts)'],
    [
      `${field('id.orig_h')} IS NULL OR ${field('id.resp_h')} IS NULL`,
      'missing address (id.orig_h or id.resp_h)',
    ],
    [
      `${field('id.resp_p')} IS NOT NULL AND TRY_CAST(${field('id.resp_p')} AS INTEGER) IS NULL`,
      'invalid port',
    ],
  );
  return `CASE ${checks.map(([condition, reason]) => `WHEN ${condition} THEN '${reason}'`).join(' ')} END`;
}

/** SELECT list producing every event column, in table order, from a Zeek conn record. */
export function connEventSelectSql(field: FieldSql, file: string, lineNo: string, formatId: string): string {
  const expressions: Record<string, string> = {
    starttime: timestampMsSql(field),
    sourceip: field('id.orig_h'),
    sourceport: `TRY_CAST(${field('id.orig_p')} AS INTEGER)`,
    destinationip: field('id.resp_h'),
    destinationport: `TRY_CAST(${field('id.resp_p')} AS INTEGER)`,
    username: 'NULL',
    eventdirection: 'NULL',
    protocol: `lower(${field('proto')})`,
    service: field('service'),
    sourcebytes: `TRY_CAST(${field('orig_bytes')} AS BIGINT)`,
    destinationbytes: `TRY_CAST(${field('resp_bytes')} AS BIGINT)`,
    duration: `TRY_CAST(${field('duration')} AS DOUBLE)`,
    connstate: field('conn_state'),
    servername: 'NULL',
    uri: 'NULL',
    useragent: 'NULL',
    processimage: 'NULL',
    logsource: `'${formatId}'`,
    eventcount: '1',
    uid: field('uid'),
    sourcefile: file,
    sourceline: lineNo,
  };
  return EVENT_COLUMN_NAMES.map((name) => `${expressions[name]} AS ${name}`).join(',\n  ');
}

/** Side tables for the protocol logs that are joined onto conn events by uid once every file is in. */
export const CREATE_ZEEK_SIDE_TABLES_SQL = [
  'CREATE TABLE IF NOT EXISTS zeek_ssl (uid VARCHAR, ts BIGINT, server_name VARCHAR)',
  'CREATE TABLE IF NOT EXISTS zeek_http (uid VARCHAR, ts BIGINT, host VARCHAR, uri VARCHAR, user_agent VARCHAR)',
];

export function sslSelectSql(field: FieldSql): string {
  return `${field('uid')} AS uid, ${timestampMsSql(field)} AS ts, ${field('server_name')} AS server_name`;
}

export function httpSelectSql(field: FieldSql): string {
  return [
    `${field('uid')} AS uid`,
    `${timestampMsSql(field)} AS ts`,
    `${field('host')} AS host`,
    `${field('uri')} AS uri`,
    `${field('user_agent')} AS user_agent`,
  ].join(', ');
}

/** Side records need only a uid to be joined. */
export function sideRejectReasonSql(field: FieldSql, fieldCountCheck: string | null): string {
  const checks: Array<[string, string]> = [];
  if (fieldCountCheck) checks.push([fieldCountCheck, 'wrong field count']);
  checks.push([`${field('uid')} IS NULL`, 'missing uid']);
  return `CASE ${checks.map(([condition, reason]) => `WHEN ${condition} THEN '${reason}'`).join(' ')} END`;
}
