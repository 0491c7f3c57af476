/**
 * Incremental import into a saved dataset: files recognised by the SHA-256 of their content, catalogues
 * made before the sha256 column existed, and the retention that deletes old rows.
 */
import { createHash } from 'node:crypto';
import { appendFile, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';

import { DuckDbStore } from '../store/duckdb.js';
import { createDnsTableSql, createEventsTableSql, createFlowSideTables } from '../store/schema.js';
import { applyRetention, importFiles, sha256OfFile, type ImportOptions } from './import.js';
import type { FileOutcome } from './report.js';

const stores: DuckDbStore[] = [];
const folders: string[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function tempFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-incremental-'));
  folders.push(folder);
  return folder;
}

async function openStore(path = ':memory:'): Promise<DuckDbStore> {
  const store = await DuckDbStore.open(path);
  stores.push(store);
  return store;
}

/** Opens the dataset at `db`, imports `paths` into it and closes it again, as one `beaconhunt import` run does. */
async function importRun(db: string, paths: string[], options: ImportOptions = {}): Promise<FileOutcome[]> {
  const store = await DuckDbStore.open(db);
  try {
    return (await importFiles(store, paths, options)).summary().files;
  } finally {
    await store.close();
  }
}

/** Returns one count or value from a query on the dataset at `db`. */
async function queryDataset<T extends object>(db: string, sql: string): Promise<T[]> {
  const store = await DuckDbStore.open(db);
  try {
    return await store.all<T>(sql);
  } finally {
    await store.close();
  }
}

/** Builds a Zeek TSV conn.log with one connection per start time, given in epoch seconds. */
function connLog(startSeconds: readonly number[], uidPrefix = 'C'): string {
  return [
    '#separator \\x09',
    '#path\tconn',
    '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto',
    '#types\ttime\tstring\taddr\tport\taddr\tport\tenum',
    ...startSeconds.map(
      (seconds, index) =>
        `${seconds}.000000\t${uidPrefix}${index}\t10.0.0.1\t${50000 + index}\t192.0.2.1\t443\ttcp`,
    ),
    '',
  ].join('\n');
}

const sha256Of = (bytes: string | Buffer): string => createHash('sha256').update(bytes).digest('hex');

const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/;

describe('sha256OfFile', () => {
  test('empty file', async () => {
    const path = join(await tempFolder(), 'empty');
    await writeFile(path, '');

    expect(await sha256OfFile(path)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  test('FIPS 180-2 "abc" vector', async () => {
    const path = join(await tempFolder(), 'abc');
    await writeFile(path, 'abc');

    expect(await sha256OfFile(path)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  test('file larger than one read chunk', async () => {
    // 3 MiB and one byte spans four reads of 1 MiB.
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 1, 0x5a);
    const path = join(await tempFolder(), 'large');
    await writeFile(path, bytes);

    expect(await sha256OfFile(path)).toBe(sha256Of(bytes));
  });
});

describe('content recognition', () => {
  test('copy under a rotated name imports once', async () => {
    const folder = await tempFolder();
    const db = join(folder, 'dataset.duckdb');
    const original = join(folder, 'conn.log');
    const rotated = join(folder, 'conn.2024-04-19.log');
    await writeFile(original, connLog([1713484800, 1713484860]));
    await copyFile(original, rotated);

    const first = await importRun(db, [original]);
    const second = await importRun(db, [rotated]);
    const [events] = await queryDataset<{ n: number }>(db, 'SELECT count(*) AS n FROM events');
    const catalogue = await queryDataset<{ path: string; sha256: string }>(
      db,
      'SELECT path, sha256 FROM files',
    );

    expect(first.map((file) => file.status)).toEqual(['loaded']);
    expect(second).toHaveLength(1);
    expect(second[0]?.status).toBe('ignored');
    expect(second[0]?.format).toBe('zeek-tsv');
    expect(second[0]?.message).toMatch(
      new RegExp(
        `^${rotated}: same content as ${original}, imported ${ISO_TIME.source}; not imported again$`,
      ),
    );
    expect(events?.n).toBe(2);
    expect(catalogue).toEqual([{ path: original, sha256: sha256Of(await readFile(original)) }]);
  });

  test('copy in the same folder imports once', async () => {
    const folder = await tempFolder();
    const logs = join(folder, 'logs');
    await mkdir(logs);
    await writeFile(join(logs, 'conn.log'), connLog([1713484800, 1713484860, 1713484920]));
    await copyFile(join(logs, 'conn.log'), join(logs, 'conn.log.1'));
    const store = await openStore();

    const files = (await importFiles(store, [logs])).summary().files;
    const [events] = await store.all<{ n: number }>('SELECT count(*) AS n FROM events');

    expect(files.map((file) => [file.path, file.status])).toEqual([
      [join(logs, 'conn.log'), 'loaded'],
      [join(logs, 'conn.log.1'), 'ignored'],
    ]);
    expect(files[1]?.message).toContain(`same content as ${join(logs, 'conn.log')}`);
    expect(events?.n).toBe(3);
  });

  test('same file named twice in one run', async () => {
    const folder = await tempFolder();
    const log = join(folder, 'conn.log');
    await writeFile(log, connLog([1713484800]));
    const store = await openStore();

    const files = (await importFiles(store, [log, folder])).summary().files;
    const [events] = await store.all<{ n: number }>('SELECT count(*) AS n FROM events');

    expect(files.map((file) => file.status)).toEqual(['loaded', 'ignored']);
    expect(events?.n).toBe(1);
  });

  test('grown file is read again', async () => {
    const folder = await tempFolder();
    const db = join(folder, 'dataset.duckdb');
    const log = join(folder, 'conn.log');
    await writeFile(log, connLog([1713484800, 1713484860]));
    await importRun(db, [log]);
    await appendFile(log, '1713484920.000000\tC2\t10.0.0.1\t50002\t192.0.2.1\t443\ttcp\n');

    const second = await importRun(db, [log]);
    const [events] = await queryDataset<{ n: number }>(db, 'SELECT count(*) AS n FROM events');
    const catalogue = await queryDataset<{ events: number; sha256: string }>(
      db,
      'SELECT events, sha256 FROM files',
    );

    expect(second.map((file) => file.status)).toEqual(['loaded']);
    expect(events?.n).toBe(3);
    expect(catalogue).toEqual([{ events: 3, sha256: sha256Of(await readFile(log)) }]);
  });

  test('unchanged file at a known path is passed over by size', async () => {
    const folder = await tempFolder();
    const db = join(folder, 'dataset.duckdb');
    const log = join(folder, 'conn.log');
    await writeFile(log, connLog([1713484800]));
    await importRun(db, [log]);

    const second = await importRun(db, [log]);

    expect(second[0]?.status).toBe('ignored');
    expect(second[0]?.message).toBe(
      `${log}: already in this dataset (same path and size); not imported again`,
    );
  });

  test('gzip file is hashed as stored', async () => {
    const folder = await tempFolder();
    const db = join(folder, 'dataset.duckdb');
    const log = join(folder, 'conn.log.gz');
    const compressed = gzipSync(connLog([1713484800]));
    await writeFile(log, compressed);

    await importRun(db, [log]);
    const [row] = await queryDataset<{ sha256: string }>(db, 'SELECT sha256 FROM files');

    expect(row?.sha256).toBe(sha256Of(compressed));
  });

  test('plain and gzip copies are different content', async () => {
    const folder = await tempFolder();
    const text = connLog([1713484800]);
    await writeFile(join(folder, 'conn.log'), text);
    await writeFile(join(folder, 'conn.log.gz'), gzipSync(text));
    const store = await openStore();

    const summary = (await importFiles(store, [folder])).summary();
    const [events] = await store.all<{ n: number }>('SELECT count(*) AS n FROM events');

    // The digest covers the stored bytes, so the gzip copy is loaded too. Its one event has the same
    // flow id, time and endpoints as the plain copy's, so the duplicate check drops it again.
    expect(summary.files.map((file) => file.status)).toEqual(['loaded', 'loaded']);
    expect(summary.duplicatesDropped).toBe(1);
    expect(events?.n).toBe(1);
  });

  test('one file in memory is not hashed', async () => {
    const folder = await tempFolder();
    await writeFile(join(folder, 'conn.log'), connLog([1713484800]));
    const store = await openStore();

    await importFiles(store, [join(folder, 'conn.log')]);
    const rows = await store.all<{ sha256: string | null }>('SELECT sha256 FROM files');

    expect(rows).toEqual([{ sha256: null }]);
  });

  test('hashContent false records no digest', async () => {
    const folder = await tempFolder();
    await writeFile(join(folder, 'a.log'), connLog([1713484800]));
    await copyFile(join(folder, 'a.log'), join(folder, 'b.log'));
    const store = await openStore();

    const files = (await importFiles(store, [folder], { hashContent: false })).summary().files;
    const rows = await store.all<{ sha256: string | null }>('SELECT sha256 FROM files ORDER BY path');

    expect(files.map((file) => file.status)).toEqual(['loaded', 'loaded']);
    expect(rows).toEqual([{ sha256: null }, { sha256: null }]);
  });
});

/** The files table as versions before the sha256 column created it, for migration tests. */
const OLD_FILES_TABLE_SQL = `CREATE TABLE files (
  path VARCHAR,
  format VARCHAR,
  bytes BIGINT,
  events BIGINT,
  skipped BIGINT,
  importedat BIGINT
)`;

/** Creates a dataset with the old catalogue, which lists `path` as imported with `bytes` bytes. */
async function createOldDataset(db: string, path: string, bytes: number): Promise<void> {
  const instance = await DuckDBInstance.create(db);
  const connection = await instance.connect();
  await connection.run(createEventsTableSql());
  await connection.run(OLD_FILES_TABLE_SQL);
  await connection.run(createDnsTableSql('dns_queries'));
  await connection.run(`INSERT INTO files VALUES ('${path}', 'zeek-tsv', ${bytes}, 1, 0, 1713484800000)`);
  connection.closeSync();
  instance.closeSync();
}

describe('dataset made before the sha256 column', () => {
  test('opens and gains the column', async () => {
    const folder = await tempFolder();
    const db = join(folder, 'old.duckdb');
    await createOldDataset(db, '/logs/old-conn.log', 100);

    const columns = await queryDataset<{ name: string }>(
      db,
      "SELECT column_name AS name FROM information_schema.columns WHERE table_name = 'files' ORDER BY ordinal_position",
    );
    const rows = await queryDataset<{ path: string; sha256: string | null }>(
      db,
      'SELECT path, sha256 FROM files',
    );

    expect(columns.map((column) => column.name)).toEqual([
      'path',
      'format',
      'bytes',
      'events',
      'skipped',
      'importedat',
      'sha256',
    ]);
    expect(rows).toEqual([{ path: '/logs/old-conn.log', sha256: null }]);
  });

  test('imports a new file with its digest', async () => {
    const folder = await tempFolder();
    const db = join(folder, 'old.duckdb');
    const log = join(folder, 'conn.log');
    await writeFile(log, connLog([1713484800, 1713484860]));
    await createOldDataset(db, '/logs/old-conn.log', 100);

    const files = await importRun(db, [log]);
    const rows = await queryDataset<{ path: string; sha256: string | null }>(
      db,
      'SELECT path, sha256 FROM files ORDER BY importedat',
    );

    expect(files.map((file) => file.status)).toEqual(['loaded']);
    expect(rows).toEqual([
      { path: '/logs/old-conn.log', sha256: null },
      { path: log, sha256: sha256Of(await readFile(log)) },
    ]);
  });

  test('old row still matches by path and size', async () => {
    const folder = await tempFolder();
    const db = join(folder, 'old.duckdb');
    const log = join(folder, 'conn.log');
    const text = connLog([1713484800]);
    await writeFile(log, text);
    await createOldDataset(db, log, Buffer.byteLength(text));

    const files = await importRun(db, [log]);

    expect(files[0]?.status).toBe('ignored');
    expect(files[0]?.message).toContain('already in this dataset (same path and size)');
  });

  test('copy of an old row is not recognised', async () => {
    const folder = await tempFolder();
    const db = join(folder, 'old.duckdb');
    const log = join(folder, 'conn.log');
    const text = connLog([1713484800]);
    await writeFile(log, text);
    await copyFile(log, join(folder, 'conn.log.1'));
    await createOldDataset(db, log, Buffer.byteLength(text));

    const files = await importRun(db, [join(folder, 'conn.log.1')]);

    // The old row has no digest, so only its own path and size can match it.
    expect(files[0]?.status).toBe('loaded');
  });
});

/** Inserts one event per start time (epoch ms) from 10.0.0.1 to 192.0.2.1:443. */
async function insertEvents(store: DuckDbStore, starts: readonly number[]): Promise<void> {
  for (const start of starts) {
    await store.run(
      "INSERT INTO events (starttime, sourceip, destinationip, destinationport, sourcefile) VALUES (?, '10.0.0.1', '192.0.2.1', 443, 'test')",
      [start],
    );
  }
}

async function insertDnsQueries(store: DuckDbStore, starts: readonly number[]): Promise<void> {
  for (const start of starts) {
    await store.run(
      "INSERT INTO dns_queries (starttime, sourceip, query, sourcefile) VALUES (?, '10.0.0.1', 'example.com', 'test')",
      [start],
    );
  }
}

async function startTimes(store: DuckDbStore, table: string, column = 'starttime'): Promise<number[]> {
  const rows = await store.all<{ start: number }>(`SELECT ${column} AS start FROM ${table} ORDER BY 1`);
  return rows.map((row) => row.start);
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** 2024-04-19T00:00:00Z. */
const BASE_MS = 1_713_484_800_000;

describe('applyRetention', () => {
  test('drops rows before the cut, keeps the boundary', async () => {
    const store = await openStore();
    // With the newest event at BASE + 14 d and 14 d retention, the cut is BASE itself.
    await insertEvents(store, [BASE_MS - 1, BASE_MS, BASE_MS + 1, BASE_MS + 14 * DAY_MS]);
    await insertDnsQueries(store, [BASE_MS - DAY_MS, BASE_MS - 1, BASE_MS]);

    const result = await applyRetention(store, 14 * DAY_MS);

    expect(result).toEqual({ now: BASE_MS + 14 * DAY_MS, cutoff: BASE_MS, events: 1, dnsQueries: 2 });
    expect(await startTimes(store, 'events')).toEqual([BASE_MS, BASE_MS + 1, BASE_MS + 14 * DAY_MS]);
    expect(await startTimes(store, 'dns_queries')).toEqual([BASE_MS]);
  });

  test('counts back from an explicit now', async () => {
    const store = await openStore();
    await insertEvents(store, [BASE_MS, BASE_MS + DAY_MS, BASE_MS + 2 * DAY_MS]);

    const result = await applyRetention(store, 36 * HOUR_MS, BASE_MS + 2 * DAY_MS + 12 * HOUR_MS);

    expect(result.cutoff).toBe(BASE_MS + DAY_MS);
    expect(result.events).toBe(1);
    expect(await startTimes(store, 'events')).toEqual([BASE_MS + DAY_MS, BASE_MS + 2 * DAY_MS]);
  });

  test('newest DNS query sets the default now', async () => {
    const store = await openStore();
    await insertEvents(store, [BASE_MS]);
    await insertDnsQueries(store, [BASE_MS + DAY_MS]);

    const result = await applyRetention(store, HOUR_MS);

    expect(result).toEqual({
      now: BASE_MS + DAY_MS,
      cutoff: BASE_MS + DAY_MS - HOUR_MS,
      events: 1,
      dnsQueries: 0,
    });
  });

  test('empty dataset is a no-op', async () => {
    const store = await openStore();

    const result = await applyRetention(store, DAY_MS);

    expect(result).toEqual({ now: null, cutoff: null, events: 0, dnsQueries: 0 });
  });

  test('empty dataset with now deletes nothing', async () => {
    const store = await openStore();

    const result = await applyRetention(store, DAY_MS, BASE_MS);

    expect(result).toEqual({ now: BASE_MS, cutoff: BASE_MS - DAY_MS, events: 0, dnsQueries: 0 });
  });

  test('cuts the TLS and HTTP side tables by ts', async () => {
    const store = await openStore();
    await createFlowSideTables(store);
    await insertEvents(store, [BASE_MS + DAY_MS]);
    await store.run("INSERT INTO flow_tls VALUES ('C1', ?, 'old.example'), ('C2', ?, 'new.example')", [
      BASE_MS - 1,
      BASE_MS,
    ]);
    await store.run(
      "INSERT INTO flow_http VALUES ('C1', ?, 'old.example', '/', 'ua'), ('C2', ?, 'new.example', '/', 'ua')",
      [BASE_MS - 1, BASE_MS],
    );

    await applyRetention(store, DAY_MS);

    expect(await startTimes(store, 'flow_tls', 'ts')).toEqual([BASE_MS]);
    expect(await startTimes(store, 'flow_http', 'ts')).toEqual([BASE_MS]);
  });

  test('huge retention keeps everything', async () => {
    const store = await openStore();
    await insertEvents(store, [0, BASE_MS]);

    const result = await applyRetention(store, Number.MAX_SAFE_INTEGER);

    expect(result.events).toBe(0);
    expect(await startTimes(store, 'events')).toEqual([0, BASE_MS]);
  });

  test('keeps the catalogue, so a dropped file stays recognised', async () => {
    const folder = await tempFolder();
    const db = join(folder, 'dataset.duckdb');
    const old = join(folder, 'conn.old.log');
    const recent = join(folder, 'conn.log');
    await writeFile(old, connLog([1713484800], 'Old'));
    await writeFile(recent, connLog([1713484800 + 30 * 86400], 'New'));
    await importRun(db, [old, recent]);
    const store = await DuckDbStore.open(db);
    const result = await applyRetention(store, 14 * DAY_MS);
    await store.close();
    await copyFile(old, join(folder, 'conn.rotated.log'));

    const again = await importRun(db, [join(folder, 'conn.rotated.log')]);
    const [events] = await queryDataset<{ n: number }>(db, 'SELECT count(*) AS n FROM events');

    expect(result.events).toBe(1);
    expect(again[0]?.status).toBe('ignored');
    expect(again[0]?.message).toContain(`same content as ${old}`);
    expect(events?.n).toBe(1);
  });

  test('keeps exactly the rows at or after the cut (property)', async () => {
    const store = await openStore();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 10 * DAY_MS }), { maxLength: 30 }),
        fc.integer({ min: 1, max: 12 * DAY_MS }),
        fc.option(fc.integer({ min: 0, max: 12 * DAY_MS }), { nil: undefined }),
        async (starts, retentionMs, now) => {
          await store.run('DELETE FROM events');
          await insertEvents(store, starts);

          const result = await applyRetention(store, retentionMs, now);

          const analysisTime = now ?? (starts.length === 0 ? null : Math.max(...starts));
          const kept =
            analysisTime === null ? starts : starts.filter((start) => start >= analysisTime - retentionMs);
          expect(result.events).toBe(starts.length - kept.length);
          expect(await startTimes(store, 'events')).toEqual([...kept].sort((a, b) => a - b));
        },
      ),
      { numRuns: 40 },
    );
  });
});
