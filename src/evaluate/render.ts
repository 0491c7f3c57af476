/** Renders an evaluation report as text for the terminal. */
import type { TableColumn } from '../detect/detector.js';
import { renderTable } from '../report/table.js';
import type { BenignClassOutcome, SeriesOutcome, SuppressedOutcome } from './metrics.js';
import type { EvaluationReport } from './run.js';

/** Formats a ratio as "n/d = p%", or "n/a" when the denominator is zero. */
export function formatRatio(numerator: number, denominator: number): string {
  if (denominator === 0) return 'n/a';
  return `${numerator}/${denominator} = ${formatPercent(numerator / denominator)}`;
}

export function formatPercent(fraction: number | null): string {
  if (fraction === null) return 'n/a';
  return `${(fraction * 100).toFixed(fraction === 1 || fraction === 0 ? 0 : 1)}%`;
}

export function formatScore(score: number | null): string {
  return score === null ? '—' : score.toFixed(3);
}

export function formatRank(rank: number | null): string {
  return rank === null ? '—' : String(rank);
}

const SERIES_COLUMNS: readonly TableColumn<SeriesOutcome>[] = [
  { header: 'series', value: (outcome) => outcome.id },
  { header: 'class', value: (outcome) => outcome.class },
  { header: 'flagged', value: (outcome) => flaggedText(outcome) },
  { header: 'best rank', value: (outcome) => formatRank(outcome.bestRank), align: 'right' },
  { header: 'score', value: (outcome) => formatScore(outcome.bestScore), align: 'right' },
  { header: 'title', value: (outcome) => outcome.title },
];

const CLASS_COLUMNS: readonly TableColumn<BenignClassOutcome>[] = [
  { header: 'benign class', value: (outcome) => outcome.class },
  { header: 'series', value: (outcome) => String(outcome.series), align: 'right' },
  { header: 'flagged', value: (outcome) => String(outcome.flaggedSeries), align: 'right' },
  { header: 'FP alerts', value: (outcome) => String(outcome.falsePositives), align: 'right' },
  {
    header: 'first FP rank',
    value: (outcome) => formatRank(outcome.firstFalsePositiveRank),
    align: 'right',
  },
  { header: 'suppressed', value: (outcome) => String(outcome.suppressed), align: 'right' },
];

const SUPPRESSED_COLUMNS: readonly TableColumn<SuppressedOutcome>[] = [
  { header: 'rank', value: (entry) => String(entry.rank), align: 'right' },
  { header: 'source', value: (entry) => entry.sourceip },
  { header: 'keys', value: (entry) => entry.keys.join(', ') },
  { header: 'series', value: (entry) => entry.seriesIds.join(', ') || '(unlabelled)' },
  { header: 'rule', value: (entry) => entry.rule },
  { header: 'reason', value: (entry) => entry.reason },
];

function flaggedText(outcome: SeriesOutcome): string {
  if (outcome.suppressedBy.length > 0 && !outcome.detected) return 'suppressed';
  return outcome.detected ? 'yes' : 'no';
}

/** Renders the summary lines and the tables of one report. */
export function renderReport(report: EvaluationReport, width?: number): string {
  const metrics = report.metrics;
  const alertRule =
    report.threshold === null ? 'every finding is an alert' : `alert at score ≥ ${report.threshold}`;
  const lines = [
    `${report.detector}: ${report.events.toLocaleString('en-US')} events, ${metrics.findings} findings, ` +
      `${metrics.alerts} alerts (${alertRule})`,
    `recall: ${formatRatio(metrics.detectedSeries, metrics.maliciousSeries)} malicious series detected`,
    `precision: ${formatRatio(metrics.truePositiveAlerts, metrics.truePositiveAlerts + metrics.falsePositiveAlerts)} ` +
      `of alerts on labelled series; ${formatRatio(metrics.truePositiveAlerts, metrics.alerts)} of all alerts ` +
      `(${metrics.unlabelledAlerts} alerts match no label)`,
    `false positives: ${metrics.falsePositiveAlerts} alerts; first at rank ${formatRank(metrics.firstFalsePositiveRank)}`,
    `every malicious series ranks above every benign one: ${orderingText(metrics.maliciousAboveBenign)}`,
    '',
  ];

  const malicious = metrics.series.filter((outcome) => outcome.malicious);
  const benign = metrics.series.filter((outcome) => !outcome.malicious);
  if (malicious.length > 0) lines.push('Malicious series', renderTable(malicious, SERIES_COLUMNS, width), '');
  if (metrics.benignClasses.length > 0) {
    lines.push('Benign classes', renderTable(metrics.benignClasses, CLASS_COLUMNS, width), '');
    lines.push('Benign series', renderTable(benign, SERIES_COLUMNS, width), '');
  }
  if (metrics.suppressed.length > 0) {
    lines.push('Suppressed findings', renderTable(metrics.suppressed, SUPPRESSED_COLUMNS, width), '');
  }
  return `${lines.join('\n')}`;
}

function orderingText(value: boolean | null): string {
  if (value === null) return 'n/a (no malicious series)';
  return value ? 'yes' : 'no';
}
