import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterEach, describe, expect, test } from 'vitest';

import { StrictModeError } from '../errors.js';
import type { ConnectionEvent } from '../model/event.js';
import { LocalNetworks } from '../net/locality.js';
import { DuckDbStore } from '../store/duckdb.js';
import { IngestReport } from './report.js';
import { sniffFile } from './sniff.js';
import { loadTextLines } from './text-stream.js';

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** Builds a Squid native access.log line, which the squid line parser loads as one event. */
function squidLine(seconds: number): string {
  return `${seconds}.250    120 10.1.2.3 TCP_TUNNEL/200 5120 CONNECT c2.example.net:443 - HIER_DIRECT/203.0.113.7 -`;
}

async function load(content: Buffer, name = 'toy.log', strict = false) {
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-text-'));
  const store = await DuckDbStore.open();
  cleanups.push(async () => {
    await store.close();
    await rm(folder, { recursive: true, force: true });
  });
  const path = join(folder, name);
  await writeFile(path, content);
  const sample = await sniffFile(path);
  const report = new IngestReport(strict);
  const result = await loadTextLines(
    { store, sample, report, localNetworks: new LocalNetworks() },
    { formatId: 'squid', sourcefile: path, referenceMs: 0 },
  );
  const events = await store.all<ConnectionEvent>('SELECT * FROM events ORDER BY sourceline');
  return { result, events, summary: report.summary() };
}

// Squid passes over a request with an error: URL, which has no server host.
const TEXT = [
  '1713520800.100    0 10.1.2.3 NONE/400 3900 NONE error:invalid-request - HIER_NONE/- text/html',
  squidLine(1713520801),
  '',
  'broken',
  `${squidLine(1713520802)}\r`,
  '',
].join('\n');

describe('loadTextLines', () => {
  test('loads, rejects and passes over lines with their numbers', async () => {
    const { result, events, summary } = await load(Buffer.from(TEXT));

    expect(result).toEqual({ events: 2, skipped: 1, ignored: 1 });
    expect(events.map((event) => event.sourceline)).toEqual([2, 5]);
    // Squid logs the end of a request; the start is 120 ms earlier.
    expect(events[1]?.starttime).toBe(1713520802130);
    expect(summary.samples).toEqual([expect.objectContaining({ line: 4 })]);
  });

  test('reads gzip the same way', async () => {
    const { result } = await load(gzipSync(Buffer.from(TEXT)), 'toy.log.gz');

    expect(result).toEqual({ events: 2, skipped: 1, ignored: 1 });
  });

  test('invalid UTF-8 rejects only its line', async () => {
    const content = Buffer.concat([
      Buffer.from(`${squidLine(1713520801)}\n1713520802.250    120 10.1.2.`),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(
        ` TCP_TUNNEL/200 5120 CONNECT c2.example.net:443 - HIER_DIRECT/203.0.113.7 -\n${squidLine(1713520803)}\n`,
      ),
    ]);
    const { result, summary } = await load(content);

    expect(result.events).toBe(2);
    expect(summary.skippedByReason).toEqual({ 'invalid UTF-8': 1 });
    expect(summary.samples[0]?.line).toBe(2);
  });

  test('strict mode fails on the first rejected line', async () => {
    await expect(load(Buffer.from(TEXT), 'toy.log', true)).rejects.toBeInstanceOf(StrictModeError);
  });
});
