/**
 * Incremental import and --retention as a user runs them: the built binary in a child process, its stderr
 * and exit code, and the dataset it leaves. `npm test` builds dist/ first.
 */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { beaconhunt } from './run-cli.js';

/** Returns the number of rows in `table` of the dataset at `db`, opened read-only. */
async function countRows(db: string, table: string): Promise<number> {
  const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(`SELECT count(*) AS n FROM ${table}`);
    return Number(reader.getRowObjectsJS()[0]?.n);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Builds a Zeek TSV conn.log with one connection per start time, given in epoch seconds. */
function connLog(startSeconds: readonly number[], uidPrefix: string): string {
  return [
    '#separator \\x09',
    '#path\tconn',
    '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto',
    ...startSeconds.map(
      (seconds, index) =>
        `${seconds}.000000\t${uidPrefix}${index}\t10.0.0.1\t${50000 + index}\t192.0.2.1\t443\ttcp`,
    ),
    '',
  ].join('\n');
}

/** 2024-04-19T00:00:00Z in epoch seconds. */
const BASE_SECONDS = 1_713_484_800;
const DAY_SECONDS = 86_400;

let workdir: string;

beforeAll(async () => {
  workdir = await mkdtemp(join(tmpdir(), 'beaconhunt-incremental-cli-'));
  // Old day: 20 days before the newest event. Boundary: exactly 14 days before it. New day: the newest.
  await writeFile(join(workdir, 'old.log'), connLog([BASE_SECONDS, BASE_SECONDS + 60], 'Old'));
  await writeFile(join(workdir, 'boundary.log'), connLog([BASE_SECONDS + 6 * DAY_SECONDS], 'Edge'));
  await writeFile(join(workdir, 'new.log'), connLog([BASE_SECONDS + 20 * DAY_SECONDS], 'New'));
});

afterAll(async () => {
  await rm(workdir, { recursive: true, force: true });
});

describe('incremental import', () => {
  test('rotated copy is passed over', async () => {
    const db = join(workdir, 'rotated.duckdb');
    const rotated = join(workdir, 'old.log.1');
    await copyFile(join(workdir, 'old.log'), rotated);

    const first = await beaconhunt('import', join(workdir, 'old.log'), '--db', db);
    const second = await beaconhunt('import', rotated, '--db', db);

    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain(`${rotated}: same content as ${join(workdir, 'old.log')}, imported 20`);
    expect(second.stderr).toContain('2 events now in');
  });
});

describe('--retention', () => {
  test('import drops rows before the cut', async () => {
    const db = join(workdir, 'retention.duckdb');
    const logs = ['old.log', 'boundary.log', 'new.log'].map((name) => join(workdir, name));

    const outcome = await beaconhunt('import', ...logs, '--db', db, '--retention', '2w');

    expect(outcome.code).toBe(0);
    expect(outcome.stderr).toContain(
      'beaconhunt: --retention 14d: dropped 2 events and 0 DNS queries that started before ' +
        '2024-04-25T00:00:00.000Z (14d before the analysis time 2024-05-09T00:00:00.000Z)',
    );
    expect(outcome.stderr).toContain('2 events now in');
    expect(await countRows(db, 'events')).toBe(2);
    expect(await countRows(db, 'files')).toBe(3);
  });

  test('--now moves the cut', async () => {
    const db = join(workdir, 'now.duckdb');
    const logs = ['old.log', 'new.log'].map((name) => join(workdir, name));

    const outcome = await beaconhunt(
      'import',
      ...logs,
      '--db',
      db,
      '--retention',
      '36h',
      '--now',
      '2024-04-20T12:00:00Z',
    );

    expect(outcome.code).toBe(0);
    expect(outcome.stderr).toContain(
      'dropped 0 events and 0 DNS queries that started before 2024-04-19T00:00:00.000Z',
    );
    expect(await countRows(db, 'events')).toBe(3);
  });

  test('scan --db with paths applies it before the detector', async () => {
    const db = join(workdir, 'scan.duckdb');
    const logs = ['old.log', 'new.log'].map((name) => join(workdir, name));

    const outcome = await beaconhunt('scan', ...logs, '--db', db, '--retention', '14d', '--json');

    expect(outcome.code).toBe(0);
    expect(outcome.stderr).toContain('--retention 14d: dropped 2 events');
    expect(await countRows(db, 'events')).toBe(1);
  });

  test('scan --db without paths opens the dataset for it', async () => {
    const db = join(workdir, 'saved.duckdb');
    await beaconhunt('import', join(workdir, 'old.log'), join(workdir, 'new.log'), '--db', db);

    const outcome = await beaconhunt('scan', '--db', db, '--retention', '90m', '--json');

    expect(outcome.code).toBe(0);
    expect(outcome.stderr).toContain('--retention 90m: dropped 2 events');
    expect(await countRows(db, 'events')).toBe(1);
  });

  test('scan without --db is a usage error', async () => {
    const outcome = await beaconhunt('scan', join(workdir, 'new.log'), '--retention', '14d');

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toBe(
      'beaconhunt: error: --retention deletes old rows from a saved dataset, so it needs --db FILE; drop --retention or add --db\n',
    );
  });

  test('invalid duration is a usage error', async () => {
    const outcome = await beaconhunt(
      'import',
      join(workdir, 'new.log'),
      '--db',
      join(workdir, 'x.duckdb'),
      '--retention',
      '2y',
    );

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('--retention also takes weeks, such as 2w');
  });
});
