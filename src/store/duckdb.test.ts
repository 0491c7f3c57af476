import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { InputError, InterruptedError } from '../errors.js';
import { emptyEvent } from '../model/event.js';
import { DuckDbStore } from './duckdb.js';

/** A statement that runs for seconds on one thread, so that an interrupt reaches it while it runs. */
const SLOW_INSERT = `INSERT INTO numbers SELECT i FROM range(2000000000) AS r(i) WHERE md5(i::VARCHAR) = 'x'`;

let folder: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'beaconhunt-store-test-'));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** Creates a dataset file with `count` events and returns its path. */
async function savedDataset(name: string, count: number): Promise<string> {
  const path = join(folder, name);
  const store = await DuckDbStore.open(path);
  await store.appendEvents(Array.from({ length: count }, (_, index) => emptyEvent('saved.log', index + 1)));
  await store.close();
  return path;
}

describe('DuckDbStore read-only', () => {
  const stores: DuckDbStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });

  it('reads a saved dataset', async () => {
    const path = await savedDataset('read.duckdb', 3);
    const store = await DuckDbStore.open(path, { readOnly: true });
    stores.push(store);

    const [counted] = await store.all<{ events: number }>('SELECT count(*) AS events FROM events');

    expect(store.readOnly).toBe(true);
    expect(counted?.events).toBe(3);
  });

  it('rejects writes to the dataset', async () => {
    const path = await savedDataset('writes.duckdb', 1);
    const store = await DuckDbStore.open(path, { readOnly: true });
    stores.push(store);

    await expect(store.run('DELETE FROM events')).rejects.toThrow(/read-only/);
  });

  it('allows a second read-only store at once', async () => {
    const path = await savedDataset('shared.duckdb', 2);
    const first = await DuckDbStore.open(path, { readOnly: true });
    stores.push(first);
    const second = await DuckDbStore.open(path, { readOnly: true });
    stores.push(second);

    const [counted] = await second.all<{ events: number }>('SELECT count(*) AS events FROM events');

    expect(counted?.events).toBe(2);
  });

  it('rejects a file without an events table', async () => {
    const path = join(folder, 'empty.duckdb');
    const writer = await DuckDbStore.open(path);
    await writer.run('DROP TABLE events');
    await writer.close();

    const opened = DuckDbStore.open(path, { readOnly: true });

    await expect(opened).rejects.toBeInstanceOf(InputError);
    await expect(opened).rejects.toThrow('not a beaconhunt dataset');
  });

  it('copies the events into a writable store', async () => {
    const path = await savedDataset('copy.duckdb', 4);
    const copy = await DuckDbStore.openCopy(path);
    stores.push(copy);

    await copy.run('UPDATE events SET eventdirection = ?', ['L2R']);
    const [copied] = await copy.all<{ events: number }>(
      "SELECT count(*) AS events FROM events WHERE eventdirection = 'L2R'",
    );
    const saved = await DuckDbStore.open(path, { readOnly: true });
    stores.push(saved);
    const [unchanged] = await saved.all<{ events: number }>(
      'SELECT count(*) AS events FROM events WHERE eventdirection IS NULL',
    );

    expect(copied?.events).toBe(4);
    expect(unchanged?.events).toBe(4);
  });

  it('copies the DNS queries and protocol side tables too', async () => {
    const path = join(folder, 'side.duckdb');
    const writer = await DuckDbStore.open(path);
    await writer.run(
      "INSERT INTO dns_queries (starttime, sourceip, query) VALUES (1, '10.0.0.1', 'a.example.org')",
    );
    await writer.run(
      'CREATE TABLE flow_http (uid VARCHAR, ts BIGINT, host VARCHAR, uri VARCHAR, user_agent VARCHAR)',
    );
    await writer.run("INSERT INTO flow_http VALUES ('C1', 1, 'a.example.org', '/', 'curl/8')");
    await writer.close();

    const copy = await DuckDbStore.openCopy(path);
    stores.push(copy);

    expect(await copy.all('SELECT query FROM dns_queries')).toEqual([{ query: 'a.example.org' }]);
    expect(await copy.all('SELECT uid, user_agent FROM flow_http')).toEqual([
      { uid: 'C1', user_agent: 'curl/8' },
    ]);
  });
});

describe('DuckDbStore interrupt', () => {
  it('stops the running statement with InterruptedError', async () => {
    const controller = new AbortController();
    const store = await DuckDbStore.open(':memory:', { signal: controller.signal });
    try {
      await store.run('CREATE TABLE numbers (i BIGINT)');
      await store.run('BEGIN TRANSACTION');
      const slow = store.run(SLOW_INSERT);
      setTimeout(() => controller.abort(), 200);

      await expect(slow).rejects.toBeInstanceOf(InterruptedError);
      expect(store.interrupted).toBe(true);
      expect(() => store.throwIfInterrupted()).toThrow(InterruptedError);
      // Statements after the interrupt run, so that the caller can roll back and undo its work.
      await store.run('ROLLBACK');
      await store.run('INSERT INTO numbers VALUES (1)');
      const [counted] = await store.all<{ rows: number }>('SELECT count(*) AS rows FROM numbers');
      expect(counted?.rows).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('runs statements in the order they were submitted', async () => {
    const store = await DuckDbStore.open();
    try {
      await store.run('CREATE TABLE numbers (i BIGINT)');
      for (let attempt = 0; attempt < 5; attempt += 1) {
        await store.run('BEGIN TRANSACTION');
        // Not awaited: without ordering, DuckDB may run the ROLLBACK first and commit the INSERT.
        const insert = store.run('INSERT INTO numbers SELECT i FROM range(2000000) AS r(i)');
        const rollback = store.run('ROLLBACK');
        await Promise.all([insert, rollback]);
        const [counted] = await store.all<{ rows: number }>('SELECT count(*) AS rows FROM numbers');
        expect(counted?.rows).toBe(0);
      }
    } finally {
      await store.close();
    }
  });

  it('opens nothing once aborted', async () => {
    const controller = new AbortController();
    controller.abort();

    await expect(DuckDbStore.open(':memory:', { signal: controller.signal })).rejects.toBeInstanceOf(
      InterruptedError,
    );
  });
});
