import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { UsageError } from '../errors.js';
import { emptyEvent, type ConnectionEvent } from '../model/event.js';
import { DuckDbStore } from '../store/duckdb.js';
import {
  DEFAULT_QRADAR_T1071_OPTIONS,
  qradarT1071Detector,
  type QradarT1071Finding,
  type QradarT1071Options,
} from './qradar-t1071.js';

// The expected rows in the golden file were computed by hand from the fixture below, not copied from output.
const GOLDEN_DEFAULT: QradarT1071Finding[] = JSON.parse(
  readFileSync(new URL('../../test/golden/qradar-t1071/default.json', import.meta.url), 'utf8'),
);

const NOW = Date.UTC(2024, 0, 2); // 1704153600000, 2024-01-02T00:00:00Z
const DAY_MS = 86_400_000;
const T0 = NOW - 20 * 3_600_000; // 1704081600000, the first connection of most groups

interface Group {
  source: string;
  destination: string;
  port: number | null;
  user?: string | null;
  direction?: string | null;
  times: number[];
}

function evenTimes(first: number, gapMs: number, count: number): number[] {
  return Array.from({ length: count }, (_, index) => first + index * gapMs);
}

/** Connections with the gaps listed, starting at `first`. */
function timesWithGaps(first: number, gaps: number[]): number[] {
  const times = [first];
  for (const gap of gaps) times.push((times.at(-1) ?? first) + gap);
  return times;
}

/** Eleven connections a minute apart from T0: a group that passes every default threshold. */
const BEACON_11 = evenTimes(T0, 60_000, 11);

const FIXTURE: Group[] = [
  // Count boundary: 11 connections pass "> 10", 10 do not.
  { source: '10.0.0.1', destination: '203.0.113.10', port: 443, user: 'alice', times: BEACON_11 },
  {
    source: '10.0.0.2',
    destination: '203.0.113.10',
    port: 443,
    user: 'alice',
    times: evenTimes(T0, 60_000, 10),
  },

  // Mean-gap boundaries: exactly 1000 and 3600000 pass, 999 and 3600001 fail.
  {
    source: '10.0.0.3',
    destination: '203.0.113.11',
    port: 80,
    user: 'alice',
    times: evenTimes(T0, 1_000, 12),
  },
  { source: '10.0.0.4', destination: '203.0.113.11', port: 80, user: 'alice', times: evenTimes(T0, 999, 12) },
  {
    source: '10.0.0.5',
    destination: '203.0.113.12',
    port: 8443,
    user: 'alice',
    times: evenTimes(T0, 3_600_000, 12),
  },
  {
    source: '10.0.0.6',
    destination: '203.0.113.12',
    port: 8443,
    user: 'alice',
    times: evenTimes(T0, 3_600_001, 11),
  },
  // Fractional means: 36000005 / 10 = 3600000.5 fails the maximum (it would pass under integer division),
  // and 10005 / 10 = 1000.5 passes and is reported with its fraction.
  {
    source: '10.0.0.6',
    destination: '203.0.113.14',
    port: 8443,
    user: 'alice',
    times: timesWithGaps(T0, [...Array<number>(9).fill(3_600_000), 3_600_005]),
  },
  {
    source: '10.0.0.7',
    destination: '203.0.113.13',
    port: 53,
    user: 'alice',
    times: timesWithGaps(T0, [...Array<number>(9).fill(1_000), 1_005]),
  },

  // A NULL user is its own group beside a named user on the same source, destination and port.
  {
    source: '10.0.0.8',
    destination: '198.51.100.20',
    port: 443,
    user: null,
    times: evenTimes(T0, 30_000, 13),
  },
  {
    source: '10.0.0.8',
    destination: '198.51.100.20',
    port: 443,
    user: 'bob',
    times: evenTimes(T0, 45_000, 11),
  },

  // Destinations the rule excludes as private, then ones its text prefixes miss.
  ...['10.1.2.3', '172.16.0.1', '172.20.0.5', '172.31.0.1', '192.168.1.1', '127.0.0.1'].map(
    (destination): Group => ({ source: '10.0.0.9', destination, port: 443, user: 'alice', times: BEACON_11 }),
  ),
  // FE80::1 is stored in upper case, as some sources write IPv6.
  ...['172.32.0.5', '169.254.169.254', '100.64.0.1', '2001:db8::1', 'FE80::1'].map((destination): Group => ({
    source: '10.0.0.9',
    destination,
    port: 443,
    user: 'alice',
    times: BEACON_11,
  })),

  // A port outside the list, and a missing port.
  { source: '10.0.3.1', destination: '203.0.113.40', port: 6667, user: 'alice', times: BEACON_11 },
  { source: '10.0.3.5', destination: '203.0.113.40', port: null, user: 'alice', times: BEACON_11 },

  // Directions other than L2R, and a missing direction.
  {
    source: '10.0.3.2',
    destination: '203.0.113.41',
    port: 443,
    user: 'alice',
    direction: 'R2L',
    times: BEACON_11,
  },
  {
    source: '10.0.3.3',
    destination: '203.0.113.41',
    port: 443,
    user: 'alice',
    direction: 'L2L',
    times: BEACON_11,
  },
  {
    source: '10.0.3.4',
    destination: '203.0.113.41',
    port: 443,
    user: 'alice',
    direction: null,
    times: BEACON_11,
  },

  // Window edges. The first connection of 10.0.1.1 sits exactly at now - 24h and is outside (strict >),
  // which leaves 10. The group of 10.0.1.2 starts 1 ms later and keeps all 11. 10.0.1.3 ends exactly at
  // now (inside). 10.0.1.4 has 10 connections up to now and an 11th 1 ms after it, which is outside.
  // 10.0.1.5 lies entirely after now.
  {
    source: '10.0.1.1',
    destination: '203.0.113.20',
    port: 443,
    user: 'alice',
    times: evenTimes(NOW - DAY_MS, 60_000, 11),
  },
  {
    source: '10.0.1.2',
    destination: '203.0.113.20',
    port: 443,
    user: 'alice',
    times: evenTimes(NOW - DAY_MS + 1, 60_000, 11),
  },
  {
    source: '10.0.1.3',
    destination: '203.0.113.20',
    port: 443,
    user: 'alice',
    times: evenTimes(NOW - 600_000, 60_000, 11),
  },
  {
    source: '10.0.1.4',
    destination: '203.0.113.20',
    port: 443,
    user: 'alice',
    times: [...evenTimes(NOW - 540_000, 60_000, 10), NOW + 1],
  },
  {
    source: '10.0.1.5',
    destination: '203.0.113.20',
    port: 443,
    user: 'alice',
    times: evenTimes(NOW + 60_000, 60_000, 11),
  },

  // Ties in ConnectionCount: ports sort as numbers (80, 443, 8080), and a NULL user sorts after a name.
  ...[8080, 443, 80].map((port): Group => ({
    source: '10.0.2.1',
    destination: '203.0.113.30',
    port,
    user: 'dave',
    times: BEACON_11,
  })),
  { source: '10.0.2.2', destination: '203.0.113.31', port: 443, user: null, times: BEACON_11 },
  { source: '10.0.2.2', destination: '203.0.113.31', port: 443, user: 'erin', times: BEACON_11 },
];

function fixtureEvents(groups: readonly Group[]): ConnectionEvent[] {
  const events: ConnectionEvent[] = [];
  for (const group of groups) {
    for (const starttime of group.times) {
      const event = emptyEvent('fixture', events.length + 1);
      event.starttime = starttime;
      event.sourceip = group.source;
      event.destinationip = group.destination;
      event.destinationport = group.port;
      event.username = group.user ?? null;
      event.eventdirection = group.direction === undefined ? 'L2R' : group.direction;
      event.protocol = 'tcp';
      events.push(event);
    }
  }
  return events;
}

function finding(
  sourceip: string,
  destinationip: string,
  destinationport: number,
  userName: string | null,
  ConnectionCount: number,
  FirstSeenEpochMs: number,
  LastSeenEpochMs: number,
  AvgIntervalMs: number,
): QradarT1071Finding {
  return {
    sourceip,
    destinationip,
    destinationport,
    userName,
    ConnectionCount,
    FirstSeenEpochMs,
    LastSeenEpochMs,
    AvgIntervalMs,
  };
}

type GroupKey = [sourceip: string, destinationip: string, destinationport: number, userName: string | null];

function rowFor(rows: readonly QradarT1071Finding[], [source, destination, port, user]: GroupKey) {
  return rows.find(
    (row) =>
      row.sourceip === source &&
      row.destinationip === destination &&
      row.destinationport === port &&
      row.userName === user,
  );
}

describe('qradarT1071Detector', () => {
  let store: DuckDbStore;
  let defaultRows: QradarT1071Finding[];

  async function run(overrides: Partial<QradarT1071Options> = {}, now = NOW): Promise<QradarT1071Finding[]> {
    return qradarT1071Detector.run({ store, now }, { ...DEFAULT_QRADAR_T1071_OPTIONS, ...overrides });
  }

  beforeAll(async () => {
    store = await DuckDbStore.open();
    await store.appendEvents(fixtureEvents(FIXTURE));
    defaultRows = await run();
  });

  afterAll(async () => {
    await store.close();
  });

  describe('default options', () => {
    it('matches the golden rows in order', () => {
      expect(defaultRows).toEqual(GOLDEN_DEFAULT);
    });

    it('reports 11 connections, not 10', () => {
      expect(rowFor(defaultRows, ['10.0.0.1', '203.0.113.10', 443, 'alice'])?.ConnectionCount).toBe(11);
      expect(rowFor(defaultRows, ['10.0.0.2', '203.0.113.10', 443, 'alice'])).toBeUndefined();
    });

    it('reports mean gaps of 1000 and 3600000 ms', () => {
      expect(rowFor(defaultRows, ['10.0.0.3', '203.0.113.11', 80, 'alice'])?.AvgIntervalMs).toBe(1_000);
      expect(rowFor(defaultRows, ['10.0.0.5', '203.0.113.12', 8443, 'alice'])?.AvgIntervalMs).toBe(3_600_000);
    });

    it('drops mean gaps of 999 and 3600001 ms', () => {
      expect(rowFor(defaultRows, ['10.0.0.4', '203.0.113.11', 80, 'alice'])).toBeUndefined();
      expect(rowFor(defaultRows, ['10.0.0.6', '203.0.113.12', 8443, 'alice'])).toBeUndefined();
    });

    it('divides the mean gap exactly', () => {
      expect(rowFor(defaultRows, ['10.0.0.7', '203.0.113.13', 53, 'alice'])?.AvgIntervalMs).toBe(1_000.5);
      // 3600000.5 ms exceeds the maximum; integer division would give 3600000 and report it.
      expect(rowFor(defaultRows, ['10.0.0.6', '203.0.113.14', 8443, 'alice'])).toBeUndefined();
    });

    it('groups a NULL user apart from a named user', () => {
      const nullUser = rowFor(defaultRows, ['10.0.0.8', '198.51.100.20', 443, null]);
      const bob = rowFor(defaultRows, ['10.0.0.8', '198.51.100.20', 443, 'bob']);
      expect(nullUser?.ConnectionCount).toBe(13);
      expect(nullUser?.AvgIntervalMs).toBe(30_000);
      expect(bob?.ConnectionCount).toBe(11);
      expect(bob?.AvgIntervalMs).toBe(45_000);
    });

    it.each(['10.1.2.3', '172.16.0.1', '172.20.0.5', '172.31.0.1', '192.168.1.1', '127.0.0.1'])(
      'excludes private destination %s',
      (destination) => {
        expect(rowFor(defaultRows, ['10.0.0.9', destination, 443, 'alice'])).toBeUndefined();
      },
    );

    it.each(['172.32.0.5', '169.254.169.254', '100.64.0.1', '2001:db8::1', 'FE80::1'])(
      'keeps destination %s that the prefixes miss',
      (destination) => {
        expect(rowFor(defaultRows, ['10.0.0.9', destination, 443, 'alice'])?.ConnectionCount).toBe(11);
      },
    );

    it('drops port 6667 and a missing port', () => {
      expect(defaultRows.filter((row) => row.destinationip === '203.0.113.40')).toEqual([]);
    });

    it('drops R2L, L2L and missing directions', () => {
      expect(defaultRows.filter((row) => row.destinationip === '203.0.113.41')).toEqual([]);
    });

    it('excludes an event exactly at the window start', () => {
      expect(rowFor(defaultRows, ['10.0.1.1', '203.0.113.20', 443, 'alice'])).toBeUndefined();
    });

    it('includes an event 1 ms inside the window start', () => {
      expect(rowFor(defaultRows, ['10.0.1.2', '203.0.113.20', 443, 'alice'])?.FirstSeenEpochMs).toBe(
        NOW - DAY_MS + 1,
      );
    });

    it('includes an event exactly at now', () => {
      expect(rowFor(defaultRows, ['10.0.1.3', '203.0.113.20', 443, 'alice'])?.LastSeenEpochMs).toBe(NOW);
    });

    it('excludes events after now', () => {
      expect(rowFor(defaultRows, ['10.0.1.4', '203.0.113.20', 443, 'alice'])).toBeUndefined();
      expect(rowFor(defaultRows, ['10.0.1.5', '203.0.113.20', 443, 'alice'])).toBeUndefined();
    });

    it('orders by count descending', () => {
      const counts = defaultRows.map((row) => row.ConnectionCount);
      expect(counts).toEqual([13, 12, 12, ...Array<number>(15).fill(11)]);
    });

    it('breaks count ties by port as a number', () => {
      const ports = defaultRows
        .filter((row) => row.sourceip === '10.0.2.1')
        .map((row) => row.destinationport);
      expect(ports).toEqual([80, 443, 8080]);
    });

    it('sorts a NULL user after a named one', () => {
      const users = defaultRows.filter((row) => row.sourceip === '10.0.2.2').map((row) => row.userName);
      expect(users).toEqual(['erin', null]);
    });

    it('returns the same rows on a second run', async () => {
      expect(await run()).toEqual(defaultRows);
    });
  });

  describe('custom options', () => {
    it('minCount 9 adds the groups of 10', async () => {
      const rows = await run({ minCount: 9 });
      expect(rows).toHaveLength(GOLDEN_DEFAULT.length + 3);
      expect(rows).toContainEqual(
        finding('10.0.0.2', '203.0.113.10', 443, 'alice', 10, T0, 1704082140000, 60_000),
      );
      expect(rows).toContainEqual(
        finding('10.0.1.1', '203.0.113.20', 443, 'alice', 10, 1704067260000, 1704067800000, 60_000),
      );
      expect(rows).toContainEqual(
        finding('10.0.1.4', '203.0.113.20', 443, 'alice', 10, 1704153060000, 1704153600000, 60_000),
      );
    });

    it('wider interval bounds add the boundary groups', async () => {
      const rows = await run({ minIntervalMs: 999, maxIntervalMs: 3_600_001 });
      expect(rows).toHaveLength(GOLDEN_DEFAULT.length + 3);
      expect(rows).toContainEqual(
        finding('10.0.0.4', '203.0.113.11', 80, 'alice', 12, T0, 1704081610989, 999),
      );
      expect(rows).toContainEqual(
        finding('10.0.0.6', '203.0.113.12', 8443, 'alice', 11, T0, 1704117600010, 3_600_001),
      );
      expect(rows).toContainEqual(
        finding('10.0.0.6', '203.0.113.14', 8443, 'alice', 11, T0, 1704117600005, 3_600_000.5),
      );
    });

    it('ports [6667] reports only that port', async () => {
      expect(await run({ ports: [6667] })).toEqual([
        finding('10.0.3.1', '203.0.113.40', 6667, 'alice', 11, T0, 1704082200000, 60_000),
      ]);
    });

    it('direction R2L reports only inbound', async () => {
      expect(await run({ direction: 'R2L' })).toEqual([
        finding('10.0.3.2', '203.0.113.41', 443, 'alice', 11, T0, 1704082200000, 60_000),
      ]);
    });

    it('windowMs of 1 h keeps the last hour', async () => {
      expect(await run({ windowMs: 3_600_000 })).toEqual([
        finding('10.0.1.3', '203.0.113.20', 443, 'alice', 11, 1704153000000, 1704153600000, 60_000),
      ]);
    });

    it('an earlier now moves the window', async () => {
      // The window (T0 - 1 h, T0] holds only the first connection of the port-53 group. A single
      // connection has a mean gap of 0, so it passes only with minCount 0 and minIntervalMs 0.
      const rows = await run({ ports: [53], windowMs: 3_600_000, minCount: 0, minIntervalMs: 0 }, T0);
      expect(rows).toEqual([finding('10.0.0.7', '203.0.113.13', 53, 'alice', 1, T0, T0, 0)]);
    });

    it('an empty exclusion list keeps private destinations', async () => {
      const rows = await run({ excludedDestinationPrefixes: [] });
      expect(rows).toHaveLength(GOLDEN_DEFAULT.length + 6);
      for (const destination of [
        '10.1.2.3',
        '172.16.0.1',
        '172.20.0.5',
        '172.31.0.1',
        '192.168.1.1',
        '127.0.0.1',
      ]) {
        expect(rowFor(rows, ['10.0.0.9', destination, 443, 'alice'])?.ConnectionCount).toBe(11);
      }
    });

    it('matches exclusion prefixes case-insensitively', async () => {
      const rows = await run({ excludedDestinationPrefixes: ['2001:DB8:', 'fe80:'] });
      expect(rows).toHaveLength(GOLDEN_DEFAULT.length - 2 + 6);
      expect(rowFor(rows, ['10.0.0.9', '2001:db8::1', 443, 'alice'])).toBeUndefined();
      expect(rowFor(rows, ['10.0.0.9', 'FE80::1', 443, 'alice'])).toBeUndefined();
      expect(rowFor(rows, ['10.0.0.9', '10.1.2.3', 443, 'alice'])?.ConnectionCount).toBe(11);
    });

    it('treats LIKE wildcards in a prefix as text', async () => {
      const rows = await run({ excludedDestinationPrefixes: ['%', '_0.'] });
      expect(rows).toHaveLength(GOLDEN_DEFAULT.length + 6);
    });

    it('binds a prefix with SQL syntax as a value', async () => {
      const injection = "');DROP/**/TABLE/**/events;--";
      const rows = await run({ excludedDestinationPrefixes: [injection] });
      expect(rows).toHaveLength(GOLDEN_DEFAULT.length + 6);
      const [count] = await store.all<{ events: number }>('SELECT COUNT(*) AS events FROM events');
      expect(count?.events).toBe(fixtureEvents(FIXTURE).length);
    });
  });

  describe('option validation', () => {
    it.each<[string, Partial<QradarT1071Options>]>([
      ['empty ports', { ports: [] }],
      ['port above 65535', { ports: [65_536] }],
      ['negative port', { ports: [-1] }],
      ['fractional port', { ports: [443.5] }],
      ['NaN port', { ports: [Number.NaN] }],
      ['zero window', { windowMs: 0 }],
      ['fractional window', { windowMs: 1.5 }],
      ['infinite window', { windowMs: Number.POSITIVE_INFINITY }],
      ['negative minCount', { minCount: -1 }],
      ['fractional minCount', { minCount: 10.5 }],
      ['negative minIntervalMs', { minIntervalMs: -1 }],
      ['NaN maxIntervalMs', { maxIntervalMs: Number.NaN }],
      ['minIntervalMs above maxIntervalMs', { minIntervalMs: 2_000, maxIntervalMs: 1_000 }],
      ['unknown direction', { direction: "L2R' OR '1'='1" as QradarT1071Options['direction'] }],
      ['empty prefix', { excludedDestinationPrefixes: [''] }],
      ['prefix with a space', { excludedDestinationPrefixes: ['10. '] }],
      ['non-ASCII prefix', { excludedDestinationPrefixes: ['１０.'] }],
    ])('rejects %s', async (_name, overrides) => {
      await expect(run(overrides)).rejects.toThrow(UsageError);
    });

    it('names the option and value in the error', async () => {
      await expect(run({ ports: [70_000] })).rejects.toThrow(
        'qradar-t1071: invalid port 70000; use integers from 0 to 65535',
      );
    });

    it('rejects a fractional now', async () => {
      await expect(run({}, NOW + 0.5)).rejects.toThrow(UsageError);
    });
  });

  describe('output', () => {
    const fractional = finding('10.0.0.7', '203.0.113.13', 53, null, 11, T0, 1704081610005, 1000.5);

    it('flattens to the rule columns in order', () => {
      const flat = qradarT1071Detector.flatten(fractional);
      expect(Object.keys(flat)).toEqual([
        'sourceip',
        'destinationip',
        'destinationport',
        'userName',
        'ConnectionCount',
        'FirstSeenEpochMs',
        'LastSeenEpochMs',
        'AvgIntervalMs',
      ]);
      expect(Object.values(flat)).toEqual([
        '10.0.0.7',
        '203.0.113.13',
        53,
        null,
        11,
        T0,
        1704081610005,
        1000.5,
      ]);
    });

    it('shows ISO UTC times in the table', () => {
      const cells = qradarT1071Detector.tableColumns.map((column) => [
        column.header,
        column.value(fractional),
      ]);
      expect(cells).toEqual([
        ['sourceip', '10.0.0.7'],
        ['destinationip', '203.0.113.13'],
        ['destinationport', '53'],
        ['userName', '(none)'],
        ['ConnectionCount', '11'],
        ['FirstSeen (UTC)', '2024-01-01T04:00:00.000Z'],
        ['LastSeen (UTC)', '2024-01-01T04:00:10.005Z'],
        ['AvgIntervalMs', '1000.5'],
      ]);
    });
  });
});
