import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { fixturePath } from '../../test/format-helpers.js';
import { SHARED_DATA, sharedPath } from '../../test/shared-data.js';
import { UsageError } from '../errors.js';
import { importFiles } from '../ingest/import.js';
import { emptyEvent, type ConnectionEvent } from '../model/event.js';
import { DuckDbStore } from '../store/duckdb.js';
import { scan } from '../scan.js';
import {
  DEFAULT_LONG_CONNECTION_OPTIONS,
  formatBytes,
  longConnectionDetector,
  type LongConnectionFinding,
  type LongConnectionOptions,
} from './long-connection.js';

const START = Date.parse('2026-03-02T08:00:00Z');
const HOUR_MS = 3_600_000;

let store: DuckDbStore;

beforeEach(async () => {
  store = await DuckDbStore.open();
});

afterEach(async () => {
  await store.close();
});

function connection(time: number, durationSeconds: number | null, fields: Partial<ConnectionEvent> = {}) {
  const event = emptyEvent('conn.log', 1);
  Object.assign(
    event,
    {
      starttime: time,
      sourceip: '10.0.0.5',
      destinationip: '203.0.113.9',
      destinationport: 443,
      protocol: 'tcp',
      service: 'ssl',
      duration: durationSeconds,
      sourcebytes: 1_000,
      destinationbytes: 5_000,
      connstate: 'SF',
    },
    fields,
  );
  return event;
}

async function run(
  now: number,
  overrides: Partial<LongConnectionOptions> = {},
): Promise<LongConnectionFinding[]> {
  return longConnectionDetector.run({ store, now }, { ...DEFAULT_LONG_CONNECTION_OPTIONS, ...overrides });
}

describe('longConnectionDetector', () => {
  test('empty store gives no findings', async () => {
    expect(await run(START)).toEqual([]);
  });

  test('one connection of exactly 1 h is reported', async () => {
    await store.appendEvents([connection(START, 3_600)]);
    const findings = await run(START + 2 * HOUR_MS);

    expect(findings).toEqual([
      {
        rank: 1,
        criteria: ['total-duration', 'single-duration'],
        sourceip: '10.0.0.5',
        destinationip: '203.0.113.9',
        destinationport: 443,
        protocols: ['tcp'],
        services: ['ssl'],
        servernames: [],
        connections: 1,
        totalDurationSeconds: 3_600,
        longestDurationSeconds: 3_600,
        sourceBytes: 1_000,
        destinationBytes: 5_000,
        stillOpen: false,
        openConnections: 0,
        firstSeen: '2026-03-02T08:00:00.000Z',
        lastSeen: '2026-03-02T08:00:00.000Z',
        firstSeenEpochMs: START,
        lastSeenEpochMs: START,
        why: [
          '60.0 min connected over 1 connection',
          'longest 60.0 min',
          'threshold 60.0 min',
          '1000 B sent, 4.9 KiB received',
        ],
      },
    ]);
  });

  test('one connection just under 1 h is not', async () => {
    await store.appendEvents([connection(START, 3_599.999)]);
    expect(await run(START + 2 * HOUR_MS)).toEqual([]);
  });

  test('short connections add up', async () => {
    // 61 connections of 60 s, one a minute: 3660 s in total, none long on its own.
    const events = Array.from({ length: 61 }, (_, index) => connection(START + index * 60_000, 60));
    await store.appendEvents(events);
    const [finding, ...others] = await run(START + 2 * HOUR_MS);

    expect(others).toEqual([]);
    expect(finding?.criteria).toEqual(['total-duration']);
    expect(finding?.connections).toBe(61);
    expect(finding?.totalDurationSeconds).toBe(3_660);
    expect(finding?.longestDurationSeconds).toBe(60);
    expect(finding?.sourceBytes).toBe(61_000);
    expect(finding?.destinationBytes).toBe(305_000);
  });

  test('ranks by total duration', async () => {
    await store.appendEvents([
      connection(START, 4_000, { destinationip: '198.51.100.1' }),
      connection(START, 9_000, { destinationip: '198.51.100.2', protocol: 'udp', service: null }),
      connection(START, 5_000, {
        sourceip: '2001:db8::7',
        destinationip: '2001:db8:ffff::1',
        destinationport: 22,
        service: 'ssh',
      }),
      connection(START, 100, { destinationip: '198.51.100.3' }),
    ]);
    const findings = await run(START + 3 * HOUR_MS);

    expect(
      findings.map((finding) => [
        finding.rank,
        finding.sourceip,
        finding.destinationip,
        finding.totalDurationSeconds,
      ]),
    ).toEqual([
      [1, '10.0.0.5', '198.51.100.2', 9_000],
      [2, '2001:db8::7', '2001:db8:ffff::1', 5_000],
      [3, '10.0.0.5', '198.51.100.1', 4_000],
    ]);
    expect(findings[0]?.protocols).toEqual(['udp']);
    expect(findings[0]?.services).toEqual([]);
    expect(findings[1]?.services).toEqual(['ssh']);
  });

  test('events without duration are ignored', async () => {
    await store.appendEvents([
      connection(START, null),
      connection(START + 1, 0),
      connection(START + 2, 7_200),
    ]);
    const [finding] = await run(START + 3 * HOUR_MS);

    expect(finding?.connections).toBe(1);
    expect(finding?.totalDurationSeconds).toBe(7_200);
  });

  test('time is clipped to the window', async () => {
    // Starts 2 h before a 1 h window and lasts 2.5 h: 30 min inside the window, 2.5 h long.
    await store.appendEvents([connection(START, 9_000)]);
    const now = START + 3 * HOUR_MS;
    const [finding] = await run(now, { windowMs: HOUR_MS });

    expect(finding?.totalDurationSeconds).toBe(1_800);
    expect(finding?.longestDurationSeconds).toBe(9_000);
    expect(finding?.criteria).toEqual(['single-duration']);
  });

  test('connections after now or ended before the window are out', async () => {
    await store.appendEvents([
      connection(START, 7_200, { destinationip: '198.51.100.1' }),
      connection(START + 10 * HOUR_MS + 1, 7_200, { destinationip: '198.51.100.2' }),
    ]);
    const now = START + 10 * HOUR_MS;

    expect(await run(now, { windowMs: 7 * HOUR_MS })).toEqual([]);
    expect((await run(now)).map((finding) => finding.destinationip)).toEqual(['198.51.100.1']);
  });

  test('minDurationMs sets the threshold', async () => {
    await store.appendEvents([connection(START, 1_800)]);

    expect(await run(START + HOUR_MS)).toEqual([]);
    expect(await run(START + HOUR_MS, { minDurationMs: 1_800_000 })).toHaveLength(1);
    expect(await run(START + HOUR_MS, { minDurationMs: 1_800_001 })).toEqual([]);
  });

  test('total equals the sum of durations', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 100_000 }), { minLength: 1, maxLength: 20 }),
        async (durations) => {
          await store.run('DELETE FROM events');
          await store.appendEvents(
            durations.map((seconds, index) => connection(START + index * 1_000, seconds)),
          );
          const findings = await run(START + 100 * HOUR_MS, { minDurationMs: 1 });

          expect(findings).toHaveLength(1);
          expect(findings[0]?.totalDurationSeconds).toBe(
            durations.reduce((sum, seconds) => sum + seconds, 0),
          );
          expect(findings[0]?.longestDurationSeconds).toBe(Math.max(...durations));
        },
      ),
      { numRuns: 20 },
    );
  });

  test('open_conn rows are still open', async () => {
    await store.appendEvents([
      { ...connection(START, 7_200), sourcefile: '/logs/2024-04-19/open_conn.10:00:00-11:00:00.log.gz' },
      { ...connection(START, 4_000, { destinationip: '198.51.100.1' }), sourcefile: '/logs/conn.log' },
      {
        ...connection(START, 4_000, { destinationip: '198.51.100.2' }),
        sourcefile: 'C:\\logs\\open_conn.log',
      },
      {
        ...connection(START, 4_000, { destinationip: '198.51.100.3' }),
        sourcefile: '/logs/open_conn/conn.log',
      },
    ]);
    const findings = await run(START + 3 * HOUR_MS);
    const open = Object.fromEntries(findings.map((finding) => [finding.destinationip, finding.stillOpen]));

    expect(open).toEqual({
      '203.0.113.9': true,
      '198.51.100.1': false,
      '198.51.100.2': true,
      '198.51.100.3': false,
    });
    expect(findings[0]?.why).toContain('1 still open when logged (open_conn)');
  });

  test('Zeek open_conn fixture', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-long-'));
    try {
      await copyFile(fixturePath('zeek', 'open-conn/open_conn.log'), join(folder, 'open_conn.log'));
      await importFiles(store, [folder]);
      const [finding, ...others] = await run(Date.parse('2024-04-19T12:00:00Z'));

      expect(others).toEqual([]);
      expect(finding?.connections).toBe(2);
      expect(finding?.totalDurationSeconds).toBe(10_800);
      expect(finding?.longestDurationSeconds).toBe(7_200);
      expect(finding?.stillOpen).toBe(true);
      expect(finding?.openConnections).toBe(2);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  test('flatten keys match the CSV columns', async () => {
    await store.appendEvents([connection(START, 7_200)]);
    const [finding] = await run(START + 3 * HOUR_MS);
    if (finding === undefined) throw new Error('expected a finding');

    expect(Object.keys(longConnectionDetector.flatten(finding))).toEqual([
      ...longConnectionDetector.csvColumns,
    ]);
    expect(longConnectionDetector.tableColumns.map((column) => column.value(finding))).toEqual([
      '1',
      '10.0.0.5',
      '203.0.113.9',
      '443',
      'tcp/ssl',
      '1',
      // A no-break space keeps the number with its unit in the table.
      '2.0\u00a0h',
      '2.0\u00a0h',
      '',
      '2.0 h connected over 1 connection; longest 2.0 h; threshold 60.0 min; 1000 B sent, 4.9 KiB received',
    ]);
  });

  test('invalid options are rejected', async () => {
    await expect(run(START, { minDurationMs: 0 })).rejects.toThrow(UsageError);
    await expect(run(START, { windowMs: -1 })).rejects.toThrow('invalid windowMs -1');
  });
});

describe('formatBytes', () => {
  test.each([
    [0, '0 B'],
    [1_023, '1023 B'],
    [1_024, '1.0 KiB'],
    [1_536, '1.5 KiB'],
    [20 * 1024 ** 2, '20.0 MiB'],
    [2 ** 60, '1048576.0 TiB'],
  ])('%d bytes is %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

const STRATO_010 = 'zeek/strato-010-benign';
const HAS_STRATO_010 = existsSync(sharedPath(STRATO_010));
if (!HAS_STRATO_010) {
  console.warn(
    `skipping long-connection on strato-010-benign: ${sharedPath(STRATO_010)} not found under ${SHARED_DATA}`,
  );
}

describe.skipIf(!HAS_STRATO_010)('long-connection on strato-010-benign', () => {
  test('runs and ranks by total duration', async () => {
    await importFiles(store, [sharedPath(STRATO_010)]);
    const [newest] = await store.all<{ now: number }>('SELECT max(starttime) AS now FROM events');
    const findings = await run(newest?.now ?? START);

    console.info(
      `long-connection on ${STRATO_010}: ${findings.length} findings` +
        findings
          .slice(0, 5)
          .map(
            (finding) =>
              `; ${finding.sourceip} → ${finding.destinationip}:${finding.destinationport} ${finding.why.join(', ')}`,
          )
          .join(''),
    );
    const totals = findings.map((finding) => finding.totalDurationSeconds);
    expect(totals).toEqual([...totals].sort((a, b) => b - a));
    for (const finding of findings) {
      expect(Math.max(finding.totalDurationSeconds, finding.longestDurationSeconds)).toBeGreaterThanOrEqual(
        3_600,
      );
    }
  });
});

describe('long-connection window end', () => {
  test('without --now, sessions still open when the log closed count to their end', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-long-end-'));
    try {
      const path = join(folder, 'conn.log');
      const header = [
        '#separator \\x09',
        '#path\tconn',
        '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state',
      ];
      // Three parallel 30-minute sessions and nothing after them: the newest start is 20 s in.
      const rows = [0, 10, 20].map(
        (offset, index) =>
          `${1_700_000_000 + offset}.000000\tC${index}\t10.0.0.5\t${50_000 + index}\t203.0.113.9\t443\ttcp\tssl\t1800\t900\t3000\tSF`,
      );
      await writeFile(path, `${[...header, ...rows].join('\n')}\n`);
      const result = await scan({ paths: [path], detector: 'long-connection' });

      expect(result.now).toBe(1_700_000_020_000 + 1_800_000);
      expect(result.findings.map((finding) => finding.totalDurationSeconds)).toEqual([5400]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
