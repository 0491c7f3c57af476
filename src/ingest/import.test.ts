import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, gunzipSync, gzipSync } from 'node:zlib';

import { afterEach, describe, expect, test } from 'vitest';

import { InputError, StrictModeError } from '../errors.js';
import type { ConnectionEvent } from '../model/event.js';
import { LocalNetworks } from '../net/locality.js';
import { DuckDbStore } from '../store/duckdb.js';
import { importFiles, type ImportOptions } from './import.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../test/fixtures/zeek/${name}`, import.meta.url));

const stores: DuckDbStore[] = [];
const folders: string[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function tempFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-import-'));
  folders.push(folder);
  return folder;
}

async function openStore(): Promise<DuckDbStore> {
  const store = await DuckDbStore.open();
  stores.push(store);
  return store;
}

async function importPaths(paths: string[], options: ImportOptions = {}) {
  const store = await openStore();
  const report = await importFiles(store, paths, options);
  const events = await store.all<ConnectionEvent>('SELECT * FROM events ORDER BY sourcefile, sourceline');
  return { summary: report.summary(), events };
}

/** Runs an import that must fail and returns its error. */
async function importError(paths: string[], options: ImportOptions = {}): Promise<unknown> {
  const store = await openStore();
  return importFiles(store, paths, options).then(
    () => new Error('importFiles resolved, but an error was expected'),
    (error: unknown) => error,
  );
}

const CONN_FIELDS = ['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'conn_state'];

/** Builds a Zeek TSV conn.log with CONN_FIELDS and one tab-joined line per record. */
function connLog(records: readonly string[][]): string {
  return [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    '#path\tconn',
    `#fields\t${CONN_FIELDS.join('\t')}`,
    `#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring`,
    ...records.map((record) => record.join('\t')),
    '',
  ].join('\n');
}

/** Builds a gzipped conn.log of `count` records and cuts it after half of its compressed bytes. */
function truncatedGzip(count: number): { bytes: Buffer; expectedEvents: number } {
  const records = Array.from({ length: count }, (_, index) => [
    `${1713520800 + index}.123456`,
    `CCut${index}`,
    '192.168.1.10',
    String(40000 + (index % 20000)),
    '203.0.113.7',
    '443',
    'tcp',
    'SF',
  ]);
  const whole = gzipSync(connLog(records));
  const bytes = whole.subarray(0, Math.floor(whole.length / 2));
  // Decompress what survives the cut, as DuckDB does, to know how many records come before the damage.
  const prefix = gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8').split('\n');
  const partial = prefix.pop() ?? '';
  const complete = prefix.filter((line) => !line.startsWith('#')).length;
  const partialLoads = partial.split('\t').length === CONN_FIELDS.length ? 1 : 0;
  return { bytes, expectedEvents: complete + partialLoads };
}

interface BadFile {
  name: string;
  content: () => Buffer;
  /** Patterns the message must match: the problem, then what to do about it. */
  problem: RegExp;
  remedy: RegExp;
}

const BAD_FILES: readonly BadFile[] = [
  {
    name: 'empty.log',
    content: () => Buffer.alloc(0),
    problem: /file is empty/,
    remedy: /check that the export finished/,
  },
  {
    name: 'capture.pcap',
    content: () =>
      Buffer.concat([
        Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex'),
        Buffer.alloc(64, 7),
      ]),
    problem: /binary content/,
    remedy: /export it as text/,
  },
  {
    name: 'conn.log.gz',
    content: () => Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('this is not gzip data')]),
    problem: /corrupt or truncated gzip/,
    remedy: /copy the file again/,
  },
  {
    name: 'empty.log.gz',
    content: () => gzipSync(''),
    problem: /no content after decompression/,
    remedy: /check that the export finished/,
  },
  {
    name: 'notes.txt',
    content: () => Buffer.from('meeting notes\nnothing to see here\n'),
    problem: /unknown format \(first line "meeting notes"\)/,
    remedy: /supported: zeek-tsv/,
  },
  {
    // Classic Mac line endings: the whole file is one line with CRs inside.
    name: 'old-mac.txt',
    content: () => Buffer.from('alpha\rbeta\rgamma\r'),
    problem: /unknown format/,
    remedy: /supported: zeek-tsv/,
  },
];

describe('importFiles bad input named explicitly', () => {
  for (const bad of BAD_FILES) {
    test(`${bad.name} throws InputError`, async () => {
      const folder = await tempFolder();
      const path = join(folder, bad.name);
      await writeFile(path, bad.content());

      const error = await importError([path]);

      expect(error).toBeInstanceOf(InputError);
      const message = (error as InputError).message;
      expect(message.startsWith(`${path}: `)).toBe(true);
      expect(message).toMatch(bad.problem);
      expect(message).toMatch(bad.remedy);
      expect(message).not.toMatch(/[\r\n]/);
      expect((error as InputError).file).toBe(path);
    });
  }

  test('missing path throws InputError', async () => {
    const path = join(await tempFolder(), 'no-such-conn.log');

    const error = await importError([path]);

    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(`${path}: no such file or folder; check the path`);
  });

  test('folder with no files throws InputError', async () => {
    const folder = await tempFolder();
    await mkdir(join(folder, 'empty-subfolder'));
    await writeFile(join(folder, '.DS_Store'), 'hidden');

    const error = await importError([folder]);

    expect(error).toBeInstanceOf(InputError);
    const message = (error as InputError).message;
    expect(message).toContain(folder);
    expect(message).toContain('no files found');
    expect(message).not.toMatch(/[\r\n]/);
  });
});

describe('importFiles truncated gzip', () => {
  test('keeps events before the damage', async () => {
    const folder = await tempFolder();
    const path = join(folder, 'conn.log.gz');
    const { bytes, expectedEvents } = truncatedGzip(5000);
    await writeFile(path, bytes);

    const { summary, events } = await importPaths([path]);

    expect(expectedEvents).toBeGreaterThan(100);
    expect(summary.files[0]?.status).toBe('loaded');
    expect(summary.files[0]?.events).toBe(expectedEvents);
    expect(events).toHaveLength(expectedEvents);
    expect(events[0]?.uid).toBe('CCut0');
    expect(events[0]?.sourceline).toBe(8);
    const message = summary.files[0]?.message ?? '';
    expect(message.startsWith(`${path}: `)).toBe(true);
    expect(message).toContain('truncated');
    expect(message).toContain(`the ${expectedEvents} events before the damage were loaded`);
    expect(message).toContain('copy the file again');
    expect(message).not.toMatch(/[\r\n]/);
  });

  test('strict mode fails on it', async () => {
    const folder = await tempFolder();
    const path = join(folder, 'conn.log.gz');
    await writeFile(path, truncatedGzip(5000).bytes);

    const error = await importError([path], { strict: true });

    // The cut-off last line can fail --strict before the damage check runs; the message must name the cause.
    expect(error).toBeInstanceOf(InputError);
    const message = (error as InputError).message;
    expect(message.startsWith(`${path}: gzip data is truncated or corrupt`)).toBe(true);
    expect(message).toContain('copy the file again, or drop --strict');
    expect(message).not.toMatch(/[\r\n]/);
  });
});

describe('importFiles bad input inside a folder', () => {
  test('lists unusable files as ignored and goes on', async () => {
    const folder = await tempFolder();
    for (const bad of BAD_FILES) await writeFile(join(folder, bad.name), bad.content());
    await copyFile(fixture('conn-reordered.log'), join(folder, 'conn.log'));

    const { summary, events } = await importPaths([folder]);

    expect(events).toHaveLength(3);
    expect(summary.eventsRead).toBe(3);
    const loaded = summary.files.find((file) => file.path === join(folder, 'conn.log'));
    expect(loaded?.status).toBe('loaded');
    for (const bad of BAD_FILES) {
      const outcome = summary.files.find((file) => file.path === join(folder, bad.name));
      expect(outcome?.status, bad.name).toBe('ignored');
      expect(outcome?.events, bad.name).toBe(0);
      expect(outcome?.message, bad.name).toMatch(bad.problem);
    }
    expect(summary.files).toHaveLength(BAD_FILES.length + 1);
  });

  test('strict mode fails on an unusable file', async () => {
    const folder = await tempFolder();
    await writeFile(join(folder, 'notes.txt'), 'meeting notes\n');
    await copyFile(fixture('conn-reordered.log'), join(folder, 'conn.log'));

    const error = await importError([folder], { strict: true });

    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toContain(`${join(folder, 'notes.txt')}: unknown format`);
  });
});

describe('importFiles strict mode', () => {
  test('first skipped line is a StrictModeError', async () => {
    const path = fixture('conn-malformed.log');

    const error = await importError([path], { strict: true });

    expect(error).toBeInstanceOf(StrictModeError);
    const message = (error as StrictModeError).message;
    expect(message.startsWith(`${path}:10: wrong field count`)).toBe(true);
    expect(message).not.toMatch(/[\r\n]/);
    expect((error as StrictModeError).file).toBe(path);
  });

  test('a clean file passes', async () => {
    const { summary } = await importPaths([fixture('conn-reordered.log')], { strict: true });

    expect(summary.eventsRead).toBe(3);
  });
});

describe('importFiles into a kept dataset', () => {
  test('grown file replaces its earlier read', async () => {
    const folder = await tempFolder();
    const path = join(folder, 'conn.log');
    const original = await readFile(fixture('conn-malformed.log'), 'utf8');
    await writeFile(path, original);
    const store = await openStore();
    await importFiles(store, [path]);

    const added = '1713520900.0\tCGrown\t192.168.1.10\t50009\t203.0.113.7\t443\ttcp\tssl\t1.0\t10\t20\tSF\tS';
    await writeFile(path, `${original}${added}\n`);
    const summary = (await importFiles(store, [path])).summary();

    expect(summary.linesSkipped).toBe(7);
    expect(summary.files[0]?.skipped).toBe(7);
    expect(summary.samples.filter((sample) => sample.line === 10)).toHaveLength(1);
    // The earlier read's events are deleted before the reload, so nothing is left to deduplicate.
    expect(summary.duplicatesDropped).toBe(0);
    const [events] = await store.all<{ count: number }>('SELECT count(*) AS count FROM events');
    expect(events?.count).toBe(3);
  });
});

describe('importFiles duplicates', () => {
  test('same event in two files counts once', async () => {
    const folder = await tempFolder();
    await copyFile(fixture('conn-reordered.log'), join(folder, 'conn.log'));
    await copyFile(fixture('conn-reordered.log'), join(folder, 'conn.log.labeled'));

    const { summary, events } = await importPaths([folder]);

    expect(summary.eventsRead).toBe(6);
    expect(summary.duplicatesDropped).toBe(3);
    expect(events.map((event) => event.uid)).toEqual(['CReord1', 'CReord2', 'CReord3']);
    for (const event of events) expect(event.sourcefile).toBe(join(folder, 'conn.log'));
  });

  test('different time or no uid is kept', async () => {
    const folder = await tempFolder();
    const record = ['1713520800.000000', 'CSame', '192.168.1.10', '50000', '203.0.113.7', '443', 'tcp', 'SF'];
    const later = [...record];
    later[0] = '1713520900.000000';
    const noUid = [...record];
    noUid[1] = '-';
    await writeFile(join(folder, 'a.log'), connLog([record, noUid]));
    await writeFile(join(folder, 'b.log'), connLog([later, noUid]));

    const { summary, events } = await importPaths([folder]);

    expect(summary.duplicatesDropped).toBe(0);
    expect(events).toHaveLength(4);
  });
});

describe('importFiles event direction', () => {
  const records: ReadonlyArray<[string, string, string]> = [
    ['CV4Out', '192.0.2.5', '198.51.100.1'],
    ['CV4In', '198.51.100.1', '192.0.2.5'],
    ['CV4Internal', '192.0.2.5', '192.0.2.6'],
    ['CV4Transit', '10.0.0.1', '8.8.8.8'],
    ['CV6Out', '2001:db8:1::5', '2001:db8:2::1'],
    ['CV6In', '2001:db8:2::1', '2001:db8:1::5'],
    ['CV6Internal', '2001:db8:1::5', '2001:db8:1:ffff::9'],
    ['CV6LinkLocal', 'fe80::1', '2001:db8:1::1'],
  ];

  async function importDirections(localNetworks?: LocalNetworks): Promise<Map<string, string | null>> {
    const folder = await tempFolder();
    const path = join(folder, 'conn.log');
    await writeFile(
      path,
      connLog(
        records.map(([uid, source, destination], index) => [
          `${1713520800 + index}.0`,
          uid,
          source,
          '50000',
          destination,
          '443',
          'tcp',
          'SF',
        ]),
      ),
    );
    const { events } = await importPaths([path], localNetworks ? { localNetworks } : {});
    return new Map(events.map((event) => [event.uid ?? '', event.eventdirection]));
  }

  test('custom local networks set direction', async () => {
    const directions = await importDirections(new LocalNetworks(['192.0.2.0/24', '2001:db8:1::/48']));

    const expected: Record<string, string> = {
      CV4Out: 'L2R',
      CV4In: 'R2L',
      CV4Internal: 'L2L',
      // Custom networks replace the defaults, so 10.0.0.0/8 is remote here.
      CV4Transit: 'R2R',
      CV6Out: 'L2R',
      CV6In: 'R2L',
      CV6Internal: 'L2L',
      CV6LinkLocal: 'R2L',
    };
    for (const [uid, direction] of Object.entries(expected)) {
      expect(directions.get(uid), uid).toBe(direction);
    }
  });

  test('default local networks set direction', async () => {
    const directions = await importDirections();

    expect(directions.get('CV4Transit')).toBe('L2R');
    expect(directions.get('CV4Out')).toBe('R2R');
    expect(directions.get('CV6LinkLocal')).toBe('L2R');
    expect(directions.get('CV6Out')).toBe('R2R');
  });
});

describe('importFiles transactions and names', () => {
  test('failed strict import leaves the dataset unchanged', async () => {
    const folder = await tempFolder();
    const good = join(folder, 'good.log');
    const bad = join(folder, 'bad.log');
    await copyFile(fixture('conn-reordered.log'), good);
    await copyFile(fixture('conn-malformed.log'), bad);
    const store = await openStore();

    await expect(importFiles(store, [good, bad], { strict: true })).rejects.toBeInstanceOf(StrictModeError);
    const [events] = await store.all<{ count: number }>('SELECT count(*) AS count FROM events');
    const [files] = await store.all<{ count: number }>('SELECT count(*) AS count FROM files');

    expect(events?.count).toBe(0);
    expect(files?.count).toBe(0);
  });

  test('glob characters in a file name are literal', async () => {
    const folder = await tempFolder();
    await copyFile(fixture('conn-reordered.log'), join(folder, 'conn[1].log'));
    await copyFile(fixture('conn-malformed.log'), join(folder, 'conn1.log'));

    const { summary } = await importPaths([join(folder, 'conn[1].log')]);

    expect(summary.files).toHaveLength(1);
    expect(summary.eventsRead).toBe(3);
    expect(summary.linesSkipped).toBe(0);
  });
});
