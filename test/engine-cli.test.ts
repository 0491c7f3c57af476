/**
 * `--engine` as a user runs it: import into a ClickHouse server started on loopback for this file, scan it
 * without paths, and the one-line errors for a wrong URL, a server that is not there and clashing flags.
 */
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { CLICKHOUSE_AVAILABLE, startClickHouse, type ClickHouseServer } from './clickhouse-server.js';
import { beaconhunt } from './run-cli.js';
import { REPOSITORY_ROOT } from './shared-data.js';

const SAMPLE_ZEEK = join(REPOSITORY_ROOT, 'samples', 'zeek');

describe('beaconhunt --engine errors', () => {
  test('import needs --db or --engine', async () => {
    const outcome = await beaconhunt('import', SAMPLE_ZEEK);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('import needs a dataset: give --db FILE or --engine clickhouse://');
  });

  test('--engine and --db clash', async () => {
    const outcome = await beaconhunt(
      'scan',
      SAMPLE_ZEEK,
      '--engine',
      'clickhouse://127.0.0.1/x',
      '--db',
      'x.db',
    );
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain("option '--engine <url>' cannot be used with option '--db <file>'");
  });

  test('a URL of another scheme is refused with an example', async () => {
    const outcome = await beaconhunt('scan', '--engine', 'http://127.0.0.1:8123/x');
    expect(outcome.code).toBe(1);
    expect(outcome.stderr.trim().split('\n')).toEqual([
      'beaconhunt: error: http://127.0.0.1:8123/x: the engine URL must start with clickhouse://, as in clickhouse://127.0.0.1:8123/beaconhunt',
    ]);
  });

  test('a server that is not there is named with the fix', async () => {
    const outcome = await beaconhunt('scan', '--engine', 'clickhouse://127.0.0.1:1/x');
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('cannot use ClickHouse at http://127.0.0.1:1');
    expect(outcome.stderr).toContain('check that clickhouse-server runs');
  });
});

describe('beaconhunt shard-ddl', () => {
  test('prints the database and the four per-shard tables', async () => {
    const outcome = await beaconhunt('shard-ddl', 'hunt');
    expect(outcome.code).toBe(0);
    const statements = outcome.stdout.trim().split(/;\n\n/);
    expect(statements[0]).toBe('CREATE DATABASE IF NOT EXISTS hunt');
    expect(statements.slice(1).map((sql) => /CREATE TABLE IF NOT EXISTS (\S+)/.exec(sql)?.[1])).toEqual([
      'hunt.events_shard',
      'hunt.dns_queries_shard',
      'hunt.flow_http_shard',
      'hunt.files_shard',
    ]);
  });

  test('refuses a name that is not an identifier', async () => {
    const outcome = await beaconhunt('shard-ddl', 'a;b');
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('a;b: a database name is letters, digits and underscores');
  });
});

describe.skipIf(!CLICKHOUSE_AVAILABLE)('beaconhunt --engine on a server', () => {
  let server: ClickHouseServer;

  beforeAll(async () => {
    [server] = (await startClickHouse(1)) as [ClickHouseServer];
  });

  afterAll(async () => {
    await server?.stop();
  });

  test('imports once and scans the dataset as a local scan does', async () => {
    const url = `clickhouse://127.0.0.1:${server.httpPort}/cli_test`;
    const first = await beaconhunt('import', SAMPLE_ZEEK, '--engine', url);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`4,496 events now in ${url}`);
    const again = await beaconhunt('import', SAMPLE_ZEEK, '--engine', url);
    expect(again.stderr).toContain('conn.log: same content is already in');
    expect(again.stderr).toContain(`4,496 events now in ${url}`);

    const remote = await beaconhunt('scan', '--engine', url, '--json');
    const local = await beaconhunt('scan', SAMPLE_ZEEK, '--json');
    expect(remote.code).toBe(0);
    expect(JSON.parse(remote.stdout)).toEqual(JSON.parse(local.stdout));
    expect(JSON.parse(remote.stdout).length).toBeGreaterThan(0);
  });
});
