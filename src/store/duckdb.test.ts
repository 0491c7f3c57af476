import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { InputError, InterruptedError, UsageError } from '../errors.js';
import { emptyEvent } from '../model/event.js';
import {
  defaultMemoryLimit,
  DuckDbStore,
  MEMORY_LIMIT_ENV,
  MIN_MEMORY_LIMIT_BYTES,
  parseMemoryLimit,
  resolveMemoryLimit,
} from './duckdb.js';

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

  it('closes while a statement runs beside', async () => {
    const store = await DuckDbStore.open();
    const beside = store.allBeside(
      "SELECT count(*) AS hits FROM range(2000000000) AS r(i) WHERE md5(i::VARCHAR) = 'x'",
    );
    // Without the interrupt, close() would wait for seconds, and without the wait it would hang for good.
    await new Promise((resolve) => setTimeout(resolve, 200));

    await store.close();

    await expect(beside).rejects.toThrow(/INTERRUPT/i);
  });

  it('opens nothing once aborted', async () => {
    const controller = new AbortController();
    controller.abort();

    await expect(DuckDbStore.open(':memory:', { signal: controller.signal })).rejects.toBeInstanceOf(
      InterruptedError,
    );
  });
});

const GIB = 2 ** 30;
const MIB = 2 ** 20;

/** Reads DuckDB's memory_limit and temp_directory settings back from a store. */
async function settingsOf(store: DuckDbStore): Promise<{ limit: string; spill: string }> {
  const [row] = await store.all<{ limit: string; spill: string }>(
    "SELECT current_setting('memory_limit') AS limit, current_setting('temp_directory') AS spill",
  );
  return row ?? { limit: '', spill: '' };
}

describe('parseMemoryLimit', () => {
  it.each([
    ['3GB', 3_000_000_000],
    ['2.7GB', 2_700_000_000],
    ['4096MiB', 4 * GIB],
    ['640 MiB', MIN_MEMORY_LIMIT_BYTES],
    ['640mib', MIN_MEMORY_LIMIT_BYTES],
    ['671088640B', MIN_MEMORY_LIMIT_BYTES],
    ['1TB', 1e12],
    [' 3GiB ', 3 * GIB],
  ])('reads %s', (text, bytes) => {
    expect(parseMemoryLimit(text)).toBe(bytes);
  });

  it.each([
    '',
    'lots',
    '10',
    'GB',
    '-3GB',
    '3e3GB',
    '3.GB',
    '2 PB',
    '3XB',
    '639MiB',
    '600MB',
    '0GB',
    '9100TB',
  ])('rejects "%s"', (text) => {
    expect(() => parseMemoryLimit(text)).toThrow(UsageError);
  });

  it('names the source in its message', () => {
    expect(() => parseMemoryLimit('lots', MEMORY_LIMIT_ENV)).toThrow(
      /^BEACONHUNT_MEMORY_LIMIT takes a size with a unit, such as 1.5GB or 800MiB .*; got "lots"$/,
    );
    expect(() => parseMemoryLimit('1MB')).toThrow('--memory-limit must be from 640MiB to 9000TB; got "1MB"');
    // The upper end named in the message is accepted; just past it is not.
    expect(parseMemoryLimit('9000TB')).toBe(9e15);
    expect(() => parseMemoryLimit('9008TB')).toThrow('must be from 640MiB to 9000TB');
  });

  it('reads every whole number of MiB exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 640, max: 2 ** 33 - 1 }), (mebibytes) => {
        expect(parseMemoryLimit(`${mebibytes}MiB`)).toBe(mebibytes * MIB);
      }),
    );
  });
});

describe('defaultMemoryLimit', () => {
  it('is 80 % of memory up to 750 MB', () => {
    expect(MIN_MEMORY_LIMIT_BYTES).toBe(640 * 2 ** 20);
    expect(defaultMemoryLimit(24 * GIB)).toBe(750e6);
    expect(defaultMemoryLimit(750e6 / 0.8)).toBe(750e6);
    expect(defaultMemoryLimit(900e6)).toBe(720e6);
    expect(defaultMemoryLimit(0)).toBe(0);
  });
});

describe('resolveMemoryLimit', () => {
  it('prefers the option to the environment', () => {
    expect(resolveMemoryLimit(GIB, { [MEMORY_LIMIT_ENV]: '3GiB' })).toBe(GIB);
  });

  it('reads the environment variable', () => {
    expect(resolveMemoryLimit(undefined, { [MEMORY_LIMIT_ENV]: '3GiB' })).toBe(3 * GIB);
  });

  it('falls back to the default when the variable is unset or empty', () => {
    expect(resolveMemoryLimit(undefined, {})).toBe(defaultMemoryLimit());
    expect(resolveMemoryLimit(undefined, { [MEMORY_LIMIT_ENV]: ' ' })).toBe(defaultMemoryLimit());
  });

  it('rejects an invalid variable by name', () => {
    expect(() => resolveMemoryLimit(undefined, { [MEMORY_LIMIT_ENV]: 'half' })).toThrow(
      /^BEACONHUNT_MEMORY_LIMIT takes a size/,
    );
  });
});

describe('DuckDbStore memory settings', () => {
  it('applies the memory limit and a spill folder of its own', async () => {
    const store = await DuckDbStore.open(':memory:', { memoryLimit: GIB });
    try {
      const { limit, spill } = await settingsOf(store);

      // DuckDB prints the limit in binary units with one decimal.
      expect(limit).toBe('1.0 GiB');
      expect(spill).toBe(store.spillDirectory);
      expect(spill.startsWith(join(tmpdir(), 'beaconhunt-spill-'))).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('gives each store its own spill folder', async () => {
    const first = await DuckDbStore.open();
    const second = await DuckDbStore.open();
    try {
      expect(first.spillDirectory).not.toBeNull();
      expect(first.spillDirectory).not.toBe(second.spillDirectory);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('applies the default limit without an option', async () => {
    const saved = process.env[MEMORY_LIMIT_ENV];
    delete process.env[MEMORY_LIMIT_ENV];
    const store = await DuckDbStore.open();
    try {
      const { limit } = await settingsOf(store);

      // DuckDB prints 750 MB, the cap on a machine with 1 GB of memory or more, as 715.2 MiB.
      expect(defaultMemoryLimit()).toBe(750e6);
      expect(limit).toBe('715.2 MiB');
    } finally {
      await store.close();
      if (saved !== undefined) process.env[MEMORY_LIMIT_ENV] = saved;
    }
  });

  it('removes the spill folder on close after spilling', async () => {
    // The option takes any size; only the CLI's parser enforces MIN_MEMORY_LIMIT_BYTES.
    const store = await DuckDbStore.open(':memory:', { memoryLimit: 128 * MIB });
    const spill = store.spillDirectory as string;
    try {
      // About 300 MB of table data, more than twice the limit, so DuckDB must write blocks to the folder.
      await store.run(
        'CREATE TABLE filler AS SELECT i, md5(i::VARCHAR) || md5((i + 1)::VARCHAR) AS text FROM range(3000000) AS r(i)',
      );
      const [counted] = await store.all<{ rows: number }>('SELECT count(DISTINCT text) AS rows FROM filler');

      expect(counted?.rows).toBe(3_000_000);
      expect(existsSync(spill)).toBe(true);
    } finally {
      await store.close();
    }
    expect(existsSync(spill)).toBe(false);
  });

  it('keeps the spill folder beside a writable dataset file', async () => {
    const path = join(folder, 'spill-beside.duckdb');
    const store = await DuckDbStore.open(path, { memoryLimit: 2 * GIB });
    try {
      const { limit, spill } = await settingsOf(store);

      expect(limit).toBe('2.0 GiB');
      expect(store.spillDirectory).toBeNull();
      expect(spill).toBe(`${path}.tmp`);
    } finally {
      await store.close();
    }
  });

  it('spills a read-only dataset under the temporary folder', async () => {
    const path = await savedDataset('spill-read-only.duckdb', 1);
    const store = await DuckDbStore.open(path, { readOnly: true, memoryLimit: 800 * MIB });
    try {
      const { limit, spill } = await settingsOf(store);

      expect(limit).toBe('800.0 MiB');
      expect(spill.startsWith(join(tmpdir(), 'beaconhunt-spill-'))).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('passes the limit to a copied dataset', async () => {
    const path = await savedDataset('spill-copy.duckdb', 2);
    const copy = await DuckDbStore.openCopy(path, { memoryLimit: 3 * GIB });
    try {
      expect((await settingsOf(copy)).limit).toBe('3.0 GiB');
    } finally {
      await copy.close();
    }
  });
});
