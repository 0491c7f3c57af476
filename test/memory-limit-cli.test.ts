/**
 * The --memory-limit flag and BEACONHUNT_MEMORY_LIMIT as a user gives them: the built binary in a child
 * process. `npm test` builds dist/ first.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { beaconhuntWithEnv as beaconhunt } from './run-cli.js';
import { REPOSITORY_ROOT } from './shared-data.js';

const SAMPLE_ZEEK = join(REPOSITORY_ROOT, 'samples', 'zeek');

let workdir: string;

beforeAll(async () => {
  workdir = await mkdtemp(join(tmpdir(), 'beaconhunt-memory-cli-'));
});

afterAll(async () => {
  await rm(workdir, { recursive: true, force: true });
});

describe('--memory-limit', () => {
  test('scan rejects a size without a unit', async () => {
    const outcome = await beaconhunt(['scan', SAMPLE_ZEEK, '--memory-limit', '2000']);

    expect(outcome.code).toBe(1);
    expect(outcome.stderr.trim().split('\n')).toHaveLength(1);
    expect(outcome.stderr).toMatch(
      /^beaconhunt: error: --memory-limit takes a size with a unit, such as 1.5GB or 800MiB .*; got "2000"\n$/,
    );
    expect(outcome.stdout).toBe('');
  });

  test('import rejects a size under the minimum', async () => {
    const db = join(workdir, 'small.duckdb');
    const outcome = await beaconhunt(['import', SAMPLE_ZEEK, '--db', db, '--memory-limit', '600MB']);

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toBe(
      'beaconhunt: error: --memory-limit must be from 640MiB to 9000TB; got "600MB"\n',
    );
  });

  test('an invalid environment variable is named', async () => {
    const outcome = await beaconhunt(['scan', SAMPLE_ZEEK, '--json'], { BEACONHUNT_MEMORY_LIMIT: 'half' });

    expect(outcome.code).toBe(1);
    expect(outcome.stderr.trim().split('\n')).toHaveLength(1);
    expect(outcome.stderr).toContain('BEACONHUNT_MEMORY_LIMIT takes a size with a unit');
  });

  test('a scan under a set limit finds the same beacons', async () => {
    const roomy = await beaconhunt(['scan', SAMPLE_ZEEK, '--json', '--quiet']);
    const tight = await beaconhunt(['scan', SAMPLE_ZEEK, '--json', '--quiet', '--memory-limit', '640MiB']);
    // The flag wins over the variable, which would fail the run.
    const flagged = await beaconhunt(['scan', SAMPLE_ZEEK, '--json', '--quiet', '--memory-limit', '3GB'], {
      BEACONHUNT_MEMORY_LIMIT: 'half',
    });

    expect(roomy.code).toBe(0);
    expect(tight.code).toBe(0);
    expect(flagged.code).toBe(0);
    const findings = JSON.parse(roomy.stdout) as unknown[];
    expect(findings.length).toBeGreaterThan(0);
    expect(JSON.parse(tight.stdout)).toEqual(findings);
    expect(JSON.parse(flagged.stdout)).toEqual(findings);
  });

  test('scan --help names the flag and its unit', async () => {
    const outcome = await beaconhunt(['scan', '--help']);

    expect(outcome.stdout).toContain('--memory-limit <size>');
    expect(outcome.stdout).toContain('BEACONHUNT_MEMORY_LIMIT');
  });
});
