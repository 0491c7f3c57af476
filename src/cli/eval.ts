/**
 * `beaconhunt eval`: runs one detector on labelled data and prints recall, precision, false positives
 * per benign class and the rank of the first false positive.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

import { Command, Option } from 'commander';

import { UsageError } from '../errors.js';
import { defaultBeaconThreshold, EVALUATED_DETECTORS } from '../evaluate/adapt.js';
import { readLabels } from '../evaluate/labels.js';
import { renderReport } from '../evaluate/render.js';
import {
  evaluate,
  pathsWithoutLabels,
  type EvaluatedDetector,
  type EvaluateOptions,
} from '../evaluate/run.js';
import { collect, parseFraction, parseTime, parseWindow } from './parse.js';

export interface EvalFlags {
  labels?: string;
  detector: EvaluatedDetector;
  threshold?: number;
  window?: number;
  now?: number;
  localNet?: string[];
  json?: boolean;
}

const EVAL_HELP = `
The labels file is the labels.json that \`beaconhunt simulate\` writes beside its logs. A finding
matches a labelled series when it has the same source and the same destination address (and port, when
both have one), server name or registered domain.

Exit codes: 0 the evaluation ran; 1 bad usage, unreadable input, or a missing or invalid labels file;
2 internal error.`;

export function evalCommand(): Command {
  return new Command('eval')
    .description('Measure a detector on labelled data: recall, precision, false positives per benign class')
    .argument('<paths...>', 'a folder with labels.json, or log files and folders together with --labels')
    .option('--labels <file>', 'labels file (default: labels.json in the first path, which must be a folder)')
    .addOption(
      new Option('-d, --detector <id>', 'detector to evaluate')
        .choices([...EVALUATED_DETECTORS])
        .default('beacon'),
    )
    .option(
      '--threshold <x>',
      `beacon: score at or above which a finding is an alert (0–1, default ${defaultBeaconThreshold()})`,
      parseFraction('--threshold'),
    )
    .option(
      '--window <duration>',
      'window length ending at --now, such as 24h or 7d, or "all" (default: 24h for qradar-t1071, all for beacon)',
      parseWindow,
    )
    .option(
      '--now <time>',
      'end of the analysis window: epoch ms or ISO 8601 (default: newest event)',
      parseTime,
    )
    .option(
      '--local-net <cidr>',
      'local network, repeatable; replaces the defaults (RFC 1918, loopback, …)',
      collect,
    )
    .option('--json', 'write the report as JSON')
    .addHelpText('after', EVAL_HELP)
    .action(async (paths: string[], flags: EvalFlags) => {
      process.stdout.write(await runEval(paths, flags));
    });
}

/** Runs the evaluation and returns the text to write to stdout: a table, or JSON with --json. */
export async function runEval(paths: readonly string[], flags: EvalFlags): Promise<string> {
  const detector = flags.detector ?? 'beacon';
  if (detector !== 'beacon' && flags.threshold !== undefined) {
    throw new UsageError(
      `--threshold applies to --detector beacon only; ${detector} decides its alerts itself`,
    );
  }
  if (detector === 'qradar-t1071' && flags.window !== undefined && !Number.isFinite(flags.window)) {
    throw new UsageError('qradar-t1071 needs a finite --window such as 24h; "all" applies to beacon only');
  }
  const labelsFile = flags.labels ?? (await defaultLabelsFile(paths));
  const labels = await readLabels(labelsFile);

  const options: EvaluateOptions = {
    paths: await pathsWithoutLabels(paths, labelsFile),
    labels,
    detector,
    ...(flags.threshold !== undefined ? { threshold: flags.threshold } : {}),
    ...(flags.window !== undefined ? { windowMs: flags.window } : {}),
    ...(flags.now !== undefined ? { now: flags.now } : {}),
    ...(flags.localNet !== undefined && flags.localNet.length > 0 ? { localNetworks: flags.localNet } : {}),
  };
  const report = await evaluate(options);
  if (flags.json) return `${JSON.stringify({ labels: labelsFile, ...report }, null, 2)}\n`;
  return renderReport(report);
}

async function defaultLabelsFile(paths: readonly string[]): Promise<string> {
  const [first] = paths;
  const isFolder =
    first !== undefined &&
    (await stat(first).then(
      (stats) => stats.isDirectory(),
      () => false,
    ));
  if (!isFolder) {
    throw new UsageError(
      `missing labels file: give --labels FILE, or a folder that contains labels.json as the first path (got "${first ?? ''}")`,
    );
  }
  return join(first, 'labels.json');
}
