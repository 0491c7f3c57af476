/**
 * The library behind `beaconhunt simulate`: generate the chosen scenarios over a window, write them in
 * the chosen formats under one folder per format, and write labels.json beside them.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

import { UsageError } from '../errors.js';
import { LocalNetworks } from '../net/locality.js';
import { isScenarioId, SCENARIO_IDS, scenarioPlans, type ScenarioId } from './catalog.js';
import { generateConnections } from './generate.js';
import { describeJitter, modelPeriod } from './jitter.js';
import { LABELS_GENERATOR, LABELS_VERSION, type LabelledSeries, type Labels } from './labels.js';
import type { SeriesPlan, SimConnection } from './model.js';
import { cefOutput, leefOutput } from './output/keyvalue.js';
import { qradarCsvOutput, qradarJsonOutput, squidOutput } from './output/proxy-and-siem.js';
import { suricataEveOutput } from './output/suricata.js';
import { sysmonXmlOutput } from './output/sysmon.js';
import { cachedLocality, type OutputFormat } from './output/types.js';
import { zeekJsonOutput, zeekTsvOutput } from './output/zeek.js';

/** Every output format, in the order they are written. */
export const OUTPUT_FORMATS: readonly OutputFormat[] = [
  zeekTsvOutput,
  zeekJsonOutput,
  suricataEveOutput,
  sysmonXmlOutput,
  qradarJsonOutput,
  qradarCsvOutput,
  leefOutput,
  cefOutput,
  squidOutput,
];

export const OUTPUT_FORMAT_IDS: readonly string[] = OUTPUT_FORMATS.map((format) => format.id);

/** The default start: Monday 2 November 2026, 00:00 UTC, the day of the repository's samples. */
export const DEFAULT_START_MS = Date.UTC(2026, 10, 2);
export const DEFAULT_DURATION_MS = 24 * 3_600_000;
export const DEFAULT_TIMESTAMP_NOISE_MS = 50;

export interface SimulateOptions {
  /** Folder to write into; it must be empty or absent unless `force` is set. */
  out: string;
  seed?: number;
  /** Start of the window, epoch ms. */
  start?: number;
  durationMs?: number;
  timestampNoiseMs?: number;
  /** Scenario ids; all when absent or empty. */
  scenarios?: readonly string[];
  /** Output format ids or aliases; all when absent or empty. */
  formats?: readonly string[];
  /** Write into a folder that already has files, replacing files of the same name. */
  force?: boolean;
}

export interface SimulationResult {
  /** The connections, in start-time order, with their series index. */
  connections: SimConnection[];
  plans: SeriesPlan[];
  labels: Labels;
}

/** Resolves a format id or alias, or throws a UsageError that lists the valid ids. */
export function outputFormatById(id: string): OutputFormat {
  const format = OUTPUT_FORMATS.find((candidate) => candidate.id === id || candidate.aliases.includes(id));
  if (format === undefined) {
    throw new UsageError(`unknown format "${id}"; valid formats: ${OUTPUT_FORMAT_IDS.join(', ')}`);
  }
  return format;
}

function resolveScenarios(ids: readonly string[] | undefined): ScenarioId[] {
  if (ids === undefined || ids.length === 0) return [...SCENARIO_IDS];
  const resolved: ScenarioId[] = [];
  for (const id of ids) {
    if (!isScenarioId(id)) {
      throw new UsageError(`unknown scenario "${id}"; valid scenarios: ${SCENARIO_IDS.join(', ')}`);
    }
    if (!resolved.includes(id)) resolved.push(id);
  }
  return resolved;
}

function resolveFormats(ids: readonly string[] | undefined): OutputFormat[] {
  if (ids === undefined || ids.length === 0) return [...OUTPUT_FORMATS];
  const resolved: OutputFormat[] = [];
  for (const id of ids) {
    const format = outputFormatById(id);
    if (!resolved.includes(format)) resolved.push(format);
  }
  return resolved;
}

/**
 * Upper limit of a simulation's duration, ms. Every connection is held in memory before it is written: 30 days of every
 * scenario took 1.8 GB and wrote 14 GB in all nine formats, and a year ran out of heap.
 */
export const MAX_DURATION_MS = 31 * 86_400_000;

function checkSettings(seed: number, durationMs: number, noiseMs: number, start: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
    throw new UsageError(`seed must be a whole number from 0 to 4294967295, got ${seed}`);
  }
  if (!Number.isFinite(durationMs) || durationMs <= 0) {
    throw new UsageError(`duration must be longer than zero, got ${durationMs} ms`);
  }
  if (durationMs > MAX_DURATION_MS) {
    throw new UsageError(
      `duration ${durationMs / 86_400_000} days is longer than the ${MAX_DURATION_MS / 86_400_000} days simulate can hold in memory; simulate a month at a time with --start`,
    );
  }
  if (!Number.isInteger(noiseMs) || noiseMs < 0) {
    throw new UsageError(`timestamp noise must be a whole number of milliseconds, got ${noiseMs}`);
  }
  if (!Number.isFinite(start) || start < 0) throw new UsageError(`start must be after 1970, got ${start}`);
}

function seriesLabel(
  plan: SeriesPlan,
  connections: readonly SimConnection[],
  formats: readonly OutputFormat[],
): LabelledSeries {
  const destinations = [...new Set(connections.map((connection) => connection.destinationip))].sort();
  const planned = [...plan.destinations].sort();
  const eventsByFormat: Record<string, number> = {};
  for (const format of formats) {
    eventsByFormat[format.id] = connections.reduce(
      (sum, connection) => sum + format.recordsFor(connection),
      0,
    );
  }
  const servername = plan.servername ?? plan.http?.host.replace(/:\d+$/, '') ?? null;
  const label: LabelledSeries = {
    id: plan.id,
    scenario: plan.scenario,
    title: plan.title,
    malicious: plan.malicious,
    class: plan.class,
    sourceip: plan.sourceip,
    destinationip: planned.length === 1 ? (planned[0] ?? null) : null,
    destinationport: plan.destinationport,
    servername,
    domain: plan.domain ?? null,
    process: plan.process,
    username: plan.username,
    protocol: plan.protocol,
    periodSeconds: plan.model === null ? null : modelPeriod(plan.model),
    jitter: plan.model === null ? null : describeJitter(plan.model),
    events: connections.length,
    requests: connections.reduce((sum, connection) => sum + Math.max(1, connection.requests.length), 0),
    eventsByFormat,
    firstSeenEpochMs: connections[0]?.starttime ?? null,
    lastSeenEpochMs: connections.at(-1)?.starttime ?? null,
  };
  if (planned.length > 1) label.destinationips = destinations.length > 0 ? destinations : planned;
  if (plan.notes) label.notes = [...plan.notes];
  return label;
}

/**
 * Generates the connections and labels of a simulation without writing anything. Throws UsageError for
 * an unknown scenario or format id or an invalid setting.
 */
export function generateSimulation(options: Omit<SimulateOptions, 'out' | 'force'>): SimulationResult {
  const seed = options.seed ?? 1;
  const start = options.start ?? DEFAULT_START_MS;
  const durationMs = options.durationMs ?? DEFAULT_DURATION_MS;
  const noiseMs = options.timestampNoiseMs ?? DEFAULT_TIMESTAMP_NOISE_MS;
  checkSettings(seed, durationMs, noiseMs, start);
  const scenarios = resolveScenarios(options.scenarios);
  const formats = resolveFormats(options.formats);

  const plans = scenarios.flatMap((id) => scenarioPlans(id));
  const window = { start, end: start + durationMs };
  const connections = generateConnections(plans, { seed, window, timestampNoiseMs: noiseMs });
  const bySeries: SimConnection[][] = plans.map(() => []);
  for (const connection of connections) bySeries[connection.series]?.push(connection);

  const labels: Labels = {
    generator: LABELS_GENERATOR,
    version: LABELS_VERSION,
    seed,
    start: new Date(window.start).toISOString(),
    end: new Date(window.end).toISOString(),
    timestampNoiseMs: noiseMs,
    scenarios,
    formats: formats.map((format) => format.id),
    series: plans.map((plan, index) => seriesLabel(plan, bySeries[index] ?? [], formats)),
  };
  return { connections, plans, labels };
}

/** Lines buffered before a write: large enough that writes are few, small enough to keep memory flat. */
const WRITE_BUFFER_CHARS = 1 << 20;

function writeLines(path: string, lines: Iterable<string>): void {
  const descriptor = openSync(path, 'w');
  try {
    let buffer = '';
    for (const line of lines) {
      buffer += `${line}\n`;
      if (buffer.length >= WRITE_BUFFER_CHARS) {
        writeSync(descriptor, buffer);
        buffer = '';
      }
    }
    if (buffer.length > 0) writeSync(descriptor, buffer);
  } finally {
    closeSync(descriptor);
  }
}

function removeEarlierOutput(out: string): void {
  if (!existsSync(out)) return;
  for (const id of OUTPUT_FORMAT_IDS) rmSync(join(out, id), { recursive: true, force: true });
  rmSync(join(out, 'labels.json'), { force: true });
}

function checkOutputFolder(out: string, force: boolean): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) {
    throw new UsageError(`--out ${out} is a file; name a folder to write into`);
  }
  if (!force && readdirSync(out).length > 0) {
    throw new UsageError(`--out ${out} is not empty; choose another folder or add --force to overwrite`);
  }
}

/**
 * Generates the scenarios and writes each format into `<out>/<format id>/`, with labels.json in `out`.
 * Returns the written paths, labels.json last, and the labels. Writing is synchronous, because the
 * output is written once from generated text and nothing else runs meanwhile.
 */
export function simulate(options: SimulateOptions): { files: string[]; labels: Labels } {
  // Unknown ids are reported before the folder, so the message names the mistake the user made first.
  resolveScenarios(options.scenarios);
  resolveFormats(options.formats);
  checkOutputFolder(options.out, options.force ?? false);
  const { connections, labels } = generateSimulation(options);
  // With --force, the output of an earlier run is removed first, so that no format folder is left
  // that the new labels.json does not describe. Only what simulate writes is removed.
  if (options.force === true) removeEarlierOutput(options.out);
  const formats = labels.formats.map(outputFormatById);
  const context = { seed: labels.seed, localNetworks: cachedLocality(new LocalNetworks()) };

  const files: string[] = [];
  for (const format of formats) {
    const folder = join(options.out, format.id);
    mkdirSync(folder, { recursive: true });
    for (const file of format.files(connections, context)) {
      const path = join(folder, file.path);
      writeLines(path, file.lines());
      files.push(path);
    }
  }
  const labelsPath = join(options.out, 'labels.json');
  writeLines(labelsPath, [JSON.stringify(labels, null, 2)]);
  files.push(labelsPath);
  return { files, labels };
}
