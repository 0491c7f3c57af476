import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { afterEach, describe, expect, test } from 'vitest';

import { cleanUpFormatTests, fixturePath, writeTemp } from '../../../test/format-helpers.js';
import type { ConnectionEvent } from '../../model/event.js';
import { DuckDbStore } from '../../store/duckdb.js';
import { detectFormat } from '../formats.js';
import { importFiles } from '../import.js';
import { sniffFile } from '../sniff.js';

const fixture = (name: string): string => fixturePath('zeek', `open-conn/${name}`);

const folders: string[] = [];

afterEach(async () => {
  await cleanUpFormatTests();
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function tempFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-open-conn-'));
  folders.push(folder);
  return folder;
}

async function eventsOf(store: DuckDbStore): Promise<ConnectionEvent[]> {
  return store.all<ConnectionEvent>('SELECT * FROM events ORDER BY uid');
}

describe('zeek open_conn.log', () => {
  test('loads as conn events', async () => {
    expect(detectFormat(await sniffFile(fixture('open_conn.log')))?.id).toBe('zeek-tsv');
    const store = await DuckDbStore.open();
    try {
      const report = await importFiles(store, [fixture('open_conn.log')]);

      // The two snapshots of COpen1 are one connection.
      expect(report.summary().files[0]?.events).toBe(3);
      expect(report.summary().duplicatesDropped).toBe(1);
      const events = await eventsOf(store);
      expect(events.map((event) => [event.uid, event.duration, event.connstate])).toEqual([
        ['COpen1', 7200, 'S1'],
        ['COpen2', 3600, 'S1'],
      ]);
    } finally {
      await store.close();
    }
  });

  test('final conn.log row replaces snapshots', async () => {
    // The snapshot's path sorts first, as in hourly folders, so file order alone would keep it.
    const folder = await tempFolder();
    const snapshot = join(folder, '2024-04-19', 'open_conn.log');
    const final = join(folder, '2024-04-20', 'conn.log');
    await mkdir(dirname(snapshot));
    await mkdir(dirname(final));
    await copyFile(fixture('open_conn.log'), snapshot);
    await copyFile(fixture('conn.log'), final);
    const store = await DuckDbStore.open();
    try {
      const report = await importFiles(store, [folder]);

      expect(report.summary().duplicatesDropped).toBe(2);
      const events = await eventsOf(store);
      expect(events.map((event) => event.uid)).toEqual(['CDone', 'COpen1', 'COpen2']);
      const finalEvent = events.find((event) => event.uid === 'COpen1');
      expect(finalEvent?.duration).toBe(9000.5);
      expect(finalEvent?.connstate).toBe('SF');
      expect(finalEvent?.sourcebytes).toBe(2500);
      expect(finalEvent?.destinationbytes).toBe(5000);
      expect(finalEvent?.sourcefile).toBe(final);
    } finally {
      await store.close();
    }
  });

  test('final row in a later import', async () => {
    const folder = await tempFolder();
    const database = join(folder, 'dataset.duckdb');
    const snapshot = join(folder, 'a', 'open_conn.log');
    const final = join(folder, 'b', 'conn.log');
    await mkdir(dirname(snapshot));
    await mkdir(dirname(final));
    await copyFile(fixture('open_conn.log'), snapshot);
    await copyFile(fixture('conn.log'), final);
    const first = await DuckDbStore.open(database);
    try {
      await importFiles(first, [snapshot]);
    } finally {
      await first.close();
    }

    const store = await DuckDbStore.open(database);
    try {
      const report = await importFiles(store, [final]);

      expect(report.summary().duplicatesDropped).toBe(1);
      const events = await eventsOf(store);
      expect(events).toHaveLength(3);
      const finalEvent = events.find((event) => event.uid === 'COpen1');
      expect(finalEvent?.duration).toBe(9000.5);
      expect(finalEvent?.connstate).toBe('SF');
    } finally {
      await store.close();
    }
  });

  test('JSON open_conn records', async () => {
    const record = (duration: number, state: string) =>
      JSON.stringify({
        _path: duration > 8000 ? 'conn' : 'open_conn',
        ts: 1713520800.0,
        uid: 'CJsonOpen',
        'id.orig_h': '10.0.0.5',
        'id.orig_p': 50200,
        'id.resp_h': '203.0.113.9',
        'id.resp_p': 443,
        proto: 'tcp',
        duration,
        conn_state: state,
      });
    const path = await writeTemp('zeek.json', `${[record(3600, 'S1'), record(9000, 'SF')].join('\n')}\n`);
    const store = await DuckDbStore.open();
    try {
      const report = await importFiles(store, [path]);

      expect(report.summary().files[0]?.events).toBe(2);
      const events = await eventsOf(store);
      expect(events.map((event) => [event.uid, event.duration, event.connstate])).toEqual([
        ['CJsonOpen', 9000, 'SF'],
      ]);
    } finally {
      await store.close();
    }
  });
});
