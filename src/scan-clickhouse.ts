/**
 * `scan` and `import` with `--engine clickhouse://…`: the dataset lives in ClickHouse, on one server or
 * on a sharded cluster.
 *
 * An import parses the files locally as any scan does and sends the rows to ClickHouse in bulk. A scan
 * reads from ClickHouse the working set of the detector, and runs the detector on it in a local DuckDB
 * store. The pair aggregation that chooses the working set runs in ClickHouse (see
 * store/clickhouse/working-set.ts), and the findings are those a DuckDB scan of the same data gives.
 */
import { UsageError } from './errors.js';
import type { BeaconOptions } from './detect/beacon/index.js';
import { DEFAULT_DETECTOR_OPTIONS, type DetectorId } from './detect/registry.js';
import type { LongConnectionOptions } from './detect/long-connection.js';
import type { QradarT1071Options } from './detect/qradar-t1071.js';
import { forgetFile, importFiles } from './ingest/import.js';
import type { IngestSummary } from './ingest/report.js';
import { DEFAULT_LOCAL_NETWORKS, LocalNetworks } from './net/locality.js';
import { analyse, type ImportResult, type ScanOptions, type ScanResult } from './scan.js';
import { parseClickHouseUrl, ClickHouseStore } from './store/clickhouse/store.js';
import { loadWorkingSet, sendDataset, type WorkingSetRows } from './store/clickhouse/transfer.js';
import type { WorkingSetBounds } from './store/clickhouse/working-set.js';
import { DuckDbStore } from './store/duckdb.js';
import { DNS_QUERIES_TABLE, EVENTS_TABLE, FILES_TABLE, FLOW_HTTP_TABLE } from './store/schema.js';

/** The result of a ClickHouse scan: a scan result plus the rows copied into the working set. */
export interface ClickHouseScanResult<D extends DetectorId> extends ScanResult<D> {
  workingSet: WorkingSetRows | null;
}

/** Series shorter than this are never scored by any detector at its default settings. */
const DEFAULT_MIN_SERIES = 5;

/**
 * Imports `paths` into an in-memory DuckDB store and sends what is new to ClickHouse. A file whose
 * SHA-256 the ClickHouse catalogue already has is dropped from the store before the rows are sent, so a
 * dataset never contains a file twice. Returns the import summary and the paths passed over.
 */
async function importAndSend(
  remote: ClickHouseStore,
  paths: readonly string[],
  options: ScanOptions,
): Promise<{ ingest: IngestSummary; alreadyThere: string[] }> {
  const local = await DuckDbStore.open(':memory:', options.signal ? { signal: options.signal } : {});
  try {
    const report = await importFiles(local, paths, {
      localNetworks: new LocalNetworks(options.localNetworks ?? DEFAULT_LOCAL_NETWORKS),
      strict: options.strict ?? false,
      hashContent: true,
      ...(options.format !== undefined ? { format: options.format } : {}),
      ...(options.mapping !== undefined ? { mapping: options.mapping } : {}),
      ...(options.timeFormat !== undefined ? { timeFormat: options.timeFormat } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.onStage ? { onStage: options.onStage } : {}),
    });
    const alreadyThere = await dropKnownFiles(local, remote);
    await dropKnownFlows(local, remote);
    options.onStage?.('sending the rows to ClickHouse');
    await sendDataset(local, remote);
    return { ingest: report.summary(), alreadyThere };
  } finally {
    await local.close();
  }
}

/** Deletes from the local store the files whose content the ClickHouse catalogue already has. */
async function dropKnownFiles(local: DuckDbStore, remote: ClickHouseStore): Promise<string[]> {
  const imported = await local.all<{ path: string; sha256: string | null }>(
    `SELECT path, sha256 FROM ${FILES_TABLE} WHERE sha256 IS NOT NULL`,
  );
  if (imported.length === 0) return [];
  const digests = imported.map((file) => file.sha256 as string);
  const known = new Set(
    (
      await remote.all<{ sha256: string }>(
        `SELECT DISTINCT sha256 FROM ${FILES_TABLE} WHERE sha256 IN (${digests.map(() => '?').join(', ')})`,
        digests,
      )
    ).map((row) => row.sha256),
  );
  const dropped = imported.filter((file) => known.has(file.sha256 as string)).map((file) => file.path);
  for (const path of dropped) await forgetFile(local, path);
  return dropped;
}

/** Flow ids asked about in one query; 5,000 ids of about 20 characters stay far below max_query_size. */
const UID_BATCH = 5_000;

/**
 * Deletes from the local store the rows whose flow id the ClickHouse dataset already has, table by table:
 * a gzip copy of an imported log, a log that grew since its import (its earlier rows), an http.log read
 * again. A DuckDB dataset drops such copies when it deduplicates; here the copies are in two engines.
 * Rows without a flow id cannot be matched and are sent.
 */
async function dropKnownFlows(local: DuckDbStore, remote: ClickHouseStore): Promise<void> {
  for (const table of [EVENTS_TABLE, DNS_QUERIES_TABLE, FLOW_HTTP_TABLE]) {
    if (!(await local.hasTable(table))) continue;
    const uids = (
      await local.all<{ uid: string }>(`SELECT DISTINCT uid FROM ${table} WHERE uid IS NOT NULL`)
    ).map((row) => row.uid);
    const known: string[] = [];
    for (let start = 0; start < uids.length; start += UID_BATCH) {
      const batch = uids.slice(start, start + UID_BATCH);
      const rows = await remote.all<{ uid: string }>(
        `SELECT DISTINCT uid FROM ${table} WHERE uid IN (${batch.map(() => '?').join(', ')})`,
        batch,
      );
      for (const row of rows) known.push(row.uid);
    }
    for (let start = 0; start < known.length; start += UID_BATCH) {
      const batch = known.slice(start, start + UID_BATCH);
      await local.run(`DELETE FROM ${table} WHERE uid IN (${batch.map(() => '?').join(', ')})`, batch);
    }
  }
}

/**
 * Returns the default end of the window, computed in ClickHouse as the DuckDB store computes it: the
 * newest connection or DNS query, or for long-connection the end of the last connection. Null when the
 * dataset is empty.
 */
async function remoteNow(remote: ClickHouseStore, detectorId: DetectorId): Promise<number | null> {
  const [counts] = await remote.all<{ events: number; queries: number }>(
    `SELECT (SELECT count() FROM ${EVENTS_TABLE}) AS events, (SELECT count() FROM ${DNS_QUERIES_TABLE}) AS queries`,
  );
  if ((counts?.events ?? 0) === 0 && (counts?.queries ?? 0) === 0) return null;
  if (detectorId === 'long-connection' && (counts?.events ?? 0) > 0) {
    const [row] = await remote.all<{ newest: number }>(
      `SELECT max(greatest(starttime, starttime + toInt64(round(ifNull(duration, 0) * 1000)))) AS newest
         FROM ${EVENTS_TABLE} WHERE isFinite(ifNull(duration, 0))`,
    );
    return row?.newest ?? null;
  }
  const parts = [
    ...((counts?.events ?? 0) > 0 ? [`(SELECT max(starttime) FROM ${EVENTS_TABLE})`] : []),
    ...((counts?.queries ?? 0) > 0 ? [`(SELECT max(starttime) FROM ${DNS_QUERIES_TABLE})`] : []),
  ];
  const [row] = await remote.all<{ newest: number }>(
    `SELECT ${parts.length === 1 ? parts[0] : `greatest(${parts.join(', ')})`} AS newest`,
  );
  return row?.newest ?? null;
}

/** Returns the working-set bounds of a detector with its options. */
export function workingSetBounds(
  detectorId: DetectorId,
  detectorOptions: object,
  now: number,
): WorkingSetBounds {
  const windowOf = (windowMs: number): number | null => (Number.isFinite(windowMs) ? now - windowMs : null);
  switch (detectorId) {
    case 'beacon': {
      const beacon = detectorOptions as BeaconOptions;
      return {
        now,
        windowStart: windowOf(beacon.windowMs),
        minSeries: Math.min(DEFAULT_MIN_SERIES, beacon.minConnections, beacon.minLongPeriodConnections),
        minDurationMs: null,
      };
    }
    case 'qradar-t1071': {
      const rule = detectorOptions as QradarT1071Options;
      // The rule counts SUM(eventcount), which the working-set rule also compares with the minimum.
      return {
        now,
        windowStart: windowOf(rule.windowMs),
        minSeries: Math.min(DEFAULT_MIN_SERIES, rule.minCount + 1),
        minDurationMs: null,
      };
    }
    case 'long-connection': {
      const long = detectorOptions as LongConnectionOptions;
      return {
        now,
        windowStart: windowOf(long.windowMs),
        minSeries: DEFAULT_MIN_SERIES,
        minDurationMs: long.minDurationMs,
      };
    }
    default:
      return { now, windowStart: null, minSeries: DEFAULT_MIN_SERIES, minDurationMs: null };
  }
}

/** Runs `scan` with the dataset in ClickHouse; see ScanOptions.engine. */
export async function scanOnClickHouse<D extends DetectorId>(
  options: ScanOptions<D>,
  started: number,
): Promise<ClickHouseScanResult<D>> {
  const detectorId = (options.detector ?? 'beacon') as D;
  if (options.db !== undefined) throw new UsageError('--engine and --db name two datasets; give one of them');
  if (options.retentionMs !== undefined) {
    throw new UsageError('--retention is not supported with --engine yet; drop it, or use --db');
  }
  const paths = options.paths ?? [];
  // A scan that imports nothing reads an existing dataset; creating an empty one for a misspelt name
  // would report no findings instead of the mistake.
  const remote = await ClickHouseStore.open(parseClickHouseUrl(options.engine as string), {
    mustExist: paths.length === 0,
  });
  try {
    const ingest = paths.length > 0 ? (await importAndSend(remote, paths, options)).ingest : null;
    const [counted] = await remote.all<{ events: number }>(`SELECT count() AS events FROM ${EVENTS_TABLE}`);
    const now = options.now ?? (await remoteNow(remote, detectorId));
    const local = await DuckDbStore.open(':memory:', options.signal ? { signal: options.signal } : {});
    try {
      let workingSet: WorkingSetRows | null = null;
      if (now !== null) {
        options.onStage?.('reading the working set from ClickHouse');
        const detectorOptions = { ...DEFAULT_DETECTOR_OPTIONS[detectorId], ...options.detectorOptions };
        workingSet = await loadWorkingSet(remote, local, workingSetBounds(detectorId, detectorOptions, now));
      }
      const result = await analyse(
        local,
        detectorId,
        ingest,
        { ...options, ...(now !== null ? { now } : {}) },
        new LocalNetworks(options.localNetworks ?? DEFAULT_LOCAL_NETWORKS),
        started,
      );
      return { ...result, events: counted?.events ?? 0, retention: null, workingSet };
    } finally {
      await local.close();
    }
  } finally {
    await remote.close();
  }
}

/** Runs `import` into a ClickHouse dataset. */
export async function importIntoClickHouse(
  engine: string,
  paths: readonly string[],
  options: ScanOptions,
): Promise<ImportResult & { alreadyThere: string[] }> {
  const started = performance.now();
  if (options.retentionMs !== undefined) {
    throw new UsageError('--retention is not supported with --engine yet; drop it, or use --db');
  }
  const remote = await ClickHouseStore.open(parseClickHouseUrl(engine));
  try {
    const { ingest, alreadyThere } = await importAndSend(remote, paths, options);
    const [counted] = await remote.all<{ events: number }>(`SELECT count() AS events FROM ${EVENTS_TABLE}`);
    return {
      ingest,
      events: counted?.events ?? 0,
      retention: null,
      elapsedMs: performance.now() - started,
      alreadyThere,
    };
  } finally {
    await remote.close();
  }
}
