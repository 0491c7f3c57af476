/**
 * The embedded store: DuckDB through @duckdb/node-api, in memory by default or in a database file that
 * keeps an imported dataset between runs.
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';

import { InputError } from '../errors.js';
import { EVENT_COLUMNS, type ConnectionEvent } from '../model/event.js';
import { disposeStagedFile, EventFileWriter, type StagedEventFile } from './event-file.js';
import {
  CREATE_FILES_TABLE_SQL,
  CREATE_REJECTS_TABLE_SQL,
  createDnsTableSql,
  createEventsTableSql,
  DNS_QUERIES_TABLE,
  DNS_RESPONSES_TABLE,
  EVENTS_TABLE,
} from './schema.js';
import type { EventSink, SqlValue, Store } from './store.js';

export class DuckDbStore implements Store {
  readonly dialect = 'duckdb' as const;
  private besideConnection: DuckDBConnection | null = null;

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
    return readAll<T>(this.connection, sql, params);
  }

  /**
   * Runs a query that reads only files, not tables, on a second connection, so that it can overlap a
   * statement that is running on the main one. Each statement of an import runs on one thread when it
   * numbers lines, so the second core is otherwise idle. The second connection sees no temporary table
   * and no uncommitted row of the main one.
   */
  async allBeside<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    this.besideConnection ??= await this.instance.connect();
    return readAll<T>(this.besideConnection, sql, params);
  }

  /** Opens a sink that stages events in a tab-separated file and loads it with DuckDB's CSV reader. */
  openEventSink(): EventSink {
    return new DuckDbEventSink(this);
  }

  async appendEvents(events: readonly ConnectionEvent[]): Promise<void> {
    if (events.length === 0) return;
    const sink = this.openEventSink();
    try {
      for (const event of events) sink.add(event);
      await sink.finish();
    } finally {
      sink.discard();
    }
  }

  async close(): Promise<void> {
    this.besideConnection?.closeSync();
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** read_csv's columns option for the events table, in table order. */
const EVENT_FILE_COLUMNS = `{${EVENT_COLUMNS.map((column) => `'${column.name}': '${column.type}'`).join(', ')}}`;

/**
 * Events per staging file. A full file is loaded while the parser goes on with the next one: DuckDB works
 * on its own threads, so on two cores the load and the parsing overlap.
 */
const SEGMENT_EVENTS = 250_000;

/** Stages events in files of SEGMENT_EVENTS and loads each into the events table with DuckDB's CSV reader. */
class DuckDbEventSink implements EventSink {
  private writer: EventFileWriter | null = null;
  private added = 0;
  private inserted = 0;
  /** The load of the previous segment; segments load one at a time, in order, on the store's connection. */
  private loading: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  /** Staging files not yet loaded and deleted. */
  private readonly pending = new Set<StagedEventFile>();

  constructor(private readonly store: DuckDbStore) {}

  get events(): number {
    return this.added;
  }

  add(event: ConnectionEvent): void {
    if (this.failure !== null) throw this.failure;
    this.writer ??= new EventFileWriter();
    this.writer.add(event);
    this.added += 1;
    if (this.writer.events >= SEGMENT_EVENTS) this.closeSegment();
  }

  addStagedFile(file: StagedEventFile, lineOffset: number): void {
    this.added += file.events;
    this.queueLoad(file, lineOffset);
  }

  async finish(): Promise<number> {
    this.closeSegment();
    await this.loading;
    if (this.failure !== null) throw this.failure;
    return this.inserted;
  }

  discard(): void {
    this.writer?.dispose();
    this.writer = null;
    for (const file of this.pending) disposeStagedFile(file);
    this.pending.clear();
  }

  private closeSegment(): void {
    if (this.writer === null) return;
    const file = this.writer.staged();
    this.writer = null;
    this.queueLoad(file, 0);
  }

  /** Queues the load of a staging file behind the previous one. */
  private queueLoad(file: StagedEventFile, lineOffset: number): void {
    this.pending.add(file);
    this.loading = this.loading.then(async () => {
      if (this.failure !== null || !this.pending.has(file)) return;
      try {
        if (file.events > 0) this.inserted += await this.store.run(loadStagedFileSql(file, lineOffset));
      } catch (error) {
        this.failure = error;
      } finally {
        disposeStagedFile(file);
        this.pending.delete(file);
      }
    });
  }
}

function loadStagedFileSql(file: StagedEventFile, lineOffset: number): string {
  const columns = lineOffset === 0 ? '*' : `* REPLACE (sourceline + ${lineOffset} AS sourceline)`;
  return `INSERT INTO ${EVENTS_TABLE} SELECT ${columns} FROM read_csv(${sqlString(file.path)}, ${eventFileOptions(file)})`;
}

/** DuckDB's default max_line_size. */
const DEFAULT_MAX_LINE_BYTES = 2_000_000;

function eventFileOptions(file: StagedEventFile): string {
  return [
    `columns=${EVENT_FILE_COLUMNS}`,
    'header=false',
    "delim='\\t'",
    `quote='"'`,
    `escape='"'`,
    'auto_detect=false',
    // An empty field is NULL and a quoted empty field is an empty string (see event-file.ts).
    'allow_quoted_nulls=false',
    "new_line='\\n'",
    // DuckDB's default line limit is 2,000,000 bytes; an event holding a longer string raises it.
    `max_line_size=${Math.max(DEFAULT_MAX_LINE_BYTES, file.longestLineBytes + 1)}`,
    // Quoted line breaks make the file's lines differ from its rows, so such a file is read serially.
    `parallel=${file.hasLineBreaks ? 'false' : 'true'}`,
  ].join(', ');
}

async function readAll<T extends object>(
  connection: DuckDBConnection,
  sql: string,
  params: readonly SqlValue[],
): Promise<T[]> {
  const reader = await connection.runAndReadAll(sql, params as DuckDBValue[]);
  return reader.getRowObjectsJS().map((row) => toPlainRow(row) as T);
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
