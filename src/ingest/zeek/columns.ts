/**
 * The mapping from Zeek's conn, ssl and http fields onto event columns, and from dns.log fields onto the
 * dns_queries table, shared by the TSV and JSON readers. Each reader supplies `field(name)`: a SQL
 * expression for the raw text of one Zeek field, NULL when the field is absent or unset.
 */
import { EVENT_COLUMN_NAMES } from '../../model/event.js';
import { validIpAddressSql } from '../address.js';
import type { RecordCheck } from '../staged.js';
import { MAX_EPOCH_MS } from '../time.js';

export type FieldSql = (zeekField: string) => string;

/** Every Zeek field the readers use, across conn, ssl and http logs. */
export const ZEEK_FIELDS = [
  'ts',
  'uid',
  'id.orig_h',
  'id.orig_p',
  'id.resp_h',
  'id.resp_p',
  'proto',
  'service',
  'duration',
  'orig_bytes',
  'resp_bytes',
  'conn_state',
  'server_name',
  'host',
  'uri',
  'user_agent',
] as const;

/** Fields of dns.log that the readers use besides ts, uid and the addresses, which ZEEK_FIELDS has. */
export const ZEEK_DNS_FIELDS = [
  'query',
  'qtype_name',
  'qtype',
  'rcode_name',
  'rcode',
  'answers',
  'trans_id',
] as const;

const ALL_ZEEK_FIELDS: readonly string[] = [...ZEEK_FIELDS, ...ZEEK_DNS_FIELDS];

/**
 * Returns the fields to extract from files that hold records of `kinds`. The DNS fields are left out
 * unless dns.log records are among them, so that a conn.log does not pay for their extraction.
 */
export function zeekFieldsFor(kinds: readonly string[]): readonly string[] {
  return kinds.includes('dns') ? ALL_ZEEK_FIELDS : ZEEK_FIELDS;
}

/** Columns of the staged record computed once per record from the fields. */
export const TIMESTAMP_MS_COLUMN = 'ts_ms';
const TIMESTAMP_SECONDS_COLUMN = 'ts_seconds';
const ORIGIN_PORT_COLUMN = 'orig_port';
const RESPONDER_PORT_COLUMN = 'resp_port';

/**
 * Wraps a stage query so that every Zeek field becomes a column of its own, named after the field, and
 * adds TIMESTAMP_MS_COLUMN. Checks and mappings then read each value once instead of re-extracting it
 * in every expression, which halves the cost of loading a large conn.log.
 */
export function projectZeekFieldsSql(
  stageSql: string,
  rawField: FieldSql,
  names: readonly string[] = ZEEK_FIELDS,
): string {
  const fields = names.map((name) => `CAST(${rawField(name)} AS VARCHAR) AS "${name}"`).join(', ');
  return `SELECT *, ${timestampMsSql('"ts"', TIMESTAMP_SECONDS_COLUMN)} AS ${TIMESTAMP_MS_COLUMN}
            FROM (SELECT *, TRY_CAST("ts" AS DOUBLE) AS ${TIMESTAMP_SECONDS_COLUMN},
                         TRY_CAST("id.orig_p" AS INTEGER) AS ${ORIGIN_PORT_COLUMN},
                         TRY_CAST("id.resp_p" AS INTEGER) AS ${RESPONDER_PORT_COLUMN}
                    FROM (SELECT *, ${fields} FROM (${stageSql})))`;
}

/**
 * Returns SQL for a field over the columns that projectZeekFieldsSql adds. A DNS field is a column only
 * when the projection was given the DNS fields (zeekFieldsFor).
 */
export function projectedField(name: string): string {
  return ALL_ZEEK_FIELDS.includes(name) ? `"${name}"` : 'CAST(NULL AS VARCHAR)';
}

/** Pattern for ISO 8601 text that ends in a UTC offset after the time of day: `…:05Z`, `…:05.5+02:00`. */
const ISO_OFFSET_PATTERN = ':[0-9]{2}(\\.[0-9]+)?\\s*([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$';

/**
 * Builds SQL for `ts` in epoch milliseconds. Zeek writes epoch seconds with microseconds, and JSON logs
 * may carry ISO 8601 text instead. Text without an offset is read as UTC, like Zeek's own timestamps:
 * a TIMESTAMPTZ cast would read it in the session's time zone and a TIMESTAMP cast drops any offset, so
 * the pattern picks the cast. A value out of BIGINT range (`nan`, `inf`, `1e300`) gives NULL, so the
 * line is rejected rather than the whole file.
 */
export function timestampMsSql(ts: string, tsSeconds: string): string {
  // CASE rather than coalesce, so that the regular expression runs only on values that are not numbers.
  return `CASE
    WHEN ${tsSeconds} IS NOT NULL THEN TRY_CAST(round(${tsSeconds} * 1000) AS BIGINT)
    WHEN regexp_matches(${ts}, '${ISO_OFFSET_PATTERN}') THEN epoch_ms(TRY_CAST(${ts} AS TIMESTAMPTZ))
    ELSE epoch_ms(TRY_CAST(${ts} AS TIMESTAMP)) END`;
}

/** Returns the checks on `ts` and on the presence of both addresses, shared by conn and dns records. */
function timeAndAddressChecks(field: FieldSql): RecordCheck[] {
  return [
    { when: `${TIMESTAMP_MS_COLUMN} IS NULL`, reject: 'invalid or missing timestamp (ts)' },
    {
      // Zero is allowed because Stratosphere's traces use relative timestamps that start near 0.
      when: `${TIMESTAMP_MS_COLUMN} NOT BETWEEN 0 AND ${MAX_EPOCH_MS}`,
      reject: 'timestamp out of range (ts before 1970 or after 9999)',
    },
    {
      when: `${field('id.orig_h')} IS NULL OR ${field('id.resp_h')} IS NULL`,
      reject: 'missing address (id.orig_h or id.resp_h)',
    },
  ];
}

/** Returns the checks that reject a conn record, in order; the first that matches gives the reason. */
export function connChecks(field: FieldSql): RecordCheck[] {
  return [
    ...timeAndAddressChecks(field),
    {
      when: `${invalidPortSql(field('id.orig_p'), ORIGIN_PORT_COLUMN)} OR ${invalidPortSql(field('id.resp_p'), RESPONDER_PORT_COLUMN)}`,
      reject: 'invalid port',
    },
  ];
}

/** Builds a condition that is true when a port is present but not an integer from 0 to 65535. */
function invalidPortSql(port: string, portNumber: string): string {
  return `(${port} IS NOT NULL AND coalesce(${portNumber} NOT BETWEEN 0 AND 65535, true))`;
}

/** SELECT list producing every event column, in table order, from a Zeek conn record. */
export function connEventSelectSql(field: FieldSql, file: string, lineNo: string, formatId: string): string {
  const expressions: Record<string, string> = {
    starttime: TIMESTAMP_MS_COLUMN,
    sourceip: field('id.orig_h'),
    sourceport: ORIGIN_PORT_COLUMN,
    destinationip: field('id.resp_h'),
    destinationport: RESPONDER_PORT_COLUMN,
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

export function sslSelectSql(field: FieldSql): string {
  return `${field('uid')} AS uid, ${TIMESTAMP_MS_COLUMN} AS ts, ${field('server_name')} AS server_name`;
}

export function httpSelectSql(field: FieldSql): string {
  return [
    `${field('uid')} AS uid`,
    `${TIMESTAMP_MS_COLUMN} AS ts`,
    `${field('host')} AS host`,
    `${field('uri')} AS uri`,
    `${field('user_agent')} AS user_agent`,
  ].join(', ');
}

/**
 * Returns the checks that reject a dns.log record. The addresses must be valid because the DNS naming
 * step compares them with event addresses.
 */
export function dnsChecks(field: FieldSql): RecordCheck[] {
  return [
    ...timeAndAddressChecks(field),
    {
      when: `NOT (${validIpAddressSql(field('id.orig_h'))} AND ${validIpAddressSql(field('id.resp_h'))})`,
      reject: 'invalid address (id.orig_h or id.resp_h)',
    },
  ];
}

/**
 * SELECT list producing the dns_queries columns from a dns.log record. `vectorSql` turns the raw text
 * of a Zeek vector field into a VARCHAR[], because the TSV and JSON readers write vectors differently.
 * A response without answer records (NXDOMAIN) gets an empty list, so that answers is NULL only when no
 * response was seen, which Zeek marks by leaving rcode unset.
 */
export function dnsSelectSql(field: FieldSql, vectorSql: (raw: string) => string, file: string): string {
  const rcode = `coalesce(${field('rcode_name')}, ${field('rcode')})`;
  return [
    `${TIMESTAMP_MS_COLUMN} AS starttime`,
    `${field('id.orig_h')} AS sourceip`,
    `${field('id.resp_h')} AS resolverip`,
    `${field('query')} AS query`,
    `coalesce(${field('qtype_name')}, ${field('qtype')}) AS qtype`,
    `${rcode} AS rcode`,
    `coalesce(${vectorSql(field('answers'))}, CASE WHEN ${rcode} IS NOT NULL THEN []::VARCHAR[] END) AS answers`,
    `${field('uid')} AS uid`,
    `TRY_CAST(${field('trans_id')} AS INTEGER) AS transactionid`,
    `${file} AS sourcefile`,
    'line_no AS sourceline',
  ].join(', ');
}

/** Side records need only a uid to be joined. */
export function sideChecks(field: FieldSql): RecordCheck[] {
  return [{ when: `${field('uid')} IS NULL`, reject: 'missing uid' }];
}
