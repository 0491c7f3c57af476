/**
 * The library entry point behind `beaconhunt scan`: import files into a store (or open a saved one), run
 * one detector over a window ending at `now`, and return the findings with the import summary.
 */
import { existsSync } from 'node:fs';

import type { BeaconhuntConfig, ConfigOrigin } from './config.js';
import { InputError, InterruptedError, UsageError } from './errors.js';
import { contextSettingsFromConfig, type IntelLists } from './detect/context/index.js';
import type { BeaconFinding } from './detect/beacon/index.js';
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
import { applyRetention, importFiles, type ImportProgress, type RetentionResult } from './ingest/import.js';
import type { IngestSummary } from './ingest/report.js';
import { DEFAULT_LOCAL_NETWORKS, LocalNetworks } from './net/locality.js';
import { summarizeFinding } from './report/finding-summary.js';
import { countOf } from './text/plural.js';
import { loadFindingSeries, type FindingSeries } from './report/series.js';
import { scanOnClickHouse } from './scan-clickhouse.js';
import { DuckDbStore } from './store/duckdb.js';
import {
  checkSuppression,
  compileTuning,
  loadEntityIndex,
  splitSuppressed,
  subjectOfBeaconFinding,
  type Suppression,
  type TuningCheck,
} from './tune/index.js';

export interface ScanOptions<D extends DetectorId = DetectorId> {
  /** Files and folders to read; may be empty when `db` names a saved dataset. */
  paths?: readonly string[];
  /**
   * A ClickHouse dataset, `clickhouse://HOST:PORT/DATABASE[?cluster=NAME]`: `paths` are imported into it,
   * and the detector runs on the rows ClickHouse selects for it (see scan-clickhouse.ts).
   */
  engine?: string;
  /**
   * A DuckDB database file: `paths` are imported into it, and a scan without paths opens it read-only.
   * The analysis itself never changes it.
   */
  db?: string;
  detector?: D;
  /** Options of the chosen detector; anything left out takes the detector's default. */
  detectorOptions?: Partial<DetectorOptionsById[D]>;
  /** End of the analysis window, epoch ms; defaults to the newest event. */
  now?: number;
  /**
   * With `db`: after the import, delete the rows that started more than this many milliseconds before
   * `now` (see applyRetention). Without paths, the dataset is then opened for writing.
   */
  retentionMs?: number;
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
  /**
   * The parsed config file: its allowlist, profiles and context settings apply to the beacon detector.
   * `configOrigin` lets each allowlist rule name its line.
   */
  config?: BeaconhuntConfig;
  configOrigin?: ConfigOrigin;
  /** Hide beacon findings that the allowlist or a suppression profile matches; true by default. */
  tuning?: boolean;
  /** Threat-intelligence lists for the beacon detector's context. */
  intel?: IntelLists;
  /**
   * Stops the run when aborted, with InterruptedError: the running DuckDB statement is interrupted, an
   * unfinished import is undone and the database is closed.
   */
  signal?: AbortSignal;
  /** DuckDB's memory limit in bytes; see StoreOpenOptions.memoryLimit for the default. */
  memoryLimit?: number;
  /**
   * Chooses the findings whose rows and tuning checks to load, for the HTML report and `explain`. It gets
   * the rank, whether tuning hid the finding (hidden findings are ranked after the shown ones), and the
   * finding's position from 0 in its own list.
   */
  details?: (rank: number, hidden: boolean, position: number) => boolean;
}

/** The rows behind one finding, and every tuning rule checked against it. */
export interface FindingDetails {
  series: FindingSeries;
  /** Null when the detector has no tuning (only beacon has) or the scan ran without it. */
  checks: TuningCheck[] | null;
}

export interface SuppressedFinding<F> {
  finding: F;
  suppression: Suppression;
}

export interface ScanResult<D extends DetectorId = DetectorId> {
  detector: D;
  /** Findings shown, ranked from 1. */
  findings: FindingById[D][];
  /** Findings hidden by tuning, each with the rule that hid it, ranked after the shown ones. */
  suppressed: SuppressedFinding<FindingById[D]>[];
  /** Null when the scan read a saved dataset without importing anything. */
  ingest: IngestSummary | null;
  /** Events in the store when the detector ran. */
  events: number;
  /** The end of the analysis window used, or null when there were no events. */
  now: number | null;
  /** The rows deleted by `retentionMs`, or null without it. */
  retention: RetentionResult | null;
  /** Details of the findings that `details` selected, by finding; empty without `details`. */
  details: Map<FindingById[D], FindingDetails>;
  elapsedMs: number;
}

export async function scan<D extends DetectorId = 'beacon'>(options: ScanOptions<D>): Promise<ScanResult<D>> {
  const started = performance.now();
  if (options.engine !== undefined) return scanOnClickHouse(options, started);
  const detectorId = (options.detector ?? 'beacon') as D;
  const paths = options.paths ?? [];
  if (paths.length === 0 && options.db === undefined) {
    throw new UsageError('nothing to scan: give log files or folders, or --db with a saved dataset');
  }
  if (options.retentionMs !== undefined && options.db === undefined) {
    throw new UsageError(RETENTION_WITHOUT_DB);
  }
  const localNetworks = new LocalNetworks(options.localNetworks ?? DEFAULT_LOCAL_NETWORKS);
  if (paths.length === 0 && options.db !== undefined && !existsSync(options.db)) {
    throw new InputError(
      `${options.db}: no such dataset; create it with \`beaconhunt import FILES --db ${options.db}\`, or check the path`,
      options.db,
    );
  }

  // Without paths the dataset is only read, so it is opened read-only: the file may be on read-only
  // storage, and other scans may read it at the same time. Directions for other local networks are
  // computed in a copy of its events. A retention deletes rows, so it opens the dataset for writing.
  const openOptions = {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.memoryLimit !== undefined ? { memoryLimit: options.memoryLimit } : {}),
  };
  const readOnly = paths.length === 0 && options.retentionMs === undefined;
  let imported = false;
  const store = await (
    readOnly && options.db !== undefined && options.localNetworks !== undefined
      ? DuckDbStore.openCopy(options.db, openOptions)
      : DuckDbStore.open(options.db ?? ':memory:', { readOnly, ...openOptions })
  ).catch((error: unknown) => {
    throw interruptedOr(error, options.signal, options.db, imported);
  });
  try {
    let ingest: IngestSummary | null = null;
    if (paths.length > 0) {
      const report = await importFiles(store, paths, {
        localNetworks,
        strict: options.strict ?? false,
        ...(options.format !== undefined ? { format: options.format } : {}),
        ...(options.mapping !== undefined ? { mapping: options.mapping } : {}),
        ...(options.timeFormat !== undefined ? { timeFormat: options.timeFormat } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(options.onStage ? { onStage: options.onStage } : {}),
      });
      imported = true;
      ingest = report.summary();
    }
    const retention =
      options.retentionMs === undefined
        ? null
        : await applyRetention(store, options.retentionMs, options.now);
    // The retention has committed, so an interrupt from here on leaves the dataset changed.
    if (retention !== null) imported = true;
    return { ...(await analyse(store, detectorId, ingest, options, localNetworks, started)), retention };
  } catch (error) {
    throw interruptedOr(error, options.signal, options.db, imported);
  } finally {
    await store.close();
  }
}

/**
 * Returns InterruptedError, with a message about what the run left in `db`, in place of the error that
 * stopped an aborted run. Errors of a run that was not aborted are returned unchanged.
 */
export function interruptedOr(
  error: unknown,
  signal: AbortSignal | undefined,
  db: string | undefined,
  imported: boolean,
): unknown {
  if (!(signal?.aborted ?? false)) return error;
  return new InterruptedError(interruptedRunMessage(db, imported), { cause: error });
}

/**
 * Describes what an interrupted run left in its dataset; `imported` is true once the import into `db`
 * has finished and committed.
 */
export function interruptedRunMessage(db: string | undefined, imported: boolean): string {
  if (db === undefined) return 'interrupted';
  if (imported) return `interrupted after the import finished; ${db} keeps the files this run added`;
  return 'interrupted; the dataset is as it was before this run';
}

/**
 * Runs the detector. The analysis changes nothing in a saved dataset: it runs in a transaction that is
 * rolled back, so directions recomputed for --local-net last only for this scan.
 */
export async function analyse<D extends DetectorId>(
  store: DuckDbStore,
  detectorId: D,
  ingest: IngestSummary | null,
  options: ScanOptions<D>,
  localNetworks: LocalNetworks,
  started: number,
): Promise<Omit<ScanResult<D>, 'retention'>> {
  await store.run('BEGIN TRANSACTION');
  try {
    if (ingest === null && options.localNetworks !== undefined) {
      await assignDirections(store, localNetworks, true);
    }
    const [counted] = await store.all<{ events: number }>('SELECT count(*) AS events FROM events');
    const events = counted?.events ?? 0;
    options.onStage?.(`running ${detectorId}`);
    const detector = DETECTORS[detectorId] as (typeof DETECTORS)[D];
    const now =
      options.now ?? (detector.defaultNow ? await detector.defaultNow(store) : await newestEventTime(store));
    const detectorOptions = {
      ...DEFAULT_DETECTOR_OPTIONS[detectorId],
      ...contextOptions(detectorId, options),
      ...options.detectorOptions,
    };
    const found =
      now === null
        ? []
        : ((await (detector.run as (context: unknown, options: unknown) => Promise<unknown[]>)(
            { store, now },
            detectorOptions,
          )) as FindingById[D][]);
    const { findings, suppressed, checksOf } =
      detectorId === 'beacon' && (options.tuning ?? true)
        ? ((await suppressBeacons(store, found as BeaconFinding[], options)) as unknown as {
            findings: FindingById[D][];
            suppressed: SuppressedFinding<FindingById[D]>[];
            checksOf: (finding: FindingById[D]) => TuningCheck[];
          })
        : { findings: found, suppressed: [], checksOf: null };
    const listed = [...findings, ...suppressed.map((entry) => entry.finding)];
    return {
      detector: detectorId,
      findings,
      suppressed,
      ingest,
      events,
      now,
      details: await loadDetails(store, detectorId, listed, findings.length, options, checksOf),
      elapsedMs: performance.now() - started,
    };
  } finally {
    await store.run('ROLLBACK');
  }
}

/** Builds the beacon detector's context options from the scan's config and intel lists. */
function contextOptions(detectorId: DetectorId, options: ScanOptions): object {
  if (detectorId !== 'beacon') return {};
  return {
    contextSettings: contextSettingsFromConfig(options.config?.context),
    ...(options.intel !== undefined ? { intel: options.intel } : {}),
  };
}

/**
 * Applies the config's allowlist and the suppression profiles to beacon findings. Hidden findings keep
 * the rule that hid them; shown ones are ranked again from 1, and hidden ones after them.
 */
async function suppressBeacons(
  store: DuckDbStore,
  findings: BeaconFinding[],
  options: ScanOptions,
): Promise<{
  findings: BeaconFinding[];
  suppressed: SuppressedFinding<BeaconFinding>[];
  checksOf: (finding: BeaconFinding) => TuningCheck[];
}> {
  if (findings.length === 0) return { findings, suppressed: [], checksOf: () => [] };
  const tuning = compileTuning(options.config ?? {}, {
    ...(options.configOrigin !== undefined ? { origin: options.configOrigin } : {}),
    ...(options.localNetworks !== undefined ? { localNetworks: options.localNetworks } : {}),
  });
  const entities = await loadEntityIndex(store);
  const checksOf = (finding: BeaconFinding): TuningCheck[] =>
    checkSuppression(subjectOfBeaconFinding(finding), tuning, entities);
  const split = splitSuppressed(findings, subjectOfBeaconFinding, tuning, entities);
  split.kept.forEach((finding, index) => (finding.rank = index + 1));
  split.suppressed.forEach(({ finding, suppression }, index) => {
    finding.rank = split.kept.length + index + 1;
    finding.suppression = suppression;
    // A pipeline that filters on `alert` must not raise what tuning hid.
    finding.alert = false;
  });
  return { findings: split.kept, suppressed: split.suppressed, checksOf };
}

/**
 * Loads the rows, and the tuning checks, of the listed findings that `options.details` selects. Findings
 * are listed shown first, then hidden, which is rank order.
 */
async function loadDetails<F extends object>(
  store: DuckDbStore,
  detectorId: DetectorId,
  listed: readonly F[],
  shownCount: number,
  options: Pick<ScanOptions, 'details' | 'onStage'>,
  checksOf: ((finding: F) => TuningCheck[]) | null,
): Promise<Map<F, FindingDetails>> {
  const details = new Map<F, FindingDetails>();
  const request = options.details;
  if (request === undefined) return details;
  const chosen = listed
    .map((finding, index) => ({ finding, summary: summarizeFinding(detectorId, finding, index), index }))
    .filter(({ summary, index }) => {
      const hidden = index >= shownCount;
      // The position counts from 0 in the finding's own list, shown or hidden.
      return request(summary.rank, hidden, hidden ? index - shownCount : index);
    });
  if (chosen.length > 0) options.onStage?.(`loading the connections of ${countOf(chosen.length, 'finding')}`);
  for (const { finding, summary } of chosen) {
    const series = await loadFindingSeries(
      store,
      detectorId,
      finding,
      summary.firstSeenMs,
      summary.lastSeenMs,
    );
    details.set(finding, { series, checks: checksOf === null ? null : checksOf(finding) });
  }
  return details;
}

export interface ImportResult {
  ingest: IngestSummary;
  /** Events in the dataset after the import and the retention. */
  events: number;
  /** The rows deleted by `retentionMs`, or null without it. */
  retention: RetentionResult | null;
  elapsedMs: number;
}

/** The message for a retention asked of a run that keeps no dataset. */
const RETENTION_WITHOUT_DB =
  '--retention deletes old rows from a saved dataset, so it needs --db FILE; drop --retention or add --db';

/** Imports files into a saved dataset for later `scan --db` runs. */
export async function importIntoDatabase(
  db: string,
  paths: readonly string[],
  options: Pick<
    ScanOptions,
    | 'localNetworks'
    | 'strict'
    | 'format'
    | 'mapping'
    | 'timeFormat'
    | 'onProgress'
    | 'onStage'
    | 'signal'
    | 'now'
    | 'retentionMs'
    | 'memoryLimit'
  > = {},
): Promise<ImportResult> {
  const started = performance.now();
  let imported = false;
  const store = await DuckDbStore.open(db, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.memoryLimit !== undefined ? { memoryLimit: options.memoryLimit } : {}),
  }).catch((error: unknown) => {
    throw interruptedOr(error, options.signal, db, imported);
  });
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
    imported = true;
    const retention =
      options.retentionMs === undefined
        ? null
        : await applyRetention(store, options.retentionMs, options.now);
    const [counted] = await store.all<{ events: number }>('SELECT count(*) AS events FROM events');
    return {
      ingest: report.summary(),
      events: counted?.events ?? 0,
      retention,
      elapsedMs: performance.now() - started,
    };
  } catch (error) {
    throw interruptedOr(error, options.signal, db, imported);
  } finally {
    await store.close();
  }
}
