import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, test } from 'vitest';

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
    expect(zeekJsonLogKind({ _path: 'dns' }, '/logs/conn.log')).toBe('other');
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

  test('other @stream logs are ignored', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-zeek-json-'));
    folders.push(folder);
    await copyFile(fixture('json-conn-underscore.log'), join(folder, 'UTICA-A_conn.log'));
    await copyFile(fixture('json-dns-underscore.log'), join(folder, 'NEWYORK_dns.log'));

    const { summary } = await importPaths([folder]);

    const dns = summary.files.find((file) => file.path === join(folder, 'NEWYORK_dns.log'));
    expect(dns?.status).toBe('ignored');
    expect(dns?.format).toBe('zeek-json');
    expect(dns?.message).toBe('Zeek dns log, not used');
    expect(summary.eventsRead).toBe(2);
  });
});
