/**
 * The embedded store: DuckDB through @duckdb/node-api, in memory by default or in a database file that
 * keeps an imported dataset between runs.
 */
import {
  BIGINT,
  DOUBLE,
  DuckDBDataChunk,
  DuckDBInstance,
  INTEGER,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';

import { InputError } from '../errors.js';
import { EVENT_COLUMNS, type ColumnType, type ConnectionEvent } from '../model/event.js';
import {
  CREATE_FILES_TABLE_SQL,
  CREATE_REJECTS_TABLE_SQL,
  createDnsTableSql,
  createEventsTableSql,
  DNS_QUERIES_TABLE,
  DNS_RESPONSES_TABLE,
  EVENTS_TABLE,
} from './schema.js';
import type { SqlValue, Store } from './store.js';

export class DuckDbStore implements Store {
  readonly dialect = 'duckdb' as const;

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    readonly path: string,
  ) {}

  /** Opens a store; `path` is a database file, or ':memory:' for a dataset that lives only in this run. */
  static async open(path = ':memory:'): Promise<DuckDbStore> {
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path);
    } catch (error) {
      const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      throw new InputError(
        `${path}: cannot open the dataset (${reason}); check that it is a DuckDB file, that the folder is ` +
          'writable and that no other beaconhunt run has it open',
        path,
      );
    }
    const connection = await instance.connect();
    const store = new DuckDbStore(instance, connection, path);
    // Track query progress for progress bars without DuckDB printing its own bar.
    await store.run('SET enable_progress_bar = true');
    await store.run('SET enable_progress_bar_print = false');
    await store.run('SET progress_bar_time = 0');
    await store.run(createEventsTableSql());
    await store.run(CREATE_REJECTS_TABLE_SQL);
    await store.run(CREATE_FILES_TABLE_SQL);
    await store.run(createDnsTableSql(DNS_QUERIES_TABLE));
    await store.run(createDnsTableSql(DNS_RESPONSES_TABLE));
    return store;
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const result = await this.connection.run(sql, params as DuckDBValue[]);
    return result.rowsChanged;
  }

  /** Returns the running query's progress from 0 to 1, or null when DuckDB has no estimate. */
  queryProgress(): number | null {
    const percentage = this.connection.progress.percentage;
    return percentage >= 0 ? Math.min(1, percentage / 100) : null;
  }

  async all<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const reader = await this.connection.runAndReadAll(sql, params as DuckDBValue[]);
    return reader.getRowObjectsJS().map((row) => toPlainRow(row) as T);
  }

  /**
   * Appends events a data chunk of CHUNK_ROWS rows at a time, one typed array per column, which is several
   * times faster than appending value by value.
   */
  async appendEvents(events: readonly ConnectionEvent[]): Promise<void> {
    if (events.length === 0) return;
    const appender = await this.connection.createAppender(EVENTS_TABLE);
    try {
      for (let start = 0; start < events.length; start += CHUNK_ROWS) {
        const rows = events.slice(start, start + CHUNK_ROWS);
        const chunk = DuckDBDataChunk.create(EVENT_COLUMN_TYPES, rows.length);
        chunk.setColumns(
          EVENT_COLUMNS.map((column) => rows.map((event) => toColumnValue(event[column.name], column.type))),
        );
        appender.appendDataChunk(chunk);
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** Rows per data chunk: DuckDB's standard vector size. */
const CHUNK_ROWS = 2048;

const DUCKDB_TYPES: Record<ColumnType, DuckDBType> = { BIGINT, INTEGER, DOUBLE, VARCHAR };
const EVENT_COLUMN_TYPES: readonly DuckDBType[] = EVENT_COLUMNS.map((column) => DUCKDB_TYPES[column.type]);

function toColumnValue(value: string | number | null | undefined, type: ColumnType): DuckDBValue {
  if (value === null || value === undefined) return null;
  if (type === 'VARCHAR') return String(value);
  if (type === 'BIGINT') return BigInt(Math.round(Number(value)));
  return Number(value);
}

/** Converts DuckDB's JS values into JSON-friendly ones: BIGINT to number, inside lists and structs too. */
function toPlainRow(row: Record<string, unknown>): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) plain[key] = toPlainValue(value);
  return plain;
}

function toPlainValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(toPlainValue);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return toPlainRow(value as Record<string, unknown>);
  }
  return value;
}

/** Quotes a string as a SQL literal. Used for file paths passed to table functions, which take no parameters. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
