/**
 * The terminal table of `beaconhunt scan` written to a pipe: its width comes from COLUMNS or is 80, and
 * it has no colour. `npm test` builds dist/ first.
 */
import { stripVTControlCharacters } from 'node:util';

import { describe, expect, test } from 'vitest';

import { beaconhuntWithEnv } from './run-cli.js';

/** Empty values count as unset, so a FORCE_COLOR or COLUMNS in the test runner's environment is overridden. */
const PLAIN_ENV = { COLUMNS: '', FORCE_COLOR: '', NO_COLOR: '' };

const SCANS: [string, string[]][] = [
  ['beacon', ['scan', 'samples/zeek']],
  ['qradar-t1071', ['scan', 'samples/qradar/qradar-results.json', '--detector', 'qradar-t1071']],
];

function widestLine(text: string): number {
  return Math.max(...text.split('\n').map((line) => [...stripVTControlCharacters(line)].length));
}

describe('scan table on a pipe', () => {
  test.each(SCANS)('%s fits 80 columns', async (_, args) => {
    const outcome = await beaconhuntWithEnv(args, PLAIN_ENV);

    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toContain('┌');
    expect(widestLine(outcome.stdout)).toBeLessThanOrEqual(80);
  });

  test.each(SCANS)('%s has no escapes', async (_, args) => {
    const outcome = await beaconhuntWithEnv(args, PLAIN_ENV);

    expect(outcome.stdout).not.toContain('\u001b');
  });

  test.each(SCANS)('%s fits COLUMNS=120', async (_, args) => {
    const outcome = await beaconhuntWithEnv(args, { ...PLAIN_ENV, COLUMNS: '120' });

    expect(outcome.code).toBe(0);
    expect(widestLine(outcome.stdout)).toBeLessThanOrEqual(120);
  });

  test('COLUMNS=200 widens the table', async () => {
    const outcome = await beaconhuntWithEnv(['scan', 'samples/zeek'], { ...PLAIN_ENV, COLUMNS: '200' });

    expect(widestLine(outcome.stdout)).toBeGreaterThan(120);
    expect(widestLine(outcome.stdout)).toBeLessThanOrEqual(200);
  });

  test('FORCE_COLOR colours piped table', async () => {
    const outcome = await beaconhuntWithEnv(['scan', 'samples/zeek'], { ...PLAIN_ENV, FORCE_COLOR: '1' });

    expect(outcome.stdout).toContain('\u001b[36m');
    expect(widestLine(outcome.stdout)).toBeLessThanOrEqual(80);
  });
});
