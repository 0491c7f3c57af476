import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';

import { InputError } from '../../errors.js';
import type { ConnectionEvent } from '../../model/event.js';
import { LocalNetworks } from '../../net/locality.js';
import { DuckDbStore } from '../../store/duckdb.js';
import { detectFormat } from '../formats.js';
import { IngestReport } from '../report.js';
import { sniffFile } from '../sniff.js';
import { splitCsvFields } from '../csv-sql.js';
import { qradarCsvFormat } from './csv.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../../test/fixtures/qradar/${name}`, import.meta.url));

const stores: DuckDbStore[] = [];
const folders: string[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function load(path: string) {
  const store = await DuckDbStore.open();
  stores.push(store);
  const report = new IngestReport();
  const sample = await sniffFile(path);
  const result = await qradarCsvFormat.load({ store, sample, report, localNetworks: new LocalNetworks() });
  const events = await store.all<ConnectionEvent>('SELECT * FROM events ORDER BY sourceline');
  return { result, report, events };
}

async function writeTemp(name: string, text: string | Buffer): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-qradar-csv-'));
  folders.push(folder);
  const path = join(folder, name);
  await writeFile(path, text);
  return path;
}

describe('splitCsvFields', () => {
  test('splits quoted and empty fields', () => {
    expect(splitCsvFields('a,"b,c",,"d ""e""",')).toEqual(['a', 'b,c', '', 'd "e"', '']);
    expect(splitCsvFields('')).toEqual(['']);
  });

  test('rejects unbalanced quotes', () => {
    expect(splitCsvFields('a,"b')).toBeNull();
    expect(splitCsvFields('a,"b"c')).toBeNull();
  });

  test('round-trips any fields', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', ',', '"', ':', '.') });
    fc.assert(
      fc.property(fc.array(cell, { minLength: 1, maxLength: 8 }), (cells) => {
        const line = cells.map((value) => `"${value.replaceAll('"', '""')}"`).join(',');
        expect(splitCsvFields(line)).toEqual(cells);
      }),
    );
  });
});

describe('qradar-csv detection', () => {
  test('detects AQL and console headers', async () => {
    expect(detectFormat(await sniffFile(fixture('aql-events.csv')))?.id).toBe('qradar-csv');
    expect(detectFormat(await sniffFile(fixture('console-export.csv')))?.id).toBe('qradar-csv');
    expect(detectFormat(await sniffFile(fixture('rule-results.csv')))?.id).toBe('qradar-csv');
  });

  test('rejects other CSV', async () => {
    const path = await writeTemp('other.csv', 'time,src,dst\n1,10.0.0.1,10.0.0.2\n');
    expect(qradarCsvFormat.detect(await sniffFile(path))).toBe(false);
  });
});

describe('qradar-csv load', () => {
  test('maps AQL columns onto events', async () => {
    const { result, events } = await load(fixture('aql-events.csv'));
    expect(result).toEqual({ status: 'loaded', events: 3, skipped: 0 });
    expect(events[0]).toMatchObject({
      starttime: 1713520800000,
      sourceip: '10.1.2.3',
      sourceport: 51000,
      destinationip: '203.0.113.7',
      destinationport: 443,
      username: 'alice',
      eventdirection: 'L2R',
      protocol: 'tcp',
      eventcount: 1,
      logsource: 'qradar-csv:fw-edge-01, rack 4',
      sourceline: 2,
    });
    expect(events[1]?.eventcount).toBe(3);
    expect(events[2]).toMatchObject({
      sourceip: 'fd00::15',
      destinationip: '2001:db8::7',
      username: null,
      protocol: 'udp',
      logsource: 'qradar-csv:dns "edge" sensor',
      sourceline: 4,
    });
  });

  test('maps console display names', async () => {
    const { result, events } = await load(fixture('console-export.csv'));
    expect(result).toEqual({ status: 'loaded', events: 4, skipped: 0 });
    expect(events[0]).toMatchObject({
      starttime: Date.UTC(2024, 3, 19, 10, 0, 0),
      sourceip: '10.1.2.3',
      sourceport: 51000,
      destinationip: '203.0.113.7',
      destinationport: 443,
      username: 'alice',
      eventdirection: 'L2R',
      protocol: 'tcp',
      eventcount: 1,
      logsource: 'qradar-csv:fw-edge-01',
    });
  });

  test('reads console and ISO times', async () => {
    const { events } = await load(fixture('console-export.csv'));
    expect(events.map((event) => event.starttime)).toEqual([
      Date.UTC(2024, 3, 19, 10, 0, 0),
      Date.UTC(2024, 3, 19, 13, 5, 30),
      Date.UTC(2024, 3, 19, 10, 10, 0),
      Date.UTC(2024, 3, 19, 10, 15, 0),
    ]);
  });

  test('reads IPv6 and absent users', async () => {
    const { events } = await load(fixture('console-export.csv'));
    expect(events[1]).toMatchObject({ username: null, eventcount: 2 });
    expect(events[2]).toMatchObject({
      sourceip: 'fd00::15',
      destinationip: '2001:db8::7',
      username: null,
      protocol: 'udp',
    });
    expect(events[3]).toMatchObject({
      sourceport: null,
      destinationport: null,
      protocol: 'icmp',
      eventdirection: null,
    });
  });

  test('rejects malformed lines with reasons', async () => {
    const { result, report, events } = await load(fixture('malformed.csv'));
    expect(result).toEqual({ status: 'loaded', events: 2, skipped: 10 });
    expect(events.map((event) => [event.sourceline, event.username])).toEqual([
      [2, 'alice'],
      [15, null],
    ]);
    const summary = report.summary();
    expect(summary.skippedByReason).toEqual({
      'invalid starttime': 2,
      'missing starttime': 1,
      'missing sourceip': 1,
      'invalid destinationip': 2,
      'invalid destinationport': 1,
      'unbalanced quotes': 1,
      'wrong field count': 2,
    });
    const lines = summary.samples.map((sample) => [sample.line, sample.reason]);
    expect(lines).toEqual(
      expect.arrayContaining([
        [3, 'invalid starttime'],
        [4, 'missing starttime'],
        [5, 'missing sourceip'],
        [6, 'invalid destinationip'],
        [7, 'invalid destinationport'],
        [9, 'unbalanced quotes'],
        [10, 'wrong field count'],
        [11, 'wrong field count'],
        [13, 'invalid starttime'],
        [14, 'invalid destinationip'],
      ]),
    );
  });

  test('explains rule result exports', async () => {
    const error = await load(fixture('rule-results.csv')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toMatch(/output of a beaconing search .* not events/);
  });

  test('reads gzip-compressed exports', async () => {
    const path = await writeTemp('events.csv.gz', gzipSync(await readFile(fixture('malformed.csv'))));
    const { result, events } = await load(path);
    expect(result).toEqual({ status: 'loaded', events: 2, skipped: 10 });
    expect(events.map((event) => event.sourceline)).toEqual([2, 15]);
  });

  test('reads a header with a byte order mark', async () => {
    const path = await writeTemp(
      'bom.csv',
      '\uFEFFStart Time,Source IP,Destination IP\n1713520800000,10.0.0.1,10.0.0.2\n',
    );
    expect(qradarCsvFormat.detect(await sniffFile(path))).toBe(true);
    const { events } = await load(path);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ sourceip: '10.0.0.1', destinationip: '10.0.0.2', sourceline: 2 });
  });
});
