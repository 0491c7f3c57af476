/**
 * Locates the public captures that sit beside the repository in ../shared/data. A user's clone has no
 * such folder, so tests that need it are skipped with a message saying why.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SHARED_DATA = resolve(REPOSITORY_ROOT, '..', 'shared', 'data');
export const HAS_SHARED_DATA = existsSync(join(SHARED_DATA, 'ground-truth.json'));

if (!HAS_SHARED_DATA) {
  console.warn(
    `skipping tests on real captures: ${SHARED_DATA} not found (it sits beside the repository in CI)`,
  );
}

export interface GroundTruthPair {
  src: string;
  dst: string;
  dport: number;
  conns?: number | number[];
  measured_median?: number;
  median?: number;
  dataset?: string;
  label?: string;
}

export interface GroundTruthDataset {
  id: string;
  path?: string;
  paths?: string[];
  positives: GroundTruthPair[];
  benign_periodic_traps?: GroundTruthPair[];
}

export function groundTruth(id: string): GroundTruthDataset {
  const document = JSON.parse(readFileSync(join(SHARED_DATA, 'ground-truth.json'), 'utf8')) as {
    datasets: GroundTruthDataset[];
  };
  const dataset = document.datasets.find((entry) => entry.id === id);
  if (!dataset) throw new Error(`ground-truth.json has no dataset "${id}"`);
  return dataset;
}

export function sharedPath(relative: string): string {
  return join(SHARED_DATA, relative);
}
