/**
 * Runs the DuckDB export on a real DuckDB store and compares its groups with the built-in qradar-t1071
 * detector on the same events and parameters.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEFAULT_QRADAR_T1071_OPTIONS, qradarT1071Detector } from '../detect/qradar-t1071.js';
import { emptyEvent, type ConnectionEvent } from '../model/event.js';
import { LocalNetworks } from '../net/locality.js';
import { DuckDbStore } from '../store/duckdb.js';
import { compile } from './duckdb.js';
import { buildRule, SEED_EXCLUDED_DESTINATIONS, type BuildRuleOptions } from './model.js';

interface ExportRow {
  sourceip: string;
  destinationip: string;
  destinationport: number;
  userName: string | null;
  ConnectionCount: number;
  FirstSeenEpochMs: number;
  LastSeenEpochMs: number;
  AvgIntervalMs: number;
  GapCount: number;
  GapCv: number | null;
}

const LOCAL = new LocalNetworks();
const NOW = Date.UTC(2024, 0, 2);
const T0 = NOW - 20 * 3_600_000;

interface Series {
  source: string;
  destination: string;
  port: number | null;
  user: string | null;
  times: number[];
  protocol?: string;
  servername?: string;
  processimage?: string;
}

/** Events of the series, with the direction beaconhunt's default local networks give them at import. */
function toEvents(series: readonly Series[]): ConnectionEvent[] {
  const events: ConnectionEvent[] = [];
  for (const item of series) {
    for (const starttime of item.times) {
      const event = emptyEvent('fixture', events.length + 1);
      event.starttime = starttime;
      event.sourceip = item.source;
      event.destinationip = item.destination;
      event.destinationport = item.port;
      event.username = item.user;
      event.eventdirection = LOCAL.direction(item.source, item.destination);
      event.protocol = item.protocol ?? 'tcp';
      event.servername = item.servername ?? null;
      event.processimage = item.processimage ?? null;
      events.push(event);
    }
  }
  return events;
}

function even(first: number, gapMs: number, count: number): number[] {
  return Array.from({ length: count }, (_, index) => first + index * gapMs);
}

/** Seeded uniform jitter in [1 − fraction, 1] of the gap, as Cobalt Strike sleeps. */
function jittered(first: number, gapMs: number, count: number, fraction: number, seed: number): number[] {
  let state = seed;
  const times = [first];
  for (let index = 1; index < count; index += 1) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const factor = 1 - fraction * (state / 2 ** 31);
    times.push(times[index - 1]! + Math.round(gapMs * factor));
  }
  return times;
}

/** Bursty times: pairs of connections 2 s apart every 10 minutes, then a long pause. CV well above 0.5. */
function bursty(first: number, count: number): number[] {
  const times: number[] = [];
  for (let index = 0; times.length < count; index += 1) {
    const base = first + index * 600_000 + (index % 3 === 0 ? 1_800_000 : 0);
    times.push(base, base + 2_000);
  }
  return times.slice(0, count);
}

const FIXTURE: Series[] = [
  { source: '10.0.0.1', destination: '203.0.113.10', port: 443, user: 'alice', times: even(T0, 60_000, 30) },
  {
    source: '10.0.0.2',
    destination: '198.51.100.7',
    port: 8080,
    user: null,
    times: jittered(T0, 300_000, 40, 0.2, 7),
  },
  { source: '10.0.0.3', destination: '198.51.100.8', port: 80, user: 'bob', times: bursty(T0, 24) },
  // Ten connections do not pass "more than 10".
  { source: '10.0.0.4', destination: '203.0.113.11', port: 443, user: 'alice', times: even(T0, 60_000, 10) },
  // Mean gap below 1 s.
  { source: '10.0.0.5', destination: '203.0.113.12', port: 443, user: 'alice', times: even(T0, 500, 30) },
  // Private and loopback destinations, a port off the list, a missing port, an inbound series.
  { source: '10.0.0.6', destination: '192.168.1.1', port: 443, user: 'alice', times: even(T0, 60_000, 20) },
  { source: '10.0.0.6', destination: '127.0.0.1', port: 443, user: 'alice', times: even(T0, 60_000, 20) },
  { source: '10.0.0.6', destination: '203.0.113.13', port: 6667, user: 'alice', times: even(T0, 60_000, 20) },
  { source: '10.0.0.6', destination: '203.0.113.13', port: null, user: 'alice', times: even(T0, 60_000, 20) },
  { source: '203.0.113.50', destination: '10.0.0.6', port: 443, user: null, times: even(T0, 60_000, 20) },
  // IPv4-mapped, upper-case IPv6 and zone-id sources.
  {
    source: '::ffff:10.0.0.7',
    destination: '203.0.113.14',
    port: 53,
    user: null,
    times: even(T0, 30_000, 15),
  },
  { source: 'FD00::7', destination: '2001:DB8::1', port: 443, user: 'carol', times: even(T0, 90_000, 12) },
  {
    source: 'fe80::1%eth0',
    destination: '2001:db8::2',
    port: 443,
    user: 'carol',
    times: even(T0, 90_000, 12),
  },
  // Duplicated start times: counted as connections, but no zero gaps in the variation.
  {
    source: '10.0.0.8',
    destination: '203.0.113.15',
    port: 443,
    user: 'dave',
    times: [...even(T0, 120_000, 12), ...even(T0, 120_000, 12)],
  },
  // Window edges: the first connection sits exactly at now − 24 h and is outside.
  {
    source: '10.0.0.9',
    destination: '203.0.113.16',
    port: 443,
    user: 'erin',
    times: even(NOW - 86_400_000, 60_000, 11),
  },
  {
    source: '10.0.0.9',
    destination: '203.0.113.17',
    port: 443,
    user: 'erin',
    times: even(NOW - 600_000, 60_000, 11),
  },
];

async function openStore(series: readonly Series[]): Promise<DuckDbStore> {
  const store = await DuckDbStore.open();
  await store.appendEvents(toEvents(series));
  return store;
}

async function runExport(store: DuckDbStore, options: BuildRuleOptions): Promise<ExportRow[]> {
  const sql = compile(buildRule({}, options));
  return store.all<ExportRow>(sql.replace(/;\s*$/, ''));
}

/** Runs the detector with the window ending at the newest event, as the export's window does. */
async function runDetector(store: DuckDbStore): Promise<string[]> {
  const [row] = await store.all<{ newest: number }>('SELECT max(starttime) AS newest FROM events');
  const findings = await qradarT1071Detector.run(
    { store, now: row!.newest },
    { ...DEFAULT_QRADAR_T1071_OPTIONS },
  );
  return findings.map((finding) =>
    JSON.stringify([
      finding.sourceip,
      finding.destinationip,
      finding.destinationport,
      finding.userName,
      finding.ConnectionCount,
      finding.FirstSeenEpochMs,
      finding.LastSeenEpochMs,
      finding.AvgIntervalMs,
    ]),
  );
}

function exportKeys(rows: readonly ExportRow[]): string[] {
  return rows.map((row) =>
    JSON.stringify([
      row.sourceip,
      row.destinationip,
      row.destinationport,
      row.userName,
      row.ConnectionCount,
      row.FirstSeenEpochMs,
      row.LastSeenEpochMs,
      row.AvgIntervalMs,
    ]),
  );
}

const SEED_OPTIONS: BuildRuleOptions = { excludedDestinations: SEED_EXCLUDED_DESTINATIONS, regularity: null };

describe('DuckDB export on a DuckDB store', () => {
  let store: DuckDbStore;

  beforeAll(async () => {
    store = await openStore(FIXTURE);
  });

  afterAll(async () => {
    await store.close();
  });

  it('returns the detector rows in order', async () => {
    const expected = await runDetector(store);
    expect(expected.length).toBe(8);
    expect(exportKeys(await runExport(store, SEED_OPTIONS))).toEqual(expected);
  });

  it('reports the exact gap statistics', async () => {
    const rows = await runExport(store, SEED_OPTIONS);
    const steady = rows.find((row) => row.sourceip === '10.0.0.1');
    expect(steady?.GapCount).toBe(29);
    expect(steady?.GapCv).toBe(0);
    const duplicated = rows.find((row) => row.sourceip === '10.0.0.8');
    expect(duplicated?.ConnectionCount).toBe(24);
    expect(duplicated?.GapCount).toBe(11);
    expect(duplicated?.GapCv).toBe(0);
  });

  it('keeps regular beacons under the regularity test', async () => {
    const all = exportKeys(await runExport(store, SEED_OPTIONS));
    const regular = await runExport(store, { ...SEED_OPTIONS, regularity: { minGaps: 10, maxGapCv: 0.5 } });
    for (const key of exportKeys(regular)) expect(all).toContain(key);
    // 20 % subtractive jitter: uniform gaps over [0.8, 1] of the sleep have a CV of 0.2 / √12 / 0.9 ≈ 0.064.
    const jittered = regular.find((row) => row.sourceip === '10.0.0.2');
    expect(jittered?.GapCv).toBeGreaterThan(0.04);
    expect(jittered?.GapCv).toBeLessThan(0.1);
    const sources = regular.map((row) => row.sourceip).sort();
    expect(sources).toEqual(
      ['10.0.0.1', '10.0.0.2', '10.0.0.8', '10.0.0.9', '::ffff:10.0.0.7', 'FD00::7', 'fe80::1%eth0'].sort(),
    );
  });

  it('drops the bursty series under the regularity test', async () => {
    const all = await runExport(store, SEED_OPTIONS);
    const burst = all.find((row) => row.sourceip === '10.0.0.3');
    expect(burst?.GapCv).toBeGreaterThan(0.5);
    const regular = await runExport(store, { ...SEED_OPTIONS, regularity: { minGaps: 10, maxGapCv: 0.5 } });
    expect(regular.find((row) => row.sourceip === '10.0.0.3')).toBeUndefined();
  });

  it('drops destinations of the default exclusion', async () => {
    const rows = await runExport(store, { regularity: null });
    // fd00::7 → 2001:db8::1 stays; every excluded destination was already local or private here.
    expect(exportKeys(rows)).toEqual(exportKeys(await runExport(store, SEED_OPTIONS)));
  });
});

describe('DuckDB export allowlist', () => {
  it('drops events each entry matches', async () => {
    const series: Series[] = [
      {
        source: '10.0.1.1',
        destination: '203.0.113.20',
        port: 443,
        user: null,
        times: even(T0, 60_000, 20),
        servername: 'api.corp-cdn.example',
      },
      {
        source: '10.0.1.2',
        destination: '203.0.113.20',
        port: 443,
        user: null,
        times: even(T0, 60_000, 20),
        servername: 'corp-cdn.example.evil',
      },
      {
        source: '10.0.1.3',
        destination: '203.0.113.21',
        port: 443,
        user: null,
        times: even(T0, 60_000, 20),
        processimage: 'C:\\Program Files\\O\'Brien "Tools"\\agent.exe',
      },
      {
        source: '10.0.1.4',
        destination: '203.0.113.21',
        port: 443,
        user: null,
        times: even(T0, 60_000, 20),
        processimage: 'C:\\Windows\\updater.exe',
        protocol: 'udp',
      },
      {
        source: '10.0.1.5',
        destination: '203.0.113.21',
        port: 443,
        user: null,
        times: even(T0, 60_000, 20),
        processimage: '/usr/bin/updater.exe',
      },
      { source: '10.0.1.6', destination: '203.0.113.99', port: 443, user: null, times: even(T0, 60_000, 20) },
    ];
    const store = await openStore(series);
    try {
      const config = {
        allowlist: [
          { domain: '*.corp-cdn.example' },
          { process: 'C:\\Program Files\\O\'Brien "Tools"\\agent.exe' },
          { process: 'updater.exe', protocol: 'tcp' as const },
          { cidr: '203.0.113.99/32' },
        ],
      };
      const rows = await store.all<ExportRow>(
        compile(buildRule(config, { regularity: null })).replace(/;\s*$/, ''),
      );
      expect(rows.map((row) => row.sourceip).sort()).toEqual(['10.0.1.2', '10.0.1.4']);
    } finally {
      await store.close();
    }
  });
});

const ADDRESSES = [
  '10.0.0.1',
  '10.0.0.2',
  '192.168.5.5',
  '172.20.1.1',
  '172.32.0.1',
  '127.0.0.1',
  '169.254.1.1',
  '100.64.0.9',
  '203.0.113.1',
  '198.51.100.2',
  '8.8.8.8',
  '::ffff:10.0.0.3',
  '::ffff:203.0.113.9',
  'fd00::1',
  'FE80::2',
  '2001:db8::5',
  '::1',
  'not-an-address',
];

describe('DuckDB export property', () => {
  it('equals the detector on random events', async () => {
    let reported = 0;
    const series = fc.record({
      // Weighted towards outbound pairs, so that most runs produce groups to compare.
      source: fc.oneof(
        { arbitrary: fc.constantFrom('10.0.0.1', '::ffff:10.0.0.3', 'fd00::1', 'FE80::2'), weight: 3 },
        { arbitrary: fc.constantFrom(...ADDRESSES), weight: 1 },
      ),
      destination: fc.oneof(
        { arbitrary: fc.constantFrom('203.0.113.1', '::ffff:203.0.113.9', '2001:db8::5'), weight: 3 },
        { arbitrary: fc.constantFrom(...ADDRESSES), weight: 1 },
      ),
      port: fc.constantFrom(443, 80, 53, 6667, null),
      user: fc.constantFrom('alice', null),
      first: fc.integer({ min: NOW - 30 * 3_600_000, max: NOW }),
      gap: fc.oneof(fc.integer({ min: 0, max: 400_000 }), fc.integer({ min: 0, max: 4_000_000 })),
      count: fc.integer({ min: 1, max: 16 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(series, { minLength: 1, maxLength: 12 }), async (items) => {
        const store = await openStore(
          items.map((item) => ({ ...item, times: even(item.first, item.gap, item.count) })),
        );
        try {
          const expected = await runDetector(store);
          reported += expected.length;
          const actual = exportKeys(await runExport(store, SEED_OPTIONS));
          // Same rows as sets: the detector's tie order and the export's agree only on the sort keys.
          expect([...actual].sort()).toEqual([...expected].sort());
        } finally {
          await store.close();
        }
      }),
      { numRuns: 40, seed: 20240102 },
    );
    // The comparison means something only when the random events produce groups.
    expect(reported).toBeGreaterThan(20);
  });
});
