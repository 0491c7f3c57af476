import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';

import { afterEach, describe, expect, test } from 'vitest';

import { InputError } from '../errors.js';
import type { ConnectionEvent } from '../model/event.js';
import { DuckDbStore } from '../store/duckdb.js';
import { containerKind } from './containers.js';
import { importFiles } from './import.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'containers');
const EVENTS_IN_FIXTURE = 12;

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function tempFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-containers-'));
  cleanups.push(() => rm(folder, { recursive: true, force: true }));
  return folder;
}

async function importPaths(paths: string[]) {
  const store = await DuckDbStore.open();
  cleanups.push(() => store.close());
  const summary = (await importFiles(store, paths)).summary();
  const events = await store.all<ConnectionEvent>('SELECT * FROM events ORDER BY sourcefile, sourceline');
  return { summary, events };
}

/** Builds a zip archive with deflated entries, enough for tests (no zip64, no comments). */
function zipArchive(entries: ReadonlyArray<[string, Buffer]>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const compressed = deflateRawSync(data);
    const nameBytes = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, compressed);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + compressed.length;
  }
  const centralSize = centrals.reduce((sum, part) => sum + part.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

describe('containerKind', () => {
  test.each([
    [[0x50, 0x4b, 0x03, 0x04], 'zip'],
    [[0x42, 0x5a, 0x68, 0x39], 'bzip2'],
    [[0x28, 0xb5, 0x2f, 0xfd], 'zstd'],
    [[0x1f, 0x8b, 0x08, 0x00], null],
    [[0x23, 0x73, 0x65, 0x70], null],
  ])('%j is %s', (bytes, kind) => {
    expect(containerKind(Uint8Array.from(bytes))).toBe(kind);
  });
});

describe('compressed and archived inputs', () => {
  test.each(['conn.log.bz2', 'conn.log.zst'])('%s loads under its own name', async (name) => {
    const folder = await tempFolder();
    const path = join(folder, name);
    await copyFile(join(FIXTURES, name), path);

    const { summary, events } = await importPaths([path]);

    expect(summary.eventsRead).toBe(EVENTS_IN_FIXTURE);
    expect(summary.files[0]?.path).toBe(path);
    expect(events[0]?.sourcefile).toBe(path);
    expect(events[0]?.sourceline).toBe(9);
  });

  test('zip members load as archive!/member', async () => {
    const folder = await tempFolder();
    const conn = await readFile(join(FIXTURES, '..', '..', '..', 'samples', 'zeek', 'conn.log'));
    const archive = join(folder, 'logs.zip');
    await writeFile(
      archive,
      zipArchive([
        ['day1/conn.log', conn.subarray(0, conn.indexOf('\n', 20_000) + 1)],
        ['README.txt', Buffer.from('exported from the sensor\n')],
      ]),
    );

    const { summary, events } = await importPaths([archive]);

    expect(summary.files.map((file) => [file.path, file.status])).toEqual([
      [`${archive}!/day1/conn.log`, 'loaded'],
      [`${archive}!/README.txt`, 'ignored'],
    ]);
    expect(events.length).toBeGreaterThan(100);
    expect(events[0]?.sourcefile).toBe(`${archive}!/day1/conn.log`);
  });

  test('compressed members and syslog formats inside a zip load', async () => {
    const folder = await tempFolder();
    const archive = join(folder, 'nested.zip');
    const iptables = await readFile(join(FIXTURES, '..', 'iptables', 'kern.log'));
    await writeFile(
      archive,
      zipArchive([
        ['zeek/conn.log.bz2', await readFile(join(FIXTURES, 'conn.log.bz2'))],
        ['fw/kern.log', iptables],
      ]),
    );

    const { summary } = await importPaths([archive]);

    expect(summary.files.map((file) => [file.path, file.status])).toEqual([
      [`${archive}!/fw/kern.log`, 'loaded'],
      [`${archive}!/zeek/conn.log.bz2`, 'loaded'],
    ]);
    expect(summary.files[1]?.events).toBe(EVENTS_IN_FIXTURE);
  });

  test('zip entry climbing out is rejected', async () => {
    const folder = await tempFolder();
    const archive = join(folder, 'evil.zip');
    const conn = await readFile(join(FIXTURES, '..', '..', '..', 'samples', 'zeek', 'conn.log'));
    await writeFile(archive, zipArchive([['../../escaped-conn.log', conn.subarray(0, 5000)]]));

    const error = await importPaths([archive]).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toContain('invalid relative path: ../../escaped-conn.log');
    await expect(readFile(join(folder, '..', 'escaped-conn.log'))).rejects.toThrow();
  });

  test('corrupt bzip2 named explicitly is an InputError', async () => {
    const folder = await tempFolder();
    const path = join(folder, 'broken.log.bz2');
    const good = await readFile(join(FIXTURES, 'conn.log.bz2'));
    await writeFile(path, good.subarray(0, 200));

    const error = await importPaths([path]).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(
      `${path}: cannot unpack the bzip2 data (unexpected end of file); check the file, or copy it again if it is truncated`,
    );
  });
});

describe('truncated bzip2 and Zstandard files', () => {
  /**
   * Writes the fixture's compressed stream followed by the first 200 bytes of a second copy, so the data
   * ends inside the second stream after the first decompressed whole.
   */
  async function truncatedCopy(name: string): Promise<string> {
    const folder = await tempFolder();
    const path = join(folder, name);
    const whole = await readFile(join(FIXTURES, name));
    await writeFile(path, Buffer.concat([whole, whole.subarray(0, 200)]));
    return path;
  }

  test.each([
    ['conn.log.bz2', 'bzip2'],
    ['conn.log.zst', 'zstd'],
  ])('%s loads up to the damage with a warning', async (name, compression) => {
    const path = await truncatedCopy(name);

    const { summary, events } = await importPaths([path]);

    expect(summary.files[0]).toMatchObject({ path, status: 'loaded', events: EVENTS_IN_FIXTURE });
    expect(summary.files[0]?.message).toBe(
      `${path}: ${compression} data is truncated or corrupt (unexpected end of file); ` +
        `the ${EVENTS_IN_FIXTURE} events before the damage were loaded, copy the file again for the rest`,
    );
    expect(events[0]?.sourcefile).toBe(path);
  });

  test.each([
    ['conn.log.bz2', 'bzip2'],
    ['conn.log.zst', 'zstd'],
  ])('%s fails under --strict', async (name, compression) => {
    const path = await truncatedCopy(name);
    const store = await DuckDbStore.open();
    cleanups.push(() => store.close());

    const error = await importFiles(store, [path], { strict: true }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(
      `${path}: ${compression} data is truncated or corrupt (unexpected end of file); ` +
        'copy the file again, or drop --strict to load the events before the damage',
    );
  });

  test('inside a folder the damaged file loads with a warning', async () => {
    const path = await truncatedCopy('conn.log.zst');

    const { summary } = await importPaths([dirname(path)]);

    expect(summary.files[0]).toMatchObject({ status: 'loaded', events: EVENTS_IN_FIXTURE });
    expect(summary.files[0]?.message).toContain('zstd data is truncated or corrupt');
  });

  test.each(['conn.log.bz2', 'conn.log.zst'])('%s damaged before any output is unreadable', async (name) => {
    const folder = await tempFolder();
    const path = join(folder, name);
    await writeFile(path, (await readFile(join(FIXTURES, name))).subarray(0, 200));

    const { summary } = await importPaths([folder]);

    expect(summary.files[0]?.status).toBe('ignored');
    expect(summary.files[0]?.message).toMatch(
      /cannot unpack the (bzip2|zstd) data \(unexpected end of file\)/,
    );
  });
});

/** Encodes text as UTF-16 with its byte order mark, as PowerShell 5.1's Out-File writes it. */
function utf16(text: string, endian: 'le' | 'be'): Buffer {
  const little = Buffer.from(`\uFEFF${text}`, 'utf16le');
  return endian === 'le' ? little : little.swap16();
}

describe('UTF-16 text', () => {
  const squidLines = [1713520801, 1713520802, 1713520803]
    .map(
      (seconds) =>
        `${seconds}.250    120 10.1.2.3 TCP_TUNNEL/200 5120 CONNECT c2.example.net:443 - HIER_DIRECT/203.0.113.7 -`,
    )
    .join('\r\n');

  test('byte order marks name the encoding', () => {
    expect(containerKind(Buffer.from([0xff, 0xfe, 0x31, 0x00]))).toBe('utf-16le');
    expect(containerKind(Buffer.from([0xfe, 0xff, 0x00, 0x31]))).toBe('utf-16be');
    expect(containerKind(Buffer.from([0xff, 0xfe, 0x00, 0x00]))).toBeNull();
  });

  test.each(['le', 'be'] as const)('UTF-16 %s loads with its own name and lines', async (endian) => {
    const folder = await tempFolder();
    const path = join(folder, `access-${endian}.log`);
    await writeFile(path, utf16(`${squidLines}\r\n`, endian));

    const { summary, events } = await importPaths([path]);

    expect(summary.linesSkipped).toBe(0);
    expect(events.map((event) => [event.sourcefile, event.sourceline])).toEqual([
      [path, 1],
      [path, 2],
      [path, 3],
    ]);
  });
});
