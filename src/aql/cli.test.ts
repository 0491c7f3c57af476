import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { aqlCommand } from '../cli/aql.js';
import { UsageError } from '../errors.js';
import { AqlError } from './errors.js';

const SAMPLE = new URL('../../samples/qradar/qradar-results.json', import.meta.url).pathname;
const RULE_FILE = new URL('./testdata/qradar-t1071.aql', import.meta.url).pathname;

/** Runs `beaconhunt aql ARGS` in-process and returns what it wrote to stdout. */
async function runCli(args: string[]): Promise<string> {
  let output = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    output += String(chunk);
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await aqlCommand().exitOverride().parseAsync(args, { from: 'user' });
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return output;
}

let folder: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'beaconhunt-aql-'));
});
afterAll(async () => rm(folder, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

describe('beaconhunt aql', () => {
  it('--explain prints SQL and parameters without data', async () => {
    const output = await runCli([
      "SELECT sourceip FROM events WHERE username = 'bob' LAST 1 HOURS",
      '--explain',
    ]);
    expect(output).toBe(
      [
        'SELECT',
        '  sourceip AS c1',
        'FROM events',
        'WHERE starttime <= CAST($1 AS BIGINT)',
        '  AND starttime > CAST($1 AS BIGINT) - 3600000',
        '  AND (username = $2)',
        'ORDER BY 1 ASC NULLS LAST;',
        "-- $1 = now: the newest event's starttime, or --now",
        '-- $2 = "bob"',
        '-- output columns: sourceip',
        '',
      ].join('\n'),
    );
  });

  it('--explain with --now shows the value', async () => {
    const output = await runCli(['SELECT NOW() FROM events', '--explain', '--now', '1704153600000']);
    expect(output).toContain('-- $1 = 1704153600000\n');
  });

  // The counts are those of `scan --detector qradar-t1071` on the same sample.
  it('--json runs the T1071 rule from --file', async () => {
    const rows = JSON.parse(await runCli([SAMPLE, '--file', RULE_FILE, '--json', '-q'])) as {
      ConnectionCount: number;
    }[];
    expect(rows.map((row) => row.ConnectionCount)).toEqual([1600, 1436, 242, 141]);
  });

  it('--explain rejects log paths', async () => {
    await expect(runCli(['SELECT sourceip FROM events', SAMPLE, '--explain'])).rejects.toThrow(
      '--explain reads no data; drop the log paths and --db, and set the now with --now',
    );
  });

  it('--csv writes a header row', async () => {
    const output = await runCli([
      "SELECT sourceip, COUNT(*) AS n FROM events WHERE sourceip = '10.20.1.15' GROUP BY sourceip",
      SAMPLE,
      '--csv',
    ]);
    expect(output.split('\n')[0]).toBe('sourceip,n');
    expect(output.split('\n')[1]).toMatch(/^10\.20\.1\.15,\d+$/);
  });

  it('prints a table by default', async () => {
    const output = await runCli(['SELECT COUNT(*) AS n FROM events WHERE destinationport = 6667', SAMPLE]);
    expect(output).toContain('│ n │');
    expect(output).toContain('│ 0 │');
  });

  it('reads a saved dataset with --db', async () => {
    const db = join(folder, 'saved.duckdb');
    await runCli(['SELECT COUNT(*) AS n FROM events', SAMPLE, '--db', db, '--json']);
    const rows = JSON.parse(await runCli(['SELECT COUNT(*) AS n FROM events', '--db', db, '--json'])) as {
      n: number;
    }[];
    expect(rows[0]?.n).toBeGreaterThan(1000);
  });

  it('rejects --local-net on a saved dataset', async () => {
    await expect(
      runCli([
        'SELECT sourceip FROM events',
        '--db',
        join(folder, 'saved.duckdb'),
        '--local-net',
        '10.0.0.0/8',
      ]),
    ).rejects.toThrow('--local-net applies to imported paths only; give the log paths, or drop --local-net');
  });

  it('reports a syntax error with its position', async () => {
    await expect(runCli(['SELECT sourceip\nFROM events\nWHERE', SAMPLE])).rejects.toThrow(
      new AqlError('syntax', 'expected an expression, found the end of the query', {
        line: 3,
        column: 6,
        offset: 0,
      }),
    );
  });

  it('rejects a missing query', async () => {
    await expect(runCli(['', SAMPLE])).rejects.toThrow(UsageError);
  });

  it('rejects an unreadable query file', async () => {
    await expect(runCli([SAMPLE, '--file', join(folder, 'missing.aql')])).rejects.toThrow(
      `${join(folder, 'missing.aql')}: cannot read the query file (ENOENT)`,
    );
  });

  it('reports an engine error as a usage error', async () => {
    await writeFile(join(folder, 'bad-regex.aql'), "SELECT sourceip FROM events WHERE username MATCHES '('");
    await expect(runCli([SAMPLE, '--file', join(folder, 'bad-regex.aql')])).rejects.toThrow(
      /^the query failed in DuckDB: /,
    );
  });

  it('lint prints each warning with its position', async () => {
    const output = await runCli(['lint', 'SELECT COUNT(*) FROM events LAST 1 HOURS']);
    expect(output).toBe(
      '1:8  count-coalesced  COUNT(*) counts records, and QRadar coalesces repeated events into one record ' +
        'with eventcount above 1, so fast beacons are undercounted; use SUM(eventcount)\n',
    );
  });

  it('lint --json reads --file', async () => {
    const warnings = JSON.parse(await runCli(['lint', '--file', RULE_FILE, '--json'])) as { rule: string }[];
    expect(warnings.map((warning) => warning.rule)).toEqual([
      'no-time-clause',
      'like-on-address',
      'incomplete-private-ranges',
      'receipt-time',
      'count-coalesced',
    ]);
  });

  it('lint reports a clean query', async () => {
    expect(await runCli(['lint', 'SELECT sourceip FROM events LAST 1 HOURS'])).toBe('No warnings.\n');
  });

  it('lint reads --file under a root command', async () => {
    const root = new Command('beaconhunt').exitOverride();
    root.addCommand(aqlCommand().copyInheritedSettings(root));
    let output = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output += String(chunk);
      return true;
    });
    await root.parseAsync(['aql', 'lint', '--file', RULE_FILE], { from: 'user' });
    expect(output.split('\n')[0]).toBe(
      '1:1  no-time-clause  no time clause: QRadar then searches only its default window of a few minutes, ' +
        'whatever WHERE says; add LAST 24 HOURS or START … STOP …',
    );
  });
});
