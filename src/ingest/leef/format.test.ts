import { copyFile, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';

import type { ConnectionEvent } from '../../model/event.js';
import { DuckDbStore } from '../../store/duckdb.js';
import { detectFormat } from '../formats.js';
import { importFiles } from '../import.js';
import { sniffFile } from '../sniff.js';
import { LEEF_REJECT, leefLineParser } from './fields.js';

/** Modification time given to copied fixtures, which sets the year of their RFC 3164 timestamps. */
const FILE_TIME = new Date(Date.UTC(2024, 3, 22));

const HEADER = 'LEEF:1.0|Example|SecureGW|4.0|Allow|';

const stores: DuckDbStore[] = [];
const folders: string[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function tempPath(name: string): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-leef-'));
  folders.push(folder);
  return join(folder, name);
}

/** Copies a fixture to a temporary folder and gives it FILE_TIME as its modification time. */
async function fixture(name: string): Promise<string> {
  const path = await tempPath(basename(name));
  await copyFile(fileURLToPath(new URL(`../../../test/fixtures/leef/${name}`, import.meta.url)), path);
  await utimes(path, FILE_TIME, FILE_TIME);
  return path;
}

async function importPath(path: string) {
  const store = await DuckDbStore.open();
  stores.push(store);
  const report = await importFiles(store, [path]);
  const events = await store.all<ConnectionEvent>('SELECT * FROM events ORDER BY sourceline');
  return { summary: report.summary(), events };
}

function skipped(summary: { samples: Array<{ line: number; reason: string }> }): string[] {
  return [...summary.samples]
    .sort((a, b) => a.line - b.line)
    .map((sample) => `${sample.line}: ${sample.reason}`);
}

const parse = leefLineParser('test.log', FILE_TIME.getTime());

function parseEvent(line: string): ConnectionEvent {
  const parsed = parse(line, 1);
  if (parsed === null || 'reject' in parsed)
    throw new Error(`expected an event, got ${JSON.stringify(parsed)}`);
  return parsed;
}

/** Builds a LEEF 1.0 line with tab-separated attributes. */
function leef(...attributes: string[]): string {
  return HEADER + attributes.join('\t');
}

describe('leefLineParser', () => {
  test('maps the predefined attributes', () => {
    const event = parseEvent(
      leef(
        'devTime=1713700800000',
        'src=10.1.2.3',
        'srcPort=51000',
        'dst=203.0.113.7',
        'dstPort=443',
        'proto=TCP',
        'usrName=alice',
        'srcBytes=517',
        'dstBytes=4120',
      ),
    );

    expect(event).toMatchObject({
      starttime: Date.UTC(2024, 3, 21, 12),
      sourceip: '10.1.2.3',
      sourceport: 51000,
      destinationip: '203.0.113.7',
      destinationport: 443,
      protocol: 'tcp',
      username: 'alice',
      sourcebytes: 517,
      destinationbytes: 4120,
      eventdirection: null,
      logsource: 'leef:Example/SecureGW',
    });
  });

  test('reads devTime with devTimeFormat in either order', () => {
    const before = parseEvent(
      leef(
        'devTimeFormat=yyyy-MM-dd HH:mm:ss',
        'devTime=2024-04-21 12:00:00',
        'src=10.0.0.1',
        'dst=10.0.0.2',
      ),
    );
    const after = parseEvent(
      leef(
        'devTime=2024-04-21 12:00:00',
        'devTimeFormat=yyyy-MM-dd HH:mm:ss',
        'src=10.0.0.1',
        'dst=10.0.0.2',
      ),
    );

    expect(before.starttime).toBe(Date.UTC(2024, 3, 21, 12));
    expect(after.starttime).toBe(Date.UTC(2024, 3, 21, 12));
  });

  test('reads the default devTime text form', () => {
    const event = parseEvent(
      leef('devTime=Apr 21 2024 12:00:00.250 GMT+01:00', 'src=10.0.0.1', 'dst=10.0.0.2'),
    );

    expect(event.starttime).toBe(Date.UTC(2024, 3, 21, 11, 0, 0, 250));
  });

  test('falls back to the syslog time', () => {
    const event = parseEvent(
      `<13>Apr 21 12:05:00 gw01 ${leef('devTimeFormat=yyyy', 'src=10.0.0.1', 'dst=10.0.0.2')}`,
    );

    expect(event.starttime).toBe(Date.UTC(2024, 3, 21, 12, 5));
  });

  test('uses suser without usrName', () => {
    expect(parseEvent(leef('devTime=1', 'src=10.0.0.1', 'dst=10.0.0.2', 'suser=bob')).username).toBe('bob');
    expect(
      parseEvent(leef('devTime=1', 'src=10.0.0.1', 'dst=10.0.0.2', 'suser=bob', 'usrName=al')).username,
    ).toBe('al');
  });

  test('takes the server name from dhost, else url', () => {
    const withHost = parseEvent(
      leef('devTime=1', 'src=10.0.0.1', 'dst=10.0.0.2', 'dhost=a.example', 'url=http://b.example/'),
    );
    const withUrl = parseEvent(
      leef('devTime=1', 'src=10.0.0.1', 'dst=10.0.0.2', 'url=HTTP://B.Example:81/x'),
    );

    expect(withHost.servername).toBe('a.example');
    expect(withUrl.servername).toBe('b.example');
  });

  test.each([
    ['1713700800', 1_713_700_800_000],
    ['1713700800.5', 1_713_700_800_500],
    ['1713700800000', 1_713_700_800_000],
    ['1713700800250', 1_713_700_800_250],
  ])('reads devTime=%s as epoch seconds or milliseconds', (time, expected) => {
    expect(parseEvent(leef(`devTime=${time}`, 'src=10.0.0.1', 'dst=10.0.0.2')).starttime).toBe(expected);
  });

  test('rejects attributes without any key=value pair', () => {
    expect(parse(`${HEADER}connection from 10.0.0.1 to 10.0.0.2`, 1)).toEqual({
      reject: LEEF_REJECT.noAttributes,
    });
    expect(parse(`${HEADER}junk src=10.0.0.1 dst=10.0.0.2`, 1)).toEqual({
      reject: LEEF_REJECT.noAttributes,
    });
    expect(parse(`${HEADER}`, 1)).toBeNull();
    expect(parse(leef('usrName=alice', 'action=login'), 1)).toBeNull();
  });

  test('keys match with their exact case', () => {
    expect(parse(leef('devTime=1', 'SRC=10.0.0.1', 'DST=10.0.0.2'), 1)).toBeNull();
  });

  test.each([
    ['no header', 'CEF:0|V|P|1|2|N|3|src=10.0.0.1 dst=10.0.0.2', LEEF_REJECT.missingHeader],
    ['missing src', leef('devTime=1', 'dst=10.0.0.2'), LEEF_REJECT.missingSource],
    ['invalid src', leef('devTime=1', 'src=10.0.0', 'dst=10.0.0.2'), LEEF_REJECT.invalidSource],
    [
      'invalid srcPort',
      leef('devTime=1', 'src=10.0.0.1', 'dst=10.0.0.2', 'srcPort=-1'),
      LEEF_REJECT.invalidSourcePort,
    ],
    [
      'invalid dstBytes',
      leef('devTime=1', 'src=10.0.0.1', 'dst=10.0.0.2', 'dstBytes=1k'),
      LEEF_REJECT.invalidDestinationBytes,
    ],
    ['invalid devTime', leef('devTime=today', 'src=10.0.0.1', 'dst=10.0.0.2'), LEEF_REJECT.invalidDevTime],
    [
      'unsupported devTimeFormat',
      leef('devTimeFormat=yyyy-MM-ddTHH:mm:ss.fffZ', 'devTime=2024', 'src=10.0.0.1', 'dst=10.0.0.2'),
      LEEF_REJECT.unsupportedDevTimeFormat,
    ],
    ['no time', leef('src=10.0.0.1', 'dst=10.0.0.2'), LEEF_REJECT.missingTime],
  ])('rejects %s', (_, line, reason) => {
    expect(parse(line, 1)).toEqual({ reject: reason });
  });

  test('random lines never throw', () => {
    const piece = fc.constantFrom(
      HEADER,
      'LEEF:2.0|V|P|1|2|',
      'x09|',
      '^|',
      '\t',
      '^',
      'src=10.0.0.1',
      'dst=::1',
      'devTime=',
      'devTimeFormat=',
      'yyyy',
      '=',
      ' ',
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(piece, fc.string({ maxLength: 6 })), { maxLength: 12 }), (pieces) => {
        parse(pieces.join(''), 1);
      }),
    );
  });
});

describe('LEEF detection', () => {
  test('recognises bare and syslog-framed files', async () => {
    for (const name of ['leef1-tab.log', 'leef2-syslog.log', 'malformed.log']) {
      expect(detectFormat(await sniffFile(await fixture(name)))?.id).toBe('leef');
    }
  });
});

describe('LEEF import', () => {
  test('loads LEEF 1.0 with tabs', async () => {
    const { summary, events } = await importPath(await fixture('leef1-tab.log'));

    expect(summary.files[0]).toMatchObject({
      format: 'leef',
      status: 'loaded',
      events: 5,
      skipped: 0,
      message: '1 LEEF event without addresses ignored',
    });
    expect(events.map((event) => [event.sourceline, event.starttime, event.protocol])).toEqual([
      [1, Date.UTC(2024, 3, 21, 12, 0), 'tcp'],
      [2, Date.UTC(2024, 3, 21, 12, 1), 'tcp'],
      [3, Date.UTC(2024, 3, 21, 12, 2, 0, 500), 'tcp'],
      [5, Date.UTC(2024, 3, 21, 12, 4), 'udp'],
      [6, Date.UTC(2024, 3, 21, 12, 1), null],
    ]);
    expect(events[3]).toMatchObject({ sourceip: '2001:db8::10', destinationip: '2001:db8:ffff::7' });
    expect(events[4]).toMatchObject({
      servername: 'updates.example.com',
      uri: 'http://updates.example.com/check?id=42',
      useragent: 'Mozilla/5.0 (X11; Linux x86_64)',
      logsource: 'leef:Example/WebGate',
    });
  });

  test('loads LEEF 2.0 delimiters and syslog headers', async () => {
    const { summary, events } = await importPath(await fixture('leef2-syslog.log'));

    expect(summary.linesSkipped).toBe(0);
    expect(events.map((event) => [event.sourceport, event.starttime])).toEqual([
      [51000, Date.UTC(2024, 3, 21, 12, 0)],
      [51001, Date.UTC(2024, 3, 21, 12, 1)],
      [51002, Date.UTC(2024, 3, 21, 12, 2)],
      [51003, Date.UTC(2024, 3, 21, 12, 3)],
      [51004, Date.UTC(2024, 3, 21, 12, 4)],
      [51005, Date.UTC(2024, 3, 21, 12, 5)],
      [51006, Date.UTC(2024, 3, 21, 12, 6)],
    ]);
    expect(
      events.every((event) => event.destinationip === '203.0.113.7' && event.destinationport === 443),
    ).toBe(true);
  });

  test('reports each malformed line with its reason', async () => {
    const { summary, events } = await importPath(await fixture('malformed.log'));

    expect(events.map((event) => event.sourceline)).toEqual([1]);
    expect(skipped(summary)).toEqual([
      '2: unsupported LEEF version (not 1.0 or 2.0)',
      '3: incomplete LEEF header',
      '4: invalid LEEF 2.0 delimiter',
      '5: missing dst',
      '6: invalid dst',
      '7: invalid dstPort',
      '8: unsupported devTimeFormat',
      '9: invalid devTime',
      '10: missing time: no devTime and no syslog timestamp',
      '11: not a LEEF event (no LEEF: header)',
      '12: invalid srcBytes',
    ]);
  });

  test('rejects syslog lines in another format, also under --strict', async () => {
    const syslog = '<13>Apr 21 12:00:00 gw01 ';
    const content = [
      `${syslog}${leef('devTime=1713700800', 'src=10.1.2.3', 'dst=203.0.113.7', 'dstPort=443')}`,
      `${syslog}${leef('devTime=1713700830', 'usrName=admin', 'action=login')}`,
      `${syslog}CEF:0|Example|EdgeWall|5.2|100|Connection allowed|3|src=10.1.2.3 dst=203.0.113.7`,
      '<13>Apr 21 12:01:30 gw01 sshd[90]: Accepted publickey for admin',
      `${syslog}LEEF:1.0|Example|SecureGW|4.0|Allow|connection from 10.1.2.3 to 203.0.113.7`,
      `${syslog}${leef('devTime=1713700920', 'src=10.1.2.3', 'dst=203.0.113.7', 'dstPort=443')}`,
      '',
    ].join('\n');
    const path = await tempPath('switch.log');
    await writeFile(path, content);
    await utimes(path, FILE_TIME, FILE_TIME);
    const { summary, events } = await importPath(path);

    expect(events.map((event) => [event.sourceline, event.starttime])).toEqual([
      [1, 1_713_700_800_000],
      [6, 1_713_700_920_000],
    ]);
    expect(skipped(summary)).toEqual([
      `3: ${LEEF_REJECT.missingHeader}`,
      `4: ${LEEF_REJECT.missingHeader}`,
      `5: ${LEEF_REJECT.noAttributes}`,
    ]);
    expect(summary.files[0]?.message).toBe('1 LEEF event without addresses ignored');

    const store = await DuckDbStore.open();
    stores.push(store);
    await expect(importFiles(store, [path], { strict: true })).rejects.toThrow(/switch\.log:3/);
  });

  test('rejects only the line with invalid UTF-8', async () => {
    const path = await tempPath('utf8.log');
    await writeFile(
      path,
      Buffer.concat([
        Buffer.from(`${leef('devTime=1713700800000', 'src=10.0.0.1', 'dst=10.0.0.2')}\n${HEADER}usrName=`),
        Buffer.from([0xe2, 0x82]),
        Buffer.from(`\tsrc=10.0.0.1\tdst=10.0.0.2\tdevTime=1713700860000\n`),
      ]),
    );
    const { summary, events } = await importPath(path);

    expect(events).toHaveLength(1);
    expect(skipped(summary)).toEqual(['2: invalid UTF-8']);
  });
});
