/**
 * The storage engine behind an analysis. Ingest and detectors talk to this interface so that the
 * embedded engine (DuckDB) and a scale-out engine can serve the same pipeline.
 */
import type { ConnectionEvent } from '../model/event.js';

export type SqlValue = string | number | boolean | null;

export interface Store {
  /** Engine name, for SQL that differs between dialects. */
  readonly dialect: 'duckdb';
  /** Runs one statement, discards any rows and returns how many rows it inserted, updated or deleted. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Runs one query and returns its rows as plain objects; 64-bit integers become numbers. */
  all<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Appends events parsed in TypeScript; cheaper than INSERT statements for large batches. */
  appendEvents(events: readonly ConnectionEvent[]): Promise<void>;
  close(): Promise<void>;
}
