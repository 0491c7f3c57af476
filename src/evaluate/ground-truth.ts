/**
 * Converts a ground-truth document for real captures into evaluation labels. The document lists
 * datasets, each with a path (or several), the documented C2 pairs ("positives") and benign periodic
 * services that look like beacons ("benign_periodic_traps"). Positives become malicious series of class
 * "c2", and traps benign series of class "trap: <label or note>".
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { z } from 'zod';

import { InputError } from '../errors.js';
import type { EvalLabels, EvalSeries } from './labels.js';

const PairSchema = z.looseObject({
  src: z.string().min(1),
  dst: z.string().min(1),
  dport: z.number().int().min(0).max(65_535),
  conns: z.union([z.number().int(), z.array(z.number().int())]).optional(),
  http_requests: z.number().int().optional(),
  measured_median: z.number().optional(),
  median: z.number().optional(),
  interval_doc: z.string().optional(),
  label: z.string().optional(),
  note: z.string().optional(),
  c2: z.string().optional(),
  dataset: z.string().optional(),
});

const DatasetSchema = z.looseObject({
  id: z.string().min(1),
  path: z.string().min(1).optional(),
  paths: z.array(z.string().min(1)).min(1).optional(),
  format: z.string().default('unknown'),
  positives: z.array(PairSchema).default([]),
  benign_periodic_traps: z.array(PairSchema).default([]),
});

const DocumentSchema = z.looseObject({ datasets: z.array(DatasetSchema) });

type Pair = z.infer<typeof PairSchema>;

/** One capture to evaluate: the files to scan and their labels. */
export interface GroundTruthDataset {
  id: string;
  /** Absolute paths of the files or folders to scan. */
  paths: string[];
  format: string;
  labels: EvalLabels;
}

export const GROUND_TRUTH_GENERATOR = 'ground truth of real captures';

/**
 * Converts a parsed ground-truth document. Paths are taken relative to `dataRoot`; a `*` in the last
 * segment of a path is expanded against that folder. A dataset with several paths whose pairs name
 * their part (`"dataset": "008"`) is split into one dataset per path, such as "strato-benign-24h/008",
 * because the parts are separate captures and a 24 h window must not span two of them.
 *
 * @throws InputError naming `source` and the first invalid field.
 */
export async function groundTruthDatasets(
  document: unknown,
  dataRoot: string,
  source = 'ground-truth.json',
): Promise<GroundTruthDataset[]> {
  const parsed = DocumentSchema.safeParse(document);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    const where = (issue?.path ?? []).map((part) =>
      typeof part === 'number' ? `[${part}]` : `.${String(part)}`,
    );
    throw new InputError(
      `${source}: invalid ground truth: ${where.join('').replace(/^\./, '')}: ${issue?.message ?? 'invalid'}`,
      source,
    );
  }

  const datasets: GroundTruthDataset[] = [];
  for (const dataset of parsed.data.datasets) {
    const paths = dataset.paths ?? (dataset.path !== undefined ? [dataset.path] : []);
    if (paths.length === 0) {
      throw new InputError(`${source}: dataset ${dataset.id} has neither path nor paths`, source);
    }
    const split =
      paths.length > 1 &&
      [...dataset.positives, ...dataset.benign_periodic_traps].some((pair) => pair.dataset);
    const parts = split
      ? paths.map((path) => ({
          id: `${dataset.id}/${partCode(path, dataset)}`,
          paths: [path],
          part: partCode(path, dataset),
        }))
      : [{ id: dataset.id, paths, part: null }];

    for (const part of parts) {
      const belongs = (pair: Pair): boolean =>
        part.part === null || pair.dataset === undefined || pair.dataset === part.part;
      const series = [
        ...dataset.positives.filter(belongs).map((pair) => positiveSeries(dataset.id, pair)),
        ...dataset.benign_periodic_traps.filter(belongs).map((pair) => trapSeries(dataset.id, pair)),
      ];
      const expanded: string[] = [];
      for (const path of part.paths) expanded.push(...(await expandPath(join(dataRoot, path))));
      datasets.push({
        id: part.id,
        paths: expanded,
        format: dataset.format,
        labels: {
          generator: GROUND_TRUTH_GENERATOR,
          version: 1,
          seed: null,
          start: null,
          end: null,
          formats: [dataset.format],
          series,
        },
      });
    }
  }
  return datasets;
}

/** Returns the part code (such as "008") of the pairs whose code appears in the path's last segment. */
function partCode(path: string, dataset: { positives: Pair[]; benign_periodic_traps: Pair[] }): string {
  const codes = [...dataset.positives, ...dataset.benign_periodic_traps]
    .map((pair) => pair.dataset)
    .filter((code): code is string => code !== undefined);
  return codes.find((code) => basename(path).includes(code)) ?? basename(path);
}

function positiveSeries(datasetId: string, pair: Pair): EvalSeries {
  const what = pair.c2 ?? pair.label ?? pair.note ?? 'documented C2';
  const interval = pair.interval_doc !== undefined ? `, documented interval ${pair.interval_doc} s` : '';
  return {
    ...pairFields(datasetId, pair),
    id: `c2 ${pairName(pair)}`,
    title: `${what}${interval}`,
    malicious: true,
    class: 'c2',
  };
}

function trapSeries(datasetId: string, pair: Pair): EvalSeries {
  const what = pair.label ?? pair.note ?? 'benign periodic service';
  return {
    ...pairFields(datasetId, pair),
    id: `trap ${pairName(pair)}`,
    title: what,
    malicious: false,
    class: `trap: ${what}`,
  };
}

function pairFields(datasetId: string, pair: Pair): Omit<EvalSeries, 'id' | 'title' | 'malicious' | 'class'> {
  const conns = Array.isArray(pair.conns) ? pair.conns.reduce((sum, count) => sum + count, 0) : pair.conns;
  return {
    scenario: datasetId,
    sourceip: pair.src,
    destinationip: pair.dst,
    destinationport: pair.dport,
    servername: null,
    domain: null,
    process: null,
    periodSeconds: pair.measured_median ?? pair.median ?? null,
    jitter: pair.interval_doc !== undefined ? `documented interval ${pair.interval_doc} s` : null,
    events: conns ?? pair.http_requests ?? null,
  };
}

function pairName(pair: Pair): string {
  const destination = pair.dst.includes(':') ? `[${pair.dst}]` : pair.dst;
  return `${pair.src} → ${destination}:${pair.dport}`;
}

/**
 * Expands a `*` in the last segment of a path to the matching entries of its folder, in name order. A
 * path without one, or with no match, is returned as it is, so that the scan reports it as missing.
 */
export async function expandPath(path: string): Promise<string[]> {
  const pattern = basename(path);
  if (!pattern.includes('*')) return [path];
  const folder = dirname(path);
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  const entries = await readdir(folder).catch(() => [] as string[]);
  const matches = entries.filter((entry) => regex.test(entry)).sort();
  return matches.length === 0 ? [path] : matches.map((entry) => join(folder, entry));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Reads a ground-truth file and converts it; paths in it are relative to the file's folder. */
export async function readGroundTruth(file: string): Promise<GroundTruthDataset[]> {
  let document: unknown;
  try {
    document = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new InputError(
      `${file}: cannot read the ground truth: ${(error as Error).message.split('\n')[0]}`,
      file,
    );
  }
  return groundTruthDatasets(document, dirname(file), file);
}
