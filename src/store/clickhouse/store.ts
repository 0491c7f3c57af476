/**
 * A beaconhunt dataset in ClickHouse, reached over its HTTP interface with the official client
 * (@clickhouse/client). Statements are ClickHouse SQL with positional `?` values bound client-side.
 * Events are inserted in batches as JSON lines.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { finished, pipeline } from 'node:stream/promises';

import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';

import { firstLineOf, InputError } from '../../errors.js';
import { EVENT_COLUMNS, type ConnectionEvent } from '../../model/event.js';
import { EVENTS_TABLE } from '../schema.js';
import type { SqlValue } from '../store.js';
import { bindParameters, clickhouseLiteral } from './bind.js';
import { createDistributedTableSql, createTableSql, DATASET_TABLES, shardTableName } from './schema.js';

/** The location of a dataset: the server's HTTP address, the database and the account. */
export interface ClickHouseLocation {
  /** http://host:port of the HTTP interface. */
  readonly url: string;
  readonly database: string;
  readonly username: string;
  readonly password: string;
  /**
   * A cluster from the server's remote_servers: the dataset is then Distributed tables over per-shard
   * tables (shardTableName). Null for one server.
   */
  readonly cluster: string | null;
}

export interface OpenOptions {
  /** Fail when the database does not exist, as for a scan that imports nothing: a misspelt name. */
  mustExist?: boolean;
}

/** Default HTTP port of ClickHouse. */
const DEFAULT_HTTP_PORT = 8123;

/**
 * Reads `clickhouse://[user[:password]@]host[:port]/database[?cluster=NAME]`. The port is the HTTP
 * interface's (8123 by default), not the native protocol's 9000.
 */
export function parseClickHouseUrl(text: string): ClickHouseLocation {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError(`${text}: not a URL; write clickhouse://HOST:PORT/DATABASE`);
  }
  if (url.protocol !== 'clickhouse:') {
    throw new InputError(
      `${text}: the engine URL must start with clickhouse://, as in clickhouse://127.0.0.1:8123/beaconhunt`,
    );
  }
  if (url.hostname === '') throw new InputError(`${text}: no host; write clickhouse://HOST:PORT/DATABASE`);

  const database = decodeURIComponent(url.pathname.replace(/^\/+/, ''));
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
    throw new InputError(
      `${text}: name a database of letters, digits and underscores after the port, as in clickhouse://127.0.0.1:8123/beaconhunt`,
    );
  }
  for (const key of url.searchParams.keys()) {
    if (key !== 'cluster') {
      throw new InputError(`${text}: unknown parameter "${key}"; the only one is ?cluster=NAME`);
    }
  }
  const cluster = url.searchParams.get('cluster');
  if (cluster !== null && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(cluster)) {
    throw new InputError(`${text}: the cluster name must be letters, digits and underscores`);
  }
  const port = url.port === '' ? DEFAULT_HTTP_PORT : Number(url.port);
  const host =
    url.hostname.includes(':') && !url.hostname.startsWith('[') ? `[${url.hostname}]` : url.hostname;
  return {
    url: `http://${host}:${port}`,
    database,
    username: url.username === '' ? 'default' : decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    cluster,
  };
}

/** Rows per INSERT: large enough that ClickHouse makes few parts, small enough to bound client memory. */
export const INSERT_BATCH_ROWS = 100_000;

export class ClickHouseStore {
  readonly dialect = 'clickhouse' as const;

  private constructor(
    private readonly client: ClickHouseClient,
    readonly location: ClickHouseLocation,
  ) {}

  /** Connects, checks that the server responds, and creates the database and tables when missing. */
  static async open(location: ClickHouseLocation, options: OpenOptions = {}): Promise<ClickHouseStore> {
    const admin = createClient(connection(location));
    try {
      if (options.mustExist === true) await requireDatabase(admin, location);
      if (location.cluster !== null) await requireCluster(admin, location.cluster);
      await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${location.database}` });
    } catch (error) {
      await admin.close();
      throw error instanceof InputError ? error : cannotReach(location, error);
    }
    await admin.close();
    const client = createClient({
      ...connection(location),
      database: location.database,
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    const store = new ClickHouseStore(client, location);
    try {
      await store.createTables();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  /**
   * Creates the dataset's tables. In a cluster, the per-shard tables are created with ON CLUSTER where
   * the servers run distributed DDL (ZooKeeper or ClickHouse Keeper). Otherwise they must exist already,
   * because the shards cannot be reached from here; the first read checks, and `beaconhunt shard-ddl`
   * prints their DDL.
   */
  private async createTables(): Promise<void> {
    const { cluster, database } = this.location;
    for (const spec of DATASET_TABLES) {
      if (cluster === null) {
        await this.run(createTableSql(spec));
        continue;
      }
      const shardTable = shardTableName(spec);
      await this.run(createTableSql(spec, `${shardTable} ON CLUSTER ${cluster}`)).catch(() => undefined);
      await this.run(createDistributedTableSql(spec, cluster, database));
    }
    if (cluster !== null) {
      try {
        await this.all(`SELECT count() AS n FROM ${EVENTS_TABLE}`);
      } catch (error) {
        throw new InputError(
          `cluster ${cluster}: the per-shard tables are missing on a shard (${firstLineOf(error)}); create them on every shard: beaconhunt shard-ddl ${database} | clickhouse-client --multiquery`,
        );
      }
    }
  }

  /** Runs one statement and discards any result. ClickHouse does not report affected rows, so it returns 0. */
  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    await this.guard(() => this.client.command({ query: bindParameters(sql, params) }));
    return 0;
  }

  async all<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.guard(async () => {
      const result = await this.client.query({ query: bindParameters(sql, params), format: 'JSONEachRow' });
      return result.json<T>();
    });
  }

  /**
   * Runs a request and turns a lost connection into an InputError that names the server. Errors the
   * server returns (a failed statement) pass unchanged.
   */
  private async guard<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (isConnectionError(error)) {
        throw new InputError(
          `lost the connection to ClickHouse at ${this.location.url} (${firstLineOf(error)}); check the server and run the command again`,
        );
      }
      throw error;
    }
  }

  /** Inserts events in batches of INSERT_BATCH_ROWS. */
  async appendEvents(events: readonly ConnectionEvent[]): Promise<void> {
    for (let start = 0; start < events.length; start += INSERT_BATCH_ROWS) {
      const batch = events.slice(start, start + INSERT_BATCH_ROWS).map(eventRow);
      await this.client.insert({
        table: EVENTS_TABLE,
        values: batch,
        format: 'JSONEachRow',
        clickhouse_settings: INSERT_SETTINGS,
      });
    }
  }

  /**
   * Inserts a file of JSON lines, one row per line, into `table`. The file is streamed as it is, so no
   * row passes through JavaScript.
   */
  async insertJsonLines(table: string, path: string): Promise<void> {
    // exec sends the query as a parameter and the file as the body, untouched; insert() would want
    // objects for a JSON format.
    await this.guard(() => this.sendFile(table, path));
  }

  private async sendFile(table: string, path: string): Promise<void> {
    const { stream } = await this.client.exec({
      query: `INSERT INTO ${table} FORMAT JSONEachRow`,
      values: createReadStream(path),
      clickhouse_settings: INSERT_SETTINGS,
    });
    stream.resume();
    await finished(stream);
  }

  /** Writes the rows of a query to a file as JSON lines, streamed from the server. */
  async queryToJsonLines(sql: string, path: string, params: readonly SqlValue[] = []): Promise<void> {
    const { stream } = await this.client.exec({
      query: `${bindParameters(sql, params)}\nFORMAT JSONEachRow`,
    });
    await pipeline(stream, createWriteStream(path));
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/**
 * A Distributed table sends inserted rows on to the shards in the background by default. The import
 * waits for the shards instead, so that a scan right after it reads every row.
 */
const INSERT_SETTINGS = { insert_distributed_sync: 1 } as const;

/** Client options for the server; errors reach the caller as exceptions, so the client logs nothing. */
function connection(location: ClickHouseLocation): {
  url: string;
  username: string;
  password: string;
  log: { level: ClickHouseLogLevel };
} {
  return {
    url: location.url,
    username: location.username,
    password: location.password,
    log: { level: ClickHouseLogLevel.OFF },
  };
}

/** Turns an event into a row keyed by column name, in the table's column order. */
function eventRow(event: ConnectionEvent): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const column of EVENT_COLUMNS) row[column.name] = event[column.name];
  return row;
}

/** Tells network failures (refused, reset, timed out, closed) from errors the server returned. */
function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return true;
  return /socket hang up|ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|Timeout error/i.test(error.message);
}

async function requireDatabase(client: ClickHouseClient, location: ClickHouseLocation): Promise<void> {
  const result = await client.query({
    query: `SELECT count() AS n FROM system.databases WHERE name = ${clickhouseLiteral(location.database)}`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: number | string }>();
  if (Number(row?.n ?? 0) === 0) {
    throw new InputError(
      `${location.database}: no such database on ${location.url}; import into it first (beaconhunt import PATHS --engine ...), or check the name`,
    );
  }
}

async function requireCluster(client: ClickHouseClient, cluster: string): Promise<void> {
  const result = await client.query({
    query: `SELECT count() AS n FROM system.clusters WHERE cluster = ${clickhouseLiteral(cluster)}`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: number | string }>();
  if (Number(row?.n ?? 0) === 0) {
    throw new InputError(
      `cluster ${cluster}: the server does not know it; name a cluster from its remote_servers configuration`,
    );
  }
}

function cannotReach(location: ClickHouseLocation, error: unknown): InputError {
  const reason = firstLineOf(error);
  if (/authentication|password/i.test(reason)) {
    return new InputError(
      `ClickHouse at ${location.url} rejected the login (${reason}); check the user name and password in the URL`,
    );
  }
  return new InputError(
    `cannot use ClickHouse at ${location.url} (${reason}); check that clickhouse-server runs and that the port is its HTTP port (8123 by default)`,
  );
}
