/**
 * Every output format of `beaconhunt simulate`, read back by beaconhunt's own readers: no skipped line,
 * the labelled number of events, and each series' events under its source address and port.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { importFiles } from '../ingest/import.js';
import { DuckDbStore } from '../store/duckdb.js';
import type { Labels } from './labels.js';
import { OUTPUT_FORMAT_IDS, simulate } from './simulate.js';

/** Scenarios that together use every writer path: HTTP, TLS, DNS, IPv6, loopback, keep-alive, S0/REJ, no process. */
const SCENARIOS = [
  'art-multi-protocol',
  'art-irc',
  'art-irc-loopback',
  'art-http-cobalt-ua',
  'art-dns-beacon',
  'cobalt-strike',
  'keepalive-http',
  'blocked-c2',
  'cdn-rotating',
  'ntp',
  'voip-sip',
  'iot-mqtt',
];

let folder: string;
let labels: Labels;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'beaconhunt-simulate-'));
  ({ labels } = simulate({ out: join(folder, 'out'), scenarios: SCENARIOS, seed: 7 }));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

interface Imported {
  skipped: number;
  skippedByReason: Record<string, number>;
  events: number;
  byKey: Map<string, number>;
  rows: { sourceip: string; destinationport: number; servername: string | null; uri: string | null }[];
}

async function importFormat(format: string): Promise<Imported> {
  const store = await DuckDbStore.open();
  try {
    const report = await importFiles(store, [join(folder, 'out', format)]);
    const summary = report.summary();
    const groups = await store.all<{ sourceip: string; destinationport: number; n: number }>(
      'SELECT sourceip, destinationport, CAST(count(*) AS INTEGER) AS n FROM events GROUP BY ALL',
    );
    const rows = await store.all<Imported['rows'][number]>(
      'SELECT sourceip, destinationport, servername, uri FROM events',
    );
    return {
      skipped: summary.linesSkipped,
      skippedByReason: summary.skippedByReason,
      events: rows.length,
      byKey: new Map(groups.map((group) => [`${group.sourceip}|${group.destinationport}`, group.n])),
      rows,
    };
  } finally {
    await store.close();
  }
}

/** Expected records per (source, destination port), summed over the series that share that key. */
function expectedByKey(format: string): Map<string, number> {
  const expected = new Map<string, number>();
  for (const series of labels.series) {
    const count = series.eventsByFormat[format] ?? 0;
    if (count === 0) continue;
    const key = `${series.sourceip}|${series.destinationport}`;
    expected.set(key, (expected.get(key) ?? 0) + count);
  }
  return expected;
}

describe.each(OUTPUT_FORMAT_IDS)('simulate output %s', (format) => {
  it('reads back with no skipped line and every labelled event', async () => {
    const imported = await importFormat(format);
    expect(imported.skippedByReason).toEqual({});
    expect(imported.skipped).toBe(0);
    const total = labels.series.reduce((sum, series) => sum + (series.eventsByFormat[format] ?? 0), 0);
    expect(total).toBeGreaterThan(0);
    expect(imported.events).toBe(total);
    expect(Object.fromEntries(imported.byKey)).toEqual(Object.fromEntries(expectedByKey(format)));
  });
});

describe('simulate output details', () => {
  it('joins TLS names and HTTP URIs in zeek-tsv', async () => {
    const imported = await importFormat('zeek-tsv');
    const cobalt = imported.rows.filter((row) => row.sourceip === '10.20.1.15');
    expect(cobalt.length).toBe(labels.series.find((series) => series.id === 'cobalt-strike-default')?.events);
    expect(new Set(cobalt.map((row) => row.servername))).toEqual(new Set(['metrics.pixel-cdn.example']));
    const jitter = imported.rows.filter((row) => row.sourceip === '10.20.1.16');
    expect(new Set(jitter.map((row) => row.servername))).toEqual(new Set(['updates.cloud-sync.example']));
  });

  it('writes one squid line per keep-alive request', async () => {
    const imported = await importFormat('squid');
    const keepAlive = labels.series.find((series) => series.id === 'keepalive-http');
    expect(keepAlive?.events).toBe(1);
    expect(keepAlive?.requests).toBeGreaterThan(2000);
    expect(imported.byKey.get('10.20.1.78|80')).toBe(keepAlive?.requests);
    expect(imported.byKey.get('10.20.1.77|443')).toBeUndefined();
  });
});
