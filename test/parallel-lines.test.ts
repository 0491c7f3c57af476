/**
 * Line-oriented files parsed by worker threads. The worker script exists only in the build, so this test
 * runs the built modules (`npm test` builds dist/ first) and compares a parallel load with a serial one.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type * as ImportModule from '../src/ingest/import.js';
import type * as StoreModule from '../src/store/duckdb.js';
import type { ConnectionEvent } from '../src/model/event.js';
import { REPOSITORY_ROOT } from './shared-data.js';

const built = async <T>(module: string): Promise<T> =>
  (await import(pathToFileURL(join(REPOSITORY_ROOT, 'dist', module)).href)) as T;

/** Start of the rt values: each event's rt is this plus its line number, so the two can be compared. */
const RT_BASE = 1_713_700_000_000;

/** Builds a CEF file with events, damaged lines, blank lines, CRLF endings and invalid UTF-8. */
function cefFile(lines: number): Buffer {
  const parts: Buffer[] = [];
  for (let line = 1; line <= lines; line += 1) {
    let text = `CEF:0|Example|Firewall|1.0|100|Allowed|3|rt=${RT_BASE + line} src=10.0.${line % 200}.1 spt=${40000 + (line % 1000)} dst=203.0.113.${line % 250} dpt=443 proto=TCP`;
    if (line % 97 === 0) text = 'CEF:0|Example|Firewall|1.0';
    if (line % 89 === 0) text = '';
    if (line % 83 === 0) text = `CEF:0|Example|Firewall|1.0|200|Login|3|rt=${RT_BASE + line} suser=alice`;
    let ending = line % 5 === 0 ? '\r\n' : '\n';
    if (line === lines) ending = '';
    // 0xc3 0x28 is not valid UTF-8: the line is skipped.
    if (line % 1_001 === 0) parts.push(Buffer.from([0xc3, 0x28]));
    parts.push(Buffer.from(text + ending));
  }
  return Buffer.concat(parts);
}

interface Loaded {
  events: ConnectionEvent[];
  summary: unknown;
}

let folder: string;
let path: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'beaconhunt-parallel-'));
  path = join(folder, 'firewall.cef');
  await writeFile(path, cefFile(20_000));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function load(parallelMinBytes: number): Promise<Loaded> {
  const { importFiles } = await built<typeof ImportModule>('ingest/import.js');
  const { DuckDbStore } = await built<typeof StoreModule>('store/duckdb.js');
  const store = await DuckDbStore.open();
  try {
    const report = await importFiles(store, [path], { parallelMinBytes });
    const events = await store.all<ConnectionEvent>('SELECT * FROM events ORDER BY sourceline');
    return { events, summary: report.summary() };
  } finally {
    await store.close();
  }
}

describe('parsing in worker threads', () => {
  test('gives the events and skipped lines of a serial load', async () => {
    if (availableParallelism() < 2) console.log('one core: both loads run on the main thread');
    const serial = await load(Number.MAX_SAFE_INTEGER);
    const parallel = await load(1_024);

    expect(parallel.summary).toEqual(serial.summary);
    expect(parallel.events).toEqual(serial.events);
  });

  test('numbers each event with its line', async () => {
    const { events } = await load(1_024);

    const misnumbered = events.filter((event) => event.starttime - RT_BASE !== event.sourceline);
    expect(events.length).toBeGreaterThan(18_000);
    expect(misnumbered).toEqual([]);
  });
});
