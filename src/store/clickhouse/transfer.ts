/**
 * Moves rows between the local DuckDB store and ClickHouse through files of JSON lines: DuckDB writes
 * and reads them with COPY and read_json, and ClickHouse receives and sends them over HTTP as a stream,
 * so no row passes through JavaScript.
 *
 * An import is parsed into an in-memory DuckDB store as for any scan (every format, the joins of side
 * logs, the directions), then its tables are sent to ClickHouse. A scan builds a working set in a new
 * DuckDB store from the rows ClickHouse selects (see working-set.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EVENT_COLUMNS } from '../../model/event.js';
import type { DuckDbStore } from '../duckdb.js';
import { DNS_QUERIES_TABLE, EVENTS_TABLE, FILES_TABLE, FLOW_HTTP_TABLE } from '../schema.js';
import { createFlowSideTables } from '../schema.js';
import type { ClickHouseStore } from './store.js';
import { workingDnsSql, workingEventsSql, workingHttpSql, type WorkingSetBounds } from './working-set.js';

/** Rows sent to ClickHouse by one import. */
export interface SentRows {
  events: number;
  dnsQueries: number;
  httpRequests: number;
  files: number;
}

/** Rows copied into the working set. */
export interface WorkingSetRows {
  events: number;
  dnsQueries: number;
  httpRequests: number;
}

/** Quotes a path as a DuckDB string literal. */
function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Runs `body` with a private temporary folder that is removed afterwards. */
async function withFolder<T>(body: (folder: string) => Promise<T>): Promise<T> {
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-transfer-'));
  try {
    return await body(folder);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * Writes the rows of a DuckDB query to a file of JSON lines and sends them to a ClickHouse table. Returns
 * how many rows were sent.
 */
async function sendQuery(
  local: DuckDbStore,
  remote: ClickHouseStore,
  select: string,
  table: string,
  path: string,
): Promise<number> {
  const [counted] = await local.all<{ n: number }>(`SELECT count(*) AS n FROM (${select})`);
  const rows = counted?.n ?? 0;
  if (rows === 0) return 0;
  await local.run(`COPY (${select}) TO ${literal(path)} (FORMAT json)`);
  await remote.insertJsonLines(table, path);
  return rows;
}

/**
 * Sends the events, DNS queries, HTTP requests and file catalogue of a local store to ClickHouse.
 * A duration that is not finite is sent as NULL: JSON has no infinity, and the detectors pass over
 * such durations either way.
 */
export async function sendDataset(local: DuckDbStore, remote: ClickHouseStore): Promise<SentRows> {
  return withFolder(async (folder) => {
    const eventColumns = EVENT_COLUMNS.map((column) =>
      column.name === 'duration' ? 'CASE WHEN isfinite(duration) THEN duration END AS duration' : column.name,
    ).join(', ');
    const events = await sendQuery(
      local,
      remote,
      `SELECT ${eventColumns} FROM ${EVENTS_TABLE}`,
      EVENTS_TABLE,
      join(folder, 'events.jsonl'),
    );
    const dnsQueries = (await local.hasTable(DNS_QUERIES_TABLE))
      ? await sendQuery(
          local,
          remote,
          `SELECT * EXCLUDE (answers), coalesce(answers, []) AS answers,
             CAST(answers IS NOT NULL AS INTEGER) AS answered FROM ${DNS_QUERIES_TABLE}`,
          DNS_QUERIES_TABLE,
          join(folder, 'dns.jsonl'),
        )
      : 0;
    const httpRequests = (await local.hasTable(FLOW_HTTP_TABLE))
      ? await sendQuery(
          local,
          remote,
          `SELECT uid, ts, host, uri, user_agent FROM ${FLOW_HTTP_TABLE}`,
          FLOW_HTTP_TABLE,
          join(folder, 'http.jsonl'),
        )
      : 0;
    const files = await sendQuery(
      local,
      remote,
      `SELECT path, format, bytes, events, skipped, importedat, sha256 FROM ${FILES_TABLE}`,
      FILES_TABLE,
      join(folder, 'files.jsonl'),
    );
    return { events, dnsQueries, httpRequests, files };
  });
}

/** DuckDB's read_json column spec for the events table. */
function eventColumnsSpec(): string {
  return `{${EVENT_COLUMNS.map((column) => `${column.name}: '${column.type}'`).join(', ')}}`;
}

const DNS_COLUMNS_SPEC = `{starttime: 'BIGINT', sourceip: 'VARCHAR', resolverip: 'VARCHAR', query: 'VARCHAR',
  qtype: 'VARCHAR', rcode: 'VARCHAR', answers: 'VARCHAR[]', answered: 'INTEGER', uid: 'VARCHAR',
  transactionid: 'INTEGER', sourcefile: 'VARCHAR', sourceline: 'BIGINT'}`;

const HTTP_COLUMNS_SPEC = `{uid: 'VARCHAR', ts: 'BIGINT', host: 'VARCHAR', uri: 'VARCHAR', user_agent: 'VARCHAR'}`;

/** Reads a file of JSON lines with fixed column types; an empty file gives no rows. */
function readJsonLines(path: string, columns: string): string {
  return `read_json(${literal(path)}, format = 'newline_delimited', columns = ${columns})`;
}

/**
 * Copies the working set for `bounds` from ClickHouse into `local`, an empty DuckDB store, and returns
 * how many rows of each kind came over.
 */
export async function loadWorkingSet(
  remote: ClickHouseStore,
  local: DuckDbStore,
  bounds: WorkingSetBounds,
): Promise<WorkingSetRows> {
  return withFolder(async (folder) => {
    const eventsPath = join(folder, 'events.jsonl');
    await remote.queryToJsonLines(workingEventsSql(bounds), eventsPath);
    const events = await local.run(
      `INSERT INTO ${EVENTS_TABLE} BY NAME SELECT * FROM ${readJsonLines(eventsPath, eventColumnsSpec())}`,
    );

    const dnsPath = join(folder, 'dns.jsonl');
    await remote.queryToJsonLines(workingDnsSql(), dnsPath);
    const dnsQueries = await local.run(
      `INSERT INTO ${DNS_QUERIES_TABLE} BY NAME
       SELECT * EXCLUDE (answers, answered), CASE WHEN answered = 1 THEN answers END AS answers
         FROM ${readJsonLines(dnsPath, DNS_COLUMNS_SPEC)}`,
    );

    const httpPath = join(folder, 'http.jsonl');
    await remote.queryToJsonLines(workingHttpSql(bounds), httpPath);
    const [counted] = await local.all<{ n: number }>(
      `SELECT count(*) AS n FROM ${readJsonLines(httpPath, HTTP_COLUMNS_SPEC)}`,
    );
    let httpRequests = 0;
    // The side table exists in DuckDB only where a log had HTTP requests, as after a local import.
    if ((counted?.n ?? 0) > 0) {
      await createFlowSideTables(local);
      httpRequests = await local.run(
        `INSERT INTO ${FLOW_HTTP_TABLE} BY NAME SELECT * FROM ${readJsonLines(httpPath, HTTP_COLUMNS_SPEC)}`,
      );
    }
    return { events, dnsQueries, httpRequests };
  });
}
