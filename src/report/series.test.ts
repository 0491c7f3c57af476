/**
 * The rows loaded behind each finding must be the rows the detector counted. For every finding of every
 * detector, on simulated traffic of every scenario and on the bundled samples, the loaded rows number
 * the finding's connections and fall between its first and last time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { REPOSITORY_ROOT } from '../../test/shared-data.js';
import type { BeaconFinding } from '../detect/beacon/index.js';
import type { DetectorId } from '../detect/registry.js';
import { scan, type ScanResult } from '../scan.js';
import { simulate } from '../simulate/simulate.js';
import { summarizeFinding } from './finding-summary.js';
import { hourCounts } from './series-charts.js';
import { MAX_SERIES_ROWS } from './series.js';

let folder: string;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'beaconhunt-series-'));
  simulate({ out: join(folder, 'simulated'), seed: 5, formats: ['zeek-tsv'] });
});

afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Scans with the rows of every finding, shown and hidden, loaded. */
function scanAll(path: string, detector: DetectorId): Promise<ScanResult> {
  return scan({ paths: [path], detector, details: () => true });
}

/** Returns every finding, shown then hidden, with its loaded rows. */
function listed(result: ScanResult): { finding: object; index: number }[] {
  return [...result.findings, ...result.suppressed.map((entry) => entry.finding)].map((finding, index) => ({
    finding: finding as object,
    index,
  }));
}

describe('rows behind each finding', () => {
  it.each(['beacon', 'qradar-t1071', 'long-connection', 'dns-tunnel'] as const)(
    '%s rows match its counts',
    async (detector) => {
      let checked = 0;
      for (const path of [join(folder, 'simulated'), join(REPOSITORY_ROOT, 'samples', 'zeek')]) {
        const result = await scanAll(path, detector);
        for (const { finding, index } of listed(result)) {
          const details = result.details.get(finding as never);
          expect(details, `details of finding ${index + 1}`).toBeDefined();
          const summary = summarizeFinding(detector, finding, index);
          const { series } = details!;
          expect(series.total).toBe(series.times.length);
          if (summary.count !== null && detector !== 'long-connection') {
            expect(series.total, summary.title).toBe(summary.count);
          }
          if (detector === 'long-connection') expect(series.total).toBeGreaterThanOrEqual(summary.count ?? 0);
          expect(series.times[0]).toBe(summary.firstSeenMs);
          expect(series.times.every((time) => time <= summary.lastSeenMs)).toBe(true);
          checked += 1;
        }
      }
      expect(checked).toBeGreaterThan(0);
    },
    120_000,
  );

  it('covers every beacon key kind', async () => {
    const result = await scanAll(join(folder, 'simulated'), 'beacon');
    const kinds = new Set(listed(result).map(({ finding }) => (finding as BeaconFinding).key));
    // The simulation has server-name, dns-domain and ip-port beacons; all must have been checked above.
    expect([...kinds].sort()).toEqual(expect.arrayContaining(['dns-domain', 'ip-port', 'server-name']));
  }, 60_000);

  it('splits failed attempts from sessions', async () => {
    // One pair: a working channel every 60 s and refused retries every 90 s in between.
    const header = [
      '#separator \\x09',
      '#path\tconn',
      '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state',
    ];
    const row = (seconds: number, index: number, state: string): string =>
      `${1_700_000_000 + seconds}.000000\tC${state}${index}\t10.0.0.5\t${40_000 + index}\t203.0.113.9\t443\ttcp\t-\t1\t300\t900\t${state}`;
    const sessions = Array.from({ length: 30 }, (_, index) => row(index * 60, index, 'SF'));
    const refused = Array.from({ length: 20 }, (_, index) => row(index * 90 + 7, index, 'REJ'));
    const path = join(folder, 'mixed-conn.log');
    writeFileSync(path, `${[...header, ...sessions, ...refused].join('\n')}\n`);

    const result = await scanAll(path, 'beacon');
    const counts = listed(result).map(({ finding }) => {
      const beacon = finding as BeaconFinding;
      return [beacon.category, result.details.get(beacon)?.series.total];
    });
    expect(counts.sort()).toEqual([
      ['beacon', 30],
      ['blocked-attempts', 20],
    ]);
  });

  it('counts hours over every row', async () => {
    // A 1 s beacon for 30 hours: more rows than are loaded, so the oldest six hours are cut.
    const header = [
      '#separator \\x09',
      '#path\tconn',
      '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state',
    ];
    const start = Date.UTC(2026, 0, 5) / 1000;
    const rows = Array.from(
      { length: 30 * 3600 },
      (_, index) =>
        `${start + index}.000000\tC${index}\t10.0.0.5\t40000\t203.0.113.9\t443\ttcp\t-\t0.1\t90\t90\tSF`,
    );
    const path = join(folder, 'one-second-conn.log');
    writeFileSync(path, `${[...header, ...rows].join('\n')}\n`);

    const result = await scanAll(path, 'beacon');
    const top = result.findings[0]!;
    const { series } = result.details.get(top)!;
    expect(series.total).toBe(30 * 3600);
    expect(series.times).toHaveLength(MAX_SERIES_ROWS);
    const hours = hourCounts(series.minuteCounts!, 0);
    // Hours 00–05 ran twice (day one and day two), the rest once.
    expect(hours.slice(0, 6)).toEqual(new Array(6).fill(7200));
    expect(hours.slice(6)).toEqual(new Array(18).fill(3600));
  }, 120_000);

  it('loads only the asked ranks', async () => {
    const result = await scan({
      paths: [join(REPOSITORY_ROOT, 'samples', 'zeek')],
      details: (rank) => rank === 2,
    });
    expect([...result.details.keys()].map((finding) => finding.rank)).toEqual([2]);
    expect(result.details.get(result.findings[1]!)?.checks?.length).toBeGreaterThan(0);
  });

  it('has no checks without tuning', async () => {
    const result = await scan({
      paths: [join(REPOSITORY_ROOT, 'samples', 'zeek')],
      tuning: false,
      details: (rank) => rank === 1,
    });
    expect(result.details.get(result.findings[0]!)?.checks).toBeNull();
  });
});
