/**
 * The storage engine behind an analysis. Ingest and detectors talk to this interface so that the
 * embedded engine (DuckDB) and a scale-out engine can serve the same pipeline.
 */
import type { ConnectionEvent } from '../model/event.js';
import type { StagedEventFile } from './event-file.js';

export type SqlValue = string | number | boolean | null;

export interface Store {
  /** Engine name, for SQL that differs between dialects. */
  readonly dialect: 'duckdb';
  /** Runs one statement, discards any rows and returns how many rows it inserted, updated or deleted. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Runs one query and returns its rows as plain objects; 64-bit integers become numbers. */
  all<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /**
   * Opens a sink for events parsed in TypeScript; they reach the events table when it is finished. With
   * `sourcefile`, every event comes from that one file.
   */
  openEventSink(sourcefile?: string): EventSink;
  /** Appends a batch of events parsed in TypeScript, through an event sink. */
  appendEvents(events: readonly ConnectionEvent[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Collects events parsed in TypeScript and loads them in bulk. `add` only buffers, so a parser calls it
 * per event; `finish` loads everything into the events table, and `discard` drops what was collected.
 */
export interface EventSink {
  add(event: ConnectionEvent): void;
  /**
   * Takes over a staging file written elsewhere, such as by a worker thread, whose line numbers count from
   * the start of its part of the input: `lineOffset` is added to each.
   */
  addStagedFile(file: StagedEventFile, lineOffset: number): void;
  /** Events added so far. */
  readonly events: number;
  /** Loads the collected events and returns how many were inserted. */
  finish(): Promise<number>;
  /** Releases what the sink holds; safe to call after `finish` or on failure. */
  discard(): void;
}
