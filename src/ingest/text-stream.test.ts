import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterEach, describe, expect, test } from 'vitest';

import { StrictModeError } from '../errors.js';
import { emptyEvent, type ConnectionEvent } from '../model/event.js';
import { LocalNetworks } from '../net/locality.js';
import { DuckDbStore } from '../store/duckdb.js';
import { IngestReport } from './report.js';
import { sniffFile } from './sniff.js';
import { loadTextLines, type ParsedLine } from './text-stream.js';

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** Parses "time source destination port"; "#" lines are passed over. */
function toyParser(file: string) {
  return (line: string, lineNumber: number): ParsedLine => {
    if (line.startsWith('#')) return null;
    const [time, source, destination, port] = line.split(' ');
    if (time === undefined || source === undefined || destination === undefined || port === undefined) {
      return { reject: 'wrong field count' };
    }
    const event = emptyEvent(file, lineNumber);
    event.starttime = Number(time);
    event.sourceip = source;
    event.destinationip = destination;
    event.destinationport = Number(port);
    return event;
  };
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
    toyParser(path),
  );
  const events = await store.all<ConnectionEvent>('SELECT * FROM events ORDER BY sourceline');
  return { result, events, summary: report.summary() };
}

const TEXT = [
  '# header',
  '1000 10.0.0.1 192.0.2.1 443',
  '',
  'broken',
  '2000 10.0.0.1 192.0.2.1 443\r',
  '',
].join('\n');

describe('loadTextLines', () => {
  test('loads, rejects and passes over lines with their numbers', async () => {
    const { result, events, summary } = await load(Buffer.from(TEXT));

    expect(result).toEqual({ events: 2, skipped: 1, ignored: 1 });
    expect(events.map((event) => event.sourceline)).toEqual([2, 5]);
    expect(events[1]?.starttime).toBe(2000);
    expect(summary.samples).toEqual([expect.objectContaining({ line: 4, reason: 'wrong field count' })]);
  });

  test('reads gzip the same way', async () => {
    const { result } = await load(gzipSync(Buffer.from(TEXT)), 'toy.log.gz');

    expect(result).toEqual({ events: 2, skipped: 1, ignored: 1 });
  });

  test('invalid UTF-8 rejects only its line', async () => {
    const content = Buffer.concat([
      Buffer.from('1000 10.0.0.1 192.0.2.1 443\n1500 10.0.0.'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(' 192.0.2.1 443\n2000 10.0.0.1 192.0.2.1 443\n'),
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
