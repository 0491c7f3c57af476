/**
 * `scan --engine clickhouse://…` against a plain DuckDB scan of the same files: every detector must give
 * the same findings, hidden findings included, on simulated traffic, the bundled samples and a real
 * capture. The ClickHouse server is started on loopback for this file.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  CLICKHOUSE_AVAILABLE,
  CLUSTER_NAME,
  startClickHouse,
  type ClickHouseServer,
} from '../test/clickhouse-server.js';
import { HAS_SHARED_DATA, REPOSITORY_ROOT, SHARED_DATA } from '../test/shared-data.js';
import type { DetectorId } from './detect/registry.js';
import { importIntoClickHouse, scanOnClickHouse } from './scan-clickhouse.js';
import { importIntoDatabase, scan, type ScanResult } from './scan.js';
import { shardSetupSql, shardTableName, EVENTS_SPEC } from './store/clickhouse/schema.js';
import { simulate } from './simulate/simulate.js';

/** Logs with HTTP requests on keep-alive connections: the real capture, or the simulated folder made here. */
const SHARED_DATA_OR_SAMPLES = HAS_SHARED_DATA
  ? join(SHARED_DATA, 'zeek', 'rita-missing-host', '2024-04-19')
  : join(REPOSITORY_ROOT, 'samples', 'zeek');

const DETECTORS: DetectorId[] = ['beacon', 'qradar-t1071', 'long-connection', 'dns-tunnel'];

/** The parts of a result that must agree: findings and hidden findings, in rank order. */
function comparable(result: ScanResult<DetectorId>): unknown {
  return JSON.parse(
    JSON.stringify({ findings: result.findings, suppressed: result.suppressed, now: result.now }),
  );
}

/**
 * Imports `paths` into the ClickHouse dataset `url` and into the DuckDB file `db`, then compares every
 * detector's findings.
 */
async function compareWithDuckDb(url: string, paths: string[], db: string): Promise<void> {
  const imported = await importIntoClickHouse(url, paths, {});
  expect(imported.events).toBeGreaterThan(0);
  await importIntoDatabase(db, paths);
  for (const detector of DETECTORS) {
    // The rows behind the first findings too, as the HTML report and explain load them.
    const details = (rank: number): boolean => rank <= DETAILED_RANKS;
    const expected = await scan({ db, detector, details });
    const actual = await scanOnClickHouse({ engine: url, detector, details }, performance.now());
    expect(actual.events).toBe(expected.events);
    expect(comparable(actual), detector).toEqual(comparable(expected));
    expect(rowsBehindFindings(actual), detector).toEqual(rowsBehindFindings(expected));
    expect(actual.workingSet?.events ?? 0).toBeLessThanOrEqual(expected.events);
  }
}

/** Findings, by rank, whose rows are compared; ranks past it are left out to keep the test short. */
const DETAILED_RANKS = 60;

/**
 * Returns the rows and tuning checks loaded behind each finding, shown then hidden. Byte counts are
 * sorted, since rows with the same start time may come back in either order.
 */
function rowsBehindFindings(result: ScanResult): unknown[] {
  const listed = [...result.findings, ...result.suppressed.map((entry) => entry.finding)];
  return listed.map((finding) => {
    const details = result.details.get(finding);
    if (details === undefined) return null;
    const { series, checks } = details;
    const sorted = (values: (number | null)[]): (number | null)[] =>
      [...values].sort((a, b) => (a ?? -1) - (b ?? -1));
    return {
      total: series.total,
      times: series.times,
      minuteCounts: series.minuteCounts,
      sourceBytes: sorted(series.sourceBytes),
      destinationBytes: sorted(series.destinationBytes),
      checks,
    };
  });
}

describe.skipIf(!CLICKHOUSE_AVAILABLE)('scan on ClickHouse', () => {
  let server: ClickHouseServer;
  let folder: string;
  let databases = 0;

  beforeAll(async () => {
    [server] = (await startClickHouse(1)) as [ClickHouseServer];
    folder = mkdtempSync(join(tmpdir(), 'beaconhunt-engine-'));
    simulate({ out: join(folder, 'simulated'), seed: 7, formats: ['zeek-tsv'] });
  });

  afterAll(async () => {
    await server?.stop();
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  });

  function engine(): string {
    databases += 1;
    return `clickhouse://127.0.0.1:${server.httpPort}/dataset_${databases}`;
  }

  async function expectSameFindings(paths: string[]): Promise<void> {
    await compareWithDuckDb(engine(), paths, join(folder, `duckdb-${databases}.db`));
  }

  it('gives the DuckDB findings on simulated traffic of every scenario', async () => {
    await expectSameFindings([join(folder, 'simulated', 'zeek-tsv')]);
  });

  it('gives the DuckDB findings on the bundled samples', async () => {
    await expectSameFindings([join(REPOSITORY_ROOT, 'samples', 'zeek')]);
  });

  it.skipIf(!HAS_SHARED_DATA)('gives the DuckDB findings on a real capture', async () => {
    await expectSameFindings([join(SHARED_DATA, 'zeek', 'rita-missing-host')]);
  });

  it('imports a file once, whatever its name', async () => {
    const url = engine();
    const paths = [join(REPOSITORY_ROOT, 'samples', 'zeek')];
    const first = await importIntoClickHouse(url, paths, {});
    const again = await importIntoClickHouse(url, paths, {});
    expect(again.events).toBe(first.events);
    expect(again.alreadyThere.map((path) => path.replace(/.*\//, '')).sort()).toEqual([
      'conn.log',
      'ssl.log',
    ]);
  });

  it('scans an empty dataset to no findings', async () => {
    const url = engine();
    await fetch(server.httpUrl, { method: 'POST', body: `CREATE DATABASE dataset_${databases}` });
    const result = await scanOnClickHouse({ engine: url }, performance.now());
    expect(result.findings).toEqual([]);
    expect(result.now).toBeNull();
    expect(result.events).toBe(0);
  });
});

describe.skipIf(!CLICKHOUSE_AVAILABLE)('scan on a sharded ClickHouse cluster', () => {
  let servers: ClickHouseServer[];
  let folder: string;

  beforeAll(async () => {
    servers = await startClickHouse(2);
    folder = mkdtempSync(join(tmpdir(), 'beaconhunt-cluster-'));
    simulate({ out: join(folder, 'simulated'), seed: 11, formats: ['zeek-tsv'] });
    // The Debian servers have no distributed DDL, so each shard is prepared on its own.
    for (const server of servers) {
      for (const sql of shardSetupSql('sharded')) await runOn(server, sql);
    }
  });

  afterAll(async () => {
    await Promise.all((servers ?? []).map((server) => server.stop()));
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  });

  async function runOn(server: ClickHouseServer, sql: string): Promise<string> {
    const response = await fetch(server.httpUrl, { method: 'POST', body: sql });
    const text = await response.text();
    if (!response.ok) throw new Error(text);
    return text;
  }

  it('spreads the rows over both shards and gives the DuckDB findings', async () => {
    const url = `clickhouse://127.0.0.1:${servers[0]!.httpPort}/sharded?cluster=${CLUSTER_NAME}`;
    await compareWithDuckDb(url, [join(folder, 'simulated', 'zeek-tsv')], join(folder, 'duckdb.db'));
    const perShard = await Promise.all(
      servers.map(async (server) =>
        Number(await runOn(server, `SELECT count() FROM sharded.${shardTableName(EVENTS_SPEC)}`)),
      ),
    );
    expect(perShard.every((count) => count > 0)).toBe(true);
  });

  it('names the missing shard tables with the fix', async () => {
    await runOn(servers[0]!, 'CREATE DATABASE unprepared');
    const url = `clickhouse://127.0.0.1:${servers[0]!.httpPort}/unprepared?cluster=${CLUSTER_NAME}`;
    await expect(scanOnClickHouse({ engine: url }, performance.now())).rejects.toThrow(
      /per-shard tables are missing on a shard .*beaconhunt shard-ddl unprepared \| clickhouse-client --multiquery/,
    );
  });
});

describe.skipIf(!CLICKHOUSE_AVAILABLE)('ClickHouse datasets kept free of copies and mistakes', () => {
  let server: ClickHouseServer;
  let folder: string;

  beforeAll(async () => {
    [server] = (await startClickHouse(1)) as [ClickHouseServer];
    folder = mkdtempSync(join(tmpdir(), 'beaconhunt-copies-'));
  });

  afterAll(async () => {
    await server?.stop();
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  });

  const url = (database: string): string => `clickhouse://127.0.0.1:${server.httpPort}/${database}`;

  async function count(database: string, table: string): Promise<number> {
    const response = await fetch(server.httpUrl, {
      method: 'POST',
      body: `SELECT count() FROM ${database}.${table}`,
    });
    return Number(await response.text());
  }

  it('skips gzip copies and grown rows', async () => {
    const conn = readFileSync(join(REPOSITORY_ROOT, 'samples', 'zeek', 'conn.log'));
    writeFileSync(join(folder, 'conn.log.gz'), gzipSync(conn));
    const first = await importIntoClickHouse(url('copies'), [join(REPOSITORY_ROOT, 'samples', 'zeek')], {});
    const copy = await importIntoClickHouse(url('copies'), [join(folder, 'conn.log.gz')], {});
    expect(copy.events).toBe(first.events);

    // A log imported while half written, then again once complete: only the new rows are added.
    const lines = conn.toString('utf8').split('\n');
    const growing = join(folder, 'growing', 'conn.log');
    mkdirSync(dirname(growing));
    writeFileSync(growing, lines.slice(0, 2000).join('\n') + '\n');
    await importIntoClickHouse(url('grown'), [growing], {});
    writeFileSync(growing, conn);
    const grown = await importIntoClickHouse(url('grown'), [growing], {});
    const whole = await scan({ paths: [join(REPOSITORY_ROOT, 'samples', 'zeek', 'conn.log')] });
    expect(grown.events).toBe(whole.events);
  });

  it('does not add HTTP requests again when a folder is imported again', async () => {
    const paths = [join(SHARED_DATA_OR_SAMPLES)];
    await importIntoClickHouse(url('again'), paths, {});
    const requests = await count('again', 'flow_http');
    await importIntoClickHouse(url('again'), paths, {});
    expect(await count('again', 'flow_http')).toBe(requests);
  });

  it('rejects missing database and cluster', async () => {
    await expect(scanOnClickHouse({ engine: url('misspelt') }, performance.now())).rejects.toThrow(
      /misspelt: no such database on http:\/\/127\.0\.0\.1:\d+; import into it first/,
    );
    expect(
      await (
        await fetch(server.httpUrl, {
          method: 'POST',
          body: "SELECT count() FROM system.databases WHERE name = 'misspelt'",
        })
      ).text(),
    ).toBe('0\n');
    await expect(
      scanOnClickHouse({ engine: `${url('copies')}?cluster=nope` }, performance.now()),
    ).rejects.toThrow('cluster nope: the server does not know it');
  });
});
