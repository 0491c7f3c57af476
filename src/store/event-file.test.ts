import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { emptyEvent, EVENT_COLUMN_NAMES, type ConnectionEvent } from '../model/event.js';
import { DuckDbStore } from './duckdb.js';
import { eventLine } from './event-file.js';

/** Returns an event with a distinct value in every column, so that a line that swaps two columns is caught. */
function distinctEvent(): ConnectionEvent {
  return {
    starttime: 1_700_000_000_001,
    sourceip: '10.0.0.2',
    sourceport: 3,
    destinationip: '203.0.113.4',
    destinationport: 5,
    username: 'user6',
    eventdirection: 'L2R',
    protocol: 'tcp',
    service: 'service9',
    sourcebytes: 10,
    destinationbytes: 11,
    duration: 12.5,
    connstate: 'SF',
    servername: 'server14.example',
    uri: '/uri15',
    useragent: 'agent16',
    processimage: 'C:\\image17.exe',
    logsource: 'source18',
    eventcount: 19,
    uid: 'uid20',
    sourcefile: 'file21.log',
    sourceline: 22,
  };
}

describe('eventLine', () => {
  it('writes the fields in the order of the events table', () => {
    const event = distinctEvent();
    const fields = eventLine(event).slice(0, -1).split('\t');
    expect(fields).toEqual(EVENT_COLUMN_NAMES.map((name) => String(event[name])));
  });

  it('writes NULL as an empty field and quotes an empty string', () => {
    const event = { ...emptyEvent('f', 1), username: '' };
    const fields = eventLine(event).slice(0, -1).split('\t');
    expect(fields[EVENT_COLUMN_NAMES.indexOf('username')]).toBe('""');
    expect(fields[EVENT_COLUMN_NAMES.indexOf('uri')]).toBe('');
  });

  it('rounds fractions in integer columns and drops values that are not finite', () => {
    const event = {
      ...emptyEvent('f', 1),
      sourcebytes: 10.6,
      destinationbytes: Number.NaN,
      duration: Infinity,
    };
    const fields = eventLine(event).slice(0, -1).split('\t');
    expect(fields[EVENT_COLUMN_NAMES.indexOf('sourcebytes')]).toBe('11');
    expect(fields[EVENT_COLUMN_NAMES.indexOf('destinationbytes')]).toBe('');
    expect(fields[EVENT_COLUMN_NAMES.indexOf('duration')]).toBe('');
  });
});

describe('DuckDbStore event sink', () => {
  let store: DuckDbStore;
  beforeEach(async () => {
    store = await DuckDbStore.open();
  });
  afterEach(async () => {
    await store.close();
  });

  async function roundTrip(events: readonly ConnectionEvent[]): Promise<ConnectionEvent[]> {
    await store.run('DELETE FROM events');
    await store.appendEvents(events);
    return store.all<ConnectionEvent>('SELECT * FROM events ORDER BY sourceline');
  }

  it('loads every column back as it was written', async () => {
    const event = distinctEvent();
    expect(await roundTrip([event])).toEqual([event]);
  });

  it('keeps tabs, quotes, line breaks, empty strings and non-ASCII text in strings', async () => {
    const event = {
      ...distinctEvent(),
      uri: '/a\tb"c"\r\nd',
      useragent: '"',
      username: '',
      servername: 'bücher.example',
      processimage: 'C:\\Program Files\\x.exe',
    };
    expect(await roundTrip([event])).toEqual([event]);
  });

  it('loads a string longer than the write buffer', async () => {
    const event = { ...distinctEvent(), uri: `/${'a'.repeat(3 << 20)}` };
    const [loaded] = await roundTrip([event]);
    expect(loaded?.uri).toHaveLength(event.uri.length);
  });

  it('loads events across several staging files in order', async () => {
    const events = Array.from({ length: 600_000 }, (_unused, index) => ({
      ...emptyEvent('f', index + 1),
      starttime: index,
      sourceip: '10.0.0.1',
      destinationip: '10.0.0.2',
    }));
    await store.appendEvents(events);
    const [summary] = await store.all<{ events: number; mismatched: number }>(
      'SELECT count(*) AS events, count(*) FILTER (WHERE starttime <> sourceline - 1) AS mismatched FROM events',
    );
    expect(summary).toEqual({ events: 600_000, mismatched: 0 });
  });

  it('loads nothing and leaves no rows when the sink is discarded unfinished', async () => {
    const sink = store.openEventSink();
    sink.add(distinctEvent());
    sink.discard();
    expect(await store.all('SELECT * FROM events')).toEqual([]);
  });

  it('reads back any strings and numbers it writes', async () => {
    const optionalText = fc.option(fc.string({ unit: 'grapheme', maxLength: 40 }), { nil: null });
    const optionalInteger = fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { nil: null });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ uri: optionalText, useragent: optionalText, sourcebytes: optionalInteger }), {
          minLength: 1,
          maxLength: 20,
        }),
        async (records) => {
          const events = records.map((record, index) => ({ ...emptyEvent('f', index + 1), ...record }));
          const loaded = await roundTrip(events);
          expect(loaded.map(({ uri, useragent, sourcebytes }) => ({ uri, useragent, sourcebytes }))).toEqual(
            records,
          );
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('staging file with one sourcefile', () => {
  it('fills in the sourcefile the lines leave out', async () => {
    const store = await DuckDbStore.open();
    try {
      const sink = store.openEventSink('file21.log');
      sink.add(distinctEvent());
      await sink.finish();
      sink.discard();
      const [loaded] = await store.all<ConnectionEvent>('SELECT * FROM events');
      expect(loaded).toEqual(distinctEvent());
    } finally {
      await store.close();
    }
  });

  it('refuses an event from another file', async () => {
    const store = await DuckDbStore.open();
    try {
      const sink = store.openEventSink('other.log');
      expect(() => sink.add(distinctEvent())).toThrow(/file21.log/);
      sink.discard();
    } finally {
      await store.close();
    }
  });
});
