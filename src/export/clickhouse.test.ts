/**
 * Runs the ClickHouse export on a real ClickHouse server (started on loopback for this file) and compares
 * its groups with the built-in qradar-t1071 detector on the same events in DuckDB.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  CLICKHOUSE_AVAILABLE,
  startClickHouse,
  type ClickHouseServer,
} from '../../test/clickhouse-server.js';
import { parseClickHouseUrl, ClickHouseStore } from '../store/clickhouse/store.js';
import type { DuckDbStore } from '../store/duckdb.js';
import { compile } from './clickhouse.js';
import { compile as compileDuckdb } from './duckdb.js';
import { tunedRule } from './fixtures.js';
import { buildRule, type BuildRuleOptions } from './model.js';
import {
  ALLOWLIST_CONFIG,
  ALLOWLIST_KEPT,
  ALLOWLIST_SERIES,
  exportKeys,
  FIXTURE,
  openStore,
  randomSeries,
  runDetector,
  SEED_OPTIONS,
  toEvents,
  type ExportRow,
  type Series,
} from '../../test/export-series.js';

describe.skipIf(!CLICKHOUSE_AVAILABLE)('ClickHouse export on a ClickHouse server', () => {
  let server: ClickHouseServer;
  let clickhouse: ClickHouseStore;

  beforeAll(async () => {
    [server] = (await startClickHouse(1)) as [ClickHouseServer];
    clickhouse = await ClickHouseStore.open(
      parseClickHouseUrl(`clickhouse://127.0.0.1:${server.httpPort}/export_test`),
    );
  });

  afterAll(async () => {
    await clickhouse?.close();
    await server?.stop();
  });

  /** Replaces the server's events with the series and returns a DuckDB store holding the same events. */
  async function load(series: readonly Series[]): Promise<DuckDbStore> {
    await clickhouse.run('TRUNCATE TABLE events');
    await clickhouse.appendEvents(toEvents(series));
    return openStore(series);
  }

  async function runExport(options: BuildRuleOptions, config = {}): Promise<ExportRow[]> {
    return clickhouse.all<ExportRow>(compile(buildRule(config, options)).replace(/;\s*$/, ''));
  }

  it('returns the detector rows in order', async () => {
    const duckdb = await load(FIXTURE);
    try {
      const expected = await runDetector(duckdb);
      expect(expected.length).toBe(8);
      expect(exportKeys(await runExport(SEED_OPTIONS))).toEqual(expected);
    } finally {
      await duckdb.close();
    }
  });

  it('reports the exact gap statistics and the regularity test', async () => {
    await (await load(FIXTURE)).close();
    const rows = await runExport(SEED_OPTIONS);
    const steady = rows.find((row) => row.sourceip === '10.0.0.1');
    expect(steady?.GapCount).toBe(29);
    expect(steady?.GapCv).toBe(0);
    const duplicated = rows.find((row) => row.sourceip === '10.0.0.8');
    expect(duplicated?.ConnectionCount).toBe(24);
    expect(duplicated?.GapCount).toBe(11);
    const burst = rows.find((row) => row.sourceip === '10.0.0.3');
    expect(burst?.GapCv).toBeGreaterThan(0.5);

    const regular = await runExport({ ...SEED_OPTIONS, regularity: { minGaps: 10, maxGapCv: 0.5 } });
    expect(regular.map((row) => row.sourceip).sort()).toEqual(
      ['10.0.0.1', '10.0.0.2', '10.0.0.8', '10.0.0.9', '::ffff:10.0.0.7', 'FD00::7', 'fe80::1%eth0'].sort(),
    );
    const jittered = regular.find((row) => row.sourceip === '10.0.0.2');
    expect(jittered?.GapCv).toBeGreaterThan(0.04);
    expect(jittered?.GapCv).toBeLessThan(0.1);
  });

  it('drops events each allowlist entry matches', async () => {
    await (await load(ALLOWLIST_SERIES)).close();
    const rows = await runExport({ regularity: null }, ALLOWLIST_CONFIG);
    expect(rows.map((row) => row.sourceip).sort()).toEqual(ALLOWLIST_KEPT);
  });

  it('returns the DuckDB export rows for the tuned rule, with every allowlist selector', async () => {
    // The fixture moved into the tuned rule's 6 h window and off its allowlisted 203.0.113.0/24.
    const shifted = FIXTURE.filter((item) => item.source !== '10.0.0.9').map((item) => ({
      ...item,
      destination: item.destination.replace('203.0.113.', '198.51.100.'),
      times: item.times.map((time) => time + 15 * 3_600_000),
    }));
    const duckdb = await load(shifted);
    try {
      const expected = await duckdb.all<ExportRow>(compileDuckdb(tunedRule()).replace(/;\s*$/, ''));
      const actual = await clickhouse.all<ExportRow>(compile(tunedRule()).replace(/;\s*$/, ''));
      expect(expected.length).toBeGreaterThanOrEqual(3);
      expect(exportKeys(actual)).toEqual(exportKeys(expected));
    } finally {
      await duckdb.close();
    }
  });

  it('equals the detector on random events', async () => {
    let reported = 0;
    await fc.assert(
      fc.asyncProperty(randomSeries(), async (series) => {
        const duckdb = await load(series);
        try {
          const expected = await runDetector(duckdb);
          reported += expected.length;
          const actual = exportKeys(await runExport(SEED_OPTIONS));
          expect([...actual].sort()).toEqual([...expected].sort());
        } finally {
          await duckdb.close();
        }
      }),
      { numRuns: 40, seed: 20240102 },
    );
    expect(reported).toBeGreaterThan(20);
  });
});
