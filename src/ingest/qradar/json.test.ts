import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { afterEach, describe, expect, test } from 'vitest';

import { InputError } from '../../errors.js';
import type { ConnectionEvent } from '../../model/event.js';
import { LocalNetworks } from '../../net/locality.js';
import { DuckDbStore } from '../../store/duckdb.js';
import { detectFormat } from '../formats.js';
import { importFiles } from '../import.js';
import { IngestReport } from '../report.js';
import { sniffFile } from '../sniff.js';
import { qradarJsonFormat } from './json.js';

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
  const result = await qradarJsonFormat.load({ store, sample, report, localNetworks: new LocalNetworks() });
  const events = await store.all<ConnectionEvent>('SELECT * FROM events ORDER BY sourceline');
  return { result, report, events };
}

async function writeTemp(name: string, text: string | Buffer): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-qradar-json-'));
  folders.push(folder);
  const path = join(folder, name);
  await writeFile(path, text);
  return path;
}

describe('qradar-json detection', () => {
  test('detects Ariel events and flows', async () => {
    expect(detectFormat(await sniffFile(fixture('ariel-events.json')))?.id).toBe('qradar-json');
    expect(detectFormat(await sniffFile(fixture('ariel-flows.json')))?.id).toBe('qradar-json');
  });

  test('rejects other JSON objects', async () => {
    const path = await writeTemp('other.json', '{"events": [{"name": "deploy", "at": 1}]}');
    expect(qradarJsonFormat.detect(await sniffFile(path))).toBe(false);
    const lines = await writeTemp('lines.json', '{"ts": 1, "id.orig_h": "10.0.0.1"}\n');
    expect(qradarJsonFormat.detect(await sniffFile(lines))).toBe(false);
  });
});

describe('qradar-json load', () => {
  test('maps Ariel fields onto events', async () => {
    const { result, events } = await load(fixture('ariel-events.json'));
    expect(result).toEqual({ status: 'loaded', events: 5, skipped: 0 });
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
      logsource: 'qradar-json:fw-edge-01',
      sourceline: 1,
    });
    expect(events[0]?.sourcefile).toBe(fixture('ariel-events.json'));
  });

  test('keeps QRadar coalescing count', async () => {
    const { events } = await load(fixture('ariel-events.json'));
    expect(events[1]?.eventcount).toBe(5);
    expect(events[3]?.eventcount).toBe(1);
  });

  test('reads IPv6 and null user', async () => {
    const { events } = await load(fixture('ariel-events.json'));
    expect(events[2]).toMatchObject({
      sourceip: 'fd00::15',
      destinationip: '2001:db8::7',
      username: null,
      protocol: 'udp',
      sourceline: 3,
    });
  });

  test('falls back to devicetime and sourcev6', async () => {
    const { events } = await load(fixture('ariel-events.json'));
    expect(events[3]).toMatchObject({
      starttime: 1713520980000,
      sourceip: 'fd00::16',
      destinationip: '2001:db8::8',
      sourceport: null,
      eventdirection: 'L2R',
      logsource: 'qradar-json',
    });
  });

  test('reads string times and log source ids', async () => {
    const { events } = await load(fixture('ariel-events.json'));
    expect(events[4]).toMatchObject({
      starttime: 1713521040000,
      username: null,
      eventdirection: 'R2L',
      protocol: 'icmp',
      logsource: 'qradar-json:112',
    });
  });

  test('reads flow searches', async () => {
    const { result, events } = await load(fixture('ariel-flows.json'));
    expect(result.events).toBe(2);
    expect(events[1]).toMatchObject({
      starttime: 1713520830000,
      sourceip: '10.1.2.3',
      destinationip: '198.51.100.20',
      destinationport: 8080,
      sourcebytes: 418,
      destinationbytes: 1337,
      eventdirection: 'L2R',
      protocol: 'tcp',
      sourceline: 2,
    });
  });

  test('rejects malformed records with reasons', async () => {
    const { result, report, events } = await load(fixture('ariel-malformed.json'));
    expect(result).toEqual({ status: 'loaded', events: 1, skipped: 10 });
    expect(events.map((event) => event.sourceline)).toEqual([1]);
    const summary = report.summary();
    expect(summary.skippedByReason).toEqual({
      'invalid starttime': 2,
      'missing starttime': 1,
      'missing sourceip': 1,
      'invalid sourceip': 1,
      'invalid destinationip': 1,
      'invalid destinationport': 2,
      'invalid eventcount': 1,
      'record is not a JSON object': 1,
    });
    const lines = Object.fromEntries(summary.samples.map((sample) => [sample.line, sample.reason]));
    expect(lines).toEqual({
      2: 'invalid starttime',
      3: 'missing starttime',
      4: 'missing sourceip',
      5: 'invalid sourceip',
      6: 'invalid destinationip',
      7: 'invalid destinationport',
      8: 'invalid eventcount',
      9: 'record is not a JSON object',
      10: 'invalid destinationport',
      11: 'invalid starttime',
    });
    expect(summary.samples.find((sample) => sample.line === 9)?.excerpt).toBe('42');
  });

  test('explains rule result exports', async () => {
    const error = await load(fixture('ariel-rule-results.json')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toMatch(/output of a beaconing search .* not events/);
  });

  test('reports missing address fields', async () => {
    const path = await writeTemp(
      'no-ip.json',
      '{"events": [{"starttime": 1713520800000, "sourceip": "10.0.0.1"}]}',
    );
    await expect(load(path)).rejects.toThrow(/no destinationip field in the QRadar export/);
  });

  test('loads an empty result', async () => {
    const path = await writeTemp('empty.json', '{"events": []}');
    const { result } = await load(path);
    expect(result).toEqual({
      status: 'loaded',
      events: 0,
      skipped: 0,
      message: 'no records in the QRadar export',
    });
  });

  test('numbers records across pages', async () => {
    const page = (ip: string): string =>
      JSON.stringify({ events: [{ starttime: 1713520800000, sourceip: ip, destinationip: '203.0.113.7' }] });
    const path = await writeTemp('pages.json', `${page('10.0.0.1')}\n${page('10.0.0.2')}\n`);
    const { events } = await load(path);
    expect(events.map((event) => [event.sourceip, event.sourceline])).toEqual([
      ['10.0.0.1', 1],
      ['10.0.0.2', 2],
    ]);
  });

  test('reads gzip-compressed exports', async () => {
    const path = await writeTemp('events.json.gz', gzipSync(await readFile(fixture('ariel-events.json'))));
    const { result, events } = await load(path);
    expect(result.events).toBe(5);
    expect(events[2]).toMatchObject({ sourceip: 'fd00::15', sourceline: 3 });
  });

  test('import keeps QRadar directions', async () => {
    const store = await DuckDbStore.open();
    stores.push(store);
    const report = await importFiles(store, [fixture('ariel-events.json')]);
    expect(report.files[0]).toMatchObject({ format: 'qradar-json', status: 'loaded', events: 5 });
    const rows = await store.all<{ eventdirection: string }>(
      'SELECT eventdirection FROM events ORDER BY sourceline',
    );
    expect(rows.map((row) => row.eventdirection)).toEqual(['L2R', 'L2R', 'L2R', 'L2R', 'R2L']);
  });
});
