import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Command, CommanderError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';

import { EXIT_OK, EXIT_USAGE_OR_INPUT, UsageError } from '../errors.js';
import type { Labels } from '../simulate/labels.js';
import { simulateCommand } from './simulate.js';

const folders: string[] = [];

function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'beaconhunt-simulate-cli-'));
  folders.push(folder);
  return folder;
}

afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/**
 * Runs `beaconhunt simulate ARGS` in a program set up as main() sets up its own: errors are written as one
 * line, Commander's parse errors exit 1, and UsageError exits 1 with "beaconhunt: error: …".
 */
async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const program = new Command('beaconhunt').configureOutput({
    writeErr: (text) => {
      stderr += text;
    },
    writeOut: () => undefined,
    outputError: (text, write) => write(`beaconhunt: ${text}`),
  });
  program.addCommand(simulateCommand().copyInheritedSettings(program));
  program.exitOverride();
  program.commands.forEach((command) => command.exitOverride());
  try {
    await program.parseAsync(['simulate', '--quiet', ...args], { from: 'user' });
    return { code: EXIT_OK, stderr };
  } catch (error) {
    if (error instanceof CommanderError) return { code: EXIT_USAGE_OR_INPUT, stderr };
    if (error instanceof UsageError)
      return { code: EXIT_USAGE_OR_INPUT, stderr: `beaconhunt: error: ${error.message}\n` };
    throw error;
  }
}

function expectOneLine(stderr: string, pattern: RegExp): void {
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).toMatch(pattern);
}

describe('simulate command', () => {
  it('writes the chosen scenarios and formats', async () => {
    const out = join(tempFolder(), 'out');
    const result = await run([
      '--out',
      out,
      '--scenario',
      'sliver,ntp',
      '--format',
      'zeek-tsv',
      '--format',
      'cef',
      '--seed',
      '9',
      '--duration',
      '2h',
    ]);
    expect(result).toEqual({ code: EXIT_OK, stderr: '' });
    expect(readdirSync(out).sort()).toEqual(['cef', 'labels.json', 'zeek-tsv']);
    const labels = JSON.parse(readFileSync(join(out, 'labels.json'), 'utf8')) as Labels;
    expect(labels.seed).toBe(9);
    expect(labels.formats).toEqual(['zeek-tsv', 'cef']);
    expect(labels.series.map((series) => series.id)).toEqual(['sliver', 'ntp']);
    expect(labels.end).toBe('2026-11-02T02:00:00.000Z');
  });

  it('takes a start time', async () => {
    const out = join(tempFolder(), 'out');
    await run(['--out', out, '--scenario', 'ntp', '--format', 'squid', '--start', '2025-01-06T00:00:00Z']);
    const labels = JSON.parse(readFileSync(join(out, 'labels.json'), 'utf8')) as Labels;
    expect(labels.start).toBe('2025-01-06T00:00:00.000Z');
  });

  it('rejects an unknown format with exit 1', async () => {
    const out = join(tempFolder(), 'out');
    const result = await run(['--out', out, '--format', 'zeek-tsv,pcap']);
    expect(result.code).toBe(EXIT_USAGE_OR_INPUT);
    expectOneLine(result.stderr, /^beaconhunt: error: unknown format "pcap"; valid formats: zeek-tsv, /);
    expect(existsSync(out)).toBe(false);
  });

  it('rejects an unknown scenario with exit 1', async () => {
    const result = await run(['--out', join(tempFolder(), 'out'), '--scenario', 'cobalt']);
    expect(result.code).toBe(EXIT_USAGE_OR_INPUT);
    expectOneLine(result.stderr, /^beaconhunt: error: unknown scenario "cobalt"; valid scenarios: /);
  });

  it('rejects a non-empty folder without --force', async () => {
    const out = tempFolder();
    writeFileSync(join(out, 'conn.log'), 'keep');
    const result = await run(['--out', out, '--scenario', 'ntp']);
    expect(result.code).toBe(EXIT_USAGE_OR_INPUT);
    expectOneLine(result.stderr, /is not empty; choose another folder or add --force to overwrite/);
    expect(readFileSync(join(out, 'conn.log'), 'utf8')).toBe('keep');
    expect((await run(['--out', out, '--scenario', 'ntp', '--format', 'leef', '--force'])).code).toBe(
      EXIT_OK,
    );
  });

  it('rejects a missing --out and bad values with exit 1', async () => {
    const missing = await run([]);
    expect(missing.code).toBe(EXIT_USAGE_OR_INPUT);
    expectOneLine(missing.stderr, /required option '--out <dir>' not specified/);
    const seed = await run(['--out', join(tempFolder(), 'o'), '--seed', '4294967296']);
    expect(seed.code).toBe(EXIT_USAGE_OR_INPUT);
    expect(seed.stderr).toMatch(/--seed takes a whole number from 0 to 4294967295/);
    const duration = await run(['--out', join(tempFolder(), 'o'), '--duration', 'soon']);
    expect(duration.code).toBe(EXIT_USAGE_OR_INPUT);
    const start = await run(['--out', join(tempFolder(), 'o'), '--start', '2026-13-01']);
    expect(start.code).toBe(EXIT_USAGE_OR_INPUT);
    expect(start.stderr).toMatch(/--start takes epoch milliseconds or an ISO 8601 time/);
  });
});
