/**
 * `beaconhunt explain` and `scan --explain` on the bundled samples: golden text for a shown and a hidden
 * finding, lines within 80 columns, the JSON form, and one-line errors for a missing rank or a clashing
 * output. Set BEACONHUNT_UPDATE_GOLDEN=1 to rewrite the golden files, then review the diff.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { beaconhunt } from './run-cli.js';

const GOLDEN_DIR = new URL('./golden/explain/', import.meta.url);
const UPDATE = process.env.BEACONHUNT_UPDATE_GOLDEN === '1';

function expectGolden(name: string, output: string): void {
  const file = new URL(name, GOLDEN_DIR);
  if (UPDATE) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, output);
  }
  expect(existsSync(file), `missing ${file.pathname}; run with BEACONHUNT_UPDATE_GOLDEN=1`).toBe(true);
  expect(output).toBe(readFileSync(file, 'utf8'));
}

/** Lines longer than `width` characters, counted as the terminal counts them (code points). */
function overlong(text: string, width: number): string[] {
  return text.split('\n').filter((line) => [...line].length > width);
}

describe('beaconhunt explain', () => {
  it('explains the top beacon', async () => {
    const { code, stdout, stderr } = await beaconhunt('explain', '1', 'samples/zeek', '--quiet');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expectGolden('samples-beacon-1.txt', stdout);
    expect(overlong(stdout, 80)).toEqual([]);
    for (const heading of [
      'Series',
      'Gaps between connections',
      'Connections per hour',
      'Score',
      'Context',
      'Why',
      'Tuning',
    ]) {
      expect(stdout).toContain(`\n${heading}`);
    }
  });

  it('explains a hidden finding', async () => {
    const { code, stdout } = await beaconhunt('explain', '6', 'samples/zeek', '--quiet');
    expect(code).toBe(0);
    expectGolden('samples-beacon-6-hidden.txt', stdout);
    expect(stdout).toContain('hidden by profile ntp');
  });

  it('explains a QRadar rule match', async () => {
    const { code, stdout } = await beaconhunt(
      'explain',
      '1',
      'samples/zeek',
      '-d',
      'qradar-t1071',
      '--quiet',
    );
    expect(code).toBe(0);
    expectGolden('samples-qradar-1.txt', stdout);
    expect(overlong(stdout, 80)).toEqual([]);
  });

  it('matches scan --explain', async () => {
    const explain = await beaconhunt('explain', '2', 'samples/zeek', '--quiet');
    const scan = await beaconhunt('scan', 'samples/zeek', '--explain', '2', '--quiet');
    expect(scan.code).toBe(0);
    expect(scan.stdout).toBe(explain.stdout);
  });

  it('writes JSON with --json', async () => {
    const { code, stdout } = await beaconhunt('explain', '1', 'samples/zeek', '--json', '--quiet');
    expect(code).toBe(0);
    const entry = JSON.parse(stdout) as {
      summary: { rank: number };
      charts: { connections: number; gaps: { counts: number[] } };
      checks: { outcome: string }[];
    };
    expect(entry.summary.rank).toBe(1);
    expect(entry.charts.connections).toBe(1600);
    expect(entry.checks.length).toBeGreaterThan(0);
  });

  it('rejects a rank beyond the findings', async () => {
    const { code, stdout, stderr } = await beaconhunt('explain', '40', 'samples/zeek', '--quiet');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'beaconhunt: error: no finding ranked 40: beacon found 5 findings and 1 hidden by tuning; run scan to see the ranks\n',
    );
  });

  it('rejects a clashing output', async () => {
    const { code, stderr } = await beaconhunt('scan', 'samples/zeek', '--explain', '1', '--csv');
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('drop --csv');
  });

  it('rejects rank zero', async () => {
    const { code, stderr } = await beaconhunt('explain', '0', 'samples/zeek');
    expect(code).toBe(1);
    expect(stderr).toContain('<rank>');
  });
});
