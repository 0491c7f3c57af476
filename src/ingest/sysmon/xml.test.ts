import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';

import type { ConnectionEvent } from '../../model/event.js';
import { LocalNetworks } from '../../net/locality.js';
import { DuckDbStore } from '../../store/duckdb.js';
import { detectFormat } from '../formats.js';
import { IngestReport } from '../report.js';
import { sniffFile } from '../sniff.js';
import { scanEventElements, type ScannedEvent, sysmonXmlFormat } from './xml.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../../test/fixtures/sysmon/${name}`, import.meta.url));

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
  const result = await sysmonXmlFormat.load({ store, sample, report, localNetworks: new LocalNetworks() });
  const events = await store.all<ConnectionEvent>('SELECT * FROM events ORDER BY sourceline');
  return { result, report, events };
}

async function scan(chunks: readonly string[]): Promise<ScannedEvent[]> {
  async function* source(): AsyncGenerator<string> {
    yield* chunks;
  }
  const scanned: ScannedEvent[] = [];
  for await (const element of scanEventElements(source())) scanned.push(element);
  return scanned;
}

/** Cuts text into chunks at the given positions, as a stream would deliver it. */
function cut(text: string, positions: readonly number[]): string[] {
  const sorted = [...new Set(positions)].sort((a, b) => a - b);
  const chunks: string[] = [];
  let from = 0;
  for (const position of sorted) {
    chunks.push(text.slice(from, position));
    from = position;
  }
  chunks.push(text.slice(from));
  return chunks;
}

describe('scanEventElements', () => {
  const text =
    '<?xml version="1.0"?>\n<Events>\n<Event a="1">\n<EventData/>\n</Event><Event>x</Event>\n</Events>\n';

  test('yields elements with start lines', async () => {
    expect(await scan([text])).toEqual([
      { line: 3, xml: '<Event a="1">\n<EventData/>\n</Event>' },
      { line: 5, xml: '<Event>x</Event>' },
    ]);
  });

  test('reports unterminated elements', async () => {
    const scanned = await scan(['<Event>\n<System>\n<Event>ok</Event>\n<Event>cut']);
    expect(
      scanned.map((element) => [element.line, 'reject' in element ? element.reject : element.xml]),
    ).toEqual([
      [1, 'unterminated <Event> element'],
      [3, '<Event>ok</Event>'],
      [4, 'unterminated <Event> element'],
    ]);
  });

  test('gives the same result for any chunking', async () => {
    const whole = await scan([text]);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: text.length - 1 }), { maxLength: 12 }),
        async (cuts) => {
          expect(await scan(cut(text, cuts))).toEqual(whole);
        },
      ),
    );
  });
});

describe('sysmon-xml detection', () => {
  test('detects event XML layouts', async () => {
    for (const name of ['events-root.xml', 'one-per-line.xml', 'concatenated.xml', 'malformed.xml']) {
      expect(detectFormat(await sniffFile(fixture(name)))?.id, name).toBe('sysmon-xml');
    }
  });

  test('rejects other XML', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-sysmon-xml-'));
    folders.push(folder);
    const path = join(folder, 'feed.xml');
    await writeFile(path, '<?xml version="1.0"?>\n<rss><channel><item>Event</item></channel></rss>\n');
    expect(sysmonXmlFormat.detect(await sniffFile(path))).toBe(false);
  });
});

describe('sysmon-xml load', () => {
  test('maps events inside an Events root', async () => {
    const { result, events } = await load(fixture('events-root.xml'));
    expect(result).toEqual({
      status: 'loaded',
      events: 5,
      skipped: 0,
      message: '2 non-network events ignored',
    });
    expect(events.map((event) => event.sourceline)).toEqual([3, 34, 57, 80, 110]);
    expect(events[0]).toMatchObject({
      starttime: Date.UTC(2024, 3, 19, 10, 0, 2, 250),
      sourceip: '10.1.2.3',
      sourceport: 50100,
      destinationip: '203.0.113.7',
      destinationport: 80,
      username: 'EXAMPLE\\alice',
      protocol: 'tcp',
      processimage: 'C:\\Users\\alice\\AppData\\Local\\Temp\\agent.exe',
      servername: null,
      logsource: 'sysmon-xml:ws01.example.local',
      eventcount: 1,
      eventdirection: null,
    });
  });

  test('keeps the initiator of inbound connections', async () => {
    const { events } = await load(fixture('events-root.xml'));
    expect(events[1]).toMatchObject({
      sourceip: '10.1.2.9',
      destinationip: '10.1.2.3',
      destinationport: 5985,
      processimage: 'System',
      username: 'NT AUTHORITY\\SYSTEM',
    });
  });

  test('reads IPv6, host names and absent users', async () => {
    const { events } = await load(fixture('events-root.xml'));
    expect(events[2]).toMatchObject({
      sourceip: 'fd00::3',
      destinationip: '2001:db8::443',
      servername: 'updates.example.com',
      protocol: 'tcp',
    });
    expect(events[3]).toMatchObject({ username: null, protocol: 'udp' });
    expect(events[4]).toMatchObject({ username: null, destinationport: 8080 });
  });

  test('reads one event per line', async () => {
    const { result, events } = await load(fixture('one-per-line.xml'));
    expect(result).toEqual({
      status: 'loaded',
      events: 2,
      skipped: 0,
      message: '1 non-network events ignored',
    });
    expect(events.map((event) => [event.sourceline, event.logsource])).toEqual([
      [1, 'sysmon-xml:ws01.example.local'],
      [3, 'sysmon-xml:ws02.example.local'],
    ]);
  });

  test('reads concatenated events', async () => {
    const { result, events } = await load(fixture('concatenated.xml'));
    expect(result.events).toBe(2);
    expect(events.map((event) => event.starttime)).toEqual([
      Date.UTC(2024, 3, 19, 10, 0, 2, 250),
      Date.UTC(2024, 3, 19, 10, 0, 22, 250),
    ]);
  });

  test('reads gzip-compressed files', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-sysmon-xml-'));
    folders.push(folder);
    const path = join(folder, 'events.xml.gz');
    await writeFile(path, gzipSync(await readFile(fixture('events-root.xml'))));
    const { result, events } = await load(path);
    expect(result.events).toBe(5);
    expect(events.map((event) => event.sourceline)).toEqual([3, 34, 57, 80, 110]);
  });

  test('rejects malformed events with reasons', async () => {
    const { result, report, events } = await load(fixture('malformed.xml'));
    expect(result).toEqual({ status: 'loaded', events: 2, skipped: 8 });
    expect(events.map((event) => event.sourceline)).toEqual([1, 9]);
    const summary = report.summary();
    expect(summary.skippedByReason).toEqual({
      'malformed XML': 1,
      'missing UtcTime': 1,
      'invalid UtcTime': 1,
      'missing SourceIp': 1,
      'invalid DestinationIp': 1,
      'invalid SourcePort': 1,
      'unterminated <Event> element': 2,
    });
    expect(summary.samples.map((sample) => [sample.line, sample.reason])).toEqual(
      expect.arrayContaining([
        [2, 'malformed XML'],
        [3, 'missing UtcTime'],
        [4, 'invalid UtcTime'],
        [5, 'missing SourceIp'],
        [6, 'invalid DestinationIp'],
        [7, 'invalid SourcePort'],
        [8, 'unterminated <Event> element'],
        [10, 'unterminated <Event> element'],
      ]),
    );
    expect(summary.samples.find((sample) => sample.line === 2)?.excerpt).toMatch(/^<Event xmlns=/);
  });

  test('appends events in batches', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-sysmon-xml-'));
    folders.push(folder);
    const path = join(folder, 'many.xml');
    const [line] = (await readFile(fixture('one-per-line.xml'), 'utf8')).split('\n');
    await writeFile(path, `${line}\n`.repeat(25_001));
    const { result, events } = await load(path);
    expect(result).toEqual({ status: 'loaded', events: 25_001, skipped: 0 });
    expect(events.at(-1)?.sourceline).toBe(25_001);
  });
});

describe('sysmon-xml from Sysmon for Linux', () => {
  test('syslog lines carrying event XML load with the Linux fields', async () => {
    const path = fixture('linux-syslog.log');

    expect(detectFormat(await sniffFile(path))?.id).toBe('sysmon-xml');
    const { result, events } = await load(path);

    expect(result.events).toBe(3);
    expect(events.map((event) => [event.sourceline, event.sourceip, event.destinationip])).toEqual([
      [1, '10.0.0.5', '203.0.113.9'],
      [2, '10.0.0.5', '203.0.113.9'],
      [3, '10.0.0.5', '203.0.113.9'],
    ]);
    expect(events[0]).toMatchObject({
      processimage: '/usr/bin/curl',
      username: 'root',
      destinationport: 443,
    });
    expect(events[1]!.starttime - events[0]!.starttime).toBe(60_000);
  });

  test('a syslog line without Sysmon XML is not claimed', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-sysmon-xml-'));
    folders.push(folder);
    const path = join(folder, 'messages');
    await writeFile(path, 'Apr 19 10:00:00 host1 app: <Event>not sysmon</Event>\n');

    expect(sysmonXmlFormat.detect(await sniffFile(path))).toBe(false);
  });
});
