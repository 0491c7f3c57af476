/**
 * The library entry point behind `beaconhunt scan`: import files into a store (or open a saved one), run
 * one detector over a window ending at `now`, and return the findings with the import summary.
 */
import { existsSync } from 'node:fs';

import { InputError, UsageError } from './errors.js';
import { newestEventTime } from './detect/detector.js';
import {
  DEFAULT_DETECTOR_OPTIONS,
  DETECTORS,
  type DetectorId,
  type DetectorOptionsById,
  type FindingById,
} from './detect/registry.js';
import { assignDirections } from './ingest/finalize.js';
import type { FieldMapping, TimeFormat } from './ingest/generic/mapping.js';
import { importFiles, type ImportProgress } from './ingest/import.js';
import type { IngestSummary } from './ingest/report.js';
import { DEFAULT_LOCAL_NETWORKS, LocalNetworks } from './net/locality.js';
import { DuckDbStore } from './store/duckdb.js';

export interface ScanOptions<D extends DetectorId = DetectorId> {
  /** Files and folders to read; may be empty when `db` names a saved dataset. */
  paths?: readonly string[];
  /** A DuckDB database file: new files are added to it, and a scan without paths reads it as it is. */
  db?: string;
  detector?: D;
  /** Options of the chosen detector; anything left out takes the detector's default. */
  detectorOptions?: Partial<DetectorOptionsById[D]>;
  /** End of the analysis window, epoch ms; defaults to the newest event. */
  now?: number;
  /** CIDRs counted as local; defaults to DEFAULT_LOCAL_NETWORKS. */
  localNetworks?: readonly string[];
  strict?: boolean;
  /** Read every file as this format id instead of detecting each file's format. */
  format?: string;
  /** Field mapping for logs no built-in format reads, with the way their start time is written. */
  mapping?: FieldMapping;
  timeFormat?: TimeFormat;
  /** Called after each file and a few times a second while one loads. */
  onProgress?: (progress: ImportProgress) => void;
  /** Called when the scan moves on to a stage that has no progress of its own, such as scoring. */
  onStage?: (stage: string) => void;
}

export interface ScanResult<D extends DetectorId = DetectorId> {
  detector: D;
  findings: FindingById[D][];
  /** Null when the scan read a saved dataset without importing anything. */
  ingest: IngestSummary | null;
  /** Events in the store when the detector ran. */
  events: number;
  /** The end of the analysis window used, or null when there were no events. */
  now: number | null;
  elapsedMs: number;
}

export async function scan<D extends DetectorId = 'beacon'>(options: ScanOptions<D>): Promise<ScanResult<D>> {
  const started = performance.now();
  const detectorId = (options.detector ?? 'beacon') as D;
  const paths = options.paths ?? [];
  if (paths.length === 0 && options.db === undefined) {
    throw new UsageError('nothing to scan: give log files or folders, or --db with a saved dataset');
  }
  const localNetworks = new LocalNetworks(options.localNetworks ?? DEFAULT_LOCAL_NETWORKS);
  if (paths.length === 0 && options.db !== undefined && !existsSync(options.db)) {
    throw new InputError(
      `${options.db}: no such dataset; create it with \`beaconhunt import FILES --db ${options.db}\`, or check the path`,
      options.db,
    );
  }

  const store = await DuckDbStore.open(options.db ?? ':memory:');
  try {
    let ingest: IngestSummary | null = null;
    if (paths.length > 0) {
      const report = await importFiles(store, paths, {
        localNetworks,
        strict: options.strict ?? false,
        ...(options.format !== undefined ? { format: options.format } : {}),
        ...(options.mapping !== undefined ? { mapping: options.mapping } : {}),
        ...(options.timeFormat !== undefined ? { timeFormat: options.timeFormat } : {}),
        ...(options.mapping !== undefined ? { mapping: options.mapping } : {}),
        ...(options.timeFormat !== undefined ? { timeFormat: options.timeFormat } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(options.onStage ? { onStage: options.onStage } : {}),
      });
      ingest = report.summary();
    }

    // The analysis changes nothing in a saved dataset: it runs in a transaction that is rolled back,
    // so directions recomputed for --local-net last only for this scan.
    await store.run('BEGIN TRANSACTION');
    try {
      if (paths.length === 0 && options.localNetworks !== undefined) {
        await assignDirections(store, localNetworks, true);
      }
      const [counted] = await store.all<{ events: number }>('SELECT count(*) AS events FROM events');
      const events = counted?.events ?? 0;
      options.onStage?.(`running ${detectorId}`);
      const now = options.now ?? (await newestEventTime(store));
      const detector = DETECTORS[detectorId] as (typeof DETECTORS)[D];
      const detectorOptions = { ...DEFAULT_DETECTOR_OPTIONS[detectorId], ...options.detectorOptions };
      const findings =
        now === null
          ? []
          : ((await (detector.run as (context: unknown, options: unknown) => Promise<unknown[]>)(
              { store, now },
              detectorOptions,
            )) as FindingById[D][]);
      return { detector: detectorId, findings, ingest, events, now, elapsedMs: performance.now() - started };
    } finally {
      await store.run('ROLLBACK');
    }
  } finally {
    await store.close();
  }
}

export interface ImportResult {
  ingest: IngestSummary;
  events: number;
  elapsedMs: number;
}

/** Imports files into a saved dataset for later `scan --db` runs. */
export async function importIntoDatabase(
  db: string,
  paths: readonly string[],
  options: Pick<
    ScanOptions,
    'localNetworks' | 'strict' | 'format' | 'mapping' | 'timeFormat' | 'onProgress' | 'onStage'
  > = {},
): Promise<ImportResult> {
  const started = performance.now();
  const store = await DuckDbStore.open(db);
  try {
    const report = await importFiles(store, paths, {
      localNetworks: new LocalNetworks(options.localNetworks ?? DEFAULT_LOCAL_NETWORKS),
      strict: options.strict ?? false,
      ...(options.format !== undefined ? { format: options.format } : {}),
      ...(options.mapping !== undefined ? { mapping: options.mapping } : {}),
      ...(options.timeFormat !== undefined ? { timeFormat: options.timeFormat } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.onStage ? { onStage: options.onStage } : {}),
    });
    const [counted] = await store.all<{ events: number }>('SELECT count(*) AS events FROM events');
    return { ingest: report.summary(), events: counted?.events ?? 0, elapsedMs: performance.now() - started };
  } finally {
    await store.close();
  }
}
