import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { UsageError } from '../errors.js';
import { BENIGN_CLASSES, SCENARIO_IDS, scenarioPlans } from './catalog.js';
import { LABELS_GENERATOR, type Labels } from './labels.js';
import { generateSimulation, MAX_DURATION_MS, OUTPUT_FORMAT_IDS, simulate } from './simulate.js';

const folders: string[] = [];

function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'beaconhunt-simulate-'));
  folders.push(folder);
  return folder;
}

afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** Hashes every file under `folder` by relative path. */
function digest(folder: string): Record<string, string> {
  const hashes: Record<string, string> = {};
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else hashes[relative(folder, full)] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(folder);
  return hashes;
}

const SMALL = {
  scenarios: ['cobalt-strike', 'art-dns-beacon', 'keepalive-http', 'ntp'],
  durationMs: 6 * 3_600_000,
};

describe('simulate determinism', () => {
  it('writes the same bytes for the same seed', () => {
    const first = join(tempFolder(), 'a');
    const second = join(tempFolder(), 'b');
    simulate({ ...SMALL, out: first, seed: 42 });
    simulate({ ...SMALL, out: second, seed: 42 });
    const hashes = digest(first);
    expect(Object.keys(hashes).length).toBe(1 + 4 + 4 + 7);
    expect(digest(second)).toEqual(hashes);
  });

  it('writes different bytes for another seed', () => {
    const first = join(tempFolder(), 'a');
    const second = join(tempFolder(), 'b');
    simulate({ ...SMALL, out: first, seed: 1, formats: ['zeek-tsv'] });
    simulate({ ...SMALL, out: second, seed: 2, formats: ['zeek-tsv'] });
    expect(digest(second)['zeek-tsv/conn.log']).not.toBe(digest(first)['zeek-tsv/conn.log']);
  });

  it('keeps a series unchanged when other scenarios are added', () => {
    const alone = generateSimulation({ scenarios: ['sliver'], seed: 3 });
    const together = generateSimulation({ scenarios: ['cobalt-strike', 'sliver', 'ntp'], seed: 3 });
    const times = (result: typeof alone) =>
      result.connections
        .filter((connection) => result.plans[connection.series]?.id === 'sliver')
        .map((connection) => connection.starttime);
    expect(times(together)).toEqual(times(alone));
  });
});

describe('simulate labels', () => {
  const result = generateSimulation({ seed: 1 });
  const labels = result.labels;

  it('describes the run', () => {
    expect(labels.generator).toBe(LABELS_GENERATOR);
    expect(labels.version).toBe(1);
    expect(labels.seed).toBe(1);
    expect(labels.start).toBe('2026-11-02T00:00:00.000Z');
    expect(labels.end).toBe('2026-11-03T00:00:00.000Z');
    expect(labels.formats).toEqual([...OUTPUT_FORMAT_IDS]);
    expect(labels.scenarios).toEqual([...SCENARIO_IDS]);
  });

  it('has unique kebab-case series ids', () => {
    const ids = labels.series.map((series) => series.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('gives benign series a benign class and malicious ones their scenario', () => {
    for (const series of labels.series) {
      if (series.malicious) expect(series.class).toBe(series.scenario);
      else expect(BENIGN_CLASSES).toContain(series.class);
    }
    for (const benignClass of BENIGN_CLASSES) {
      expect(labels.series.some((series) => series.class === benignClass)).toBe(true);
    }
  });

  it('counts each series from the generated connections', () => {
    const counts = new Map<number, number>();
    // Zeek gives one event per connection and one more per later HTTP request on a keep-alive connection.
    const zeekEvents = new Map<number, number>();
    for (const connection of result.connections) {
      counts.set(connection.series, (counts.get(connection.series) ?? 0) + 1);
      const records = Math.max(1, connection.requests.length);
      zeekEvents.set(connection.series, (zeekEvents.get(connection.series) ?? 0) + records);
    }
    labels.series.forEach((series, index) => {
      expect(series.events).toBe(counts.get(index) ?? 0);
      expect(series.eventsByFormat['zeek-tsv']).toBe(zeekEvents.get(index) ?? 0);
    });
    expect(result.connections.length).toBe(labels.series.reduce((sum, series) => sum + series.events, 0));
  });

  it('matches each connection to its series addresses', () => {
    const mismatched = result.connections.filter((connection) => {
      const series = labels.series[connection.series];
      const destinations = series?.destinationips ?? [series?.destinationip];
      return (
        connection.sourceip !== series?.sourceip ||
        connection.destinationport !== series.destinationport ||
        !destinations.includes(connection.destinationip)
      );
    });
    expect(mismatched).toEqual([]);
  });

  it('orders connections by time inside the window', () => {
    const start = Date.parse(labels.start);
    const end = Date.parse(labels.end);
    const times = result.connections.map((connection) => connection.starttime);
    expect(times.filter((time) => time < start || time >= end)).toEqual([]);
    expect(times.filter((time, index) => index > 0 && time < (times[index - 1] as number))).toEqual([]);
  });

  it('labels the framework defaults', () => {
    const byId = new Map(labels.series.map((series) => [series.id, series]));
    expect(byId.get('cobalt-strike-default')).toMatchObject({
      periodSeconds: 60,
      jitter: 'none',
      events: 1440,
    });
    expect(byId.get('cobalt-strike-jitter-50')).toMatchObject({
      periodSeconds: 60,
      jitter: 'subtractive 0.5',
    });
    expect(byId.get('sliver')).toMatchObject({ periodSeconds: 60, jitter: 'additive 0-30 s' });
    expect(byId.get('mythic')).toMatchObject({ periodSeconds: 10, jitter: 'symmetric 0.23' });
    expect(byId.get('havoc')).toMatchObject({ periodSeconds: 2, jitter: 'symmetric 0.15' });
    expect(byId.get('cdn-rotating')?.destinationip).toBeNull();
    expect(byId.get('cdn-rotating')?.destinationips).toHaveLength(8);
    expect(byId.get('keepalive-http')).toMatchObject({ events: 1 });
    expect(byId.get('poisson-steady')).toMatchObject({ periodSeconds: null, jitter: null, malicious: false });
  });

  it('gives the ART DNS beacon a unique name per query', () => {
    const index = labels.series.findIndex((series) => series.id === 'art-dns-beacon');
    const queries = result.connections
      .filter((connection) => connection.series === index)
      .map((c) => c.dns?.query);
    // 30 minutes of queries every 24 to 35.7 s: between 50 and 75 queries.
    expect(queries.length).toBeGreaterThanOrEqual(50);
    expect(queries.length).toBeLessThanOrEqual(75);
    expect(new Set(queries).size).toBe(queries.length);
    for (const query of queries) expect(query).toMatch(/^atomicredteam\.[a-z0-9]{12}\.example\.com$/);
  });

  it('writes the ART tests in both external and loopback forms', () => {
    for (const id of ['art-multi-protocol', 'art-irc', 'art-http-cobalt-ua']) {
      const external = scenarioPlans(id as (typeof SCENARIO_IDS)[number]);
      const loopback = scenarioPlans(`${id}-loopback` as (typeof SCENARIO_IDS)[number]);
      expect(loopback.every((plan) => plan.destinations.every((address) => address === '127.0.0.1'))).toBe(
        true,
      );
      expect(external.every((plan) => plan.destinations.every((address) => address !== '127.0.0.1'))).toBe(
        true,
      );
    }
  });
});

describe('simulate options', () => {
  it('rejects an unknown scenario', () => {
    expect(() => generateSimulation({ scenarios: ['cobalt-strike', 'nope'] })).toThrow(UsageError);
    expect(() => generateSimulation({ scenarios: ['nope'] })).toThrow(
      /unknown scenario "nope"; valid scenarios: art-/,
    );
  });

  it('rejects an unknown format', () => {
    expect(() => generateSimulation({ formats: ['pcap'] })).toThrow(
      /unknown format "pcap"; valid formats: zeek-tsv/,
    );
  });

  it('accepts format aliases once', () => {
    const { labels } = generateSimulation({ scenarios: ['ntp'], formats: ['sysmon', 'sysmon-xml', 'csv'] });
    expect(labels.formats).toEqual(['sysmon-xml', 'qradar-csv']);
  });

  it('rejects a non-empty folder without force', () => {
    const out = tempFolder();
    writeFileSync(join(out, 'keep.txt'), 'x');
    expect(() => simulate({ out, scenarios: ['ntp'] })).toThrow(
      /is not empty; choose another folder or add --force/,
    );
    expect(readdirSync(out)).toEqual(['keep.txt']);
    const { files } = simulate({ out, scenarios: ['ntp'], formats: ['squid'], force: true });
    expect(files.map((file) => relative(out, file))).toEqual([join('squid', 'access.log'), 'labels.json']);
  });

  it('writes into an empty existing folder', () => {
    const out = join(tempFolder(), 'nested');
    mkdirSync(out);
    const { labels } = simulate({ out, scenarios: ['ntp'], formats: ['leef'], seed: 5 });
    const written = JSON.parse(readFileSync(join(out, 'labels.json'), 'utf8')) as Labels;
    expect(written).toEqual(labels);
    expect(written.series[0]?.events).toBe(
      readFileSync(join(out, 'leef', 'firewall.leef'), 'utf8')
        .trimEnd()
        .split('\n').length,
    );
  });

  it('rejects invalid settings', () => {
    expect(() => generateSimulation({ seed: -1 })).toThrow(UsageError);
    expect(() => generateSimulation({ seed: 2 ** 32 })).toThrow(UsageError);
    expect(() => generateSimulation({ durationMs: 0 })).toThrow(UsageError);
    expect(() => generateSimulation({ timestampNoiseMs: 1.5 })).toThrow(UsageError);
    expect(() => generateSimulation({ durationMs: MAX_DURATION_MS + 1 })).toThrow(
      /simulate a month at a time/,
    );
  });

  it('with force, removes the output of an earlier run but nothing else', () => {
    const out = tempFolder();
    writeFileSync(join(out, 'notes.txt'), 'mine');
    simulate({ out, scenarios: ['ntp'], formats: ['zeek-tsv'], force: true });
    simulate({ out, scenarios: ['ntp'], formats: ['cef'], seed: 2, force: true });
    expect(readdirSync(out).sort()).toEqual(['cef', 'labels.json', 'notes.txt']);
  });

  it('writes no events for a one-millisecond window', () => {
    const { labels, connections } = generateSimulation({ scenarios: ['ntp', 'havoc'], durationMs: 1 });
    expect(connections.length).toBeLessThanOrEqual(1);
    expect(labels.series.every((series) => series.events <= 1)).toBe(true);
  });

  it('keeps every connection within the noise of its schedule', () => {
    const quiet = generateSimulation({ scenarios: ['cobalt-strike'], timestampNoiseMs: 0 });
    const noisy = generateSimulation({ scenarios: ['cobalt-strike'], timestampNoiseMs: 500 });
    const defaults = quiet.connections.filter((connection) => connection.series === 0);
    // With no jitter and no noise, Cobalt Strike's default beacon is exactly 60,000 ms apart.
    const gaps = defaults
      .slice(1)
      .map((connection, index) => connection.starttime - (defaults[index]?.starttime ?? 0));
    expect(new Set(gaps)).toEqual(new Set([60_000]));
    expect(noisy.connections.length).toBe(quiet.connections.length);
  });

  it('generates every scenario for 24 hours', () => {
    const { connections, labels } = generateSimulation({});
    expect(labels.series.length).toBeGreaterThan(60);
    expect(connections.length).toBeGreaterThan(100_000);
  });
});
