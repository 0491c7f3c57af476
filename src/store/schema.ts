/**
 * DDL shared by every store: the event table, the skipped-line table, the file catalogue, the DNS query
 * table and the protocol side tables that are joined onto events by flow id.
 */
import { EVENT_COLUMNS } from '../model/event.js';
import type { Store } from './store.js';

export const EVENTS_TABLE = 'events';
export const REJECTS_TABLE = 'rejects';
export const FILES_TABLE = 'files';
/** TLS handshakes (Zeek ssl.log, Suricata tls events), joined onto events by flow id for the server name. */
export const FLOW_TLS_TABLE = 'flow_tls';
/** HTTP requests (Zeek http.log, Suricata http events), joined onto events by flow id. */
export const FLOW_HTTP_TABLE = 'flow_http';
/** DNS queries with their answers (Zeek dns.log, Suricata dns events), used to name connections. */
export const DNS_QUERIES_TABLE = 'dns_queries';
/**
 * Suricata DNS responses, which Suricata logs apart from their queries. Once every file is in, each is
 * merged into its query's row in DNS_QUERIES_TABLE and deleted from here.
 */
export const DNS_RESPONSES_TABLE = 'dns_responses';

export function createEventsTableSql(table = EVENTS_TABLE): string {
  const columns = EVENT_COLUMNS.map((column) => `  ${column.name} ${column.type}`).join(',\n');
  return `CREATE TABLE IF NOT EXISTS ${table} (\n${columns}\n)`;
}

/** Lines that an input format could not turn into an event, with the reason and the start of the line. */
export const CREATE_REJECTS_TABLE_SQL = `CREATE TABLE IF NOT EXISTS ${REJECTS_TABLE} (
  sourcefile VARCHAR,
  sourceline BIGINT,
  reason VARCHAR,
  excerpt VARCHAR
)`;

/**
 * One row per imported file, so a persistent dataset records what it was built from and an import can
 * pass over a file it already holds.
 * - path: the file as the user named it, which is also its events' sourcefile.
 * - bytes: the size of the content read, after unpacking a bzip2, Zstandard or zip file. A gzip file
 *   keeps its compressed size, because DuckDB reads it directly.
 * - importedat: when the import committed the file, epoch ms UTC.
 * - sha256: the hex SHA-256 of the file's bytes as stored on disk (see import.ts). NULL in rows written
 *   before this column existed, and for files imported while content hashing was off.
 */
export const CREATE_FILES_TABLE_SQL = `CREATE TABLE IF NOT EXISTS ${FILES_TABLE} (
  path VARCHAR,
  format VARCHAR,
  bytes BIGINT,
  events BIGINT,
  skipped BIGINT,
  importedat BIGINT,
  sha256 VARCHAR
)`;

/**
 * Adds the sha256 column to a catalogue made before it existed. Such rows get NULL, and the import
 * matches them by path and size only.
 */
export const MIGRATE_FILES_TABLE_SQL = [`ALTER TABLE ${FILES_TABLE} ADD COLUMN IF NOT EXISTS sha256 VARCHAR`];

/**
 * Returns the DDL of a table of DNS queries (DNS_QUERIES_TABLE, DNS_RESPONSES_TABLE).
 * DNS messages are kept out of the events table because a query is not a connection: the UDP or TCP flow
 * that carried it is already an event. One row is one query, with its response's code and answers.
 * - starttime: when the query was seen (the response, for a response without a logged query), epoch ms UTC.
 * - sourceip, resolverip: the client that sent the query and the server it was sent to.
 * - query, qtype: the name asked for and the record type (A, AAAA, ..., or the number when unnamed).
 * - rcode: the response code (NOERROR, NXDOMAIN, ...), NULL when no response was logged.
 * - answers: the data of the answer records in the order the response gave them, addresses and names
 *   alike (a CNAME chain lists its names before the addresses). A list rather than joined text, so that
 *   SQL can test an address with list_contains and unnest it. NULL when no response was logged.
 * - uid, transactionid: the sensor's flow id and the DNS message ID, which pair a query with its response.
 * - sourcefile, sourceline: provenance, as in the events table.
 */
export function createDnsTableSql(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
  starttime BIGINT,
  sourceip VARCHAR,
  resolverip VARCHAR,
  query VARCHAR,
  qtype VARCHAR,
  rcode VARCHAR,
  answers VARCHAR[],
  uid VARCHAR,
  transactionid INTEGER,
  sourcefile VARCHAR,
  sourceline BIGINT
)`;
}

/**
 * Side tables for the protocol records that are joined onto events by flow id (`uid`) once every file is
 * in. `ts` is epoch milliseconds. They are created by the first loader that needs them.
 */
export const CREATE_FLOW_SIDE_TABLES_SQL = [
  `CREATE TABLE IF NOT EXISTS ${FLOW_TLS_TABLE} (uid VARCHAR, ts BIGINT, server_name VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS ${FLOW_HTTP_TABLE} (uid VARCHAR, ts BIGINT, host VARCHAR, uri VARCHAR, user_agent VARCHAR)`,
];

export async function createFlowSideTables(store: Pick<Store, 'run'>): Promise<void> {
  for (const sql of CREATE_FLOW_SIDE_TABLES_SQL) await store.run(sql);
}
