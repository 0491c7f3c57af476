/** Runs one detector through `scan()` on labelled data and measures it against the labels. */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { scan } from '../scan.js';
import { adaptBeaconFinding, adaptFindings, defaultBeaconThreshold, type EvalFinding } from './adapt.js';
import type { BeaconFinding } from '../detect/beacon/index.js';
import type { EvalLabels } from './labels.js';
import { computeMetrics, type EvaluationMetrics, type SuppressedFinding } from './metrics.js';

export type EvaluatedDetector = 'beacon' | 'qradar-t1071';

export interface EvaluateOptions {
  /** Log files and folders, as for `scan`. */
  paths: readonly string[];
  labels: EvalLabels;
  detector?: EvaluatedDetector;
  /** Beacon score at or above which a finding is an alert; defaults to defaultBeaconThreshold(). */
  threshold?: number;
  /** Analysis window in ms ending at `now`; the detector's default when absent. */
  windowMs?: number;
  /** End of the window, epoch ms; defaults to the newest event. */
  now?: number;
  localNetworks?: readonly string[];
}

export interface EvaluationReport {
  detector: EvaluatedDetector;
  /** The beacon alert threshold used; null for qradar-t1071, whose every finding is an alert. */
  threshold: number | null;
  /** The window requested in ms; null for the detector's default, or for "all". */
  windowMs: number | null;
  events: number;
  metrics: EvaluationMetrics;
}

/** Scans the paths with one detector and computes its metrics against the labels. */
export async function evaluate(options: EvaluateOptions): Promise<EvaluationReport> {
  const detector = options.detector ?? 'beacon';
  const threshold = options.threshold ?? defaultBeaconThreshold();
  const result = await scan({
    paths: options.paths,
    detector,
    ...(options.windowMs !== undefined ? { detectorOptions: { windowMs: options.windowMs } } : {}),
    ...(options.now !== undefined ? { now: options.now } : {}),
    ...(options.localNetworks !== undefined ? { localNetworks: options.localNetworks } : {}),
  });
  const findings = adaptFindings(detector, result.findings, threshold);
  const suppressed = suppressedFindings(detector, result, threshold);
  return {
    detector,
    threshold: detector === 'beacon' ? threshold : null,
    windowMs: options.windowMs !== undefined && Number.isFinite(options.windowMs) ? options.windowMs : null,
    events: result.events,
    metrics: computeMetrics(options.labels, findings, suppressed),
  };
}

/**
 * Reads the findings a tuning rule hid, from a `suppressed` list of `{ finding, suppression: { rule,
 * reason } }` on the scan result. Scan results do not carry one yet, so this returns an empty list
 * until they do.
 */
function suppressedFindings(
  detector: EvaluatedDetector,
  result: object,
  threshold: number,
): SuppressedFinding[] {
  const listed = (result as { suppressed?: unknown }).suppressed;
  if (!Array.isArray(listed)) return [];
  const entries: SuppressedFinding[] = [];
  for (const entry of listed as unknown[]) {
    const { finding, suppression } = (entry ?? {}) as { finding?: unknown; suppression?: unknown };
    if (finding === null || typeof finding !== 'object') continue;
    const { rule, reason } = (suppression ?? {}) as { rule?: unknown; reason?: unknown };
    let adapted: EvalFinding;
    if (detector === 'beacon') adapted = adaptBeaconFinding(finding as BeaconFinding, threshold);
    else [adapted] = adaptFindings(detector, [finding as never], threshold) as [EvalFinding];
    entries.push({
      finding: adapted,
      rule: typeof rule === 'string' ? rule : 'unnamed rule',
      reason: typeof reason === 'string' ? reason : '',
    });
  }
  return entries;
}

/**
 * Returns the paths to scan: each folder that contains the labels file is replaced by its other entries,
 * so the labels are never read as a log.
 */
export async function pathsWithoutLabels(paths: readonly string[], labelsFile: string): Promise<string[]> {
  const labels = resolve(labelsFile);
  const result: string[] = [];
  for (const path of paths) {
    const isFolder = await stat(path).then(
      (stats) => stats.isDirectory(),
      () => false,
    );
    if (resolve(path) === labels) continue;
    if (!isFolder) {
      result.push(path);
      continue;
    }
    const entries = (await readdir(path)).sort();
    if (!entries.some((entry) => resolve(path, entry) === labels)) {
      result.push(path);
      continue;
    }
    for (const entry of entries) {
      if (resolve(path, entry) !== labels) result.push(join(path, entry));
    }
  }
  return result;
}
