/**
 * Connection series shared by the tests that run the SQL exports on a database: a fixture of series on
 * each side of every threshold, the detector run they are compared with, and row keys for comparing.
 */
import fc from 'fast-check';

import { DEFAULT_QRADAR_T1071_OPTIONS, qradarT1071Detector } from '../src/detect/qradar-t1071.js';
import { emptyEvent, type ConnectionEvent } from '../src/model/event.js';
import { LocalNetworks } from '../src/net/locality.js';
import { DuckDbStore } from '../src/store/duckdb.js';
import { compile } from '../src/export/duckdb.js';
import { buildRule, SEED_EXCLUDED_DESTINATIONS, type BuildRuleOptions } from '../src/export/model.js';

export interface ExportRow {
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
export const NOW = Date.UTC(2024, 0, 2);
export const T0 = NOW - 20 * 3_600_000;

export interface Series {
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
export function toEvents(series: readonly Series[]): ConnectionEvent[] {
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

export function even(first: number, gapMs: number, count: number): number[] {
  return Array.from({ length: count }, (_, index) => first + index * gapMs);
}

/** Seeded uniform jitter in [1 − fraction, 1] of the gap, as Cobalt Strike sleeps. */
export function jittered(
  first: number,
  gapMs: number,
  count: number,
  fraction: number,
  seed: number,
): number[] {
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
export function bursty(first: number, count: number): number[] {
  const times: number[] = [];
  for (let index = 0; times.length < count; index += 1) {
    const base = first + index * 600_000 + (index % 3 === 0 ? 1_800_000 : 0);
    times.push(base, base + 2_000);
  }
  return times.slice(0, count);
}

export const FIXTURE: Series[] = [
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

export async function openStore(series: readonly Series[]): Promise<DuckDbStore> {
  const store = await DuckDbStore.open();
  await store.appendEvents(toEvents(series));
  return store;
}

export async function runExport(store: DuckDbStore, options: BuildRuleOptions): Promise<ExportRow[]> {
  const sql = compile(buildRule({}, options));
  return store.all<ExportRow>(sql.replace(/;\s*$/, ''));
}

/** Runs the detector with the window ending at the newest event, as the export's window does. */
export async function runDetector(store: DuckDbStore): Promise<string[]> {
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

export function exportKeys(rows: readonly ExportRow[]): string[] {
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

export const SEED_OPTIONS: BuildRuleOptions = {
  excludedDestinations: SEED_EXCLUDED_DESTINATIONS,
  regularity: null,
};

export const ADDRESSES = [
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

/** Series that each allowlist entry of ALLOWLIST_CONFIG drops or keeps; ALLOWLIST_KEPT lists the kept sources. */
export const ALLOWLIST_SERIES: Series[] = [
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

export const ALLOWLIST_CONFIG = {
  allowlist: [
    { domain: '*.corp-cdn.example' },
    { process: 'C:\\Program Files\\O\'Brien "Tools"\\agent.exe' },
    { process: 'updater.exe', protocol: 'tcp' as const },
    { cidr: '203.0.113.99/32' },
  ],
};

export const ALLOWLIST_KEPT = ['10.0.1.2', '10.0.1.4'];

/**
 * Random evenly spaced series, weighted towards outbound pairs so that most draws produce groups to
 * compare, with every kind of address in ADDRESSES now and then.
 */
export function randomSeries(): fc.Arbitrary<Series[]> {
  const item = fc.record({
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
  return fc
    .array(item, { minLength: 1, maxLength: 12 })
    .map((items) => items.map((entry) => ({ ...entry, times: even(entry.first, entry.gap, entry.count) })));
}
