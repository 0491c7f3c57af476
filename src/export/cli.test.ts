/** The `rule export` command, run in-process on temporary files. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { ruleCommand } from '../cli/rule.js';
import { UsageError } from '../errors.js';
import { TUNED_CONFIG_YAML } from './fixtures.js';
import { compile as compileDuckdb } from './duckdb.js';
import { compile as compileSpl } from './spl.js';
import { buildRule } from './model.js';
import { parseConfig } from '../config.js';

let folder: string;
let stdout: string;

function program(): Command {
  const root = new Command('beaconhunt').exitOverride();
  root.addCommand(ruleCommand().copyInheritedSettings(root));
  return root;
}

async function run(...args: string[]): Promise<void> {
  await program().parseAsync(['node', 'beaconhunt', 'rule', 'export', ...args]);
}

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'beaconhunt-export-'));
  stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(() => {
  vi.restoreAllMocks();
  rmSync(folder, { recursive: true, force: true });
});

describe('rule export', () => {
  it('writes one target to stdout', async () => {
    await run('--target', 'duckdb');
    expect(stdout).toBe(compileDuckdb(buildRule({})));
  });

  it('applies the config and flags', async () => {
    const config = join(folder, 'beaconhunt.yaml');
    writeFileSync(config, TUNED_CONFIG_YAML);
    await run(
      '--target',
      'spl',
      '--config',
      config,
      '--ports',
      '443,8443',
      '--window',
      '6h',
      '--min-count',
      '20',
    );
    const expected = compileSpl(
      buildRule(parseConfig(TUNED_CONFIG_YAML, config), {
        ports: [443, 8443],
        windowMs: 21_600_000,
        minCount: 20,
      }),
    );
    expect(stdout).toBe(expected);
    expect(stdout).toContain('earliest=-6h');
    expect(stdout).toContain('ConnectionCount > 20');
  });

  it('writes every target to a folder', async () => {
    const out = join(folder, 'exports');
    await run('--target', 'all', '--out', out);
    expect(readdirSync(out).sort()).toEqual(
      [
        'aql.aql',
        'clickhouse.sql',
        'duckdb.sql',
        'esql.esql',
        'kql-asim.kql',
        'kql-mde.kql',
        'sigma.yml',
        'spl.spl',
      ].map((name) => `beaconhunt_t1071_beaconing.${name}`),
    );
    expect(readFileSync(join(out, 'beaconhunt_t1071_beaconing.duckdb.sql'), 'utf8')).toBe(
      compileDuckdb(buildRule({})),
    );
    expect(stdout).toBe('');
  });

  it('writes one target to a file', async () => {
    const out = join(folder, 'rule.sql');
    await run('--target', 'duckdb', '--out', out, '--no-regularity');
    expect(readFileSync(out, 'utf8')).toBe(compileDuckdb(buildRule({}, { regularity: null })));
  });

  it('sets the regularity test', async () => {
    await run('--target', 'duckdb', '--min-gaps', '20', '--max-gap-cv', '0.25');
    expect(stdout).toContain('"GapCount" >= 20');
    expect(stdout).toContain('"GapCv" <= 0.25');
  });

  it('rejects all without --out', async () => {
    await expect(run('--target', 'all')).rejects.toThrow(UsageError);
    await expect(run('--target', 'all')).rejects.toThrow('add --out DIR');
  });

  it('rejects an unbounded window', async () => {
    await expect(run('--target', 'aql', '--window', 'all')).rejects.toThrow('finite --window');
  });

  it('rejects regularity flags with --no-regularity', async () => {
    await expect(run('--target', 'aql', '--no-regularity', '--min-gaps', '5')).rejects.toThrow(
      'drop --no-regularity',
    );
  });

  it('rejects an unknown target', async () => {
    await expect(run('--target', 'splunk')).rejects.toThrow(/Allowed choices are aql, spl/);
  });

  it('inherits the program error output', async () => {
    let written = '';
    const root = new Command('beaconhunt')
      .exitOverride()
      .configureOutput({ outputError: (text) => (written += `beaconhunt: ${text}`) });
    root.addCommand(ruleCommand().copyInheritedSettings(root));
    const argv = ['node', 'beaconhunt', 'rule', 'export', '--target', 'aql', '--bogus'];
    await expect(root.parseAsync(argv)).rejects.toThrow();
    expect(written).toMatch(/^beaconhunt: error: unknown option '--bogus'/);
  });

  it('reports a missing config file', async () => {
    await expect(run('--target', 'aql', '--config', join(folder, 'missing.yaml'))).rejects.toThrow(
      /cannot read the config file \(ENOENT\)/,
    );
  });
});
