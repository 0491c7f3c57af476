/**
 * The QRadar T1071 rule query, verbatim, against the qradar-t1071 detector: both must return the same rows in
 * the same order on the bundled QRadar sample, on a fixture built around the rule's boundaries, and on
 * random event sets.
 */
import { readFileSync } from 'node:fs';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { newestEventTime } from '../detect/detector.js';
import { DEFAULT_QRADAR_T1071_OPTIONS, qradarT1071Detector } from '../detect/qradar-t1071.js';
import { importFiles } from '../ingest/import.js';
import { emptyEvent, type ConnectionEvent } from '../model/event.js';
import { DEFAULT_LOCAL_NETWORKS, LocalNetworks } from '../net/locality.js';
import { DuckDbStore } from '../store/duckdb.js';
import { compileAql } from './compile.js';
import { parseAql } from './parser.js';
import { runCompiled } from './run.js';

const RULE_QUERY = readFileSync(new URL('./testdata/qradar-t1071.aql', import.meta.url), 'utf8');
const SAMPLE = new URL('../../samples/qradar/qradar-results.json', import.meta.url).pathname;

async function ruleRows(store: DuckDbStore, now: number): Promise<unknown[]> {
  return runCompiled(store, compileAql(parseAql(RULE_QUERY), RULE_QUERY, { now }));
}

async function detectorRows(store: DuckDbStore, now: number): Promise<unknown[]> {
  return qradarT1071Detector.run({ store, now }, { ...DEFAULT_QRADAR_T1071_OPTIONS });
}

function event(fields: Partial<ConnectionEvent> & { starttime: number }): ConnectionEvent {
  return {
    ...emptyEvent('fixture', 1),
    sourceip: '10.0.0.1',
    destinationip: '203.0.113.10',
    destinationport: 443,
    username: 'alice',
    eventdirection: 'L2R',
    ...fields,
  };
}

function series(
  first: number,
  gapMs: number,
  count: number,
  fields: Partial<ConnectionEvent>,
): ConnectionEvent[] {
  return Array.from({ length: count }, (_, index) => event({ ...fields, starttime: first + index * gapMs }));
}

describe('T1071 rule query on the QRadar sample', () => {
  let store: DuckDbStore;
  let now: number;

  beforeAll(async () => {
    store = await DuckDbStore.open();
    await importFiles(store, [SAMPLE], {
      localNetworks: new LocalNetworks(DEFAULT_LOCAL_NETWORKS),
      strict: false,
    });
    now = (await newestEventTime(store)) as number;
  });
  afterAll(async () => store.close());

  it('returns the detector rows', async () => {
    const expected = await detectorRows(store, now);
    expect(expected.length).toBe(4);
    expect(await ruleRows(store, now)).toEqual(expected);
  });

  it('returns the beacon with its exact values', async () => {
    const [first] = await ruleRows(store, now);
    expect(first).toEqual({
      sourceip: '10.20.1.15',
      destinationip: '203.0.113.50',
      destinationport: 443,
      userName: 'CORP\\jdoe',
      ConnectionCount: 1600,
      FirstSeenEpochMs: 1793577619054,
      LastSeenEpochMs: 1793663977246,
      AvgIntervalMs: (1793663977246 - 1793577619054) / 1599,
    });
  });

  it('matches the detector at an earlier now', async () => {
    const earlier = now - 12 * 3_600_000;
    const expected = await detectorRows(store, earlier);
    expect(expected.length).toBeGreaterThan(0);
    expect(await ruleRows(store, earlier)).toEqual(expected);
  });
});

describe('T1071 rule query on a boundary fixture', () => {
  const NOW = Date.UTC(2024, 0, 2);
  const T0 = NOW - 20 * 3_600_000;
  let store: DuckDbStore;

  beforeAll(async () => {
    store = await DuckDbStore.open();
    const ports = DEFAULT_QRADAR_T1071_OPTIONS.ports;
    const events = [
      // Every port in the rule's list, each from its own source: all reported.
      ...ports.flatMap((port, index) =>
        series(T0, 60_000, 11, { sourceip: `10.0.1.${index}`, destinationport: port }),
      ),
      // Count boundary: 10 connections are not reported.
      ...series(T0, 60_000, 10, { sourceip: '10.0.2.1' }),
      // Mean-gap boundaries: 1000 and 3600000 pass, 999 and 3600001 do not.
      ...series(T0, 1_000, 12, { sourceip: '10.0.2.2' }),
      ...series(T0, 999, 12, { sourceip: '10.0.2.3' }),
      ...series(T0 - 4 * 3_600_000, 3_600_000, 12, { sourceip: '10.0.2.4', destinationip: '198.51.100.1' }),
      ...series(T0 - 4 * 3_600_000, 3_600_001, 11, { sourceip: '10.0.2.5', destinationip: '198.51.100.1' }),
      // Excluded and kept destinations, other ports and directions.
      ...[
        '10.9.9.9',
        '172.16.0.1',
        '172.31.255.1',
        '192.168.1.1',
        '127.0.0.1',
        '172.32.0.1',
        '169.254.1.1',
        '2001:db8::1',
      ].flatMap((destinationip) => series(T0, 30_000, 11, { sourceip: '10.0.3.1', destinationip })),
      ...series(T0, 30_000, 11, { sourceip: '10.0.3.2', destinationport: 6667 }),
      ...series(T0, 30_000, 11, { sourceip: '10.0.3.3', eventdirection: 'R2L' }),
      ...series(T0, 30_000, 11, { sourceip: '10.0.3.4', eventdirection: null }),
      // A NULL user groups apart from a named one.
      ...series(T0, 45_000, 13, { sourceip: '10.0.3.5', username: null }),
      ...series(T0, 45_000, 11, { sourceip: '10.0.3.5', username: 'bob' }),
      // At the window edges: the first at exactly now - 24 h is outside, the last at now is inside.
      ...series(NOW - 86_400_000, 60_000, 11, { sourceip: '10.0.4.1' }),
      ...series(NOW - 600_000, 60_000, 11, { sourceip: '10.0.4.2' }),
      ...series(NOW + 1, 60_000, 11, { sourceip: '10.0.4.3' }),
    ];
    await store.appendEvents(events);
  });
  afterAll(async () => store.close());

  it.each([
    ['now', 0],
    ['now - 6 h', -6 * 3_600_000],
    ['now - 19 h 55 min', -(19 * 60 + 55) * 60_000],
    ['now + 1 h', 3_600_000],
  ])('matches the detector at %s', async (_name, offset) => {
    const at = NOW + offset;
    expect(await ruleRows(store, at)).toEqual(await detectorRows(store, at));
  });

  it('reports the expected groups at now', async () => {
    const rows = (await ruleRows(store, NOW)) as { sourceip: string; destinationip: string }[];
    const keys = rows.map((row) => `${row.sourceip} ${row.destinationip}`);
    expect(keys).toHaveLength(11 + 2 + 3 + 2 + 1);
    expect(keys).toContain('10.0.3.1 172.32.0.1');
    expect(keys).toContain('10.0.3.1 169.254.1.1');
    expect(keys).toContain('10.0.3.1 2001:db8::1');
    expect(keys).not.toContain('10.0.3.1 127.0.0.1');
    expect(keys).not.toContain('10.0.2.1 203.0.113.10');
    expect(keys).not.toContain('10.0.2.3 203.0.113.10');
    expect(keys).not.toContain('10.0.2.5 198.51.100.1');
  });
});

describe('T1071 rule query on random events', () => {
  const DAY = 86_400_000;
  const BASE = Date.UTC(2024, 0, 1);
  /** 30 connections 400 s apart, the longest burst generated below. */
  const MAX_BURST_MS = 30 * 400_000;

  const eventArbitrary = fc.record({
    starttime: fc.integer({ min: BASE + DAY, max: BASE + 2 * DAY }),
    sourceip: fc.constantFrom('10.0.0.1', '10.0.0.2'),
    destinationip: fc.constantFrom('203.0.113.1', '203.0.113.1', '10.1.1.1', '172.20.0.1', 'fe80::1'),
    destinationport: fc.constantFrom(443, 443, 53, 6667, null),
    username: fc.constantFrom('alice', null),
    eventdirection: fc.constantFrom('L2R', 'L2R', 'L2R', 'R2L', null),
  });

  it('always returns the detector rows', async () => {
    const store = await DuckDbStore.open();
    try {
      await fc.assert(
        fc.asyncProperty(
          // Bursts of one key make groups large enough to pass "> 10" often. Repeated choices in the
          // value lists make the rule's port, direction and a public destination likely.
          fc.array(
            fc.tuple(eventArbitrary, fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 400_000 })),
            {
              maxLength: 12,
            },
          ),
          // Half of the runs end the window after every event, where most groups fall inside it.
          fc.oneof(
            fc.integer({ min: BASE, max: BASE + 2 * DAY }),
            fc.constant(BASE + 2 * DAY + MAX_BURST_MS),
          ),
          async (bursts, now) => {
            await store.run('DELETE FROM events');
            const events = bursts.flatMap(([fields, count, gap]) =>
              series(fields.starttime, gap, count, fields),
            );
            if (events.length > 0) await store.appendEvents(events);
            expect(await ruleRows(store, now)).toEqual(await detectorRows(store, now));
          },
        ),
        { numRuns: 200 },
      );
    } finally {
      await store.close();
    }
  });
});
