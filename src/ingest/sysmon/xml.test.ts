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
import { cleanUpFormatTests, importForTest } from '../../../test/format-helpers.js';
import { scanEventElements, type ScannedEvent, sysmonXmlFormat } from './xml.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../../test/fixtures/sysmon/${name}`, import.meta.url));

const stores: DuckDbStore[] = [];
const folders: string[] = [];

afterEach(cleanUpFormatTests);
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

async function writeTempFile(name: string, text: string): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-sysmon-xml-'));
  folders.push(folder);
  const path = join(folder, name);
  await writeFile(path, text);
  return path;
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

/** Returns an element's XML, a reject's reason, or "other syslog line". */
function describeScanned(element: ScannedEvent): string {
  if ('reject' in element) return element.reject;
  if ('xml' in element) return element.xml;
  return 'other syslog line';
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
    expect(scanned.map((element) => [element.line, describeScanned(element)])).toEqual([
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

  test('passes over the XML around events', async () => {
    const wrapped =
      '\uFEFF<?xml version="1.0" encoding="UTF-8"?>\r\n<!-- exported\r\n by wevtutil -->\r\n' +
      '<Events\r\n xmlns="urn:example"><Event>a</Event>\r\n  <!-- one --> <Event>b</Event> <!-- two -->\r\n' +
      '</Events>\r\n\r\n';

    expect(await scan([wrapped])).toEqual([
      { line: 5, xml: '<Event>a</Event>' },
      { line: 6, xml: '<Event>b</Event>' },
    ]);
  });

  test('reports text between events at its line', async () => {
    const scanned = await scan([
      '<Events>\n<Event>a</Event> tail\njunk line\n\n<Event>b</Event>\n</Events>\n',
    ]);

    expect(scanned).toEqual([
      { line: 2, xml: '<Event>a</Event>' },
      { line: 2, reject: 'text outside an <Event> element', excerpt: ' tail' },
      { line: 3, reject: 'text outside an <Event> element', excerpt: 'junk line' },
      { line: 5, xml: '<Event>b</Event>' },
    ]);
  });

  test('tells syslog lines of other programs from other text', async () => {
    const syslog = [
      'Apr 19 10:00:00 host1 sysmon: <Event>a</Event>',
      'Apr 19 10:00:01 host1 sshd[812]: Accepted publickey for alice',
      'not a syslog line',
      '<13>1 2024-04-19T10:00:02Z host1 cron 913 - - job started',
      'junk <Event>b</Event>',
      '',
    ].join('\n');

    expect((await scan([syslog])).map((element) => [element.line, describeScanned(element)])).toEqual([
      [1, '<Event>a</Event>'],
      [2, 'other syslog line'],
      [3, 'text outside an <Event> element'],
      [4, 'other syslog line'],
      [5, 'text outside an <Event> element'],
      [5, '<Event>b</Event>'],
    ]);
  });

  test('reports markup left open at its start', async () => {
    const scanned = await scan([
      '<Event>a</Event>\n<!-- not closed\nstill a comment\n<Event>b</Event>\n<?xml',
    ]);

    expect(scanned.map((element) => [element.line, describeScanned(element)])).toEqual([
      [1, '<Event>a</Event>'],
      [2, 'unterminated XML comment'],
      [4, '<Event>b</Event>'],
      [5, 'unterminated XML declaration or processing instruction'],
    ]);
  });

  test('gives the same outside lines for any chunking', async () => {
    const mixed =
      '<?xml version="1.0"?>\n<Events>\nApr 19 10:00:01 host1 cron[1]: job\n<Event>a</Event>junk\n' +
      '<!-- a\ncomment --> text\n<Event>b</Event>\n</Events>\ntrailing';
    const whole = await scan([mixed]);
    expect(whole.map((element) => element.line)).toEqual([3, 4, 4, 6, 7, 9]);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: mixed.length - 1 }), { maxLength: 12 }),
        async (cuts) => {
          expect(await scan(cut(mixed, cuts))).toEqual(whole);
        },
      ),
    );
  });

  test('passes over the rest of an event that is too long', async () => {
    // The end tag comes in a chunk after the first 1 MiB of the element.
    const long = `<Event>${'x'.repeat(1_200_000)}\nmore\n</Event> tail\n<Event>ok</Event>\n`;
    const chunks = cut(
      long,
      Array.from({ length: Math.floor(long.length / 65_536) }, (_, index) => (index + 1) * 65_536),
    );

    expect((await scan(chunks)).map((element) => [element.line, describeScanned(element)])).toEqual([
      [1, 'event longer than 1048576 characters'],
      [3, 'text outside an <Event> element'],
      [4, '<Event>ok</Event>'],
    ]);
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
      message: '1 non-network event ignored',
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

  test('skips text between events', async () => {
    const [line] = (await readFile(fixture('one-per-line.xml'), 'utf8')).split('\n');
    const path = await writeTempFile('events.xml', `<Events>\n${line}\nnot XML at all\n${line}\n</Events>\n`);

    const { result, report } = await load(path);

    expect(result).toEqual({ status: 'loaded', events: 2, skipped: 1 });
    expect(report.summary().samples).toEqual([
      expect.objectContaining({
        line: 3,
        reason: 'text outside an <Event> element',
        excerpt: 'not XML at all',
      }),
    ]);
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

  test('ignores syslog lines of other programs', async () => {
    const [event] = (await readFile(fixture('linux-syslog.log'), 'utf8')).split('\n');
    const lines = [
      event,
      'Apr 19 10:00:30 host1 sshd[812]: Accepted publickey for alice',
      'Apr 19 10:00:31 host1 sysmon: Sysmon started',
      'garbage from a broken pipe',
      event,
    ];
    const path = await writeTempFile('syslog', `${lines.join('\n')}\n`);

    const { result, report } = await load(path);

    expect(result).toEqual({
      status: 'loaded',
      events: 2,
      skipped: 1,
      message: '2 syslog lines from other programs ignored',
    });
    expect(report.summary().samples.map((sample) => [sample.line, sample.reason])).toEqual([
      [4, 'text outside an <Event> element'],
    ]);
    await expect(importForTest([path], { strict: true })).rejects.toThrow(/text outside an <Event> element/);
  });

  test('a syslog line without Sysmon XML is not claimed', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-sysmon-xml-'));
    folders.push(folder);
    const path = join(folder, 'messages');
    await writeFile(path, 'Apr 19 10:00:00 host1 app: <Event>not sysmon</Event>\n');

    expect(sysmonXmlFormat.detect(await sniffFile(path))).toBe(false);
  });
});
