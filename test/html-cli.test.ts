/**
 * `scan --html` from the command line: the file and its stderr line, the page on stdout with `-`, and
 * one-line errors for a folder that does not exist and for two outputs on stdout.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { beaconhunt } from './run-cli.js';

let folder: string;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'beaconhunt-html-cli-'));
});

afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Returns the report document embedded in a page. */
function embeddedDocument(html: string): { findings: { hidden: boolean }[]; hiddenTotal: number } {
  const match = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html);
  expect(match).not.toBeNull();
  return JSON.parse(match![1]!) as { findings: { hidden: boolean }[]; hiddenTotal: number };
}

describe('scan --html', () => {
  it('writes the report file', async () => {
    const path = join(folder, 'report.html');
    const { code, stdout, stderr } = await beaconhunt('scan', 'samples/zeek', '--html', path);
    expect(code).toBe(0);
    // The table still goes to stdout.
    expect(stdout).toContain('203.0.113.50');
    expect(stderr).toContain(`beaconhunt: wrote 6 findings to the HTML report ${path}\n`);
    const document = embeddedDocument(readFileSync(path, 'utf8'));
    expect(document.findings).toHaveLength(6);
    expect(document.findings.filter((finding) => finding.hidden)).toHaveLength(1);
    expect(document.hiddenTotal).toBe(1);
  });

  it('caps findings with --top', async () => {
    const path = join(folder, 'top.html');
    const { code } = await beaconhunt('scan', 'samples/zeek', '--html', path, '--top', '2', '--quiet');
    expect(code).toBe(0);
    const document = embeddedDocument(readFileSync(path, 'utf8'));
    // Two shown findings, then the one hidden finding.
    expect(document.findings.map((finding) => finding.hidden)).toEqual([false, false, true]);
  });

  it('writes the page to stdout', async () => {
    const { code, stdout } = await beaconhunt('scan', 'samples/zeek', '--html', '-', '--quiet');
    expect(code).toBe(0);
    expect(stdout.startsWith('<!doctype html>')).toBe(true);
    expect(stdout).not.toContain('┌');
  });

  it('rejects two stdout outputs', async () => {
    const { code, stdout, stderr } = await beaconhunt('scan', 'samples/zeek', '--html', '-', '--json');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'beaconhunt: error: --html - and --json would both write to stdout; write the report to a file with --html FILE\n',
    );
  });

  it('rejects a missing folder', async () => {
    const path = join(folder, 'missing', 'report.html');
    const { code, stderr } = await beaconhunt('scan', 'samples/zeek', '--html', path, '--quiet');
    expect(code).toBe(1);
    expect(stderr).toBe(
      `beaconhunt: error: ${path}: cannot write the HTML report (ENOENT); check the folder exists and is writable\n`,
    );
  });

  it('rejects a folder as the file', async () => {
    const { code, stderr } = await beaconhunt('scan', 'samples/zeek', '--html', folder, '--quiet');
    expect(code).toBe(1);
    expect(stderr).toBe(
      `beaconhunt: error: ${folder}: cannot write the HTML report over a folder; give a file path such as ${join(folder, 'report.html')}\n`,
    );
  });
});
