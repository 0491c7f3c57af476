#!/usr/bin/env node
// Writes docs/detection-quality.md: `beacon` and `qradar-t1071` side by side on a simulated labelled suite
// and on every capture in ../shared/data, with recall, precision, false positives per benign class and
// each labelled series' rank. Run `npm run build` first; it reads the compiled modules in dist/.
// Usage: node scripts/detection-quality.js [--seed N] [--data DIR] [--out FILE]
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { readGroundTruth } from '../dist/evaluate/ground-truth.js';
import { parseLabels } from '../dist/evaluate/labels.js';
import { formatPercent, formatRank, formatScore } from '../dist/evaluate/render.js';
import { evaluate, pathsWithoutLabels } from '../dist/evaluate/run.js';
import { writeSampleSuite } from '../dist/evaluate/sample-suite.js';
import { BENIGN_CLASSES } from '../dist/simulate/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    data: { type: 'string', default: join(root, '..', 'shared', 'data') },
    out: { type: 'string', default: join(root, 'docs', 'detection-quality.md') },
  },
});
const seed = Number(values.seed);
if (!Number.isSafeInteger(seed)) throw new Error(`--seed takes a whole number, got "${values.seed}"`);
const DETECTORS = ['beacon', 'qradar-t1071'];
// Fixed so that the suite, and with it the document, is the same on every run with the same seed.
const SUITE_START = Date.parse('2026-11-02T00:00:00Z');
const DAY_MS = 86_400_000;

/**
 * Writes the simulated suite into `folder`: with `simulate()` when src/simulate exports it, else with
 * the sample scenarios. Returns the labels, the paths to scan and a description of the suite.
 */
async function simulatedSuite(folder) {
  const module = await import('../dist/simulate/index.js').catch(() => null);
  if (module !== null && typeof module.simulate === 'function') {
    const out = join(folder, 'simulated');
    // The simulator's own default window (24 h) and every scenario but the long sleeps, which give one
    // to three beats in a day and are measured over the week below, written as Zeek TSV.
    const scenarios = module.SCENARIO_IDS.filter((id) => id !== 'long-period');
    const result = await module.simulate({ out, seed, formats: ['zeek-tsv'], scenarios });
    const labelsFile = join(out, 'labels.json');
    const labels = result?.labels ?? parseLabels(await readFile(labelsFile, 'utf8'), labelsFile);
    return {
      labels,
      paths: await pathsWithoutLabels([out], labelsFile),
      description: `\`simulate()\` from src/simulate, every scenario but long-period (see the week below), seed ${seed}, Zeek TSV, ${labels.start} to ${labels.end}`,
    };
  }
  const out = join(folder, 'sample-scenarios');
  const labels = await writeSampleSuite(out, { seed, start: SUITE_START, durationMs: DAY_MS });
  return {
    labels,
    paths: await pathsWithoutLabels([out], join(out, 'labels.json')),
    description:
      `the sample scenarios (SAMPLE_SCENARIOS in src/simulate/scenarios.ts), seed ${seed}, Zeek TSV, ` +
      `24 h from ${labels.start}; \`simulate()\` was not available in dist/`,
  };
}

/** Scenarios of the week-long suite: the long sleeps, with every benign class beside them. */
const WEEK_SCENARIOS = ['long-period', ...BENIGN_CLASSES];

/** Writes the week-long suite, or returns null when simulate() is not in dist/. */
async function longPeriodSuite(folder) {
  const module = await import('../dist/simulate/index.js').catch(() => null);
  if (module === null || typeof module.simulate !== 'function') return null;
  const out = join(folder, 'week');
  const result = await module.simulate({
    out,
    seed,
    formats: ['zeek-tsv'],
    durationMs: 7 * DAY_MS,
    scenarios: WEEK_SCENARIOS,
  });
  const labelsFile = join(out, 'labels.json');
  const labels = result?.labels ?? parseLabels(await readFile(labelsFile, 'utf8'), labelsFile);
  return {
    labels,
    paths: await pathsWithoutLabels([out], labelsFile),
    description: `\`simulate()\`, scenarios ${WEEK_SCENARIOS.join(', ')}, seed ${seed}, Zeek TSV, ${labels.start} to ${labels.end}`,
  };
}

/** Runs both detectors on one dataset; a detector that fails is reported with its error. */
async function evaluateBoth(paths, labels) {
  const reports = {};
  for (const detector of DETECTORS) {
    try {
      reports[detector] = await evaluate({ paths, labels, detector });
    } catch (error) {
      reports[detector] = { error: String(error?.message ?? error).split('\n')[0] };
    }
  }
  return reports;
}

function cell(text) {
  return String(text).replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function table(header, rows) {
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
  return lines.join('\n');
}

function ratio(numerator, denominator) {
  return denominator === 0
    ? 'n/a'
    : `${numerator}/${denominator} (${formatPercent(numerator / denominator)})`;
}

function yesNo(value) {
  if (value === null) return 'n/a';
  return value ? 'yes' : 'no';
}

function summaryCells(report) {
  if (report.error) return [`error: ${report.error}`, '', '', '', ''];
  const m = report.metrics;
  return [
    ratio(m.detectedSeries, m.maliciousSeries),
    `${ratio(m.truePositiveAlerts, m.truePositiveAlerts + m.falsePositiveAlerts)}; all alerts ${ratio(m.truePositiveAlerts, m.alerts)}`,
    String(m.falsePositiveAlerts),
    formatRank(m.firstFalsePositiveRank),
    yesNo(m.maliciousAboveBenign),
  ];
}

function seriesCells(report, id) {
  if (report.error) return ['—', '—', '—'];
  const outcome = report.metrics.series.find((entry) => entry.id === id);
  let flagged = outcome.detected ? 'yes' : 'no';
  if (!outcome.detected && outcome.suppressedBy.length > 0) {
    flagged = `suppressed: ${outcome.suppressedBy.map((rule) => `${rule.rule} (${rule.reason})`).join('; ')}`;
  }
  return [formatRank(outcome.bestRank), formatScore(outcome.bestScore), flagged];
}

function classCells(report, name) {
  if (report.error) return ['—'];
  const entry = report.metrics.benignClasses.find((outcome) => outcome.class === name);
  const first =
    entry.firstFalsePositiveRank === null ? '' : `, first at rank ${entry.firstFalsePositiveRank}`;
  const suppressed = entry.suppressed > 0 ? `, ${entry.suppressed} suppressed` : '';
  return [
    `${entry.flaggedSeries} of ${entry.series} series, ${entry.falsePositives} alerts${first}${suppressed}`,
  ];
}

function datasetSection(name, description, labels, reports) {
  const beacon = reports.beacon;
  const qradar = reports['qradar-t1071'];
  const parts = [`### ${name}`, '', description, ''];
  for (const detector of DETECTORS) {
    const report = reports[detector];
    if (report.error) continue;
    parts.push(
      `- \`${detector}\`: ${report.events.toLocaleString('en-US')} events, ${report.metrics.findings} findings, ` +
        `${report.metrics.alerts} alerts, ${report.metrics.unlabelledAlerts} of them on unlabelled series.`,
    );
  }
  parts.push('');
  parts.push(
    table(
      ['series', 'class', 'beacon rank', 'beacon score', 'beacon alert', 'qradar rank', 'qradar alert'],
      labels.series.map((series) => {
        const [beaconRank, beaconScore, beaconFlag] = seriesCells(beacon, series.id);
        const [qradarRank, , qradarFlag] = seriesCells(qradar, series.id);
        const kind = series.malicious ? `malicious (${series.class})` : series.class;
        return [series.id, kind, beaconRank, beaconScore, beaconFlag, qradarRank, qradarFlag];
      }),
    ),
  );
  const classes = [
    ...new Set(labels.series.filter((series) => !series.malicious).map((series) => series.class)),
  ];
  if (classes.length > 0) {
    parts.push(
      '',
      table(
        ['benign class', 'beacon: flagged', 'qradar-t1071: flagged'],
        classes.map((name) => [name, ...classCells(beacon, name), ...classCells(qradar, name)]),
      ),
    );
  }
  parts.push('');
  return parts.join('\n');
}

const work = await mkdtemp(join(tmpdir(), 'beaconhunt-quality-'));
try {
  const sections = [];
  const summary = [];

  const suite = await simulatedSuite(work);
  const suiteReports = await evaluateBoth(suite.paths, suite.labels);
  sections.push(datasetSection('Simulated suite', `Data: ${suite.description}.`, suite.labels, suiteReports));
  for (const detector of DETECTORS)
    summary.push(['simulated suite', detector, ...summaryCells(suiteReports[detector])]);

  // Beacons that sleep for hours give only a few beats in a day, so they get a week of their own, with
  // the benign classes and background beside them.
  const week = await longPeriodSuite(work);
  if (week !== null) {
    const weekReports = await evaluateBoth(week.paths, week.labels);
    sections.push(datasetSection('Simulated week', `Data: ${week.description}.`, week.labels, weekReports));
    for (const detector of DETECTORS)
      summary.push(['simulated week', detector, ...summaryCells(weekReports[detector])]);
  }

  const groundTruthFile = join(values.data, 'ground-truth.json');
  const hasData = existsSync(groundTruthFile);
  if (hasData) {
    for (const dataset of await readGroundTruth(groundTruthFile)) {
      const reports = await evaluateBoth(dataset.paths, dataset.labels);
      const files = dataset.paths.map((path) => `\`${relative(values.data, path)}\``).join(', ');
      sections.push(
        datasetSection(dataset.id, `Files: ${files} (${dataset.format}).`, dataset.labels, reports),
      );
      for (const detector of DETECTORS)
        summary.push([dataset.id, detector, ...summaryCells(reports[detector])]);
      process.stderr.write(`evaluated ${dataset.id}\n`);
    }
  }

  const document = [
    '# Detection quality',
    '',
    `Generated by \`node scripts/detection-quality.js --seed ${seed}\` after \`npm run build\`, on ` +
      `${new Date().toISOString().slice(0, 10)}. Nothing else in this document depends on when it ` +
      'ran: only on the code, the seed and the captures.',
    '',
    'Each detector runs with its default options: `beacon` over all the data, with an alert at score ≥ ' +
      `${suiteReports.beacon.threshold ?? 'its threshold'}; \`qradar-t1071\` over the 24 h that end at the newest ` +
      'event, every finding an alert. A finding matches a labelled series when it has the same source and the ' +
      'same destination address (and port), server name or registered domain; see [evaluation.md](evaluation.md). ' +
      'Precision is over alerts that match a labelled series; "all alerts" also counts alerts on unlabelled ' +
      'series, which are not known to be benign. A rank of — means no finding matches the series.',
    '',
    hasData
      ? 'Real captures: the datasets of the ground-truth file beside the public captures that the tests read, ' +
        'each documented C2 pair a malicious series of class `c2`, each benign periodic trap a benign series of ' +
        'class `trap: …`.'
      : 'Real captures: none, because ground-truth.json was not found in the --data folder.',
    '',
    '## Summary',
    '',
    table(
      ['dataset', 'detector', 'recall', 'precision', 'FP alerts', 'first FP rank', 'C2 above every trap'],
      summary,
    ),
    '',
    '## Datasets',
    '',
    ...sections,
  ].join('\n');
  // Formatted as `npm run lint` checks every Markdown file; prettier is a development dependency.
  const prettier = await import('prettier').catch(() => null);
  const options = prettier === null ? null : await prettier.resolveConfig(values.out);
  const formatted =
    prettier === null ? document : await prettier.format(document, { ...options, parser: 'markdown' });
  await writeFile(values.out, formatted);
  process.stderr.write(`wrote ${relative(process.cwd(), values.out)}\n`);
} finally {
  await rm(work, { recursive: true, force: true });
}
