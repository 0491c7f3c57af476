/**
 * The contract every detector implements. A detector reads the events table through the Store
 * interface and returns findings as plain objects with stable field names, so the same result feeds the
 * terminal table, JSON, NDJSON and CSV.
 */
import type { Store } from '../store/store.js';

export interface DetectorContext {
  store: Store;
  /** End of the analysis window, epoch milliseconds. */
  now: number;
}

/** One cell of a flat finding record, as written to CSV and shown in the table. */
export type FlatValue = string | number | boolean | null;

export interface TableColumn<F> {
  header: string;
  value: (finding: F) => string;
  align?: 'left' | 'right';
  /** True when the finding is an alert, which colours this cell red and bold on a colour terminal. */
  alert?: (finding: F) => boolean;
}

export interface Detector<Options, F extends object> {
  readonly id: string;
  readonly description: string;
  run(context: DetectorContext, options: Options): Promise<F[]>;
  /** Flattens a finding for CSV; the keys are those of `csvColumns`. */
  flatten(finding: F): Record<string, FlatValue>;
  /** The CSV header, in order; written even when there are no findings. */
  readonly csvColumns: readonly string[];
  /** Columns of the terminal table. */
  readonly tableColumns: readonly TableColumn<F>[];
  /**
   * The default end of the window when the caller gives none, if not the newest event's start
   * (newestEventTime): a detector of durations needs the end of the last connection instead.
   */
  defaultNow?(store: Store): Promise<number | null>;
}

/**
 * Returns the time of the newest connection or DNS query, the default end of the analysis window, or
 * null for an empty store. DNS queries count because a dns.log alone is a dataset for the DNS detectors.
 */
export async function newestEventTime(store: Store): Promise<number | null> {
  const [row] = await store.all<{ newest: number | null }>(
    `SELECT greatest((SELECT max(starttime) FROM events), (SELECT max(starttime) FROM dns_queries)) AS newest`,
  );
  return row?.newest ?? null;
}
