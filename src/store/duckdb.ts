/**
 * The embedded store: DuckDB through @duckdb/node-api, in memory by default or in a database file that
 * keeps an imported dataset between runs.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';

import { InputError, InterruptedError, UsageError } from '../errors.js';
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
  FLOW_HTTP_TABLE,
  FLOW_TLS_TABLE,
  MIGRATE_FILES_TABLE_SQL,
} from './schema.js';
import type { EventSink, SqlValue, Store } from './store.js';

export interface StoreOpenOptions {
  /**
   * Opens a database file with DuckDB's access_mode READ_ONLY: nothing is written to it, the file may be
   * on read-only storage, and other read-only runs may have it open at the same time. Tables are not
   * created, so the file must already hold a dataset.
   */
  readOnly?: boolean;
  /** When aborted, the running statement is interrupted and later statements that fail raise InterruptedError. */
  signal?: AbortSignal;
  /**
   * DuckDB's memory_limit in bytes (see parseMemoryLimit). Without it, BEACONHUNT_MEMORY_LIMIT applies,
   * and without that, defaultMemoryLimit().
   */
  memoryLimit?: number;
}

/** The environment variable that sets the memory limit of every store a run opens. */
export const MEMORY_LIMIT_ENV = 'BEACONHUNT_MEMORY_LIMIT';

/**
 * DuckDB's CSV reader buffer for the line-oriented formats: their max_line_size of 64 MiB, which they
 * also set as buffer_size (the default, 16 × max_line_size, is allocated whole even for a small file).
 */
const LINE_READER_BUFFER_BYTES = 64 * 2 ** 20;

/**
 * Lowest memory limit accepted: 640 MiB. A load holds one reader buffer and the record count beside it
 * another, and the rest is room for table blocks before they spill. Under the limit a buffer cannot be
 * allocated, so a file named on the command line fails and a file found in a folder is ignored.
 */
export const MIN_MEMORY_LIMIT_BYTES = 2 * LINE_READER_BUFFER_BYTES + 2 ** 29;

/** Byte multipliers of the units that DuckDB's memory_limit accepts, in lower case. */
const MEMORY_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/**
 * Parses a memory size such as 1.5GB, 800MiB or 2 GiB into bytes, with the units DuckDB's memory_limit
 * takes (KB, MB, GB and TB are powers of 1000; KiB, MiB, GiB and TiB powers of 1024). Raises UsageError,
 * naming `source`, for other text and for sizes under MIN_MEMORY_LIMIT_BYTES.
 */
export function parseMemoryLimit(text: string, source = '--memory-limit'): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(text.trim());
  const multiplier = match === null ? undefined : MEMORY_UNITS[(match[2] as string).toLowerCase()];
  if (match === null || multiplier === undefined) {
    throw new UsageError(
      `${source} takes a size with a unit, such as 1.5GB or 800MiB (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB); got "${text}"`,
    );
  }
  const bytes = Math.floor(Number(match[1]) * multiplier);
  if (!Number.isSafeInteger(bytes) || bytes < MIN_MEMORY_LIMIT_BYTES) {
    throw new UsageError(`${source} must be from 640MiB to 9000TB; got "${text}"`);
  }
  return bytes;
}

/**
 * The highest default memory limit: 750 MB. The process peaks 0.8 to 1.2 GB above DuckDB's limit, in
 * memory outside the buffer pool. A scan of a 20M-connection conn.log peaked at 1.6 GB RSS in 70 s with
 * this limit and at 1.85 to 2.2 GB with 1 GB. With DuckDB's own default of 80 % of RAM it peaked at
 * 10.9 GB in 67 s (2-core machine, same findings).
 */
export const DEFAULT_MEMORY_LIMIT_CAP_BYTES = 750e6;

/**
 * Returns the default memory limit in bytes: 80 % of RAM (DuckDB's own default) up to
 * DEFAULT_MEMORY_LIMIT_CAP_BYTES, so that a large scan spills to disk instead of taking the machine's
 * memory. --memory-limit raises it for speed.
 */
export function defaultMemoryLimit(totalBytes = totalmem()): number {
  return Math.min(Math.floor(totalBytes * 0.8), DEFAULT_MEMORY_LIMIT_CAP_BYTES);
}

/** Returns the memory limit a store opens with: the option, else BEACONHUNT_MEMORY_LIMIT, else the default. */
export function resolveMemoryLimit(option: number | undefined, env = process.env): number {
  if (option !== undefined) return option;
  const fromEnv = env[MEMORY_LIMIT_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return parseMemoryLimit(fromEnv, MEMORY_LIMIT_ENV);
  return defaultMemoryLimit();
}

/** Statements that end a transaction, which an interrupt must not stop halfway. */
const ENDS_TRANSACTION = /^\s*(COMMIT|ROLLBACK|END|ABORT)\b/i;

export class DuckDbStore implements Store {
  readonly dialect = 'duckdb' as const;
  private besideConnection: DuckDBConnection | null = null;
  /** Statements running on the second connection, which close() must let finish. */
  private readonly besideRunning = new Set<Promise<unknown>>();
  /** The last statement submitted on the main connection; the next one starts after it settles. */
  private lastStatement: Promise<unknown> = Promise.resolve();
  /** The statement running on the main connection, or null. */
  private runningSql: string | null = null;
  private readonly onAbort = (): void => this.interrupt();

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    readonly path: string,
    readonly readOnly: boolean,
    readonly signal: AbortSignal | undefined,
    /** The folder DuckDB spills to, or null where DuckDB's default `<file>.tmp` beside the file applies. */
    readonly spillDirectory: string | null,
  ) {}

  /** Opens a store; `path` is a database file, or ':memory:' for a dataset that lives only in this run. */
  static async open(path = ':memory:', options: StoreOpenOptions = {}): Promise<DuckDbStore> {
    const readOnly = (options.readOnly ?? false) && path !== ':memory:';
    if (options.signal?.aborted) throw new InterruptedError('interrupted before the dataset was opened');
    const memoryLimit = resolveMemoryLimit(options.memoryLimit);
    // In-memory DuckDB spills to `.tmp` in the working folder, and a read-only file cannot spill to
    // `<file>.tmp` on read-only storage, so both spill to a folder of their own under the system's
    // temporary folder. A writable file keeps DuckDB's `<file>.tmp`, on the same disk as the data.
    const spillDirectory =
      path === ':memory:' || readOnly ? join(tmpdir(), `beaconhunt-spill-${randomUUID()}`) : null;
    const settings: Record<string, string> = { memory_limit: `${memoryLimit}B` };
    if (spillDirectory !== null) settings.temp_directory = spillDirectory;
    if (readOnly) settings.access_mode = 'READ_ONLY';
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, settings);
    } catch (error) {
      throw cannotOpenError(path, error, readOnly);
    }
    const connection = await instance.connect();
    const store = new DuckDbStore(instance, connection, path, readOnly, options.signal, spillDirectory);
    try {
      await store.prepare();
    } catch (error) {
      await store.close();
      throw error;
    }
    options.signal?.addEventListener('abort', store.onAbort, { once: true });
    return store;
  }

  /**
   * Opens an in-memory store with a copy of the events of the dataset in `path`, which is attached
   * read-only while they are copied. A scan that recomputes directions for other local networks needs
   * this, because it updates events. A store opened read-only cannot update its events table, and
   * @duckdb/node-api 1.5.6 rejects an appender on its connection, even one for a temporary table.
   */
  static async openCopy(
    path: string,
    options: Pick<StoreOpenOptions, 'signal' | 'memoryLimit'> = {},
  ): Promise<DuckDbStore> {
    const store = await DuckDbStore.open(':memory:', options);
    try {
      try {
        await store.run(`ATTACH ${sqlString(path)} AS ${SAVED_DATASET} (READ_ONLY)`);
      } catch (error) {
        throw cannotOpenError(path, error, true);
      }
      await store.requireEventsTable(SAVED_DATASET, path);
      await store.run(
        `INSERT INTO ${EVENTS_TABLE} BY NAME SELECT * FROM ${SAVED_DATASET}.main.${EVENTS_TABLE}`,
      );
      await store.copySavedSideTables();
      await store.run(`DETACH ${SAVED_DATASET}`);
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  /**
   * Copies the attached dataset's DNS queries and protocol side tables, when it has them: the beacon
   * detector keys DNS beacons by the queries, and the context reads HTTP requests from flow_http.
   */
  private async copySavedSideTables(): Promise<void> {
    const found = await this.all<{ name: string }>(
      `SELECT table_name AS name FROM duckdb_tables() WHERE database_name = '${SAVED_DATASET}'`,
    );
    const names = new Set(found.map((table) => table.name));
    for (const table of [DNS_QUERIES_TABLE, FLOW_HTTP_TABLE, FLOW_TLS_TABLE]) {
      if (!names.has(table)) continue;
      const source = `${SAVED_DATASET}.main.${table}`;
      await this.run(`CREATE TABLE IF NOT EXISTS ${table} AS SELECT * FROM ${source} LIMIT 0`);
      await this.run(`INSERT INTO ${table} BY NAME SELECT * FROM ${source}`);
    }
  }

  /** Sets up progress tracking, and creates the tables unless the store is read-only. */
  private async prepare(): Promise<void> {
    // Track query progress for progress bars without DuckDB printing its own bar.
    await this.run('SET enable_progress_bar = true');
    await this.run('SET enable_progress_bar_print = false');
    await this.run('SET progress_bar_time = 0');
    if (this.readOnly) {
      const [current] = await this.all<{ name: string }>('SELECT current_database() AS name');
      await this.requireEventsTable(current?.name ?? '', this.path);
      return;
    }
    await this.run(createEventsTableSql());
    await this.run(CREATE_REJECTS_TABLE_SQL);
    await this.run(CREATE_FILES_TABLE_SQL);
    // A dataset made by an older version has a catalogue without the newer columns.
    for (const sql of MIGRATE_FILES_TABLE_SQL) await this.run(sql);
    await this.run(createDnsTableSql(DNS_QUERIES_TABLE));
    await this.run(createDnsTableSql(DNS_RESPONSES_TABLE));
  }

  /** Tells whether the current database has `table`. */
  async hasTable(table: string): Promise<boolean> {
    const [found] = await this.all<{ tables: number }>(
      'SELECT count(*) AS tables FROM duckdb_tables() WHERE database_name = current_database() AND table_name = ?',
      [table],
    );
    return (found?.tables ?? 0) > 0;
  }

  /** Raises InputError unless the attached database `database`, opened from `path`, has an events table. */
  private async requireEventsTable(database: string, path: string): Promise<void> {
    const [found] = await this.all<{ tables: number }>(
      'SELECT count(*) AS tables FROM duckdb_tables() WHERE database_name = ? AND table_name = ?',
      [database, EVENTS_TABLE],
    );
    if ((found?.tables ?? 0) > 0) return;
    throw new InputError(
      `${path}: not a beaconhunt dataset (it has no ${EVENTS_TABLE} table); create one with \`beaconhunt import FILES --db ${path}\``,
      path,
    );
  }

  /** True once the store's abort signal has fired. */
  get interrupted(): boolean {
    return this.signal?.aborted ?? false;
  }

  /** Raises InterruptedError when the store's abort signal has fired; import loops call it between steps. */
  throwIfInterrupted(): void {
    if (this.interrupted) throw new InterruptedError('interrupted');
  }

  /**
   * Interrupts the statements running on both connections. DuckDB drops an interrupt that arrives while
   * no statement runs, so statements submitted later run normally: an import can still roll back and
   * delete what it loaded. A COMMIT or ROLLBACK is left to finish, because @duckdb/node-api 1.5.6 can report
   * an interrupted COMMIT as failed after it has committed, and the import would then not undo that file.
   */
  private interrupt(): void {
    if (this.runningSql === null || !ENDS_TRANSACTION.test(this.runningSql)) this.connection.interrupt();
    this.besideConnection?.interrupt();
  }

  /**
   * Runs statements on the main connection one at a time, in the order they were submitted. DuckDB
   * runs concurrent statements on one connection in no fixed order, so a ROLLBACK could otherwise run
   * before an INSERT submitted earlier, which would then commit on its own.
   */
  private inOrder<T>(sql: string, statement: () => Promise<T>): Promise<T> {
    const start = async (): Promise<T> => {
      this.runningSql = sql;
      try {
        return await statement();
      } finally {
        this.runningSql = null;
      }
    };
    const result = this.lastStatement.then(start, start);
    this.lastStatement = result.catch(() => undefined);
    return result.catch((error: unknown) => {
      if (this.interrupted) throw new InterruptedError('interrupted');
      throw error;
    });
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const result = await this.inOrder(sql, () => this.connection.run(sql, params as DuckDBValue[]));
    return result.rowsChanged;
  }

  /** Returns the running query's progress from 0 to 1, or null when DuckDB has no estimate. */
  queryProgress(): number | null {
    const percentage = this.connection.progress.percentage;
    return percentage >= 0 ? Math.min(1, percentage / 100) : null;
  }

  async all<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.inOrder(sql, () => readAll<T>(this.connection, sql, params));
  }

  /**
   * Runs a query that reads only files, not tables, on a second connection, so that it can overlap a
   * statement that is running on the main one. Each statement of an import runs on one thread when it
   * numbers lines, so the second core is otherwise idle. The second connection cannot read the main one's
   * temporary tables or uncommitted rows.
   */
  async allBeside<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    this.besideConnection ??= await this.instance.connect();
    const running = readAll<T>(this.besideConnection, sql, params);
    this.besideRunning.add(running);
    try {
      return await running;
    } catch (error) {
      if (this.interrupted) throw new InterruptedError('interrupted');
      throw error;
    } finally {
      this.besideRunning.delete(running);
    }
  }

  /** Opens a sink that stages events in a tab-separated file and loads it with DuckDB's CSV reader. */
  openEventSink(sourcefile?: string): EventSink {
    return new DuckDbEventSink(this, sourcefile ?? null);
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
    this.signal?.removeEventListener('abort', this.onAbort);
    await this.lastStatement;
    // A statement still running beside, as when the load it overlapped failed, is interrupted and
    // awaited: @duckdb/node-api 1.5.6 hangs for good when a connection is closed under a running query.
    if (this.besideRunning.size > 0) {
      this.besideConnection?.interrupt();
      await Promise.allSettled([...this.besideRunning]);
    }
    this.besideConnection?.closeSync();
    this.connection.closeSync();
    this.instance.closeSync();
    // DuckDB deletes its spill files on close; the folder goes too, in case DuckDB left it behind.
    if (this.spillDirectory !== null) rmSync(this.spillDirectory, { recursive: true, force: true });
  }
}

/** The name under which openCopy attaches a saved dataset. */
const SAVED_DATASET = 'saved_dataset';

function cannotOpenError(path: string, error: unknown, readOnly: boolean): InputError {
  const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  const checks = readOnly
    ? 'that it is a DuckDB file and that no beaconhunt import is writing to it'
    : 'that it is a DuckDB file, that the folder is writable and that no other beaconhunt run has it open';
  return new InputError(`${path}: cannot open the dataset (${reason}); check ${checks}`, path);
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

  constructor(
    private readonly store: DuckDbStore,
    private readonly sourcefile: string | null,
  ) {}

  get events(): number {
    return this.added;
  }

  add(event: ConnectionEvent): void {
    if (this.failure !== null) throw this.failure;
    this.store.throwIfInterrupted();
    this.writer ??= new EventFileWriter(this.sourcefile);
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
        // After an interrupt the file is deleted unread, so that no INSERT starts behind the rollback.
        this.store.throwIfInterrupted();
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
  const replaced: string[] = [];
  if (file.sourcefile !== null) replaced.push(`${sqlString(file.sourcefile)} AS sourcefile`);
  if (lineOffset !== 0) replaced.push(`sourceline + ${lineOffset} AS sourceline`);
  const columns = replaced.length === 0 ? '*' : `* REPLACE (${replaced.join(', ')})`;
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
