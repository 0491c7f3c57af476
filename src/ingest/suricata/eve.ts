/**
 * Suricata's EVE JSON output (eve.json): one JSON object per line, typed by `event_type`. Flow records
 * become events, http and tls records fill the side tables that are joined onto events by flow id, and
 * dns records fill dns_queries. Records of every other type (alert, fileinfo, stats, anomaly, …) are
 * counted and passed over.
 *
 * Field names follow Suricata's user guide, in OISF/suricata: the flow, http, tls and dns sections of
 * "Eve JSON Format" (doc/userguide/output/eve/eve-json-format.rst). The version 3 DNS records of
 * Suricata 8 follow "DNS EVE Logging Changes for 8.0" (doc/userguide/upgrade/8.0-dns-logging-changes.rst).
 */
import { EVENT_COLUMN_NAMES, type EventColumnName } from '../../model/event.js';
import { sqlString } from '../../store/duckdb.js';
import {
  createFlowSideTables,
  DNS_QUERIES_TABLE,
  DNS_RESPONSES_TABLE,
  EVENTS_TABLE,
  FLOW_HTTP_TABLE,
  FLOW_TLS_TABLE,
} from '../../store/schema.js';
import { canonicalIpSql, portSql, validIpAddressSql } from '../address.js';
import type { InputFormat, LoadContext, LoadResult } from '../format.js';
import { countOf } from '../../text/plural.js';
import { objectTransformSql } from '../json-sql.js';
import { linesTableSql } from '../lines.js';
import type { FileSample } from '../sniff.js';
import { loadStagedRecords, type RecordCheck } from '../staged.js';
import { MAX_EPOCH_MS } from '../time.js';
import { connStateSql, eveTimeUsSql } from './sql.js';

const FORMAT_ID = 'suricata-eve';

/** Temporary table of the current file's good dns records, between the DNS scan and its inserts. */
const DNS_RECORDS_TABLE = 'suricata_dns_records';

/** Record types that are loaded. Records of every other event_type are counted and passed over. */
const LOADED_TYPES = ['flow', 'http', 'tls', 'dns'] as const;

/** dns.type of a request: `query` up to EVE DNS version 2, `request` from version 3 (Suricata 8). */
const DNS_REQUEST_TYPES = ['query', 'request'];
/** dns.type of a response: `answer` up to version 2, `response` from version 3. */
const DNS_RESPONSE_TYPES = ['answer', 'response'];

/**
 * Fields that one pass over the file reads: the structure json_transform extracts from each line, and the
 * stage columns taken from it. A value that does not fit the structure becomes NULL rather than an error.
 */
interface RecordShape {
  structure: Record<string, unknown>;
  columns: Record<string, string>;
}

const COMMON_STRUCTURE = {
  event_type: 'VARCHAR',
  flow_id: 'VARCHAR',
  timestamp: 'VARCHAR',
  src_ip: 'VARCHAR',
  src_port: 'VARCHAR',
  dest_ip: 'VARCHAR',
  dest_port: 'VARCHAR',
};

const COMMON_COLUMNS = {
  event_type: "r['event_type']",
  flow_id: "r['flow_id']",
  event_time: "r['timestamp']",
  src_ip: "r['src_ip']",
  src_port: "r['src_port']",
  dest_ip: "r['dest_ip']",
  dest_port: "r['dest_port']",
};

/** The pass that checks every record and loads the flow records: what flows and the checks need. */
const CHECKED_SHAPE: RecordShape = {
  structure: {
    ...COMMON_STRUCTURE,
    proto: 'VARCHAR',
    app_proto: 'VARCHAR',
    flow: {
      start: 'VARCHAR',
      end: 'VARCHAR',
      state: 'VARCHAR',
      bytes_toserver: 'VARCHAR',
      bytes_toclient: 'VARCHAR',
    },
    tcp: { tcp_flags_ts: 'VARCHAR', tcp_flags_tc: 'VARCHAR' },
    dns: { type: 'VARCHAR' },
  },
  columns: {
    ...COMMON_COLUMNS,
    proto: "r['proto']",
    app_proto: "r['app_proto']",
    flow_start: "r['flow']['start']",
    flow_end: "r['flow']['end']",
    flow_state: "r['flow']['state']",
    bytes_toserver: "r['flow']['bytes_toserver']",
    bytes_toclient: "r['flow']['bytes_toclient']",
    client_flags: "r['tcp']['tcp_flags_ts']",
    server_flags: "r['tcp']['tcp_flags_tc']",
    dns_type: "r['dns']['type']",
  },
};

const HTTP_SHAPE: RecordShape = {
  structure: {
    ...COMMON_STRUCTURE,
    http: { hostname: 'VARCHAR', url: 'VARCHAR', http_user_agent: 'VARCHAR' },
  },
  columns: {
    ...COMMON_COLUMNS,
    hostname: "r['http']['hostname']",
    url: "r['http']['url']",
    user_agent: "r['http']['http_user_agent']",
  },
};

const TLS_SHAPE: RecordShape = {
  structure: { ...COMMON_STRUCTURE, tls: { sni: 'VARCHAR' } },
  columns: { ...COMMON_COLUMNS, sni: "r['tls']['sni']" },
};

/**
 * The DNS pass reads every shape Suricata has written. The query name is at the top of `dns` (versions 1
 * and 2) or in `queries` (version 3). Answers come as one record per answer with `rdata` (version 1), as
 * the `answers` list ("detailed") or as the `grouped` object of lists by record type (versions 2 and 3).
 * NOTE: a version 1 answer record's `rrname` is its own owner name, so a response whose query was not
 * logged is named after its first record, which is the query name only when Suricata logged the
 * answers in response order.
 */
const DNS_SHAPE: RecordShape = {
  structure: {
    ...COMMON_STRUCTURE,
    dns: {
      type: 'VARCHAR',
      id: 'VARCHAR',
      rrname: 'VARCHAR',
      rrtype: 'VARCHAR',
      rcode: 'VARCHAR',
      rdata: 'VARCHAR',
      queries: [{ rrname: 'VARCHAR', rrtype: 'VARCHAR' }],
      answers: [{ rrname: 'VARCHAR', rdata: 'VARCHAR' }],
      grouped: 'JSON',
    },
  },
  columns: {
    ...COMMON_COLUMNS,
    dns_type: "r['dns']['type']",
    dns_id: "r['dns']['id']",
    dns_query:
      "coalesce(r['dns']['queries'][1]['rrname'], r['dns']['rrname'], r['dns']['answers'][1]['rrname'])",
    dns_qtype: "coalesce(r['dns']['queries'][1]['rrtype'], r['dns']['rrtype'])",
    dns_rcode: "r['dns']['rcode']",
    dns_rdata: "r['dns']['rdata']",
    dns_answers: "r['dns']['answers']",
    dns_grouped: "r['dns']['grouped']",
  },
};

/**
 * Builds a test on the raw line that is true for every record of `eventType`, so that a pass parses only
 * the lines that can be of its type. It allows the spaces that other JSON writers put around the colon.
 */
function eventTypePrefilter(eventType: string): string {
  return `regexp_matches(line, '"event_type"\\s*:\\s*"${eventType}"')`;
}

/**
 * Builds the stage of one pass: line_no, line, the parsed record `r` (NULL for a line that is not a JSON
 * object) and the shape's columns. Blank lines are not records. `eventType` limits the pass to the lines
 * of that type (eventTypePrefilter).
 */
function stageSql(sample: FileSample, shape: RecordShape, eventType: string | null): string {
  const structure = sqlString(JSON.stringify(shape.structure));
  const filter = eventType === null ? '' : ` AND ${eventTypePrefilter(eventType)}`;
  // A filter is not pushed below a window without PARTITION BY, so the row number keeps the later
  // filters on the columns from being pushed down into copies of the json_transform call.
  const parsed = `SELECT line_no, line,
           ${objectTransformSql('line', structure)} AS r,
           row_number() OVER () AS filter_barrier
      FROM ${linesTableSql(sample)}
     WHERE line IS NOT NULL AND (starts_with(line, '{') OR trim(line) <> '')${filter}`;
  const columns = Object.entries(shape.columns).map(([name, path]) => `${path} AS ${name}`);
  return `SELECT line_no, line, r, ${columns.join(', ')} FROM (${parsed})`;
}

/** Adds the values computed once per record: `time_us` from `timeSql`, and the canonical addresses. */
function withTimeAndAddressesSql(stage: string, timeSql: string): string {
  return `SELECT *, ${timeSql} AS time_us,
                 ${canonicalIpSql('src_ip')} AS source_address,
                 ${canonicalIpSql('dest_ip')} AS destination_address
            FROM (${stage})`;
}

const MAX_EPOCH_US = MAX_EPOCH_MS * 1000;

/** Checks on the time and addresses of flow and dns records, over the columns of the stages above. */
function timeAndAddressChecks(timeField: string): RecordCheck[] {
  return [
    { when: 'time_us IS NULL', reject: `invalid or missing timestamp (${timeField})` },
    {
      when: `time_us NOT BETWEEN 0 AND ${MAX_EPOCH_US}`,
      reject: `timestamp out of range (${timeField} before 1970 or after 9999)`,
    },
    { when: 'src_ip IS NULL OR dest_ip IS NULL', reject: 'missing address (src_ip or dest_ip)' },
    {
      when: `NOT (${validIpAddressSql('src_ip')} AND ${validIpAddressSql('dest_ip')})`,
      reject: 'invalid address (src_ip or dest_ip)',
    },
  ];
}

const DNS_TYPES_SQL = [...DNS_REQUEST_TYPES, ...DNS_RESPONSE_TYPES].map((type) => `'${type}'`).join(', ');

/** Checks that reject a dns record; the DNS pass loads the records that pass all of them. */
const DNS_CHECKS: RecordCheck[] = [
  ...timeAndAddressChecks('timestamp'),
  { when: `dns_type IS NULL OR dns_type NOT IN (${DNS_TYPES_SQL})`, reject: 'missing or unknown dns.type' },
];

/** Checks that reject a flow record, after the time and address checks. */
const FLOW_CHECKS: RecordCheck[] = [
  ...timeAndAddressChecks('flow.start'),
  {
    when: `(src_port IS NOT NULL AND ${portSql('src_port')} IS NULL) OR (dest_port IS NOT NULL AND ${portSql('dest_port')} IS NULL)`,
    reject: 'invalid port (src_port or dest_port)',
  },
];

/** Builds a condition that is true when any check rejects the record; a NULL condition rejects nothing. */
function rejectedSql(checks: readonly RecordCheck[]): string {
  return checks.map((check) => `coalesce(${check.when}, false)`).join(' OR ');
}

/**
 * Returns every check of the checked pass, in order. Records of the side types (http, tls) and good dns
 * records are passed over here as ignored and loaded by passes of their own, so each bad line is
 * reported once.
 */
function checkedPassChecks(): RecordCheck[] {
  const loadedTypes = LOADED_TYPES.map((type) => `'${type}'`).join(', ');
  return [
    { when: 'r IS NULL', reject: 'invalid JSON' },
    { when: 'event_type IS NULL', reject: 'missing event_type' },
    { when: `event_type NOT IN (${loadedTypes})`, ignore: true },
    { when: "event_type IN ('http', 'tls') AND flow_id IS NULL", reject: 'missing flow_id' },
    { when: "event_type IN ('http', 'tls')", ignore: true },
    ...DNS_CHECKS.map((check) => ({ ...check, when: `event_type = 'dns' AND (${check.when})` })),
    { when: "event_type = 'dns'", ignore: true },
    ...FLOW_CHECKS,
  ];
}

/** SELECT list of the event columns, in table order, from a flow record of the checked pass. */
function flowEventSelectSql(file: string): string {
  const protocol = "CASE lower(proto) WHEN 'ipv6-icmp' THEN 'icmp' ELSE lower(proto) END";
  const endUs = eveTimeUsSql('flow_end');
  const columns: Record<EventColumnName, string> = {
    starttime: 'CAST(round(time_us / 1000) AS BIGINT)',
    sourceip: 'source_address',
    sourceport: portSql('src_port'),
    destinationip: 'destination_address',
    destinationport: portSql('dest_port'),
    username: 'NULL',
    eventdirection: 'NULL',
    protocol,
    // Suricata names a flow whose protocol it could not identify "failed".
    service: "CASE WHEN app_proto NOT IN ('failed', 'unknown') THEN lower(app_proto) END",
    // Suricata counts each packet's captured length, headers included, where Zeek counts payload bytes.
    sourcebytes: 'TRY_CAST(bytes_toserver AS BIGINT)',
    destinationbytes: 'TRY_CAST(bytes_toclient AS BIGINT)',
    duration: `CASE WHEN ${endUs} >= time_us THEN (${endUs} - time_us) / 1e6 END`,
    connstate: connStateSql({
      protocol,
      flowState: 'flow_state',
      clientFlags: 'client_flags',
      serverFlags: 'server_flags',
    }),
    servername: 'NULL',
    uri: 'NULL',
    useragent: 'NULL',
    processimage: 'NULL',
    logsource: `'${FORMAT_ID}'`,
    eventcount: '1',
    uid: 'flow_id',
    sourcefile: file,
    sourceline: 'line_no',
  };
  return EVENT_COLUMN_NAMES.map((name) => `${columns[name]} AS ${name}`).join(',\n  ');
}

/**
 * SQL condition that is true when the client of a dns record is `src_ip`. The side whose port is 53 is
 * the resolver. Neither port or both may be 53 (mDNS, a resolver on another port). Then a request is
 * taken as sent by the client, and a `response` record (version 3) as sent by the resolver. An `answer`
 * record (versions 1 and 2) is taken as logged in the flow's direction, with the client as src_ip.
 * NOTE: versions of Suricata's 8.0 upgrade notes differ on whether version 3 responses name the
 * resolver as src_ip, and Suricata 4 logged answers in the packet's direction. Only the port rule is
 * right for all of them, so the fallback may swap client and resolver.
 */
const DNS_CLIENT_IS_SOURCE_SQL = `CASE
    WHEN dest_port = '53' AND coalesce(src_port, '') <> '53' THEN true
    WHEN src_port = '53' AND coalesce(dest_port, '') <> '53' THEN false
    ELSE dns_type <> 'response' END`;

/** Builds the SELECT list of dns_queries columns from the DNS pass, for requests or for responses. */
function dnsSelectSql(file: string, responses: boolean): string {
  const answers = `CASE
      WHEN dns_answers IS NOT NULL THEN list_filter(list_transform(dns_answers, answer -> answer.rdata), rdata -> rdata IS NOT NULL)
      WHEN dns_grouped IS NOT NULL THEN json_extract_string(dns_grouped, '$.*[*]')
      WHEN dns_rdata IS NOT NULL THEN [dns_rdata]
      ELSE []::VARCHAR[] END`;
  // Suricata writes IPv6 answers in full, like its addresses, so both become canonical text to compare.
  const canonicalAnswers = `list_transform(${answers}, rdata -> ${canonicalIpSql('rdata')})`;
  return [
    'CAST(round(time_us / 1000) AS BIGINT) AS starttime',
    `CASE WHEN ${DNS_CLIENT_IS_SOURCE_SQL} THEN source_address ELSE destination_address END AS sourceip`,
    `CASE WHEN ${DNS_CLIENT_IS_SOURCE_SQL} THEN destination_address ELSE source_address END AS resolverip`,
    'dns_query AS query',
    'dns_qtype AS qtype',
    // A version 3 request carries an rcode of its own (NOERROR), which is not the response's code.
    `${responses ? 'dns_rcode' : 'NULL'} AS rcode`,
    `${responses ? canonicalAnswers : 'NULL'} AS answers`,
    'flow_id AS uid',
    'TRY_CAST(dns_id AS INTEGER) AS transactionid',
    `${file} AS sourcefile`,
    'line_no AS sourceline',
  ].join(', ');
}

interface PassCounts {
  flows: number;
  skipped: number;
  http: number;
  tls: number;
  dnsQueries: number;
  dnsResponses: number;
}

/** Builds the file's message from what each pass loaded, or returns null when there is none. */
function loadMessage(counts: PassCounts, otherRecords: number): string | null {
  const parts: string[] = [];
  if (counts.http > 0) parts.push(`${countOf(counts.http, 'http record')} to join by flow id`);
  if (counts.tls > 0) parts.push(`${countOf(counts.tls, 'tls record')} to join by flow id`);
  if (counts.dnsQueries + counts.dnsResponses > 0) {
    const queries = countOf(counts.dnsQueries, 'dns query', 'dns queries');
    parts.push(`${queries} and ${countOf(counts.dnsResponses, 'response')} to name connections`);
  }
  if (otherRecords > 0) {
    parts.push(`${countOf(otherRecords, 'record')} of other event types ignored`);
  }
  return parts.length > 0 ? parts.join('; ') : null;
}

/**
 * Loads the good dns records: requests into dns_queries, responses into dns_responses, where the
 * finalize step merges them into their queries. One scan fills a temporary table of the file's dns
 * records, which both inserts read.
 */
async function loadDnsRecords(context: LoadContext): Promise<{ dnsQueries: number; dnsResponses: number }> {
  const { store, sample } = context;
  const file = sqlString(sample.path);
  const stage = withTimeAndAddressesSql(stageSql(sample, DNS_SHAPE, 'dns'), eveTimeUsSql('event_time'));
  await store.run(
    `CREATE OR REPLACE TEMP TABLE ${DNS_RECORDS_TABLE} AS
       SELECT * EXCLUDE (line, r) FROM (${stage})
        WHERE event_type = 'dns' AND NOT (${rejectedSql(DNS_CHECKS)})`,
  );
  try {
    const requestTypes = DNS_REQUEST_TYPES.map((type) => `'${type}'`).join(', ');
    const responseTypes = DNS_RESPONSE_TYPES.map((type) => `'${type}'`).join(', ');
    const dnsQueries = await store.run(
      `INSERT INTO ${DNS_QUERIES_TABLE} SELECT ${dnsSelectSql(file, false)}
         FROM ${DNS_RECORDS_TABLE} WHERE dns_type IN (${requestTypes})`,
    );
    const dnsResponses = await store.run(
      `INSERT INTO ${DNS_RESPONSES_TABLE} SELECT ${dnsSelectSql(file, true)}
         FROM ${DNS_RECORDS_TABLE} WHERE dns_type IN (${responseTypes})`,
    );
    return { dnsQueries, dnsResponses };
  } finally {
    await store.run(`DROP TABLE IF EXISTS ${DNS_RECORDS_TABLE}`);
  }
}

async function loadEve(context: LoadContext): Promise<LoadResult> {
  const { store, sample } = context;
  const file = sqlString(sample.path);
  await createFlowSideTables(store);

  const checkedTime = `CASE event_type WHEN 'flow' THEN ${eveTimeUsSql('flow_start')}
                                       WHEN 'dns' THEN ${eveTimeUsSql('event_time')} END`;
  const checked = await loadStagedRecords(context, {
    stageSql: withTimeAndAddressesSql(stageSql(sample, CHECKED_SHAPE, null), checkedTime),
    checks: checkedPassChecks(),
    target: EVENTS_TABLE,
    selectSql: flowEventSelectSql(file),
  });

  // The passes below insert exactly the records that the checked pass ignored as good ones of their type.
  const http = await store.run(
    `INSERT INTO ${FLOW_HTTP_TABLE}
       SELECT flow_id, CAST(round(${eveTimeUsSql('event_time')} / 1000) AS BIGINT), hostname, url, user_agent
         FROM (${stageSql(sample, HTTP_SHAPE, 'http')})
        WHERE event_type = 'http' AND flow_id IS NOT NULL`,
  );
  const tls = await store.run(
    `INSERT INTO ${FLOW_TLS_TABLE}
       SELECT flow_id, CAST(round(${eveTimeUsSql('event_time')} / 1000) AS BIGINT), sni
         FROM (${stageSql(sample, TLS_SHAPE, 'tls')})
        WHERE event_type = 'tls' AND flow_id IS NOT NULL`,
  );
  const { dnsQueries, dnsResponses } = await loadDnsRecords(context);

  const counts: PassCounts = {
    flows: checked.events,
    skipped: checked.skipped,
    http,
    tls,
    dnsQueries,
    dnsResponses,
  };
  const otherRecords = checked.ignored - http - tls - dnsQueries - dnsResponses;
  const message = loadMessage(counts, otherRecords);
  const loadedAny = counts.flows + http + tls + dnsQueries + dnsResponses + counts.skipped > 0;
  if (!loadedAny) {
    return {
      status: 'ignored',
      events: 0,
      skipped: 0,
      message: `Suricata EVE file with no flow, http, tls or dns records: ${message ?? 'no records'}`,
    };
  }
  const result: LoadResult = { status: 'loaded', events: counts.flows, skipped: counts.skipped };
  if (message !== null) result.message = message;
  return result;
}

/** Parses a line of the sample as a JSON object, or returns null. */
function parseObject(line: string): Record<string, unknown> | null {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(trimmed);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
    return value as Record<string, unknown>;
  } catch {
    return null;
  }
}

/**
 * Returns true when the first non-blank line of the sample is a JSON object with a string `event_type`,
 * and some record of the sample has `event_type`, `flow_id`, `src_ip` and `dest_ip`. The first records of
 * an eve.json are often stats records, which have no flow id or addresses.
 */
export function isEveSample(lines: readonly string[]): boolean {
  const records: Record<string, unknown>[] = [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    const record = parseObject(line);
    if (record === null) {
      if (records.length === 0) return false;
      continue;
    }
    if (records.length === 0 && typeof record['event_type'] !== 'string') return false;
    records.push(record);
  }
  return records.some(
    (record) =>
      typeof record['event_type'] === 'string' &&
      'flow_id' in record &&
      typeof record['src_ip'] === 'string' &&
      typeof record['dest_ip'] === 'string',
  );
}

export const suricataEveFormat: InputFormat = {
  id: FORMAT_ID,
  description:
    'Suricata EVE JSON (eve.json): flow records, with http and tls joined by flow id and dns to name connections',
  recognisedBy:
    'a first non-blank line that is a JSON object with "event_type", and a record in the first 64 KB with "event_type", "flow_id", "src_ip" and "dest_ip"',
  example:
    '{"timestamp":"2024-04-19T10:00:02.000000+0000","flow_id":1830405735362561,"event_type":"flow","src_ip":"10.0.0.5","src_port":53396,"dest_ip":"203.0.113.7","dest_port":443,"proto":"TCP","app_proto":"tls","flow":{"pkts_toserver":6,"pkts_toclient":5,"bytes_toserver":917,"bytes_toclient":4480,"start":"2024-04-19T10:00:00.123456+0000","end":"2024-04-19T10:00:01.234567+0000","age":1,"state":"closed","reason":"timeout","alerted":false},"tcp":{"tcp_flags":"1b","tcp_flags_ts":"1b","tcp_flags_tc":"1b","syn":true,"fin":true,"psh":true,"ack":true,"state":"closed"}}',
  providesDirection: false,

  detect(sample: FileSample): boolean {
    return isEveSample(sample.lines);
  },

  load: loadEve,
};
