import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { emptyEvent, type ConnectionEvent } from '../../model/event.js';
import { DuckDbStore } from '../../store/duckdb.js';
import { beaconDetector, DEFAULT_BEACON_OPTIONS, formatSeconds, type BeaconFinding } from './index.js';

const START = Date.parse('2026-01-05T00:00:00Z');

interface SeriesShape {
  sourceip: string;
  destinationip: string | ((index: number) => string);
  destinationport: number;
  count: number;
  gapMs: number;
  servername?: string;
  eventdirection?: string;
  connstate?: string;
  protocol?: string;
}

function series(shape: SeriesShape): ConnectionEvent[] {
  return Array.from({ length: shape.count }, (_, index) => {
    const event = emptyEvent('fixture', index + 1);
    event.starttime = START + index * shape.gapMs;
    event.sourceip = shape.sourceip;
    event.destinationip =
      typeof shape.destinationip === 'function' ? shape.destinationip(index) : shape.destinationip;
    event.destinationport = shape.destinationport;
    event.servername = shape.servername ?? null;
    event.eventdirection = shape.eventdirection ?? 'L2R';
    event.connstate = shape.connstate ?? 'SF';
    event.protocol = shape.protocol ?? 'tcp';
    event.sourcebytes = 250;
    return event;
  });
}

let store: DuckDbStore;

beforeEach(async () => {
  store = await DuckDbStore.open();
});

afterEach(async () => {
  await store.close();
});

async function run(events: ConnectionEvent[], options = {}): Promise<BeaconFinding[]> {
  await store.appendEvents(events);
  const now = events.length === 0 ? START : Math.max(...events.map((event) => event.starttime));
  return beaconDetector.run({ store, now }, { ...DEFAULT_BEACON_OPTIONS, ...options });
}

describe('beacon detector', () => {
  test('empty store has no findings', async () => {
    expect(await run([])).toEqual([]);
  });

  test('one event is not a series', async () => {
    expect(
      await run(
        series({
          sourceip: '10.0.0.1',
          destinationip: '192.0.2.1',
          destinationport: 443,
          count: 1,
          gapMs: 0,
        }),
      ),
    ).toEqual([]);
  });

  test('IPv6 beacon found with its period', async () => {
    const findings = await run(
      series({
        sourceip: 'fd00::15',
        destinationip: '2001:db8::50',
        destinationport: 443,
        count: 60,
        gapMs: 30_000,
      }),
    );

    expect(findings).toHaveLength(1);
    expect(findings[0]!.rank).toBe(1);
    expect(findings[0]!.destinationip).toBe('2001:db8::50');
    expect(findings[0]!.measures.periodSeconds).toBe(30);
    expect(findings[0]!.connections).toBe(60);
  });

  test('server name joins rotating addresses into one series', async () => {
    const findings = await run(
      series({
        sourceip: '10.0.0.7',
        destinationip: (index) => `198.51.100.${index % 4}`,
        destinationport: 443,
        count: 80,
        gapMs: 60_000,
        servername: 'Updates.Example.COM',
      }),
    );
    const byName = findings.find((finding) => finding.key === 'server-name');

    expect(byName?.servername).toBe('updates.example.com');
    expect(byName?.destinationCount).toBe(4);
    expect(byName?.connections).toBe(80);
    expect(byName?.why).toContain('4 addresses for one name');
    // Each address alone has 20 connections at a 4-minute period: the same beacon, attached to the name.
    expect(findings).toHaveLength(1);
    expect(byName?.otherKeys.map((other) => other.label).sort()).toEqual([
      '198.51.100.0:443/tcp',
      '198.51.100.1:443/tcp',
      '198.51.100.2:443/tcp',
      '198.51.100.3:443/tcp',
    ]);
    expect(byName?.otherKeys[0]?.periodSeconds).toBe(240);
  });

  test('a daily beacon needs only five times, a fast series needs ten', async () => {
    const findings = await run([
      ...series({
        sourceip: '10.0.0.8',
        destinationip: '192.0.2.24',
        destinationport: 443,
        count: 7,
        gapMs: 86_400_000,
      }),
      ...series({
        sourceip: '10.0.0.8',
        destinationip: '192.0.2.25',
        destinationport: 443,
        count: 9,
        gapMs: 600_000,
      }),
    ]);

    expect(findings.map((finding) => finding.destinationip)).toEqual(['192.0.2.24']);
    expect(findings[0]!.measures.periodSeconds).toBe(86_400);
  });

  test('working hours in the analysts time zone (--utc-offset)', async () => {
    // 10-minute beacon from 06:00 to 16:00 UTC on weekdays for two weeks: 08:00–18:00 at UTC+02:00.
    const monday = Date.parse('2026-01-05T00:00:00Z');
    const events: ConnectionEvent[] = [];
    for (let day = 0; day < 14; day += 1) {
      if (day % 7 >= 5) continue;
      for (let minute = 6 * 60; minute < 16 * 60; minute += 10) {
        const event = emptyEvent('fixture', events.length + 1);
        event.starttime = monday + day * 86_400_000 + minute * 60_000;
        event.sourceip = '10.0.0.11';
        event.destinationip = '192.0.2.70';
        event.destinationport = 443;
        event.protocol = 'tcp';
        event.eventdirection = 'L2R';
        events.push(event);
      }
    }
    const [finding] = await run(events, { utcOffsetMinutes: 120 });

    expect(finding?.shape.workingHours).toEqual({ startHour: 8, endHour: 18, weekdaysOnly: true });
    expect(finding?.why.join('; ')).toContain('08:00–18:00 UTC+02:00');
  });

  test('internal pairs are scored and marked', async () => {
    const findings = await run(
      series({
        sourceip: '10.0.1.5',
        destinationip: '192.168.0.4',
        destinationport: 443,
        count: 40,
        gapMs: 2000,
        eventdirection: 'L2L',
      }),
    );

    expect(findings[0]!.internal).toBe(true);
    expect(findings[0]!.why).toContain('internal pair');
  });

  test('multicast destinations are skipped unless asked for', async () => {
    const events = [
      ...series({
        sourceip: '10.0.0.9',
        destinationip: '224.0.0.251',
        destinationport: 5353,
        count: 30,
        gapMs: 10_000,
        protocol: 'udp',
      }),
      ...series({
        sourceip: 'fe80::1',
        destinationip: 'ff02::fb',
        destinationport: 5353,
        count: 30,
        gapMs: 10_000,
        protocol: 'udp',
      }),
    ];

    expect(await run(events)).toEqual([]);
    expect(
      await beaconDetector.run(
        { store, now: START + 300_000 },
        { ...DEFAULT_BEACON_OPTIONS, skipMulticast: false },
      ),
    ).toHaveLength(2);
  });

  test('host names as destinations are not multicast', async () => {
    const events = [
      ...series({
        sourceip: '10.0.0.9',
        destinationip: 'c2.example.net',
        destinationport: 80,
        count: 30,
        gapMs: 60_000,
      }),
      ...series({
        sourceip: '10.0.0.9',
        destinationip: '230.example.net',
        destinationport: 80,
        count: 30,
        gapMs: 60_000,
      }),
    ];

    const findings = await run(events);

    expect(
      findings
        .filter((finding) => finding.key === 'ip-port')
        .map((finding) => finding.destinationip)
        .sort(),
    ).toEqual(['230.example.net', 'c2.example.net']);
  });

  test('series shorter than minConnections are left out', async () => {
    const events = series({
      sourceip: '10.0.0.1',
      destinationip: '192.0.2.1',
      destinationport: 80,
      count: 9,
      gapMs: 60_000,
    });

    expect(await run(events)).toEqual([]);
    expect(
      await beaconDetector.run(
        { store, now: START + 8 * 60_000 },
        { ...DEFAULT_BEACON_OPTIONS, minConnections: 5 },
      ),
    ).toHaveLength(1);
  });

  test('duplicate timestamps count once as times and fully as connections', async () => {
    const single = series({
      sourceip: '10.0.0.1',
      destinationip: '192.0.2.1',
      destinationport: 80,
      count: 30,
      gapMs: 60_000,
    });
    const findings = await run([...single, ...single]);

    expect(findings[0]!.connections).toBe(60);
    expect(findings[0]!.measures.periodSeconds).toBe(60);
  });

  test('window keeps only events after now minus the window', async () => {
    const events = series({
      sourceip: '10.0.0.1',
      destinationip: '192.0.2.1',
      destinationport: 80,
      count: 120,
      gapMs: 60_000,
    });
    const findings = await run(events, { windowMs: 30 * 60_000 });

    expect(findings[0]!.connections).toBe(30);
  });

  test('NTP is discounted and says why', async () => {
    const findings = await run(
      series({
        sourceip: '10.0.0.1',
        destinationip: '192.0.2.123',
        destinationport: 123,
        count: 50,
        gapMs: 1_024_000,
        protocol: 'udp',
      }),
    );

    expect(findings[0]!.parts.protocol).toBe(0.5);
    expect(findings[0]!.why.join('; ')).toMatch(/NTP polls on a timer/);
  });

  test('failed attempts are marked as blocked', async () => {
    const findings = await run(
      series({
        sourceip: '10.0.0.1',
        destinationip: '192.0.2.9',
        destinationport: 1177,
        count: 50,
        gapMs: 11_000,
        connstate: 'REJ',
      }),
    );

    expect(findings[0]!.measures.failedFraction).toBe(1);
    expect(findings[0]!.why).toContain('every attempt failed (blocked or refused)');
  });

  test('ranking: regular beacon above Poisson-like traffic', async () => {
    const beacon = series({
      sourceip: '10.0.0.1',
      destinationip: '203.0.113.5',
      destinationport: 443,
      count: 200,
      gapMs: 60_000,
    });
    const irregular = series({
      sourceip: '10.0.0.2',
      destinationip: '192.0.2.80',
      destinationport: 443,
      count: 200,
      gapMs: 60_000,
    });
    irregular.forEach(
      (event, index) => (event.starttime = START + Math.round(index * 60_000 + ((index * 7919) % 50_000))),
    );
    const findings = await run([...beacon, ...irregular]);

    expect(findings[0]!.sourceip).toBe('10.0.0.1');
    expect(findings.map((finding) => finding.rank)).toEqual([1, 2]);
  });

  test('flattened record has stable CSV columns', async () => {
    const findings = await run(
      series({
        sourceip: '10.0.0.1',
        destinationip: '192.0.2.1',
        destinationport: 80,
        count: 30,
        gapMs: 60_000,
      }),
    );
    const record = beaconDetector.flatten(findings[0]!);

    expect(Object.keys(record).slice(0, 12)).toEqual([
      'rank',
      'score',
      'timingScore',
      'alert',
      'category',
      'key',
      'label',
      'sourceip',
      'destinationip',
      'destinationport',
      'servername',
      'domain',
    ]);
    expect(record.periodSeconds).toBe(60);
    expect(record.alert).toBe(true);
  });
});

describe('formatSeconds', () => {
  test.each([
    [0.85, '850 ms'],
    [4.21, '4.2 s'],
    [270.1, '270 s'],
    [1800, '30.0 min'],
    [9000, '2.5 h'],
    [86_400, '24.0 h'],
  ])('%d s reads %s', (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });
});
