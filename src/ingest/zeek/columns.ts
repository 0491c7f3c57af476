/**
 * The mapping from Zeek's conn, ssl and http fields onto event columns, shared by the TSV and JSON
 * readers. Each reader supplies `field(name)`: a SQL expression for the raw text of one Zeek field, NULL
 * when the field is absent or unset.
 */
import { EVENT_COLUMN_NAMES } from '../../model/event.js';

export type FieldSql = (zeekField: string) => string;

/** Pattern for ISO 8601 text that ends in a UTC offset after the time of day: `…:05Z`, `…:05.5+02:00`. */
const ISO_OFFSET_PATTERN = ':[0-9]{2}(\\.[0-9]+)?\\s*([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$';

/**
 * Builds SQL for `ts` in epoch milliseconds. Zeek writes epoch seconds with microseconds, and JSON logs
 * may carry ISO 8601 text instead. Text without an offset is read as UTC, like Zeek's own timestamps:
 * a TIMESTAMPTZ cast would read it in the session's time zone and a TIMESTAMP cast drops any offset, so
 * the pattern picks the cast. A value out of BIGINT range (`nan`, `inf`, `1e300`) gives NULL, so the
 * line is rejected rather than the whole file.
 */
export function timestampMsSql(field: FieldSql): string {
  const ts = field('ts');
  return `coalesce(
    TRY_CAST(round(TRY_CAST(${ts} AS DOUBLE) * 1000) AS BIGINT),
    CASE WHEN regexp_matches(${ts}, '${ISO_OFFSET_PATTERN}')
         THEN epoch_ms(TRY_CAST(${ts} AS TIMESTAMPTZ))
         ELSE epoch_ms(TRY_CAST(${ts} AS TIMESTAMP)) END
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
    [`${invalidPortSql(field('id.orig_p'))} OR ${invalidPortSql(field('id.resp_p'))}`, 'invalid port'],
  );
  return `CASE ${checks.map(([condition, reason]) => `WHEN ${condition} THEN '${reason}'`).join(' ')} END`;
}

/** Builds a condition that is true when a port is present but not an integer from 0 to 65535. */
function invalidPortSql(port: string): string {
  return `(${port} IS NOT NULL AND coalesce(TRY_CAST(${port} AS INTEGER) NOT BETWEEN 0 AND 65535, true))`;
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
