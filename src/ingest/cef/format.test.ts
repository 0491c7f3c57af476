import { copyFile, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';

import type { ConnectionEvent } from '../../model/event.js';
import { DuckDbStore } from '../../store/duckdb.js';
import { detectFormat } from '../formats.js';
import { importFiles } from '../import.js';
import { sniffFile } from '../sniff.js';
import { CEF_REJECT, cefLineParser } from './fields.js';

/** Modification time given to copied fixtures, which sets the year of their RFC 3164 timestamps. */
const FILE_TIME = new Date(Date.UTC(2024, 3, 22));

const HEADER = 'CEF:0|Example Networks|EdgeWall|5.2|100|Connection allowed|3|';

const stores: DuckDbStore[] = [];
const folders: string[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function tempPath(name: string): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-cef-'));
  folders.push(folder);
  return join(folder, name);
}

/** Copies a fixture to a temporary folder and gives it FILE_TIME as its modification time. */
async function fixture(name: string): Promise<string> {
  const path = await tempPath(basename(name));
  await copyFile(fileURLToPath(new URL(`../../../test/fixtures/cef/${name}`, import.meta.url)), path);
  await utimes(path, FILE_TIME, FILE_TIME);
  return path;
}

async function writeTemp(name: string, content: string | Buffer): Promise<string> {
  const path = await tempPath(name);
  await writeFile(path, content);
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

const parse = cefLineParser('test.log', FILE_TIME.getTime());

function parseEvent(line: string): ConnectionEvent {
  const parsed = parse(line, 1);
  if (parsed === null || 'reject' in parsed)
    throw new Error(`expected an event, got ${JSON.stringify(parsed)}`);
  return parsed;
}

describe('cefLineParser', () => {
  test('maps the connection keys', () => {
    const event = parseEvent(
      `${HEADER}rt=1713700800000 src=10.1.2.3 spt=51000 dst=203.0.113.7 dpt=443 proto=TCP in=517 out=4120 suser=alice`,
    );

    expect(event).toMatchObject({
      starttime: Date.UTC(2024, 3, 21, 12),
      sourceip: '10.1.2.3',
      sourceport: 51000,
      destinationip: '203.0.113.7',
      destinationport: 443,
      protocol: 'tcp',
      sourcebytes: 517,
      destinationbytes: 4120,
      username: 'alice',
      eventdirection: null,
      logsource: 'cef:Example Networks/EdgeWall',
      sourcefile: 'test.log',
      sourceline: 1,
    });
  });

  test('prefers start to rt and end', () => {
    const event = parseEvent(
      `${HEADER}end=1713700805000 rt=1713700900000 start=1713700800000 src=10.0.0.1 dst=10.0.0.2`,
    );

    expect(event.starttime).toBe(1713700800000);
    expect(event.duration).toBe(5);
  });

  test('prefers rt to end', () => {
    expect(
      parseEvent(`${HEADER}end=1713700805000 rt=1713700900000 src=10.0.0.1 dst=10.0.0.2`).starttime,
    ).toBe(1713700900000);
  });

  test('uses end alone', () => {
    expect(parseEvent(`${HEADER}end=1713700805000 src=10.0.0.1 dst=10.0.0.2`).starttime).toBe(1713700805000);
  });

  test('falls back to the syslog time', () => {
    const event = parseEvent(`<134>Apr 21 12:05:00 fw01 ${HEADER}src=10.0.0.1 dst=10.0.0.2`);

    expect(event.starttime).toBe(Date.UTC(2024, 3, 21, 12, 5));
  });

  test('uses duser without suser', () => {
    expect(parseEvent(`${HEADER}rt=1713700800000 src=10.0.0.1 dst=10.0.0.2 duser=bob`).username).toBe('bob');
  });

  test('takes the server name from dhost, else the URL', () => {
    const withHost = parseEvent(
      `${HEADER}rt=1 src=10.0.0.1 dst=10.0.0.2 dhost=a.example request=http://b.example/`,
    );
    const withUrl = parseEvent(
      `${HEADER}rt=1 src=10.0.0.1 dst=10.0.0.2 request=https://user@[2001:db8::1]:8443/x`,
    );

    expect(withHost.servername).toBe('a.example');
    expect(withUrl.servername).toBe('2001:db8::1');
    expect(withUrl.uri).toBe('https://user@[2001:db8::1]:8443/x');
  });

  test('reads IPv6 addresses', () => {
    const event = parseEvent(`${HEADER}rt=1 src=2001:db8::10 dst=fe80::1%eth0 dpt=53 proto=17`);

    expect(event).toMatchObject({ sourceip: '2001:db8::10', destinationip: 'fe80::1%eth0', protocol: 'udp' });
  });

  test.each([
    ['58', 'icmp'],
    ['ICMPv6', 'icmp'],
    ['47', null],
    ['SCTP', 'sctp'],
  ])('maps proto %s', (proto, expected) => {
    expect(parseEvent(`${HEADER}rt=1 src=10.0.0.1 dst=10.0.0.2 proto=${proto}`).protocol).toBe(expected);
  });

  test('passes over events without addresses', () => {
    expect(parse(`${HEADER}rt=1 suser=admin msg=login`, 1)).toBeNull();
    expect(parse('CEF:0|V|P|1|2|N|3', 1)).toBeNull();
  });

  test('reads c6a2 and c6a3 without src and dst', () => {
    const event = parseEvent(
      `${HEADER}rt=1713700800000 c6a2=2001:db8::10 c6a2Label=Source IPv6 Address c6a3=2001:db8:feed::7 c6a3Label=Destination IPv6 Address dpt=443`,
    );

    expect(event).toMatchObject({
      sourceip: '2001:db8::10',
      destinationip: '2001:db8:feed::7',
      destinationport: 443,
    });
  });

  test('reads c6a2 and c6a3 without labels', () => {
    const event = parseEvent(`${HEADER}rt=1713700800000 c6a2=2001:db8::10 c6a3=2001:db8:feed::7`);

    expect(event.sourceip).toBe('2001:db8::10');
    expect(event.destinationip).toBe('2001:db8:feed::7');
  });

  test('fills only the missing side from c6a2 or c6a3', () => {
    const event = parseEvent(
      `${HEADER}rt=1713700800000 src=10.0.0.1 c6a2=2001:db8::10 c6a3=2001:db8:feed::7`,
    );

    expect(event.sourceip).toBe('10.0.0.1');
    expect(event.destinationip).toBe('2001:db8:feed::7');
  });

  test('passes over c6a2 and c6a3 with labels of their own', () => {
    const labelled = `${HEADER}rt=1713700800000 c6a2=2001:db8::10 c6a2Label=NAT Address c6a3=2001:db8::7 c6a3Label=Tunnel Peer`;

    expect(parse(labelled, 1)).toBeNull();
    expect(parse(`${labelled} dst=10.0.0.2`, 1)).toEqual({ reject: CEF_REJECT.missingSource });
  });

  test('passes over c6a1 and c6a4', () => {
    expect(parse(`${HEADER}rt=1713700800000 c6a1=2001:db8::1 c6a4=2001:db8::4`, 1)).toBeNull();
  });

  test.each([
    ['c6a2', `${HEADER}rt=1 c6a2=2001:db8::zz c6a3=2001:db8::7`, 'invalid c6a2'],
    ['c6a3', `${HEADER}rt=1 src=10.0.0.1 c6a3=2001:db8:::7`, 'invalid c6a3'],
  ])('names %s in the reject reason', (_, line, reason) => {
    expect(parse(line, 1)).toEqual({ reject: reason });
  });

  test.each([
    ['rt', '1713700800', 1_713_700_800_000],
    ['rt', '1713700800.250', 1_713_700_800_250],
    ['rt', '1713700800000', 1_713_700_800_000],
    ['start', '1713700800', 1_713_700_800_000],
    ['end', '1713700800123', 1_713_700_800_123],
  ])('reads %s=%s as epoch seconds or milliseconds', (key, time, expected) => {
    expect(parseEvent(`${HEADER}${key}=${time} src=10.0.0.1 dst=10.0.0.2`).starttime).toBe(expected);
  });

  test('takes the duration from start and end in seconds', () => {
    const event = parseEvent(`${HEADER}start=1713700800 end=1713700805.5 src=10.0.0.1 dst=10.0.0.2`);

    expect(event.starttime).toBe(1_713_700_800_000);
    expect(event.duration).toBe(5.5);
  });

  test.each([
    ['no header', 'Apr 21 12:00:00 fw01 sshd[1]: accepted', CEF_REJECT.missingHeader],
    ['missing src', `${HEADER}rt=1 dst=10.0.0.2`, CEF_REJECT.missingSource],
    ['invalid dst', `${HEADER}rt=1 src=10.0.0.1 dst=010.0.0.2`, CEF_REJECT.invalidDestination],
    ['invalid dpt', `${HEADER}rt=1 src=10.0.0.1 dst=10.0.0.2 dpt=https`, CEF_REJECT.invalidDestinationPort],
    ['invalid out', `${HEADER}rt=1 src=10.0.0.1 dst=10.0.0.2 out=1.5`, CEF_REJECT.invalidDestinationBytes],
    ['invalid start', `${HEADER}start=soon src=10.0.0.1 dst=10.0.0.2`, CEF_REJECT.invalidStart],
    ['invalid end', `${HEADER}start=1 end=later src=10.0.0.1 dst=10.0.0.2`, CEF_REJECT.invalidEnd],
    ['syslog time "-"', `<13>1 - fw - - - - ${HEADER}src=10.0.0.1 dst=10.0.0.2`, CEF_REJECT.missingTime],
  ])('rejects %s', (_, line, reason) => {
    expect(parse(line, 1)).toEqual({ reject: reason });
  });

  test('random lines never throw', () => {
    const piece = fc.constantFrom(
      HEADER,
      '<13>',
      'Apr 21 12:00:00 ',
      'src=10.0.0.1',
      ' dst=::1',
      ' rt=',
      '\\',
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

describe('CEF detection', () => {
  test('recognises bare and syslog-framed files', async () => {
    for (const name of ['syslog-rfc3164.log', 'syslog-rfc5424.log', 'malformed.log']) {
      expect(detectFormat(await sniffFile(await fixture(name)))?.id).toBe('cef');
    }
  });

  test('ignores a CEF payload inside JSON', async () => {
    const path = await writeTemp('events.json', `{"payload": "${HEADER}src=10.0.0.1 dst=10.0.0.2"}\n`);

    expect(detectFormat(await sniffFile(path))?.id).not.toBe('cef');
  });
});

describe('CEF import', () => {
  test('loads RFC 3164 framed events', async () => {
    const { summary, events } = await importPath(await fixture('syslog-rfc3164.log'));

    expect(summary.files[0]).toMatchObject({
      format: 'cef',
      status: 'loaded',
      events: 7,
      skipped: 0,
      message: '1 CEF event without addresses ignored',
    });
    expect(events.map((event) => event.sourceline)).toEqual([1, 2, 3, 5, 6, 8, 9]);
    expect(events.map((event) => event.starttime)).toEqual([
      Date.UTC(2024, 3, 21, 12, 0),
      Date.UTC(2024, 3, 21, 12, 1, 0, 250),
      Date.UTC(2024, 3, 21, 12, 2),
      Date.UTC(2024, 3, 21, 12, 4),
      Date.UTC(2024, 3, 21, 12, 5),
      Date.UTC(2024, 3, 21, 12, 6),
      Date.UTC(2024, 3, 21, 12, 7),
    ]);
  });

  test('maps proxy fields and header escapes', async () => {
    const { events } = await importPath(await fixture('syslog-rfc3164.log'));
    const proxy = events.find((event) => event.sourceline === 8);
    const second = events.find((event) => event.sourceline === 9);

    expect(proxy).toMatchObject({
      servername: 'updates.example.com',
      uri: 'http://Updates.Example.com:8080/check?id=42&os=win',
      useragent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
      username: 'EXAMPLE\\bob',
      logsource: 'cef:Example|Labs/Web\\Gate',
    });
    expect(second).toMatchObject({ servername: 'updates.example.com', useragent: null, protocol: null });
  });

  test('reads IPv6 and start to end duration', async () => {
    const { events } = await importPath(await fixture('syslog-rfc3164.log'));
    const ipv6 = events.find((event) => event.sourceline === 5);

    expect(ipv6).toMatchObject({
      sourceip: '2001:db8::10',
      destinationip: '2001:db8:ffff::7',
      duration: 2.5,
    });
    expect(ipv6?.eventdirection).not.toBeNull();
  });

  test('loads RFC 5424 framed events', async () => {
    const { summary, events } = await importPath(await fixture('syslog-rfc5424.log'));

    expect(summary.linesSkipped).toBe(0);
    expect(events.map((event) => event.starttime)).toEqual([
      Date.UTC(2024, 3, 21, 12, 0),
      Date.UTC(2024, 3, 21, 12, 1, 0, 500),
      Date.UTC(2024, 3, 21, 12, 2),
      Date.UTC(2024, 3, 21, 12, 3),
    ]);
  });

  test('reports each malformed line with its reason', async () => {
    const { summary, events } = await importPath(await fixture('malformed.log'));

    expect(events.map((event) => event.sourceline)).toEqual([1, 13]);
    expect(skipped(summary)).toEqual([
      '2: incomplete CEF header',
      '3: invalid CEF version',
      '4: missing dst',
      '5: invalid src',
      '6: invalid spt',
      '7: invalid rt',
      '8: unterminated escape in CEF extension',
      '9: missing time: no start, rt or end, and no syslog timestamp',
      '10: not a CEF event (no CEF: header)',
      '12: invalid in',
    ]);
    expect(summary.files[0]?.message).toBe('1 CEF event without addresses ignored');
  });

  test('rejects lines after a switch of format', async () => {
    const { summary, events } = await importPath(await fixture('switches-format.log'));

    expect(events).toHaveLength(3);
    expect(summary.skippedByReason).toEqual({ 'not a CEF event (no CEF: header)': 3 });
  });

  test('rejects syslog lines in another format, also under --strict', async () => {
    const syslog = '<134>Apr 21 12:00:00 fw01 edgewall[811]: ';
    const content = [
      `${syslog}${HEADER}rt=1713700800000 src=10.1.2.3 dst=203.0.113.7 dpt=443`,
      `${syslog}${HEADER}rt=1713700860000 suser=admin msg=policy saved`,
      `${syslog}LEEF:1.0|Example|SecureGW|4.0|Allow|src=10.1.2.3\tdst=203.0.113.7`,
      '<134>Apr 21 12:01:30 fw01 sshd[90]: Accepted publickey for admin',
      '{"ts":1713701100.0,"id.orig_h":"10.1.2.3","id.resp_h":"203.0.113.7"}',
      `${syslog}${HEADER}rt=1713700920000 src=10.1.2.3 dst=203.0.113.7 dpt=443`,
      '',
    ].join('\n');
    const path = await writeTemp('switch.log', content);
    const { summary, events } = await importPath(path);

    expect(events.map((event) => event.sourceline)).toEqual([1, 6]);
    expect(skipped(summary)).toEqual([
      '3: not a CEF event (no CEF: header)',
      '4: not a CEF event (no CEF: header)',
      '5: not a CEF event (no CEF: header)',
    ]);
    expect(summary.files[0]?.message).toBe('1 CEF event without addresses ignored');

    const store = await DuckDbStore.open();
    stores.push(store);
    await expect(importFiles(store, [path], { strict: true })).rejects.toThrow(/switch\.log:3/);
  });

  test('reads gzip like plain text', async () => {
    const plainPath = await fixture('syslog-rfc3164.log');
    const plain = await importPath(plainPath);
    const gzipped = await importPath(await writeTemp('cef.log.gz', gzipSync(await readFile(plainPath))));

    expect(gzipped.events.map((event) => event.starttime)).toEqual(
      plain.events.map((event) => event.starttime),
    );
  });

  test('loads a 10 MB line', async () => {
    const message = 'x'.repeat(10 * 1024 * 1024);
    const content = [
      `${HEADER}rt=1713700800000 src=10.0.0.1 dst=10.0.0.2 dpt=443 msg=${message}`,
      `${HEADER}rt=1713700860000 src=10.0.0.1 dst=10.0.0.2 dpt=443 msg=${message}\\`,
      `${HEADER}rt=1713700920000 src=10.0.0.1 dst=10.0.0.2 dpt=443`,
      '',
    ].join('\n');
    const { summary, events } = await importPath(await writeTemp('long.log', content));

    expect(events.map((event) => event.sourceline)).toEqual([1, 3]);
    expect(skipped(summary)).toEqual(['2: unterminated escape in CEF extension']);
    expect(summary.samples[0]?.excerpt.length).toBeLessThanOrEqual(160);
  });

  test('rejects only the line with invalid UTF-8', async () => {
    const content = Buffer.concat([
      Buffer.from(`${HEADER}rt=1713700800000 src=10.0.0.1 dst=10.0.0.2\n${HEADER}rt=1713700860000 msg=`),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from(` src=10.0.0.1 dst=10.0.0.2\n${HEADER}rt=1713700920000 src=10.0.0.1 dst=10.0.0.2\n`),
    ]);
    const { summary, events } = await importPath(await writeTemp('utf8.log', content));

    expect(events.map((event) => event.sourceline)).toEqual([1, 3]);
    expect(skipped(summary)).toEqual(['2: invalid UTF-8']);
  });

  test('lists a file without connections as ignored', async () => {
    const path = await writeTemp(
      'audit.log',
      `${HEADER}suser=admin msg=login\n${HEADER}suser=admin msg=logout\n`,
    );
    const { summary } = await importPath(path);

    expect(summary.files[0]).toMatchObject({
      status: 'ignored',
      message: 'no connection events (with source and destination addresses) among 2 CEF events',
    });
  });
});
