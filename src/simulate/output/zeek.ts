/**
 * Zeek conn, ssl, http and dns logs, as TSV with Zeek's header lines and as JSON lines. Field names and
 * types follow the logs of Zeek 6 (base/protocols/conn, ssl, http, dns main.zeek).
 */
import type { HttpRequest, SimConnection } from '../model.js';
import {
  epochSeconds,
  isIpv6,
  packetCount,
  type OutputContext,
  type OutputFile,
  type OutputFormat,
} from './types.js';

type ZeekValue = string | number | boolean | null | readonly string[];
/** One record's values in the order of its log's fields. */
type ZeekRecord = ZeekValue[];

interface ZeekLog {
  path: 'conn' | 'ssl' | 'http' | 'dns';
  fields: readonly (readonly [name: string, type: string])[];
}

const ID_FIELDS = [
  ['ts', 'time'],
  ['uid', 'string'],
  ['id.orig_h', 'addr'],
  ['id.orig_p', 'port'],
  ['id.resp_h', 'addr'],
  ['id.resp_p', 'port'],
] as const;

const CONN_LOG: ZeekLog = {
  path: 'conn',
  fields: [
    ...ID_FIELDS,
    ['proto', 'enum'],
    ['service', 'string'],
    ['duration', 'interval'],
    ['orig_bytes', 'count'],
    ['resp_bytes', 'count'],
    ['conn_state', 'string'],
    ['local_orig', 'bool'],
    ['local_resp', 'bool'],
    ['missed_bytes', 'count'],
    ['history', 'string'],
    ['orig_pkts', 'count'],
    ['orig_ip_bytes', 'count'],
    ['resp_pkts', 'count'],
    ['resp_ip_bytes', 'count'],
    ['tunnel_parents', 'set[string]'],
  ],
};

const SSL_LOG: ZeekLog = {
  path: 'ssl',
  fields: [
    ...ID_FIELDS,
    ['version', 'string'],
    ['cipher', 'string'],
    ['server_name', 'string'],
    ['resumed', 'bool'],
    ['established', 'bool'],
  ],
};

const HTTP_LOG: ZeekLog = {
  path: 'http',
  fields: [
    ...ID_FIELDS,
    ['trans_depth', 'count'],
    ['method', 'string'],
    ['host', 'string'],
    ['uri', 'string'],
    ['referrer', 'string'],
    ['version', 'string'],
    ['user_agent', 'string'],
    ['request_body_len', 'count'],
    ['response_body_len', 'count'],
    ['status_code', 'count'],
    ['status_msg', 'string'],
  ],
};

const DNS_LOG: ZeekLog = {
  path: 'dns',
  fields: [
    ...ID_FIELDS,
    ['proto', 'enum'],
    ['trans_id', 'count'],
    ['rtt', 'interval'],
    ['query', 'string'],
    ['qclass', 'count'],
    ['qclass_name', 'string'],
    ['qtype', 'count'],
    ['qtype_name', 'string'],
    ['rcode', 'count'],
    ['rcode_name', 'string'],
    ['AA', 'bool'],
    ['TC', 'bool'],
    ['RD', 'bool'],
    ['RA', 'bool'],
    ['Z', 'count'],
    ['answers', 'vector[string]'],
    ['TTLs', 'vector[interval]'],
    ['rejected', 'bool'],
  ],
};

const QTYPE_NUMBERS = { A: 1, AAAA: 28, TXT: 16 } as const;

/** Returns a Zeek-style uid: "C", 11 characters derived from the seed and index, then the index in base 62. */
export function simulatedUid(seed: number, index: number): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let uid = 'C';
  let state = (Math.imul(index + 1, 0x9e3779b1) ^ Math.imul(seed | 0, 0x85ebca6b)) >>> 0;
  for (let position = 0; position < 11; position += 1) {
    state = Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) >>> 0;
    uid += alphabet[state % 62];
  }
  // The index in six base-62 digits (up to 56 billion) keeps every uid of a run distinct.
  let rest = index;
  let suffix = '';
  for (let position = 0; position < 6; position += 1) {
    suffix = (alphabet[rest % 62] ?? '0') + suffix;
    rest = Math.floor(rest / 62);
  }
  return uid + suffix;
}

function history(connection: SimConnection): string {
  if (connection.protocol === 'udp') return connection.connstate === 'S0' ? 'D' : 'Dd';
  if (connection.connstate === 'S0') return 'S';
  if (connection.connstate === 'REJ') return 'Sr';
  return 'ShADadFf';
}

function connRecord(connection: SimConnection, uid: string, context: OutputContext): ZeekRecord {
  const answered = connection.connstate === 'SF';
  const origPackets = answered ? packetCount(connection.sourcebytes, connection.protocol) : 1;
  const respPackets = answered
    ? packetCount(connection.destinationbytes, connection.protocol)
    : connection.connstate === 'REJ'
      ? 1
      : 0;
  const headerBytes = isIpv6(connection.sourceip) ? 60 : 40;
  return [
    ...idFields(connection, uid, connection.starttime),
    connection.protocol,
    connection.service,
    answered ? (connection.durationMs / 1000).toFixed(6) : null,
    connection.sourcebytes,
    connection.destinationbytes,
    connection.connstate,
    context.localNetworks.isLocal(connection.sourceip),
    context.localNetworks.isLocal(connection.destinationip),
    0,
    history(connection),
    origPackets,
    connection.sourcebytes + origPackets * headerBytes,
    respPackets,
    connection.destinationbytes + respPackets * headerBytes,
    null,
  ];
}

function idFields(connection: SimConnection, uid: string, time: number): ZeekRecord {
  return [
    epochSeconds(time),
    uid,
    connection.sourceip,
    connection.sourceport,
    connection.destinationip,
    connection.destinationport,
  ];
}

function sslRecord(connection: SimConnection, uid: string): ZeekRecord {
  return [
    ...idFields(connection, uid, connection.starttime + 15),
    'TLSv13',
    'TLS_AES_256_GCM_SHA384',
    connection.servername,
    false,
    true,
  ];
}

function httpRecord(connection: SimConnection, uid: string, request: HttpRequest, depth: number): ZeekRecord {
  return [
    ...idFields(connection, uid, request.time),
    depth,
    request.method,
    request.host,
    request.uri,
    null,
    '1.1',
    request.userAgent,
    request.method === 'POST' ? request.requestBytes : 0,
    request.responseBytes,
    request.status,
    'OK',
  ];
}

function dnsRecord(connection: SimConnection, uid: string): ZeekRecord | null {
  const query = connection.dns;
  if (query === null) return null;
  const answered = query.answers.length > 0;
  return [
    ...idFields(connection, uid, connection.starttime),
    connection.protocol,
    query.transactionId,
    (connection.durationMs / 1000).toFixed(6),
    query.query,
    1,
    'C_INTERNET',
    QTYPE_NUMBERS[query.qtype],
    query.qtype,
    // A name under a domain with no such record gets NXDOMAIN (rcode 3) from the resolver.
    answered ? 0 : 3,
    answered ? 'NOERROR' : 'NXDOMAIN',
    false,
    false,
    true,
    true,
    0,
    answered ? query.answers : null,
    answered ? query.answers.map(() => '300.000000') : null,
    false,
  ];
}

/** The records of each log for every connection, in connection order. */
function* recordsOf(
  log: ZeekLog['path'],
  connections: readonly SimConnection[],
  context: OutputContext,
): Generator<ZeekRecord> {
  for (const [index, connection] of connections.entries()) {
    if (log === 'conn') yield connRecord(connection, simulatedUid(context.seed, index), context);
    else if (log === 'ssl' && connection.servername !== null) {
      yield sslRecord(connection, simulatedUid(context.seed, index));
    } else if (log === 'http') {
      for (const [depth, request] of connection.requests.entries()) {
        yield httpRecord(connection, simulatedUid(context.seed, index), request, depth + 1);
      }
    } else if (log === 'dns' && connection.dns !== null) {
      const record = dnsRecord(connection, simulatedUid(context.seed, index));
      if (record !== null) yield record;
    }
  }
}

/** Zeek's TSV escaping: a tab, newline or backslash in a value is written as \xNN. */
function escapeTsv(text: string): string {
  if (!/[\t\n\r\\]/.test(text)) return text;
  return text.replace(
    /[\t\n\r\\]/g,
    (character) => `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

function tsvValue(value: ZeekValue | undefined): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'boolean') return value ? 'T' : 'F';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value === '' ? '(empty)' : escapeTsv(value);
  return value.length === 0 ? '(empty)' : value.map(escapeTsv).join(',');
}

/** Zeek's #open and #close stamp: 2026-11-02-00-00-00. */
function zeekStamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', '-').replaceAll(':', '-');
}

function* tsvLines(
  log: ZeekLog,
  connections: readonly SimConnection[],
  context: OutputContext,
): Generator<string> {
  const opened = connections[0]?.starttime ?? 0;
  const closed = connections.at(-1)?.starttime ?? opened;
  yield '#separator \\x09';
  yield '#set_separator\t,';
  yield '#empty_field\t(empty)';
  yield '#unset_field\t-';
  yield `#path\t${log.path}`;
  yield `#open\t${zeekStamp(opened)}`;
  yield `#fields\t${log.fields.map(([name]) => name).join('\t')}`;
  yield `#types\t${log.fields.map(([, type]) => type).join('\t')}`;
  for (const record of recordsOf(log.path, connections, context)) {
    yield record.map(tsvValue).join('\t');
  }
  yield `#close\t${zeekStamp(closed)}`;
}

/** Renders one value as Zeek's JSON writer does: times and intervals as numbers, booleans as JSON booleans. */
function jsonValue(value: Exclude<ZeekValue, null>, type: string): string {
  if (type === 'time' || type === 'interval') return String(Number(value));
  if (type === 'vector[interval]' && Array.isArray(value)) return `[${value.map(Number).join(',')}]`;
  return JSON.stringify(value);
}

function* jsonLines(
  log: ZeekLog,
  connections: readonly SimConnection[],
  context: OutputContext,
): Generator<string> {
  const keys = log.fields.map(([name]) => `${JSON.stringify(name)}:`);
  for (const record of recordsOf(log.path, connections, context)) {
    let line = `{"_path":"${log.path}"`;
    for (const [index, value] of record.entries()) {
      // Zeek's JSON writer leaves unset fields out.
      if (value === null || value === undefined) continue;
      line += `,${keys[index]}${jsonValue(value, log.fields[index]?.[1] ?? 'string')}`;
    }
    yield `${line}}`;
  }
}

const LOGS = [CONN_LOG, SSL_LOG, HTTP_LOG, DNS_LOG] as const;

export const zeekTsvOutput: OutputFormat = {
  id: 'zeek-tsv',
  aliases: ['zeek'],
  description: 'Zeek conn.log, ssl.log, http.log and dns.log as TSV with #fields headers',
  limits: 'no process or user; loopback connections are written although a network sensor would not see them',
  files(connections, context): OutputFile[] {
    return LOGS.map((log) => ({ path: `${log.path}.log`, lines: () => tsvLines(log, connections, context) }));
  },
  // beaconhunt reads a connection as one event, plus one per later HTTP request on it (keep-alive).
  recordsFor: (connection) => Math.max(1, connection.requests.length),
};

export const zeekJsonOutput: OutputFormat = {
  id: 'zeek-json',
  aliases: [],
  description: 'Zeek conn, ssl, http and dns logs as JSON lines with _path',
  limits: zeekTsvOutput.limits,
  files(connections, context): OutputFile[] {
    return LOGS.map((log) => ({
      path: `${log.path}.log`,
      lines: () => jsonLines(log, connections, context),
    }));
  },
  // beaconhunt reads a connection as one event, plus one per later HTTP request on it (keep-alive).
  recordsFor: (connection) => Math.max(1, connection.requests.length),
};
