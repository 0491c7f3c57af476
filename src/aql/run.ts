/**
 * The library side of `beaconhunt aql`: import files like scan does (or open a saved dataset), compile
 * the query against the data's now, and run it.
 */
import { existsSync } from 'node:fs';

import { InputError, UsageError } from '../errors.js';
import { newestEventTime } from '../detect/detector.js';
import { importFiles } from '../ingest/import.js';
import type { IngestSummary } from '../ingest/report.js';
import { DEFAULT_LOCAL_NETWORKS, LocalNetworks } from '../net/locality.js';
import { interruptedOr } from '../scan.js';
import { DuckDbStore } from '../store/duckdb.js';
import type { Store } from '../store/store.js';
import type { Query } from './ast.js';
import { compileAql, type CompiledQuery } from './compile.js';
import { parseAql } from './parser.js';

export interface AqlRunOptions {
  /** Files and folders to import; may be empty when `db` names a saved dataset. */
  paths?: readonly string[];
  /** A DuckDB file: `paths` are imported into it, and with no paths it is opened read-only. */
  db?: string;
  /** The query's now, epoch ms; defaults to the newest event, as for scan. */
  now?: number;
  localNetworks?: readonly string[];
  strict?: boolean;
  format?: string;
  /**
   * Stops the run when aborted, with InterruptedError: the running statement is interrupted, an
   * unfinished import into `db` is undone and the database is closed, as for scan.
   */
  signal?: AbortSignal;
}

export type AqlRow = Record<string, unknown>;

export interface AqlResult {
  columns: string[];
  rows: AqlRow[];
  compiled: CompiledQuery;
  /** The now the query ran with, or null when the dataset has no events (then no rows). */
  now: number | null;
  ingest: IngestSummary | null;
  /** Events in the dataset the query ran on. */
  events: number;
  elapsedMs: number;
}

/** Parses and compiles a query; throws AqlError for a query that cannot be compiled. */
export function translateAql(text: string, now: number): { query: Query; compiled: CompiledQuery } {
  const query = parseAql(text);
  return { query, compiled: compileAql(query, text, { now }) };
}

/**
 * Runs a compiled query on a store and names each row's values by the query's output columns.
 * An engine error (such as an invalid regular expression) is reported as a UsageError with its message.
 */
export async function runCompiled(store: Store, compiled: CompiledQuery): Promise<AqlRow[]> {
  let rows: Record<string, unknown>[];
  try {
    rows = await store.all<Record<string, unknown>>(compiled.sql, compiled.params);
  } catch (error) {
    if (error instanceof Error && !(error instanceof UsageError)) {
      throw new UsageError(`the query failed in DuckDB: ${error.message.split('\n')[0]}`);
    }
    throw error;
  }
  return rows.map((row) => {
    const named: AqlRow = {};
    compiled.columns.forEach((column, index) => (named[column] = row[`c${index + 1}`]));
    return named;
  });
}

/** Imports the paths (or opens the dataset), compiles the query and runs it. */
export async function runAql(text: string, options: AqlRunOptions): Promise<AqlResult> {
  const started = performance.now();
  // Parse first, so that a syntax error is reported before any file is read.
  const query = parseAql(text);
  const paths = options.paths ?? [];
  if (paths.length === 0 && options.db === undefined) {
    throw new UsageError('nothing to query: give log files or folders, or --db with a saved dataset');
  }
  if (paths.length === 0 && options.localNetworks !== undefined) {
    // A saved dataset is opened read-only, so its directions cannot be recomputed for other networks.
    throw new UsageError(
      '--local-net applies to imported paths only; give the log paths, or drop --local-net',
    );
  }
  if (paths.length === 0 && options.db !== undefined && !existsSync(options.db)) {
    throw new InputError(`${options.db}: no such dataset; check the path`, options.db);
  }
  const signal = options.signal ? { signal: options.signal } : {};
  let imported = false;
  const store = await DuckDbStore.open(options.db ?? ':memory:', {
    readOnly: paths.length === 0,
    ...signal,
  }).catch((error: unknown) => {
    throw interruptedOr(error, options.signal, options.db, imported);
  });
  try {
    let ingest: IngestSummary | null = null;
    if (paths.length > 0) {
      const report = await importFiles(store, paths, {
        localNetworks: new LocalNetworks(options.localNetworks ?? DEFAULT_LOCAL_NETWORKS),
        strict: options.strict ?? false,
        ...(options.format !== undefined ? { format: options.format } : {}),
      });
      ingest = report.summary();
      imported = true;
    }
    const [counted] = await store.all<{ events: number }>('SELECT count(*) AS events FROM events');
    const now = options.now ?? (await newestEventTime(store));
    // Compiled even without events, so that an unknown field is reported on an empty dataset too.
    const compiled = compileAql(query, text, { now: now ?? 0 });
    const rows = now === null ? [] : await runCompiled(store, compiled);
    const events = counted?.events ?? 0;
    return {
      columns: compiled.columns,
      rows,
      compiled,
      now,
      ingest,
      events,
      elapsedMs: performance.now() - started,
    };
  } catch (error) {
    throw interruptedOr(error, options.signal, options.db, imported);
  } finally {
    await store.close();
  }
}
