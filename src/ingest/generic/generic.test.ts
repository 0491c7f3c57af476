import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';

import { InputError, UsageError } from '../../errors.js';
import type { ConnectionEvent } from '../../model/event.js';
import { DuckDbStore } from '../../store/duckdb.js';
import { importFiles, type ImportOptions } from '../import.js';
import { parseMapping, parseTimeFormat, requireCompleteMapping } from './mapping.js';

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function load(name: string, content: string, options: ImportOptions) {
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-generic-'));
  const store = await DuckDbStore.open();
  cleanups.push(async () => {
    await store.close();
    await rm(folder, { recursive: true, force: true });
  });
  const path = join(folder, name);
  await writeFile(path, content);
  const summary = (await importFiles(store, [path], options)).summary();
  const events = await store.all<ConnectionEvent>('SELECT * FROM events ORDER BY sourceline');
  return { path, summary, events };
}

describe('parseMapping', () => {
  test('pairs from several values', () => {
    expect(parseMapping(['starttime=ts,sourceip=src', 'destinationip = dst'])).toEqual({
      starttime: 'ts',
      sourceip: 'src',
      destinationip: 'dst',
    });
  });

  test.each(['starttime', 'starttime=', '=ts', 'a=b=c', 'bogus=x', 'sourcefile=path'])(
    'rejects %s',
    (text) => {
      expect(() => parseMapping([text])).toThrow(UsageError);
    },
  );

  test('complete mappings name time and both addresses', () => {
    expect(() => requireCompleteMapping({ starttime: 'ts', sourceip: 'src' })).toThrow(
      /missing destinationip/,
    );
  });

  test('any column=field pair round-trips', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('starttime', 'sourceip', 'destinationip', 'username', 'servername'),
        fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.$-]{0,20}$/),
        (column, field) => {
          expect(parseMapping([`${column}=${field}`])).toEqual({ [column]: field });
        },
      ),
    );
  });
});

describe('parseTimeFormat', () => {
  test.each(['auto', 'epoch-s', 'epoch-ms', 'epoch-us', 'iso'])('%s', (name) => {
    expect(parseTimeFormat(name)).toBe(name);
  });

  test('strptime patterns', () => {
    expect(parseTimeFormat('%d/%m/%Y %H:%M:%S')).toEqual({ pattern: '%d/%m/%Y %H:%M:%S' });
  });

  test('anything else is a usage error', () => {
    expect(() => parseTimeFormat('seconds')).toThrow(UsageError);
  });
});

const MAPPING = {
  starttime: 'time',
  sourceip: 'src',
  destinationip: 'dst',
  destinationport: 'dport',
  username: 'user',
};

describe('generic-csv', () => {
  test('loads mapped columns and rejects bad lines with their numbers', async () => {
    const content = [
      'time,src,dst,dport,user',
      '1713520800,10.1.2.3,203.0.113.7,443,alice',
      '1713520860,2001:db8::3,2001:db8::7,443,',
      'yesterday,10.1.2.3,203.0.113.7,443,alice',
      '1713520920,10.1.2.3,not-an-address,443,alice',
      '1713520980,10.1.2.3,203.0.113.7,99999,alice',
      '1713521040,10.1.2.3',
      '',
    ].join('\n');

    const { summary, events } = await load('flows.csv', content, { mapping: MAPPING, timeFormat: 'epoch-s' });

    expect(
      events.map((event) => [event.sourceline, event.starttime, event.sourceip, event.username]),
    ).toEqual([
      [2, 1_713_520_800_000, '10.1.2.3', 'alice'],
      [3, 1_713_520_860_000, '2001:db8::3', null],
    ]);
    expect(events[0]?.logsource).toBe('generic-csv');
    expect(summary.samples.map((sample) => [sample.line, sample.reason])).toEqual([
      [4, 'invalid or missing start time (time)'],
      [5, 'invalid or missing destination address (dst)'],
      [6, 'invalid port (dport)'],
      [7, 'wrong field count'],
    ]);
  });

  test('strptime pattern for the start time', async () => {
    const content = 'when,src,dst\n19/04/2024 10:00:00,10.1.2.3,203.0.113.7\n';

    const { events } = await load('flows.csv', content, {
      mapping: { starttime: 'when', sourceip: 'src', destinationip: 'dst' },
      timeFormat: { pattern: '%d/%m/%Y %H:%M:%S' },
    });

    expect(events[0]?.starttime).toBe(Date.UTC(2024, 3, 19, 10));
  });

  test('a mapped column missing from the header is an InputError', async () => {
    const error = await load('flows.csv', 'a,b,c\n1,2,3\n', { mapping: MAPPING }).catch(
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toContain(
      'the header has no column "time" named in --map starttime=time',
    );
  });
});

describe('generic-jsonl', () => {
  test('top-level keys and JSON paths', async () => {
    const content = [
      '{"ts": "2024-04-19T10:00:00Z", "net": {"src": "10.1.2.3", "dst": "203.0.113.7"}, "port": 8443}',
      'not json',
      '{"ts": "2024-04-19T10:01:00+02:00", "net": {"src": "10.1.2.3", "dst": "203.0.113.7"}, "port": 8443}',
      '',
    ].join('\n');

    const { summary, events } = await load('flows.json', content, {
      mapping: {
        starttime: 'ts',
        sourceip: '$.net.src',
        destinationip: '$.net.dst',
        destinationport: 'port',
      },
    });

    expect(events.map((event) => [event.starttime, event.destinationport])).toEqual([
      [Date.UTC(2024, 3, 19, 10), 8443],
      [Date.UTC(2024, 3, 19, 8, 1), 8443],
    ]);
    expect(summary.samples.map((sample) => [sample.line, sample.reason])).toEqual([[2, 'invalid JSON']]);
  });

  test('without a mapping the file is of unknown format', async () => {
    const error = await load('flows.json', '{"a": 1}\n', {}).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toContain('unknown format');
  });
});
