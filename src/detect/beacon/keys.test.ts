import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { emptyEvent, type ConnectionEvent } from '../../model/event.js';
import { DuckDbStore } from '../../store/duckdb.js';
import { Random } from '../../simulate/random.js';
import { beaconDetector, DEFAULT_BEACON_OPTIONS, type BeaconFinding } from './index.js';

const START = Date.parse('2026-02-02T00:00:00Z');

let store: DuckDbStore;

beforeEach(async () => {
  store = await DuckDbStore.open();
});

afterEach(async () => {
  await store.close();
});

function connection(time: number, fields: Partial<ConnectionEvent>): ConnectionEvent {
  const event = emptyEvent('fixture', 1);
  Object.assign(event, { starttime: time, protocol: 'tcp', connstate: 'SF', sourcebytes: 300 }, fields);
  return event;
}

async function run(now: number): Promise<BeaconFinding[]> {
  return beaconDetector.run({ store, now }, DEFAULT_BEACON_OPTIONS);
}

/** Inserts DNS queries: one row per time, each for its own name. */
async function insertQueries(sourceip: string, rows: { time: number; name: string }[]): Promise<void> {
  for (const row of rows) {
    await store.run(
      `INSERT INTO dns_queries (starttime, sourceip, resolverip, query, qtype, rcode)
       VALUES (?, ?, '10.0.0.2', ?, 'TXT', 'NOERROR')`,
      [row.time, sourceip, row.name],
    );
  }
}

describe('dns-domain key', () => {
  test('a fresh subdomain per query is one series of its registered domain', async () => {
    // Atomic Red Team T1071.004: a TXT query for atomicredteam.<random>.<domain> every ~30 s for 30 min.
    const random = new Random(7);
    const rows: { time: number; name: string }[] = [];
    let time = START;
    for (let index = 0; index < 60; index += 1) {
      rows.push({ time, name: `atomicredteam.${random.integer(100_000, 999_999)}.c2.example.co.uk` });
      time += Math.round(random.between(24_000, 35_700));
    }
    await insertQueries('10.0.0.9', rows);

    const findings = await run(time);
    const byDomain = findings.find((finding) => finding.key === 'dns-domain');

    expect(byDomain?.domain).toBe('example.co.uk');
    expect(byDomain?.connections).toBe(60);
    expect(byDomain?.nameCount).toBe(60);
    expect(byDomain?.names).toHaveLength(5);
    expect(byDomain?.label).toBe('example.co.uk (60 names)');
    expect(byDomain?.destinations).toEqual(['10.0.0.2']);
    expect(byDomain?.measures.periodSeconds).toBeGreaterThan(27);
    expect(byDomain?.measures.periodSeconds).toBeLessThan(33);
  });

  test('reverse lookups and multicast DNS are not domain series', async () => {
    const reverse = Array.from({ length: 30 }, (_, index) => ({
      time: START + index * 60_000,
      name: `${index}.2.0.192.in-addr.arpa`,
    }));
    const local = Array.from({ length: 30 }, (_, index) => ({
      time: START + index * 60_000 + 5,
      name: `printer-${index}.local`,
    }));
    await insertQueries('10.0.0.9', [...reverse, ...local]);

    expect(await run(START + 40 * 60_000)).toEqual([]);
  });

  test('a server-name series and the DNS series of its domain are one finding', async () => {
    const events: ConnectionEvent[] = [];
    const rows: { time: number; name: string }[] = [];
    for (let index = 0; index < 40; index += 1) {
      const time = START + index * 120_000;
      rows.push({ time, name: 'api.c2.example.net' });
      events.push(
        connection(time + 50, {
          sourceip: '10.0.0.4',
          destinationip: '203.0.113.9',
          destinationport: 443,
          servername: 'api.c2.example.net',
        }),
      );
    }
    await insertQueries('10.0.0.4', rows);
    await store.appendEvents(events);

    const findings = await run(START + 40 * 120_000);

    expect(findings).toHaveLength(1);
    const keys = [findings[0]!.key, ...findings[0]!.otherKeys.map((other) => other.key)].sort();
    expect(keys).toEqual(['dns-domain', 'ip-port', 'server-name']);
    expect(findings[0]!.why.at(-1)).toMatch(/^also seen as /);
  });
});

describe('process key', () => {
  test('Sysmon-style events give a process series merged with its address series', async () => {
    const image = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';
    const events = Array.from({ length: 30 }, (_, index) =>
      connection(START + index * 5_100, {
        sourceip: '172.18.39.5',
        destinationip: '10.10.10.5',
        destinationport: 80,
        processimage: image,
        connstate: null,
      }),
    );
    await store.appendEvents(events);

    const findings = await run(START + 30 * 5_100);

    expect(findings).toHaveLength(1);
    const process = [findings[0]!, ...findings[0]!.otherKeys].find((item) => item.key === 'process');
    expect(process?.label).toBe(`${image} → 10.10.10.5:80`);
  });

  test('two processes to one address keep their own process series', async () => {
    const events = [
      ...Array.from({ length: 20 }, (_, index) =>
        connection(START + index * 60_000, {
          sourceip: '10.0.0.3',
          destinationip: '192.0.2.10',
          destinationport: 443,
          processimage: 'a.exe',
        }),
      ),
      ...Array.from({ length: 20 }, (_, index) =>
        connection(START + index * 60_000 + 30_000, {
          sourceip: '10.0.0.3',
          destinationip: '192.0.2.10',
          destinationport: 443,
          processimage: 'b.exe',
        }),
      ),
    ];
    await store.appendEvents(events);

    const findings = await run(START + 21 * 60_000);
    const processes = findings
      .flatMap((finding) => [finding, ...finding.otherKeys])
      .filter((item) => item.key === 'process')
      .map((item) => item.label)
      .sort();

    expect(processes).toEqual(['a.exe → 192.0.2.10:443', 'b.exe → 192.0.2.10:443']);
  });
});

describe('blocked attempts', () => {
  test('failed attempts are a series of their own, apart from the working channel', async () => {
    const events: ConnectionEvent[] = [];
    for (let index = 0; index < 40; index += 1) {
      const time = START + index * 60_000;
      events.push(
        connection(time, { sourceip: '10.0.0.5', destinationip: '198.51.100.3', destinationport: 443 }),
      );
      // A refused retry 2 s after each beat would halve the gaps if it were mixed in.
      events.push(
        connection(time + 2_000, {
          sourceip: '10.0.0.5',
          destinationip: '198.51.100.3',
          destinationport: 443,
          connstate: 'REJ',
        }),
      );
    }
    await store.appendEvents(events);

    const findings = await run(START + 40 * 60_000);
    const working = findings.find((finding) => finding.category === 'beacon');
    const blocked = findings.find((finding) => finding.category === 'blocked-attempts');

    expect(working?.connections).toBe(40);
    expect(working?.measures.periodSeconds).toBe(60);
    expect(working?.measures.failedFraction).toBe(0);
    expect(blocked?.connections).toBe(40);
    expect(blocked?.measures.failedFraction).toBe(1);
    expect(blocked?.why).toContain('every attempt failed (blocked or refused)');
  });
});
