import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, test } from 'vitest';

import { fixturePath, skippedLines } from '../../../test/format-helpers.js';
import { HAS_SHARED_DATA, sharedPath } from '../../../test/shared-data.js';
import type { ConnectionEvent } from '../../model/event.js';
import { renderSummary } from '../../report/summary.js';
import { DuckDbStore } from '../../store/duckdb.js';
import { DNS_NAME_MAX_AGE_MS } from '../finalize.js';
import { detectFormat } from '../formats.js';
import { importFiles } from '../import.js';
import { sniffFile } from '../sniff.js';

const naming = (name: string): string => fixturePath('zeek', `dns-naming/${name}`);

const folders: string[] = [];

afterEach(async () => {
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function tempFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-zeek-dns-'));
  folders.push(folder);
  return folder;
}

interface DnsQueryRow {
  starttime: number;
  sourceip: string;
  resolverip: string;
  query: string | null;
  qtype: string | null;
  rcode: string | null;
  answers: string[] | null;
  uid: string | null;
  transactionid: number | null;
  sourcefile: string;
  sourceline: number;
}

/** Imports paths into a new in-memory store and returns the summary, events and dns_queries rows. */
async function importPaths(paths: string[]) {
  const store = await DuckDbStore.open();
  try {
    const report = await importFiles(store, paths);
    const events = await store.all<ConnectionEvent>('SELECT * FROM events ORDER BY sourcefile, sourceline');
    const dns = await store.all<DnsQueryRow>('SELECT * FROM dns_queries ORDER BY sourcefile, sourceline');
    return { summary: report.summary(), events, dns };
  } finally {
    await store.close();
  }
}

function eventByUid(events: readonly ConnectionEvent[], uid: string): ConnectionEvent {
  const event = events.find((candidate) => candidate.uid === uid);
  if (event === undefined) throw new Error(`no event with uid ${uid}`);
  return event;
}

describe('zeek dns.log TSV', () => {
  test('detected as zeek-tsv', async () => {
    expect(detectFormat(await sniffFile(naming('dns.log')))?.id).toBe('zeek-tsv');
  });

  test('loads queries, not events', async () => {
    const path = naming('dns.log');
    const { summary, events, dns } = await importPaths([path]);

    expect(events).toHaveLength(0);
    expect(summary.files[0]?.status).toBe('loaded');
    expect(summary.files[0]?.events).toBe(0);
    expect(summary.files[0]?.message).toBe('5 dns queries to name connections');
    expect(dns).toHaveLength(5);
    expect(dns[0]).toEqual({
      starttime: 1713520800000,
      sourceip: '10.0.0.5',
      resolverip: '10.0.0.53',
      query: 'c2.example.com',
      qtype: 'A',
      rcode: 'NOERROR',
      answers: ['edge.example.net', '203.0.113.7'],
      uid: 'CDns1',
      transactionid: 4242,
      sourcefile: path,
      sourceline: 9,
    });
  });

  test('NXDOMAIN and unanswered queries', async () => {
    const { dns } = await importPaths([naming('dns.log')]);

    const nxdomain = dns.find((row) => row.query === 'missing.example.com');
    expect(nxdomain?.rcode).toBe('NXDOMAIN');
    expect(nxdomain?.answers).toEqual([]);
    const unanswered = dns.find((row) => row.query === 'lost.example.com');
    expect(unanswered?.rcode).toBeNull();
    expect(unanswered?.answers).toBeNull();
  });

  test('IPv6 client and answer', async () => {
    const { dns } = await importPaths([naming('dns.log')]);

    const row = dns.find((candidate) => candidate.qtype === 'AAAA');
    expect(row?.sourceip).toBe('fd00::5');
    expect(row?.resolverip).toBe('fd00::53');
    expect(row?.answers).toEqual(['2001:db8::7']);
  });

  test('summary lists no note per dns.log', async () => {
    const { summary } = await importPaths([naming('conn.log'), naming('dns.log')]);

    const text = renderSummary(summary, summary.eventsRead, 100);
    expect(text).not.toContain('note:');
    expect(text).toContain('skipped 1 line: wrong field count');
  });

  test('malformed lines are rejected with their line', async () => {
    const path = naming('dns.log');
    const { summary } = await importPaths([path]);

    expect(summary.files[0]?.skipped).toBe(3);
    expect(skippedLines(summary)).toEqual([
      '14: invalid or missing timestamp (ts)',
      '15: invalid address (id.orig_h or id.resp_h)',
      '16: wrong field count',
    ]);
    for (const sample of summary.samples) expect(sample.file).toBe(path);
  });

  test('custom set separator splits answers', async () => {
    const folder = await tempFolder();
    const path = join(folder, 'dns.log');
    const text = await readFile(naming('dns.log'), 'utf8');
    const lines = text.split('\n').map((line) => {
      if (line.startsWith('#set_separator')) return '#set_separator\t|';
      return line.replace(
        'edge.example.net,203.0.113.7\t300.000000,60.000000',
        'edge.example.net|203.0.113.7\t300.0|60.0',
      );
    });
    await writeFile(path, lines.join('\n'));

    const { dns } = await importPaths([path]);

    expect(dns[0]?.answers).toEqual(['edge.example.net', '203.0.113.7']);
  });
});

describe('zeek dns.log JSON', () => {
  test('loads with the same columns', async () => {
    const path = fixturePath('zeek', 'json-dns-dotted.log');
    const { summary, dns } = await importPaths([path]);

    expect(summary.files[0]?.format).toBe('zeek-json');
    expect(summary.files[0]?.message).toBe('3 dns queries to name connections');
    expect(dns[0]?.answers).toEqual(['edge.example.net', '203.0.113.7']);
    expect(dns[0]?.transactionid).toBe(4242);
    expect(dns[0]?.sourceline).toBe(1);
  });

  test('numeric qtype and rcode without names', async () => {
    const { dns } = await importPaths([fixturePath('zeek', 'json-dns-dotted.log')]);

    const row = dns.find((candidate) => candidate.uid === 'CJDns2');
    expect(row?.sourceip).toBe('fd00::5');
    expect(row?.qtype).toBe('28');
    expect(row?.rcode).toBe('3');
    expect(row?.answers).toEqual([]);
  });

  test('answers flattened to text are split', async () => {
    const { dns } = await importPaths([fixturePath('zeek', 'json-dns-dotted.log')]);

    const row = dns.find((candidate) => candidate.uid === 'CJDns7');
    expect(row?.starttime).toBe(Date.UTC(2024, 3, 19, 10, 0, 7));
    expect(row?.answers).toEqual(['flat-cdn.example.net', '192.0.2.5']);
  });

  test('malformed lines are rejected with their line', async () => {
    const { summary } = await importPaths([fixturePath('zeek', 'json-dns-dotted.log')]);

    expect(skippedLines(summary)).toEqual([
      '3: invalid JSON',
      '4: missing address (id.orig_h or id.resp_h)',
      '5: invalid address (id.orig_h or id.resp_h)',
      '6: invalid or missing timestamp (ts)',
    ]);
  });
});

describe('server names from DNS answers', () => {
  test('names conn events after a lookup', async () => {
    const { events } = await importPaths([naming('conn.log'), naming('dns.log')]);

    expect(eventByUid(events, 'CSameMs').servername).toBe('c2.example.com');
    expect(eventByUid(events, 'CFirst').servername).toBe('c2.example.com');
  });

  test('no name before the lookup', async () => {
    const { events } = await importPaths([naming('conn.log'), naming('dns.log')]);

    expect(eventByUid(events, 'CBefore').servername).toBeNull();
  });

  test('the newest answer wins', async () => {
    const { events } = await importPaths([naming('conn.log'), naming('dns.log')]);

    expect(eventByUid(events, 'CSecond').servername).toBe('other.example.org');
  });

  test('answers expire after the limit', async () => {
    expect(DNS_NAME_MAX_AGE_MS).toBe(3_600_000);
    const { events } = await importPaths([naming('conn.log'), naming('dns.log')]);

    // Exactly one hour after the lookup, then one millisecond later.
    expect(eventByUid(events, 'CLimit').servername).toBe('other.example.org');
    expect(eventByUid(events, 'CStale').servername).toBeNull();
  });

  test('only the client that looked up', async () => {
    const { events } = await importPaths([naming('conn.log'), naming('dns.log')]);

    expect(eventByUid(events, 'COther').servername).toBeNull();
    expect(eventByUid(events, 'CDnsFlow').servername).toBeNull();
  });

  test('IPv6 name is lower-cased', async () => {
    const { events } = await importPaths([naming('conn.log'), naming('dns.log')]);

    expect(eventByUid(events, 'CV6').servername).toBe('v6.example.com');
  });

  test('TLS server name takes precedence', async () => {
    const folder = await tempFolder();
    await copyFile(naming('conn.log'), join(folder, 'conn.log'));
    await copyFile(naming('dns.log'), join(folder, 'dns.log'));
    const ssl = [
      '#separator \\x09',
      '#path\tssl',
      '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tcipher\tserver_name',
      '1713520850.100000\tCFirst\t10.0.0.5\t50002\t203.0.113.7\t443\tTLSv13\tTLS_AES_128_GCM_SHA256\tsni.example.com',
    ];
    await writeFile(join(folder, 'ssl.log'), `${ssl.join('\n')}\n`);

    const { events } = await importPaths([folder]);

    expect(eventByUid(events, 'CFirst').servername).toBe('sni.example.com');
    expect(eventByUid(events, 'CSecond').servername).toBe('other.example.org');
  });

  test('order of files does not matter', async () => {
    const conn = await importPaths([naming('conn.log'), naming('dns.log')]);
    const dns = await importPaths([naming('dns.log'), naming('conn.log')]);

    const names = (events: readonly ConnectionEvent[]) =>
      Object.fromEntries(events.map((event) => [event.uid, event.servername]));
    expect(names(dns.events)).toEqual(names(conn.events));
  });

  test('a later import names stored events', async () => {
    const folder = await tempFolder();
    const database = join(folder, 'dataset.duckdb');
    const first = await DuckDbStore.open(database);
    await importFiles(first, [naming('conn.log')]);
    await first.close();

    const store = await DuckDbStore.open(database);
    try {
      await importFiles(store, [naming('dns.log')]);
      const events = await store.all<ConnectionEvent>('SELECT * FROM events');
      expect(eventByUid(events, 'CFirst').servername).toBe('c2.example.com');
    } finally {
      await store.close();
    }
  });

  test.skipIf(!HAS_SHARED_DATA)('apt29 day 2 NEWYORK dns and conn', async () => {
    const capture = (name: string) => sharedPath(`zeek-json/otrf-apt29-day2/${name}`);

    const { summary, events, dns } = await importPaths([
      capture('NEWYORK_dns.log'),
      capture('NEWYORK_conn.log'),
    ]);

    expect(summary.linesSkipped).toBe(0);
    expect(dns).toHaveLength(153);
    const ctldl = dns.find((row) => row.query === 'ctldl.windowsupdate.com' && row.answers !== null);
    expect(ctldl?.answers).toEqual([
      'audownload.windowsupdate.nsatc.net',
      'au.download.windowsupdate.com.edgesuite.net',
      'a767.dscg3.akamai.net',
      '23.62.7.160',
      '23.62.7.146',
    ]);
    // NEWYORK's sensor logged connections to the domain controller only, so the names come from its
    // A records. None of this conn.log's destinations is a windowsupdate address.
    const named = events.filter((event) => event.servername !== null);
    expect(named).toHaveLength(181);
    expect(new Set(named.map((event) => event.servername))).toEqual(
      new Set(['newyork.dmevals.local', 'dmevals.local']),
    );
    expect(events.filter((event) => event.destinationip.startsWith('23.62.7.'))).toHaveLength(0);
  });

  test.skipIf(!HAS_SHARED_DATA)('apt29 day 2 names internet hosts', async () => {
    const capture = (name: string) => sharedPath(`zeek-json/otrf-apt29-day2/${name}`);

    // UTICA-ONE-DRIVE's conn.log without its ssl.log: every name comes from NEWYORK's DNS answers.
    const { events } = await importPaths([capture('NEWYORK_dns.log'), capture('UTICA-ONE-DRIVE_conn.log')]);

    const names = new Map(events.map((event) => [event.destinationip, event.servername]));
    expect(names.get('13.107.42.12')).toBe('d.docs.live.net');
    expect(names.get('40.90.137.116')).toBe('nexus.passport.com');
    expect(events.filter((event) => event.servername !== null)).toHaveLength(10);
  });
});
