/** `beaconhunt eval` end to end: a generated labelled dataset through the CLI function and its errors. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';

import { evalCommand, runEval } from '../cli/eval.js';
import { ALERT_SCORE } from '../detect/beacon/index.js';
import { InputError, UsageError } from '../errors.js';
import type { EvalLabels } from './labels.js';
import type { EvaluationReport } from './run.js';
import { writeSampleSuite } from './sample-suite.js';

let folder: string;
let labels: EvalLabels;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'beaconhunt-eval-'));
  labels = await writeSampleSuite(join(folder, 'suite'), {
    seed: 20261102,
    start: Date.parse('2026-11-02T00:00:00Z'),
    durationMs: 86_400_000,
  });
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function jsonReport(paths: string[], flags: Record<string, unknown> = {}): Promise<EvaluationReport> {
  return JSON.parse(await runEval(paths, { detector: 'beacon', json: true, ...flags })) as EvaluationReport;
}

describe('eval on the sample suite', () => {
  test('beacon finds both beacons and flags no benign class', async () => {
    const report = await jsonReport([join(folder, 'suite')]);
    const metrics = report.metrics;

    expect(report.threshold).toBe(ALERT_SCORE);
    expect(report.events).toBe(labels.series.reduce((sum, series) => sum + (series.events ?? 0), 0));
    expect(metrics.recall).toBe(1);
    expect(metrics.alerts).toBe(2);
    expect(metrics.precisionLabelled).toBe(1);
    expect(metrics.precisionAll).toBe(1);
    expect(metrics.firstFalsePositiveRank).toBeNull();
    expect(metrics.maliciousAboveBenign).toBe(true);
    expect(metrics.benignClasses.map((entry) => entry.class)).toEqual([
      'web-browsing',
      'mail-client',
      'dns-lookups',
      'ntp-client',
    ]);
    for (const entry of metrics.benignClasses) expect(entry.flaggedSeries).toBe(0);
    expect(metrics.series.filter((series) => series.malicious).map((series) => series.bestRank)).toEqual([
      1, 2,
    ]);
  });

  test('qradar-t1071 flags browsing and mail', async () => {
    const report = await jsonReport([join(folder, 'suite')], { detector: 'qradar-t1071' });
    const metrics = report.metrics;

    expect(report.threshold).toBeNull();
    expect(metrics.recall).toBe(1);
    expect(metrics.alerts).toBe(4);
    expect(metrics.falsePositiveAlerts).toBe(2);
    expect(metrics.precisionLabelled).toBe(0.5);
    expect(metrics.firstFalsePositiveRank).toBe(2);
    expect(metrics.maliciousAboveBenign).toBe(false);
    const flagged = metrics.benignClasses
      .filter((entry) => entry.flaggedSeries > 0)
      .map((entry) => entry.class);
    expect(flagged).toEqual(['web-browsing', 'mail-client']);
  });

  test('threshold zero makes every finding an alert', async () => {
    const metrics = (await jsonReport([join(folder, 'suite')], { threshold: 0 })).metrics;

    expect(metrics.alerts).toBe(metrics.findings);
    expect(metrics.falsePositiveAlerts).toBe(metrics.findings - 2);
    expect(metrics.firstFalsePositiveRank).toBe(3);
  });

  test('files with --labels', async () => {
    const suite = join(folder, 'suite');
    const report = await jsonReport([join(suite, 'conn.log'), join(suite, 'ssl.log')], {
      labels: join(suite, 'labels.json'),
    });

    expect(report.metrics.recall).toBe(1);
    expect(report.events).toBe(labels.series.reduce((sum, series) => sum + (series.events ?? 0), 0));
  });

  test('text report', async () => {
    const text = await runEval([join(folder, 'suite')], { detector: 'beacon' });

    expect(text).toContain('recall: 2/2 = 100% malicious series detected');
    expect(text).toContain('false positives: 0 alerts; first at rank —');
    expect(text).toContain('every malicious series ranks above every benign one: yes');
    expect(text).toContain('Benign classes');
  });

  test('through commander', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const program = new Command('beaconhunt').exitOverride().addCommand(evalCommand().exitOverride());
      await program.parseAsync(['eval', join(folder, 'suite'), '--detector', 'qradar-t1071', '--json'], {
        from: 'user',
      });
      const output = write.mock.calls.map((call) => String(call[0])).join('');
      const report = JSON.parse(output) as EvaluationReport;

      expect(report.detector).toBe('qradar-t1071');
      expect(report.metrics.falsePositiveAlerts).toBe(2);
    } finally {
      write.mockRestore();
    }
  });
});

describe('eval errors', () => {
  test('missing labels file', async () => {
    const empty = await mkdtemp(join(folder, 'empty-'));
    await writeFile(join(empty, 'conn.log'), '');

    await expect(runEval([empty], { detector: 'beacon' })).rejects.toThrow(InputError);
    await expect(runEval([empty], { detector: 'beacon' })).rejects.toThrow(
      `${join(empty, 'labels.json')}: cannot read the labels file (ENOENT)`,
    );
  });

  test('invalid labels file', async () => {
    const bad = join(folder, 'bad-labels.json');
    await writeFile(bad, JSON.stringify({ ...labels, series: [{ ...labels.series[0], malicious: 'yes' }] }));

    await expect(runEval([join(folder, 'suite')], { detector: 'beacon', labels: bad })).rejects.toThrow(
      new RegExp(
        `^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: invalid labels file: series\\[0\\]\\.malicious: `,
      ),
    );
  });

  test('files without --labels', async () => {
    await expect(runEval([join(folder, 'suite', 'conn.log')], { detector: 'beacon' })).rejects.toThrow(
      UsageError,
    );
  });

  test('--threshold with qradar-t1071', async () => {
    await expect(
      runEval([join(folder, 'suite')], { detector: 'qradar-t1071', threshold: 0.4 }),
    ).rejects.toThrow('--threshold applies to --detector beacon only');
  });

  test('--window all with qradar-t1071', async () => {
    await expect(
      runEval([join(folder, 'suite')], { detector: 'qradar-t1071', window: Number.POSITIVE_INFINITY }),
    ).rejects.toThrow(UsageError);
  });

  test('bad --threshold value from commander', async () => {
    const program = new Command('beaconhunt').exitOverride().addCommand(evalCommand().exitOverride());
    const errors = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await expect(
        program.parseAsync(['eval', join(folder, 'suite'), '--threshold', '2'], { from: 'user' }),
      ).rejects.toThrow(/--threshold takes a number from 0 to 1/);
    } finally {
      errors.mockRestore();
    }
  });
});
