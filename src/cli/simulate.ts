/**
 * `beaconhunt simulate`: writes labelled synthetic telemetry for the chosen scenarios in the chosen input
 * formats, with labels.json beside the logs. Errors are UsageErrors, which main() reports as one line with
 * exit code 1.
 */
import { Command, InvalidArgumentError } from 'commander';

import { UsageError } from '../errors.js';
import { SCENARIO_IDS } from '../simulate/catalog.js';
import {
  DEFAULT_START_MS,
  DEFAULT_TIMESTAMP_NOISE_MS,
  OUTPUT_FORMAT_IDS,
  simulate,
} from '../simulate/simulate.js';
import { parseDuration } from '../detect/duration.js';
import { parseInteger, parseTime } from './parse.js';

interface SimulateFlags {
  out: string;
  seed: number;
  start?: number;
  duration: number;
  timestampNoise: number;
  scenario?: string[];
  format?: string[];
  force?: boolean;
  quiet?: boolean;
}

/** Splits comma lists and collects repeated flags: `--format a,b --format c` gives [a, b, c]. */
function collectList(value: string, previous: string[] = []): string[] {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  return [...previous, ...items];
}

function parseSimulationDuration(text: string): number {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  if (ms <= 0) throw new InvalidArgumentError(`--duration must be longer than zero, got "${text}"`);
  return ms;
}

function parseStart(text: string): number {
  try {
    return parseTime(text);
  } catch {
    throw new InvalidArgumentError(
      `--start takes epoch milliseconds or an ISO 8601 time such as 2026-11-02T00:00:00Z, got "${text}"`,
    );
  }
}

function parseSeed(text: string): number {
  const value = parseInteger('--seed')(text);
  if (value > 0xffff_ffff) {
    throw new InvalidArgumentError(`--seed takes a whole number from 0 to 4294967295, got "${text}"`);
  }
  return value;
}

export function simulateCommand(): Command {
  return new Command('simulate')
    .description('Write labelled synthetic beacon and benign traffic as logs, with labels.json beside them')
    .requiredOption('--out <dir>', 'folder to write into: one subfolder per format, and labels.json')
    .option('--seed <n>', 'random seed; the same seed writes the same bytes (0 to 4294967295)', parseSeed, 1)
    .option(
      '--start <time>',
      `start of the data: epoch ms or ISO 8601 (default ${new Date(DEFAULT_START_MS).toISOString()})`,
      parseStart,
    )
    .option(
      '--duration <duration>',
      'length of the data, such as 24h or 7d',
      parseSimulationDuration,
      86_400_000,
    )
    .option(
      '--timestamp-noise <ms>',
      'network delay: each connection starts up to this many milliseconds after its schedule',
      parseInteger('--timestamp-noise'),
      DEFAULT_TIMESTAMP_NOISE_MS,
    )
    .option(
      '--scenario <ids>',
      `scenarios to generate, comma-separated or repeated (default all): ${SCENARIO_IDS.join(', ')}`,
      collectList,
    )
    .option(
      '--format <ids>',
      `formats to write, comma-separated or repeated (default all): ${OUTPUT_FORMAT_IDS.join(', ')}`,
      collectList,
    )
    .option('--force', 'write into a folder that is not empty, replacing files of the same name')
    .option('-q, --quiet', 'do not write the summary to stderr')
    .action((flags: SimulateFlags) => {
      runSimulate(flags);
    });
}

function runSimulate(flags: SimulateFlags): void {
  if (flags.out.trim() === '') throw new UsageError('--out needs a folder name');
  const started = performance.now();
  const { files, labels } = simulate({
    out: flags.out,
    seed: flags.seed,
    durationMs: flags.duration,
    timestampNoiseMs: flags.timestampNoise,
    force: flags.force ?? false,
    ...(flags.start !== undefined ? { start: flags.start } : {}),
    ...(flags.scenario !== undefined ? { scenarios: flags.scenario } : {}),
    ...(flags.format !== undefined ? { formats: flags.format } : {}),
  });
  if (flags.quiet) return;
  const connections = labels.series.reduce((sum, series) => sum + series.events, 0);
  const malicious = labels.series.filter((series) => series.malicious).length;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stderr.write(
    `beaconhunt: wrote ${connections.toLocaleString('en-US')} connections in ${labels.series.length} series ` +
      `(${malicious} malicious) from ${labels.start} to ${labels.end} as ${labels.formats.join(', ')}: ` +
      `${files.length} files in ${flags.out} in ${seconds} s\n`,
  );
}
