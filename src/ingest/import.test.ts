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
import type { IngestReport } from './report.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../test/fixtures/zeek/${name}`, import.meta.url));

/** A fixture of any format, named by its folder under test/fixtures, such as 'qradar/aql-events.csv'. */
const anyFixture = (name: string): string =>
  fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));

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
    // An executable-like file: binary, and no capture format's magic number.
    name: 'tool.bin',
    content: () =>
      Buffer.concat([Buffer.from('7f454c46020101000000000000000000', 'hex'), Buffer.alloc(64, 7)]),
    problem: /binary content/,
    remedy: /check that this is a log, or run `beaconhunt formats`/,
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
    remedy: /run `beaconhunt formats` to see the formats it reads/,
  },
  {
    // Classic Mac line endings: the whole file is one line with CRs inside.
    name: 'old-mac.txt',
    content: () => Buffer.from('alpha\rbeta\rgamma\r'),
    problem: /unknown format/,
    remedy: /run `beaconhunt formats` to see the formats it reads/,
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
    // A byte-identical copy would be passed over as the same content, so the copy ends with one more
    // comment line: other bytes, the same events.
    const copy = `${await readFile(fixture('conn-reordered.log'), 'utf8')}#close\t2024-04-19-12-00-00\n`;
    await writeFile(join(folder, 'conn.log.labeled'), copy);

    const { summary, events } = await importPaths([folder]);

    expect(summary.files.map((file) => file.status)).toEqual(['loaded', 'loaded']);
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

/** A byte sequence that is not UTF-8: a lone continuation byte and a byte UTF-8 never uses. */
const INVALID_UTF8 = Buffer.from([0x80, 0xff]);

/** Appends INVALID_UTF8 to the given 1-based lines of `content`, before any CR of a CRLF ending. */
function withInvalidLines(content: Buffer, lines: readonly number[]): Buffer {
  const physical = content.toString('latin1').split('\n');
  const parts = physical.map((line, index) => {
    const bytes = Buffer.from(line, 'latin1');
    if (!lines.includes(index + 1)) return bytes;
    const body = line.endsWith('\r') ? bytes.subarray(0, -1) : bytes;
    return Buffer.concat([body, INVALID_UTF8, line.endsWith('\r') ? Buffer.from('\r') : Buffer.alloc(0)]);
  });
  return Buffer.concat(parts.flatMap((part, index) => (index === 0 ? [part] : [Buffer.from('\n'), part])));
}

/** Builds `count` conn records with uids C0, C1, ... */
function connRecords(count: number): string[][] {
  return Array.from({ length: count }, (_, index) => [
    `${1713520800 + index}.0`,
    `C${index}`,
    '192.168.1.10',
    String(50000 + index),
    '203.0.113.7',
    '443',
    'tcp',
    'SF',
  ]);
}

/** connLog puts 7 header lines before the records, so record i (from 0) is on line 8 + i. */
const FIRST_RECORD_LINE = 8;

function skippedLines(summary: ReturnType<IngestReport['summary']>, reason: string): number[] {
  return summary.samples.filter((sample) => sample.reason === reason).map((sample) => sample.line);
}

describe('importFiles invalid UTF-8', () => {
  test('named file skips only the bad line', async () => {
    const path = join(await tempFolder(), 'conn.log');
    await writeFile(path, withInvalidLines(Buffer.from(connLog(connRecords(5))), [FIRST_RECORD_LINE + 2]));

    const { summary, events } = await importPaths([path]);

    expect(summary.files[0]?.status).toBe('loaded');
    expect(summary.files[0]?.events).toBe(4);
    expect(summary.files[0]?.skipped).toBe(1);
    expect(summary.skippedByReason).toEqual({ 'invalid UTF-8': 1 });
    expect(summary.samples).toEqual([
      {
        file: path,
        line: 10,
        reason: 'invalid UTF-8',
        excerpt: expect.stringMatching(/^1713520802\.0\tC2\t/),
      },
    ]);
    expect(events.map((event) => event.uid)).toEqual(['C0', 'C1', 'C3', 'C4']);
    expect(events.map((event) => event.sourceline)).toEqual([8, 9, 11, 12]);
  });

  test('gzip with CRLF and consecutive bad lines', async () => {
    const path = join(await tempFolder(), 'conn.log.gz');
    const crlf = Buffer.from(connLog(connRecords(8)).replaceAll('\n', '\r\n'));
    // Records 1, 2 and 3 in a row, then the last record.
    const bad = [9, 10, 11, 15];
    await writeFile(path, gzipSync(withInvalidLines(crlf, bad)));

    const { summary, events } = await importPaths([path]);

    expect(summary.files[0]?.status).toBe('loaded');
    expect(summary.files[0]?.message).toBeUndefined();
    expect(skippedLines(summary, 'invalid UTF-8')).toEqual(bad);
    expect(summary.linesSkipped).toBe(4);
    expect(events.map((event) => event.uid)).toEqual(['C0', 'C4', 'C5', 'C6']);
    expect(events.map((event) => event.sourceline)).toEqual([8, 12, 13, 14]);
  });

  test('other rejects keep their physical lines', async () => {
    const path = join(await tempFolder(), 'conn.log');
    const records = connRecords(5);
    records[3] = ['1713520803.0', 'CShort', '192.168.1.10'];
    await writeFile(path, withInvalidLines(Buffer.from(connLog(records)), [FIRST_RECORD_LINE + 1]));

    const { summary, events } = await importPaths([path]);

    expect(skippedLines(summary, 'invalid UTF-8')).toEqual([9]);
    expect(skippedLines(summary, 'wrong field count')).toEqual([11]);
    expect(events.map((event) => event.sourceline)).toEqual([8, 10, 12]);
  });

  test('inside a folder keeps good records', async () => {
    const folder = await tempFolder();
    await writeFile(
      join(folder, 'bad.log'),
      withInvalidLines(Buffer.from(connLog(connRecords(5))), [FIRST_RECORD_LINE]),
    );
    await copyFile(fixture('conn-reordered.log'), join(folder, 'good.log'));

    const { summary, events } = await importPaths([folder]);

    const bad = summary.files.find((file) => file.path === join(folder, 'bad.log'));
    expect(bad?.status).toBe('loaded');
    expect(bad?.events).toBe(4);
    expect(bad?.skipped).toBe(1);
    expect(summary.eventsRead).toBe(7);
    expect(events).toHaveLength(7);
    expect(skippedLines(summary, 'invalid UTF-8')).toEqual([8]);
  });

  test('strict mode fails on the first bad line', async () => {
    const path = join(await tempFolder(), 'conn.log');
    const records = connRecords(5);
    records[3] = ['1713520803.0', 'CShort', '192.168.1.10'];
    await writeFile(path, withInvalidLines(Buffer.from(connLog(records)), [FIRST_RECORD_LINE + 1]));
    const store = await openStore();

    const error = await importFiles(store, [path], { strict: true }).then(
      () => new Error('importFiles resolved, but an error was expected'),
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(StrictModeError);
    const message = (error as StrictModeError).message;
    expect(message.startsWith(`${path}:9: invalid UTF-8 (--strict`)).toBe(true);
    expect(message).not.toMatch(/[\r\n]/);
    const [events] = await store.all<{ count: number }>('SELECT count(*) AS count FROM events');
    expect(events?.count).toBe(0);
  });

  test('strict mode reports an earlier reject first', async () => {
    const path = join(await tempFolder(), 'conn.log');
    const records = connRecords(5);
    records[1] = ['1713520801.0', 'CShort', '192.168.1.10'];
    await writeFile(path, withInvalidLines(Buffer.from(connLog(records)), [FIRST_RECORD_LINE + 3]));

    const error = await importError([path], { strict: true });

    expect(error).toBeInstanceOf(StrictModeError);
    expect((error as StrictModeError).message.startsWith(`${path}:9: wrong field count`)).toBe(true);
  });

  const FORMATS = [
    { fixture: 'zeek/json-conn-dotted.log', format: 'zeek-json' },
    { fixture: 'qradar/aql-events.csv', format: 'qradar-csv' },
    { fixture: 'qradar/console-export.csv', format: 'qradar-csv' },
    { fixture: 'sysmon/nxlog-events.jsonl', format: 'sysmon-json' },
    { fixture: 'sysmon/winlogbeat.jsonl', format: 'sysmon-json' },
  ];

  for (const { fixture: name, format } of FORMATS) {
    test(`${name} skips only the bad line`, async () => {
      const clean = await importPaths([anyFixture(name)]);
      const lines = clean.events.map((event) => event.sourceline);
      const target = lines[1] as number;
      const path = join(await tempFolder(), name.replace('/', '-'));
      await writeFile(path, withInvalidLines(await readFile(anyFixture(name)), [target]));

      const { summary, events } = await importPaths([path]);

      expect(summary.files[0]?.format).toBe(format);
      expect(summary.files[0]?.status).toBe('loaded');
      expect(skippedLines(summary, 'invalid UTF-8')).toEqual([target]);
      expect(summary.linesSkipped).toBe(clean.summary.linesSkipped + 1);
      expect(events.map((event) => event.sourceline)).toEqual(lines.filter((line) => line !== target));
    });
  }

  test('line over 64 MB is skipped and named', async () => {
    const path = join(await tempFolder(), 'conn.json');
    const record = (index: number, extra: Record<string, string> = {}) =>
      JSON.stringify({
        _path: 'conn',
        ts: 1713520800 + index,
        uid: `C${index}`,
        'id.orig_h': '192.168.1.10',
        'id.orig_p': 50000 + index,
        'id.resp_h': '203.0.113.7',
        'id.resp_p': 443,
        ...extra,
      });
    const long = record(1, { padding: 'x'.repeat(65 * 1024 * 1024) });
    await writeFile(path, [record(0), long, record(2), ''].join('\n'));

    const { summary, events } = await importPaths([path]);
    const error = await importError([path], { strict: true });

    expect(summary.files[0]?.status).toBe('loaded');
    expect(skippedLines(summary, 'line longer than 64 MB')).toEqual([2]);
    expect(summary.samples[0]?.excerpt.length).toBe(160);
    expect(events.map((event) => event.sourceline)).toEqual([1, 3]);
    expect(error).toBeInstanceOf(StrictModeError);
    const message = (error as StrictModeError).message;
    expect(message.startsWith(`${path}:2: line longer than 64 MB (--strict`)).toBe(true);
    expect(message).not.toMatch(/[\r\n]/);
  });
});

const BYTE_ORDER_MARK = Buffer.from([0xef, 0xbb, 0xbf]);

describe('importFiles byte order mark', () => {
  const FIXTURES = [
    { name: 'zeek/conn-reordered.log', format: 'zeek-tsv' },
    { name: 'zeek/json-conn-dotted.log', format: 'zeek-json' },
    { name: 'qradar/aql-events.csv', format: 'qradar-csv' },
    { name: 'qradar/ariel-events.json', format: 'qradar-json' },
    { name: 'sysmon/nxlog-events.jsonl', format: 'sysmon-json' },
    { name: 'sysmon/one-per-line.xml', format: 'sysmon-xml' },
  ];

  for (const { name, format } of FIXTURES) {
    for (const gzip of [false, true]) {
      test(`${name}${gzip ? ' gzipped' : ''} loads as without it`, async () => {
        const clean = await importPaths([anyFixture(name)]);
        const content = Buffer.concat([BYTE_ORDER_MARK, await readFile(anyFixture(name))]);
        const path = join(await tempFolder(), `${name.replace('/', '-')}${gzip ? '.gz' : ''}`);
        await writeFile(path, gzip ? gzipSync(content) : content);

        const { summary, events } = await importPaths([path]);

        expect(summary.files[0]?.format).toBe(format);
        expect(summary.files[0]?.status).toBe('loaded');
        expect(summary.eventsRead).toBe(clean.summary.eventsRead);
        expect(summary.skippedByReason).toEqual(clean.summary.skippedByReason);
        const withoutFile = (list: readonly ConnectionEvent[]) =>
          list.map((event) => ({ ...event, sourcefile: undefined }));
        expect(withoutFile(events)).toEqual(withoutFile(clean.events));
      });
    }
  }

  test('Zeek conn-summary report is recognised', async () => {
    const path = join(await tempFolder(), 'conn-summary.log');
    await writeFile(path, Buffer.concat([BYTE_ORDER_MARK, Buffer.from('>== Total === 2024-04-19\n')]));

    const { summary } = await importPaths([path]);

    expect(summary.files[0]?.format).toBe('zeek-conn-summary');
  });
});

describe('importFiles long first line', () => {
  test('Zeek JSON line of 100 KB is detected', async () => {
    const path = join(await tempFolder(), 'conn.json');
    const record = (index: number, padding: string) =>
      JSON.stringify({
        _path: 'conn',
        ts: 1713520800 + index,
        uid: `C${index}`,
        'id.orig_h': '192.168.1.10',
        'id.orig_p': 50000 + index,
        'id.resp_h': '203.0.113.7',
        'id.resp_p': 443,
        padding,
      });
    await writeFile(path, [record(0, 'x'.repeat(100 * 1024)), record(1, ''), ''].join('\n'));

    const { summary, events } = await importPaths([path]);

    expect(summary.files[0]?.format).toBe('zeek-json');
    expect(events.map((event) => event.uid)).toEqual(['C0', 'C1']);
  });

  test('Sysmon JSON record of 100 KB is detected', async () => {
    const path = join(await tempFolder(), 'sysmon.jsonl');
    const lines = (await readFile(anyFixture('sysmon/nxlog-events.jsonl'), 'utf8')).split('\n');
    const first = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    lines[0] = JSON.stringify({ ...first, Padding: 'x'.repeat(100 * 1024) });
    await writeFile(path, lines.join('\n'));
    const clean = await importPaths([anyFixture('sysmon/nxlog-events.jsonl')]);

    const { summary } = await importPaths([path]);

    expect(summary.files[0]?.format).toBe('sysmon-json');
    expect(summary.eventsRead).toBe(clean.summary.eventsRead);
  });

  test('unknown format names a line longer than the sample', async () => {
    const path = join(await tempFolder(), 'one-line.txt');
    await writeFile(path, 'w'.repeat(17 * 1024 * 1024));

    const error = await importError([path]);

    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toContain(`unknown format (first line "${'w'.repeat(60)}")`);
  });
});
