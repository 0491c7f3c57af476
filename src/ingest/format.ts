/** The contract every input format implements, and the context a loader receives. */
import type { LocalNetworks } from '../net/locality.js';
import type { FieldMapping, TimeFormat } from './generic/mapping.js';
import type { DuckDbStore } from '../store/duckdb.js';
import type { IngestReport } from './report.js';
import type { FileSample } from './sniff.js';

export interface LoadContext {
  store: DuckDbStore;
  sample: FileSample;
  report: IngestReport;
  localNetworks: LocalNetworks;
  /** The `--map` field mapping, for the generic CSV and JSON lines formats. */
  mapping?: FieldMapping;
  /** Notation of a mapped start time (`--time-format`). */
  timeFormat?: TimeFormat;
  /** Smallest uncompressed file that line-oriented readers parse in worker threads (PARALLEL_MIN_BYTES). */
  parallelMinBytes?: number;
}

export interface LoadResult {
  /** 'ignored' marks a recognised file that contains nothing to load, such as Zeek's weird.log. */
  status: 'loaded' | 'ignored';
  events: number;
  skipped: number;
  message?: string;
}

export interface InputFormat {
  /** Stable identifier, shown in summaries and accepted by future `--format` overrides. */
  readonly id: string;
  readonly description: string;
  /** Rule that recognises the format from a file's first 64 KB, shown by `beaconhunt formats`. */
  readonly recognisedBy?: string;
  /** One typical record, for `beaconhunt formats`. */
  readonly example?: string;
  /** True when records carry their own eventdirection, which is then kept rather than computed. */
  readonly providesDirection: boolean;
  /** Returns true when the sampled content is this format. */
  detect(sample: FileSample): boolean;
  load(context: LoadContext): Promise<LoadResult>;
}
