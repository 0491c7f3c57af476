/**
 * The library side of `beaconhunt tune`: runs the beacon detector through scan(), hides what the
 * current config already suppresses, and proposes allowlist entries for the rest.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { BeaconhuntConfig, ConfigOrigin } from '../config.js';
import type { BeaconOptions } from '../detect/beacon/index.js';
import { scan, type ScanOptions } from '../scan.js';
import { DuckDbStore } from '../store/duckdb.js';
import type { Store } from '../store/store.js';
import { loadEntityIndex, type EntityIndex } from './entities.js';
import { compileTuning, splitSuppressed } from './index.js';
import { DEFAULT_PROPOSE_OPTIONS, proposeAllowlist, type Proposal, type ProposeOptions } from './propose.js';
import { subjectOfBeaconFinding, type Suppression } from './subject.js';

export interface TuneOptions extends Partial<ProposeOptions> {
  paths?: readonly string[];
  /** A DuckDB file to import into, or to read when there are no paths; a temporary one otherwise. */
  db?: string;
  config?: BeaconhuntConfig;
  origin?: ConfigOrigin;
  localNetworks?: readonly string[];
  detectorOptions?: Partial<BeaconOptions>;
  scanOptions?: Pick<
    ScanOptions,
    'format' | 'mapping' | 'timeFormat' | 'strict' | 'now' | 'onProgress' | 'onStage'
  >;
}

export interface TuneResult {
  proposals: Proposal[];
  /** Sources the shares are counted against. */
  totalSources: number;
  /** Beacon findings in the data, and those the current config and profiles already hide. */
  findings: number;
  alreadySuppressed: { label: string; suppression: Suppression }[];
}

export async function runTune(options: TuneOptions): Promise<TuneResult> {
  const paths = options.paths ?? [];
  // scan() closes its store, and the entity index and source count need the same data afterwards, so
  // data read from paths alone goes into a temporary database file that is deleted at the end.
  const folder = options.db === undefined ? await mkdtemp(join(tmpdir(), 'beaconhunt-tune-')) : null;
  const db = options.db ?? join(folder as string, 'tune.duckdb');
  try {
    const result = await scan({
      ...options.scanOptions,
      paths,
      db,
      detector: 'beacon',
      // The split below applies the tuning, so that it can count what the config already hides.
      tuning: false,
      ...(options.detectorOptions !== undefined ? { detectorOptions: options.detectorOptions } : {}),
      ...(options.localNetworks !== undefined ? { localNetworks: options.localNetworks } : {}),
    });
    const tuning = compileTuning(options.config ?? {}, {
      ...(options.origin !== undefined ? { origin: options.origin } : {}),
      ...(options.localNetworks !== undefined ? { localNetworks: options.localNetworks } : {}),
    });
    if (result.events === 0) return { proposals: [], totalSources: 0, findings: 0, alreadySuppressed: [] };

    const store = await DuckDbStore.open(db, { readOnly: true });
    let entities: EntityIndex;
    let sources: string[];
    try {
      entities = await loadEntityIndex(store);
      sources = await distinctSources(store);
    } finally {
      await store.close();
    }
    const local = sources.filter((source) => tuning.localNetworks.isLocal(source));
    // Shares are counted against the local hosts, so that inbound scanners do not dilute them. A capture
    // of remote hosts only has no local hosts, and then every source counts.
    const population = local.length > 0 ? new Set(local) : new Set(sources);

    const split = splitSuppressed(result.findings, subjectOfBeaconFinding, tuning, entities);
    const subjects = split.kept
      .filter((finding) => finding.category === 'beacon')
      .map(subjectOfBeaconFinding)
      .filter((subject) => population.has(subject.sourceip));
    const proposals = proposeAllowlist(subjects, population.size, entities, {
      minHosts: options.minHosts ?? DEFAULT_PROPOSE_OPTIONS.minHosts,
      minShare: options.minShare ?? DEFAULT_PROPOSE_OPTIONS.minShare,
    });
    return {
      proposals,
      totalSources: population.size,
      findings: result.findings.length,
      alreadySuppressed: split.suppressed.map(({ finding, suppression }) => ({
        label: `${finding.sourceip} → ${finding.label}`,
        suppression,
      })),
    };
  } finally {
    if (folder !== null) await rm(folder, { recursive: true, force: true });
  }
}

/** Distinct sources of the events; grouped in the engine, so one row per source. */
async function distinctSources(store: Pick<Store, 'all'>): Promise<string[]> {
  const rows = await store.all<{ sourceip: string }>(
    'SELECT DISTINCT sourceip FROM events WHERE sourceip IS NOT NULL',
  );
  return rows.map((row) => row.sourceip);
}
