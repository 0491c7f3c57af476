/** The beaconhunt library: everything the CLI does is available here without a shell. */
export { scan, importIntoDatabase, type ScanOptions, type ScanResult, type ImportResult } from './scan.js';
export { DETECTORS, DETECTOR_IDS, DEFAULT_DETECTOR_OPTIONS, type DetectorId } from './detect/registry.js';
export type { Detector, DetectorContext } from './detect/detector.js';
export type { BeaconFinding, BeaconOptions } from './detect/beacon/index.js';
export type { QradarT1071Finding, QradarT1071Options } from './detect/qradar-t1071.js';
export { EVENT_COLUMNS, type ConnectionEvent } from './model/event.js';
export { DEFAULT_LOCAL_NETWORKS, LocalNetworks } from './net/locality.js';
export { DuckDbStore } from './store/duckdb.js';
export type { Store } from './store/store.js';
export { importFiles } from './ingest/import.js';
export { INPUT_FORMATS } from './ingest/formats.js';
export type { IngestSummary, FileOutcome, SkippedLine } from './ingest/report.js';
export {
  UsageError,
  InputError,
  StrictModeError,
  InterruptedError,
  EXIT_OK,
  EXIT_USAGE_OR_INPUT,
  EXIT_INTERNAL,
  EXIT_SIGINT,
  EXIT_SIGTERM,
} from './errors.js';
export { loadConfig, type BeaconhuntConfig } from './config.js';
