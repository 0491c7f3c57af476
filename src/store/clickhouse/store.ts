/**
 * A beaconhunt dataset in ClickHouse, reached over its HTTP interface with the official client
 * (@clickhouse/client). Statements are ClickHouse SQL with positional `?` values bound client-side.
 * Events are inserted in batches as JSON lines.
 */
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';

import { InputError } from '../../errors.js';
import { EVENT_COLUMNS, type ConnectionEvent } from '../../model/event.js';
import { EVENTS_TABLE } from '../schema.js';
import type { SqlValue } from '../store.js';
import { bindParameters } from './bind.js';
import { createEventsTableSql } from './schema.js';

/** The location of a dataset: the server's HTTP address, the database and the account. */
export interface ClickHouseLocation {
  /** http://host:port of the HTTP interface. */
  readonly url: string;
  readonly database: string;
  readonly username: string;
  readonly password: string;
}

/** Default HTTP port of ClickHouse. */
const DEFAULT_HTTP_PORT = 8123;

/**
 * Reads `clickhouse://[user[:password]@]host[:port]/database`. The port is the HTTP
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
  const port = url.port === '' ? DEFAULT_HTTP_PORT : Number(url.port);
  const host =
    url.hostname.includes(':') && !url.hostname.startsWith('[') ? `[${url.hostname}]` : url.hostname;
  return {
    url: `http://${host}:${port}`,
    database,
    username: url.username === '' ? 'default' : decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
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
  static async open(location: ClickHouseLocation): Promise<ClickHouseStore> {
    const admin = createClient(connection(location));
    try {
      await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${location.database}` });
    } catch (error) {
      await admin.close();
      throw cannotReach(location, error);
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

  private async createTables(): Promise<void> {
    await this.run(createEventsTableSql(EVENTS_TABLE));
  }

  /** Runs one statement and discards any result. ClickHouse does not report affected rows, so it returns 0. */
  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    await this.client.command({ query: bindParameters(sql, params) });
    return 0;
  }

  async all<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const result = await this.client.query({ query: bindParameters(sql, params), format: 'JSONEachRow' });
    return result.json<T>();
  }

  /** Inserts events in batches of INSERT_BATCH_ROWS. */
  async appendEvents(events: readonly ConnectionEvent[]): Promise<void> {
    for (let start = 0; start < events.length; start += INSERT_BATCH_ROWS) {
      const batch = events.slice(start, start + INSERT_BATCH_ROWS).map(eventRow);
      await this.client.insert({ table: EVENTS_TABLE, values: batch, format: 'JSONEachRow' });
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

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

function cannotReach(location: ClickHouseLocation, error: unknown): InputError {
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new InputError(
    `cannot use ClickHouse at ${location.url} (${reason}); check that clickhouse-server runs and that the port is its HTTP port (8123 by default)`,
  );
}
