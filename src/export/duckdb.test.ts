/**
 * Runs the DuckDB export on a real DuckDB store and compares its groups with the built-in qradar-t1071
 * detector on the same events and parameters.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { DuckDbStore } from '../store/duckdb.js';
import { compile } from './duckdb.js';
import { buildRule } from './model.js';
import {
  ALLOWLIST_CONFIG,
  ALLOWLIST_KEPT,
  ALLOWLIST_SERIES,
  exportKeys,
  FIXTURE,
  openStore,
  randomSeries,
  runDetector,
  runExport,
  SEED_OPTIONS,
  type ExportRow,
} from '../../test/export-series.js';
describe('DuckDB export on a DuckDB store', () => {
  let store: DuckDbStore;

  beforeAll(async () => {
    store = await openStore(FIXTURE);
  });

  afterAll(async () => {
    await store.close();
  });

  it('returns the detector rows in order', async () => {
    const expected = await runDetector(store);
    expect(expected.length).toBe(8);
    expect(exportKeys(await runExport(store, SEED_OPTIONS))).toEqual(expected);
  });

  it('reports the exact gap statistics', async () => {
    const rows = await runExport(store, SEED_OPTIONS);
    const steady = rows.find((row) => row.sourceip === '10.0.0.1');
    expect(steady?.GapCount).toBe(29);
    expect(steady?.GapCv).toBe(0);
    const duplicated = rows.find((row) => row.sourceip === '10.0.0.8');
    expect(duplicated?.ConnectionCount).toBe(24);
    expect(duplicated?.GapCount).toBe(11);
    expect(duplicated?.GapCv).toBe(0);
  });

  it('keeps regular beacons under the regularity test', async () => {
    const all = exportKeys(await runExport(store, SEED_OPTIONS));
    const regular = await runExport(store, { ...SEED_OPTIONS, regularity: { minGaps: 10, maxGapCv: 0.5 } });
    for (const key of exportKeys(regular)) expect(all).toContain(key);
    // 20 % subtractive jitter: uniform gaps over [0.8, 1] of the sleep have a CV of 0.2 / √12 / 0.9 ≈ 0.064.
    const jittered = regular.find((row) => row.sourceip === '10.0.0.2');
    expect(jittered?.GapCv).toBeGreaterThan(0.04);
    expect(jittered?.GapCv).toBeLessThan(0.1);
    const sources = regular.map((row) => row.sourceip).sort();
    expect(sources).toEqual(
      ['10.0.0.1', '10.0.0.2', '10.0.0.8', '10.0.0.9', '::ffff:10.0.0.7', 'FD00::7', 'fe80::1%eth0'].sort(),
    );
  });

  it('drops the bursty series under the regularity test', async () => {
    const all = await runExport(store, SEED_OPTIONS);
    const burst = all.find((row) => row.sourceip === '10.0.0.3');
    expect(burst?.GapCv).toBeGreaterThan(0.5);
    const regular = await runExport(store, { ...SEED_OPTIONS, regularity: { minGaps: 10, maxGapCv: 0.5 } });
    expect(regular.find((row) => row.sourceip === '10.0.0.3')).toBeUndefined();
  });

  it('drops destinations of the default exclusion', async () => {
    const rows = await runExport(store, { regularity: null });
    // fd00::7 → 2001:db8::1 stays; every excluded destination was already local or private here.
    expect(exportKeys(rows)).toEqual(exportKeys(await runExport(store, SEED_OPTIONS)));
  });
});

describe('DuckDB export allowlist', () => {
  it('drops events each entry matches', async () => {
    const store = await openStore(ALLOWLIST_SERIES);
    try {
      const rows = await store.all<ExportRow>(
        compile(buildRule(ALLOWLIST_CONFIG, { regularity: null })).replace(/;\s*$/, ''),
      );
      expect(rows.map((row) => row.sourceip).sort()).toEqual(ALLOWLIST_KEPT);
    } finally {
      await store.close();
    }
  });
});

describe('DuckDB export property', () => {
  it('equals the detector on random events', async () => {
    let reported = 0;
    await fc.assert(
      fc.asyncProperty(randomSeries(), async (series) => {
        const store = await openStore(series);
        try {
          const expected = await runDetector(store);
          reported += expected.length;
          const actual = exportKeys(await runExport(store, SEED_OPTIONS));
          // Same rows as sets: the detector's tie order and the export's agree only on the sort keys.
          expect([...actual].sort()).toEqual([...expected].sort());
        } finally {
          await store.close();
        }
      }),
      { numRuns: 40, seed: 20240102 },
    );
    // The comparison means something only when the random events produce groups.
    expect(reported).toBeGreaterThan(20);
  });
});
