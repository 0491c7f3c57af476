import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { DuckDbStore } from '../store/duckdb.js';
import { importFiles } from './import.js';

let folder: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'beaconhunt-keep-alive-'));
  const conn = [
    '#separator \\x09',
    '#path\tconn',
    '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state',
    '1700000000.000000\tCKeep1\t10.0.0.5\t50000\t203.0.113.9\t80\ttcp\thttp\t20.5\t900\t3000\tSF',
    '1700000100.000000\tCOne1\t10.0.0.5\t50001\t203.0.113.9\t80\ttcp\thttp\t0.2\t300\t1000\tSF',
  ];
  const http = [
    '#separator \\x09',
    '#path\thttp',
    '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tmethod\thost\turi\tuser_agent',
    '1700000000.010000\tCKeep1\t10.0.0.5\t50000\t203.0.113.9\t80\tGET\tc2.example:80\t/pixel.gif\tUA-1',
    '1700000005.020000\tCKeep1\t10.0.0.5\t50000\t203.0.113.9\t80\tGET\tc2.example:80\t/pixel.gif\tUA-1',
    '1700000010.030000\tCKeep1\t10.0.0.5\t50000\t203.0.113.9\t80\tGET\tc2.example\t/submit.php\tUA-2',
    '1700000100.010000\tCOne1\t10.0.0.5\t50001\t203.0.113.9\t80\tGET\tother.example\t/\tUA-1',
  ];
  await writeFile(join(folder, 'conn.log'), `${conn.join('\n')}\n`);
  await writeFile(join(folder, 'http.log'), `${http.join('\n')}\n`);
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

interface Row {
  starttime: number;
  uid: string;
  servername: string;
  uri: string;
  useragent: string;
  logsource: string;
  sourcefile: string;
}

async function rows(store: DuckDbStore): Promise<Row[]> {
  return store.all<Row>(
    'SELECT starttime, uid, servername, uri, useragent, logsource, sourcefile FROM events ORDER BY starttime',
  );
}

describe('requests on a keep-alive connection', () => {
  test('each request after the first is an event of its own', async () => {
    const store = await DuckDbStore.open();
    try {
      await importFiles(store, [folder]);
      const events = await rows(store);

      expect(
        events.map((event) => [event.starttime, event.uid, event.servername, event.uri, event.logsource]),
      ).toEqual([
        [1_700_000_000_000, 'CKeep1', 'c2.example', '/pixel.gif', 'zeek-tsv'],
        [1_700_000_005_020, 'CKeep1', 'c2.example', '/pixel.gif', 'zeek-tsv:http-request'],
        [1_700_000_010_030, 'CKeep1', 'c2.example', '/submit.php', 'zeek-tsv:http-request'],
        [1_700_000_100_000, 'COne1', 'other.example', '/', 'zeek-tsv'],
      ]);
      // The added requests keep the connection's provenance, so undoing its file removes them too.
      expect(new Set(events.map((event) => event.sourcefile))).toEqual(new Set([join(folder, 'conn.log')]));
    } finally {
      await store.close();
    }
  });

  test('importing into a saved dataset again adds no request twice', async () => {
    const db = join(folder, 'dataset.duckdb');
    const first = await DuckDbStore.open(db);
    try {
      await importFiles(first, [join(folder, 'conn.log'), join(folder, 'http.log')]);
    } finally {
      await first.close();
    }
    const second = await DuckDbStore.open(db);
    try {
      await writeFile(join(folder, 'extra.log'), '#separator \\x09\n#path\tweird\n#fields\tts\tname\n');
      await importFiles(second, [join(folder, 'extra.log')]);
      expect(await rows(second)).toHaveLength(4);
    } finally {
      await second.close();
    }
  });
});

describe('requests on a keep-alive connection in a saved dataset', () => {
  test('two requests in one millisecond both stay when the folder is imported again', async () => {
    const dataset = await mkdtemp(join(tmpdir(), 'beaconhunt-keep-alive-db-'));
    const logs = join(dataset, 'logs');
    const db = join(dataset, 'saved.duckdb');
    try {
      const conn = [
        '#separator \\x09',
        '#path\tconn',
        '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state',
        '1700000000.000000\tCSame1\t10.0.0.5\t50000\t203.0.113.9\t80\ttcp\thttp\t20.5\t900\t3000\tSF',
      ];
      const http = [
        '#separator \\x09',
        '#path\thttp',
        '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tmethod\thost\turi\tuser_agent',
        '1700000000.010000\tCSame1\t10.0.0.5\t50000\t203.0.113.9\t80\tGET\tc2.example\t/first\tUA-1',
        '1700000005.020000\tCSame1\t10.0.0.5\t50000\t203.0.113.9\t80\tGET\tc2.example\t/a\tUA-1',
        '1700000005.020400\tCSame1\t10.0.0.5\t50000\t203.0.113.9\t80\tGET\tc2.example\t/b\tUA-1',
      ];
      await mkdir(logs);
      await writeFile(join(logs, 'conn.log'), `${conn.join('\n')}\n`);
      await writeFile(join(logs, 'http.log'), `${http.join('\n')}\n`);
      const counts: number[] = [];
      for (let run = 0; run < 2; run += 1) {
        const store = await DuckDbStore.open(db);
        try {
          const report = await importFiles(store, [logs]);
          expect(report.duplicatesDropped).toBe(0);
          const [row] = await store.all<{ n: number }>('SELECT count(*) AS n FROM events');
          counts.push(row?.n ?? 0);
        } finally {
          await store.close();
        }
      }
      // The connection with its first request, and the two later requests of the same millisecond.
      expect(counts).toEqual([3, 3]);
    } finally {
      await rm(dataset, { recursive: true, force: true });
    }
  });
});
