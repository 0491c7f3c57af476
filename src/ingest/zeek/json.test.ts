import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, test } from 'vitest';

import { HAS_SHARED_DATA, sharedPath } from '../../../test/shared-data.js';
import type { ConnectionEvent } from '../../model/event.js';
import { DuckDbStore } from '../../store/duckdb.js';
import { detectFormat } from '../formats.js';
import { importFiles } from '../import.js';
import { sniffFile } from '../sniff.js';
import { zeekJsonLogKind } from './json.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../../test/fixtures/zeek/${name}`, import.meta.url));

const stores: DuckDbStore[] = [];
const folders: string[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function tempFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-zeek-json-'));
  folders.push(folder);
  return folder;
}

async function openStore(): Promise<DuckDbStore> {
  const store = await DuckDbStore.open();
  stores.push(store);
  return store;
}

async function importPaths(paths: string[], store?: DuckDbStore) {
  const target = store ?? (await openStore());
  const report = await importFiles(target, paths);
  const events = await target.all<ConnectionEvent>('SELECT * FROM events ORDER BY sourcefile, sourceline');
  return { summary: report.summary(), events };
}

function eventByUid(events: readonly ConnectionEvent[], uid: string): ConnectionEvent {
  const event = events.find((candidate) => candidate.uid === uid);
  if (event === undefined) throw new Error(`no event with uid ${uid}`);
  return event;
}

describe('zeek-json detection', () => {
  test('detects id.orig_h spelling', async () => {
    expect(detectFormat(await sniffFile(fixture('json-conn-dotted.log')))?.id).toBe('zeek-json');
  });

  test('detects id_orig_h spelling', async () => {
    expect(detectFormat(await sniffFile(fixture('json-conn-underscore.log')))?.id).toBe('zeek-json');
  });

  test('_path marker beats file name', () => {
    expect(zeekJsonLogKind({ _path: 'ssl' }, '/logs/conn.log')).toBe('ssl');
    expect(zeekJsonLogKind({ _path: 'dns' }, '/logs/conn.log')).toBe('dns');
    expect(zeekJsonLogKind({ _path: 'weird' }, '/logs/conn.log')).toBe('other');
  });

  test('open_ logs load as their kind', () => {
    expect(zeekJsonLogKind({ _path: 'open_conn' }, '/logs/export.json')).toBe('conn');
    expect(zeekJsonLogKind({ _path: 'open_ssl' }, '/logs/export.json')).toBe('ssl');
    expect(zeekJsonLogKind({ _path: 'open_http' }, '/logs/export.json')).toBe('http');
    expect(zeekJsonLogKind({}, '/logs/open_conn.log')).toBe('conn');
  });

  test('@stream marker names the log', () => {
    expect(zeekJsonLogKind({ '@stream': 'conn' }, '/logs/export.json')).toBe('conn');
    expect(zeekJsonLogKind({ '@stream': 'http' }, '/logs/export.json')).toBe('http');
    expect(zeekJsonLogKind({ '@stream': 'x509' }, '/logs/export.json')).toBe('other');
  });

  test('file name or fields name unmarked logs', () => {
    expect(zeekJsonLogKind({}, '/logs/UTICA-A_conn.log')).toBe('conn');
    expect(zeekJsonLogKind({}, '/logs/ssl.2024-04-19.json')).toBe('ssl');
    expect(zeekJsonLogKind({ conn_state: 'SF' }, '/logs/export.json')).toBe('conn');
    expect(zeekJsonLogKind({ server_name: 'a.example' }, '/logs/export.json')).toBe('ssl');
    expect(zeekJsonLogKind({ user_agent: 'curl' }, '/logs/export.json')).toBe('http');
    expect(zeekJsonLogKind({ query: 'a.example', qtype_name: 'A' }, '/logs/export.json')).toBe('dns');
    expect(zeekJsonLogKind({ query: 'a.example' }, '/logs/export.json')).toBe('other');
  });
});

describe('zeek-json conn fields', () => {
  test('maps id.orig_h fields', async () => {
    const path = fixture('json-conn-dotted.log');
    const { events } = await importPaths([path]);

    const event = eventByUid(events, 'CJson1');
    expect(event.starttime).toBe(1713520800250);
    expect(event.sourceip).toBe('192.168.1.10');
    expect(event.sourceport).toBe(50000);
    expect(event.destinationip).toBe('203.0.113.7');
    expect(event.destinationport).toBe(443);
    expect(event.protocol).toBe('tcp');
    expect(event.service).toBe('ssl');
    expect(event.duration).toBe(1.5);
    expect(event.sourcebytes).toBe(100);
    expect(event.destinationbytes).toBe(200);
    expect(event.connstate).toBe('SF');
    expect(event.logsource).toBe('zeek-json');
    expect(event.sourcefile).toBe(path);
    expect(event.sourceline).toBe(1);
  });

  test('maps id_orig_h fields', async () => {
    const { events, summary } = await importPaths([fixture('json-conn-underscore.log')]);

    expect(summary.eventsRead).toBe(2);
    const event = eventByUid(events, 'CUnder1');
    expect(event.starttime).toBe(1588316619753);
    expect(event.sourceip).toBe('10.0.1.5');
    expect(event.sourceport).toBe(60839);
    expect(event.destinationip).toBe('192.168.0.4');
    expect(event.destinationport).toBe(443);
    expect(event.duration).toBe(1.25);
    expect(event.sourcebytes).toBe(517);
    expect(event.destinationbytes).toBe(1460);
    expect(event.service).toBe('ssl');
    const absent = eventByUid(events, 'CUnder2');
    expect(absent.service).toBeNull();
    expect(absent.duration).toBeNull();
  });

  test('ISO 8601 ts with Z or offset', async () => {
    const { events } = await importPaths([fixture('json-conn-dotted.log')]);

    const utc = eventByUid(events, 'CJson2');
    expect(utc.starttime).toBe(Date.UTC(2024, 3, 19, 10, 0, 5, 500));
    expect(utc.sourceip).toBe('2001:db8::10');
    expect(utc.destinationip).toBe('2001:db8:ffff::1');
    expect(utc.sourceline).toBe(2);
    const offset = eventByUid(events, 'CJson5');
    expect(offset.starttime).toBe(Date.UTC(2024, 3, 19, 10, 0, 20));
  });

  test('ISO 8601 ts without offset is UTC', async () => {
    const store = await openStore();
    // A session time zone other than UTC must not shift offset-free text.
    await store.run("SET TimeZone = 'America/New_York'");

    const { events } = await importPaths([fixture('json-conn-dotted.log')], store);

    expect(eventByUid(events, 'CJson4').starttime).toBe(Date.UTC(2024, 3, 19, 10, 0, 15));
    expect(eventByUid(events, 'CJson5').starttime).toBe(Date.UTC(2024, 3, 19, 10, 0, 20));
  });

  test('invalid JSON lines are skipped with their line', async () => {
    const path = fixture('json-conn-dotted.log');
    const { events, summary } = await importPaths([path]);

    expect(events.map((event) => event.sourceline)).toEqual([1, 2, 4, 6]);
    expect(summary.files[0]?.skipped).toBe(2);
    expect(summary.skippedByReason).toEqual({ 'invalid JSON': 2 });
    expect(summary.samples.map((sample) => sample.line)).toEqual([3, 5]);
    for (const sample of summary.samples) expect(sample.file).toBe(path);
    expect(summary.samples[0]?.excerpt).toBe(
      '{"_path":"conn","ts":1713520810.0,"uid":"CJson3","id.orig_h":"192.168.1.10",',
    );
  });
});

describe('zeek-json protocol logs', () => {
  test('ssl server_name joins by uid', async () => {
    const { events, summary } = await importPaths([
      fixture('json-conn-underscore.log'),
      fixture('json-ssl-underscore.log'),
    ]);

    expect(eventByUid(events, 'CUnder1').servername).toBe('poshc2.example.com');
    expect(eventByUid(events, 'CUnder2').servername).toBeNull();
    expect(summary.files[1]?.message).toBe('2 ssl records to join by uid');
  });

  test('dns @stream log loads queries', async () => {
    const folder = await tempFolder();
    await copyFile(fixture('json-conn-underscore.log'), join(folder, 'UTICA-A_conn.log'));
    await copyFile(fixture('json-dns-underscore.log'), join(folder, 'NEWYORK_dns.log'));

    const { summary } = await importPaths([folder]);

    const dns = summary.files.find((file) => file.path === join(folder, 'NEWYORK_dns.log'));
    expect(dns?.status).toBe('loaded');
    expect(dns?.format).toBe('zeek-json');
    expect(dns?.events).toBe(0);
    expect(dns?.message).toBe('1 dns query to name connections');
    expect(summary.eventsRead).toBe(2);
  });

  test('other @stream logs are ignored', async () => {
    const folder = await tempFolder();
    await copyFile(fixture('json-conn-underscore.log'), join(folder, 'UTICA-A_conn.log'));
    const weird = {
      '@stream': 'weird',
      ts: 1588316600.1,
      uid: 'CWeird1',
      id_orig_h: '10.0.1.5',
      name: 'bad',
    };
    await writeLines(folder, 'NEWYORK_weird.log', [JSON.stringify(weird)]);

    const { summary } = await importPaths([folder]);

    const other = summary.files.find((file) => file.path === join(folder, 'NEWYORK_weird.log'));
    expect(other?.status).toBe('ignored');
    expect(other?.message).toBe('Zeek weird log, not used');
    expect(summary.eventsRead).toBe(2);
  });
});

/** Builds one Zeek JSON record with `_path` and dotted field names; `fields` add to or replace the defaults. */
function zeekRecord(path: string, uid: string, index: number, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    _path: path,
    ts: 1713520800 + index,
    uid,
    'id.orig_h': '192.168.1.10',
    'id.orig_p': 40000 + index,
    'id.resp_h': '203.0.113.7',
    'id.resp_p': 443,
    ...fields,
  });
}

function connRecord(uid: string, index: number): string {
  return zeekRecord('conn', uid, index, { proto: 'tcp', service: 'ssl', conn_state: 'SF' });
}

function dnsRecord(uid: string, index: number): string {
  return zeekRecord('dns', uid, index, { proto: 'udp', query: 'c2.example.com', 'id.resp_p': 53 });
}

function weirdRecord(uid: string, index: number): string {
  return zeekRecord('weird', uid, index, { name: 'bad_TCP_checksum' });
}

function sslRecord(uid: string, index: number, serverName: string): string {
  return zeekRecord('ssl', uid, index, { version: 'TLSv12', cipher: 'TLS_AES_128', server_name: serverName });
}

function httpRecord(uid: string, index: number, host: string): string {
  return zeekRecord('http', uid, index, { method: 'GET', host, uri: '/beacon', user_agent: 'agent/1.0' });
}

async function writeLines(folder: string, name: string, lines: readonly string[]): Promise<string> {
  const path = join(folder, name);
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

/** Drops the columns that name the source file and line, and sorts the events by uid. */
function withoutProvenance(events: readonly ConnectionEvent[]): Partial<ConnectionEvent>[] {
  return events
    .map((event) => ({ ...event, sourcefile: undefined, sourceline: undefined }))
    .sort((a, b) => String(a.uid).localeCompare(String(b.uid)));
}

describe('zeek-json files with mixed log types', () => {
  test('dns first, then conn records', async () => {
    const folder = await tempFolder();
    const conn = Array.from({ length: 400 }, (_, index) => connRecord(`CMixed${index}`, index));
    const path = await writeLines(folder, 'export.json', [dnsRecord('CDns0', 0), ...conn]);

    const { events, summary } = await importPaths([path]);

    expect(summary.eventsRead).toBe(400);
    expect(events).toHaveLength(400);
    expect(events[0]?.uid).toBe('CMixed0');
    expect(events[0]?.sourceline).toBe(2);
    expect(summary.files[0]?.status).toBe('loaded');
    expect(summary.files[0]?.message).toBe('1 dns query to name connections');
    expect(summary.linesSkipped).toBe(0);
  });

  test('dns after conn is not loaded as connections', async () => {
    const folder = await tempFolder();
    const conn = [connRecord('CConn0', 0), connRecord('CConn1', 1)];
    const other = [dnsRecord('CDns0', 2), weirdRecord('CWeird0', 3), dnsRecord('CDns1', 4)];
    const path = await writeLines(folder, 'conn.log', [...conn, ...other]);

    const { events, summary } = await importPaths([path]);

    expect(events.map((event) => event.uid)).toEqual(['CConn0', 'CConn1']);
    expect(summary.files[0]?.message).toBe(
      '2 dns queries to name connections; 1 record of other Zeek logs (weird) ignored',
    );
    expect(summary.linesSkipped).toBe(0);
  });

  test('only other logs are ignored', async () => {
    const folder = await tempFolder();
    const x509 = JSON.stringify({ _path: 'x509', ts: 1713520800, id: 'FCert0', 'certificate.version': 3 });
    const path = await writeLines(folder, 'export.json', [x509, weirdRecord('CWeird0', 1)]);

    const { summary } = await importPaths([path]);

    expect(summary.files[0]?.status).toBe('ignored');
    expect(summary.files[0]?.format).toBe('zeek-json');
    expect(summary.files[0]?.message).toBe('Zeek weird and x509 logs, not used');
  });

  test('conn, ssl and http in one file join as in three', async () => {
    const conn = [connRecord('CJoin0', 0), connRecord('CJoin1', 1), connRecord('CJoin2', 2)];
    const ssl = [sslRecord('CJoin0', 0, 'c2.example.com'), sslRecord('CJoin1', 1, 'cdn.example.net')];
    const http = [httpRecord('CJoin2', 2, 'update.example.org:8080')];
    const separate = await tempFolder();
    await writeLines(separate, 'conn.log', conn);
    await writeLines(separate, 'ssl.log', ssl);
    await writeLines(separate, 'http.log', http);
    const mixed = await tempFolder();
    // Interleaved, with a log type that is not used, as a pipeline that merges Zeek's streams writes them.
    const lines = [ssl[0], dnsRecord('CDns0', 0), conn[0], http[0], conn[1], ssl[1], conn[2]] as string[];
    const path = await writeLines(mixed, 'zeek.json', lines);

    const fromSeparate = await importPaths([separate]);
    const fromMixed = await importPaths([path]);

    expect(fromMixed.events).toHaveLength(3);
    expect(withoutProvenance(fromMixed.events)).toEqual(withoutProvenance(fromSeparate.events));
    expect(eventByUid(fromMixed.events, 'CJoin0').servername).toBe('c2.example.com');
    expect(eventByUid(fromMixed.events, 'CJoin2').servername).toBe('update.example.org');
    expect(eventByUid(fromMixed.events, 'CJoin2').useragent).toBe('agent/1.0');
    expect(eventByUid(fromMixed.events, 'CJoin0').sourceline).toBe(3);
    expect(fromMixed.summary.files[0]?.message).toBe(
      '2 ssl records to join by uid; 1 http record to join by uid; 1 dns query to name connections',
    );
  });

  test('bad lines of each log type are reported once', async () => {
    const folder = await tempFolder();
    const noUid = JSON.parse(sslRecord('CGone', 1, 'lost.example.com')) as Record<string, unknown>;
    delete noUid['uid'];
    const noTimestamp = JSON.parse(connRecord('CNoTs', 2)) as Record<string, unknown>;
    delete noTimestamp['ts'];
    const path = await writeLines(folder, 'zeek.json', [
      connRecord('CGood', 0),
      JSON.stringify(noUid),
      '{"_path":"conn","ts":1713520800.0,"uid":"CCut",',
      JSON.stringify(noTimestamp),
      sslRecord('CGood', 3, 'ok.example.com'),
    ]);

    const { events, summary } = await importPaths([path]);

    expect(events.map((event) => event.uid)).toEqual(['CGood']);
    expect(events[0]?.servername).toBe('ok.example.com');
    expect(summary.files[0]?.skipped).toBe(3);
    expect(summary.skippedByReason).toEqual({
      'missing uid': 1,
      'invalid JSON': 1,
      'invalid or missing timestamp (ts)': 1,
    });
    expect(summary.samples.map((sample) => sample.line).sort()).toEqual([2, 3, 4]);
  });

  test('first record without id fields', async () => {
    const folder = await tempFolder();
    const x509 = JSON.stringify({ _path: 'x509', ts: 1713520800, id: 'FCert0', 'certificate.version': 3 });
    const path = await writeLines(folder, 'zeek.json', [x509, connRecord('CAfterCert', 1)]);

    const { events, summary } = await importPaths([path]);

    expect(summary.files[0]?.format).toBe('zeek-json');
    expect(events.map((event) => event.uid)).toEqual(['CAfterCert']);
    expect(summary.files[0]?.message).toBe('1 record of other Zeek logs (x509) ignored');
  });

  test('unmarked records follow the file name', async () => {
    const folder = await tempFolder();
    const unmarked = JSON.parse(connRecord('CNoPath', 1)) as Record<string, unknown>;
    delete unmarked['_path'];
    const path = await writeLines(folder, 'conn.log', [
      dnsRecord('CDns0', 0),
      JSON.stringify(unmarked),
      connRecord('CWithPath', 2),
    ]);

    const { events } = await importPaths([path]);

    expect(events.map((event) => event.uid)).toEqual(['CNoPath', 'CWithPath']);
  });

  test.skipIf(!HAS_SHARED_DATA)('Security-Datasets streams in one file', async () => {
    const capture = (name: string) => sharedPath(`zeek-json/otrf-apt29-day2/${name}`);
    // UTICA-ONE-DRIVE's ssl.log is the one of this capture with server names to join.
    const names = ['NEWYORK_dns.log', 'UTICA-ONE-DRIVE_ssl.log', 'UTICA-ONE-DRIVE_conn.log'];
    const folder = await tempFolder();
    const parts = await Promise.all(names.map((name) => readFile(capture(name), 'utf8')));
    const path = await writeLines(
      folder,
      'apt29-day2.json',
      parts.map((part) => part.trimEnd()),
    );

    const fromSeparate = await importPaths(names.map(capture));
    const fromMixed = await importPaths([path]);

    expect(fromMixed.summary.eventsRead).toBe(64);
    expect(withoutProvenance(fromMixed.events)).toEqual(withoutProvenance(fromSeparate.events));
    expect(fromMixed.events.filter((event) => event.servername !== null).length).toBeGreaterThan(0);
    expect(fromMixed.summary.files[0]?.message).toBe(
      '59 ssl records to join by uid; 153 dns queries to name connections',
    );
  });
});
