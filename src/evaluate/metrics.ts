/**
 * Detection metrics of one detector run against labelled series: recall, precision, false positives
 * per benign class, the rank of the first false positive, and each series' best rank and score.
 *
 * An alert is a true positive when it matches a malicious series, and a false positive when it matches
 * only benign series. Alerts that match no labelled series are unlabelled background: they count in
 * the precision over all alerts, but not as false positives, because no label marks them benign.
 */
import type { EvalFinding } from './adapt.js';
import type { EvalLabels, EvalSeries } from './labels.js';
import { findingMatchesSeries, seriesMatcher } from './match.js';

/** A finding that a tuning rule hid, with the rule that hid it. */
export interface SuppressedFinding {
  finding: EvalFinding;
  rule: string;
  reason: string;
}

export interface SeriesOutcome {
  id: string;
  title: string;
  class: string;
  malicious: boolean;
  /** True when an alert that no rule suppressed matches the series. */
  detected: boolean;
  /** Best (lowest) rank of the findings that match the series, alerts or not; null when none does. */
  bestRank: number | null;
  /** Score of the best-ranked matching finding; null when none matches or the detector has no score. */
  bestScore: number | null;
  /** Findings that match the series, suppressed ones left out. */
  matchingFindings: number;
  /** The rules that suppressed findings of this series, each once. */
  suppressedBy: { rule: string; reason: string }[];
}

export interface BenignClassOutcome {
  class: string;
  series: number;
  /** Series of the class that at least one false-positive alert matches. */
  flaggedSeries: number;
  /** Alerts that match a series of the class and no malicious series. */
  falsePositives: number;
  /** Best rank among those alerts, or null. */
  firstFalsePositiveRank: number | null;
  /** Findings of the class that a rule suppressed. */
  suppressed: number;
}

export interface SuppressedOutcome {
  rank: number;
  score: number | null;
  sourceip: string;
  keys: string[];
  rule: string;
  reason: string;
  /** Labelled series the suppressed finding matches. */
  seriesIds: string[];
}

export interface EvaluationMetrics {
  findings: number;
  alerts: number;
  /** Alerts that match a malicious series. */
  truePositiveAlerts: number;
  /** Alerts that match benign series only. */
  falsePositiveAlerts: number;
  /** Alerts that match no labelled series. */
  unlabelledAlerts: number;
  maliciousSeries: number;
  detectedSeries: number;
  /** Detected malicious series / malicious series; null without malicious series. */
  recall: number | null;
  /** True-positive alerts / alerts that match any labelled series; null when there are none. */
  precisionLabelled: number | null;
  /** True-positive alerts / all alerts; null without alerts. */
  precisionAll: number | null;
  firstFalsePositiveRank: number | null;
  /**
   * True when every malicious series has a finding ranked above the best finding of every benign series.
   * Suppressed findings are not ranked. Null without malicious series.
   */
  maliciousAboveBenign: boolean | null;
  benignClasses: BenignClassOutcome[];
  series: SeriesOutcome[];
  suppressed: SuppressedOutcome[];
}

/** Computes the metrics of one run; `findings` are those shown, `suppressed` those a rule hid. */
export function computeMetrics(
  labels: Pick<EvalLabels, 'series'>,
  findings: readonly EvalFinding[],
  suppressed: readonly SuppressedFinding[] = [],
): EvaluationMetrics {
  const matchers = labels.series.map(seriesMatcher);
  const matchesOf = (finding: EvalFinding): EvalSeries[] =>
    matchers.filter((matcher) => findingMatchesSeries(finding, matcher)).map((matcher) => matcher.series);

  const outcomes = new Map<string, SeriesOutcome>(
    labels.series.map((series) => [series.id, emptyOutcome(series)]),
  );
  const classes = new Map<string, BenignClassOutcome>();
  for (const series of labels.series) {
    if (series.malicious) continue;
    const outcome = classes.get(series.class) ?? emptyClass(series.class);
    outcome.series += 1;
    classes.set(series.class, outcome);
  }

  let alerts = 0;
  let truePositiveAlerts = 0;
  let falsePositiveAlerts = 0;
  let unlabelledAlerts = 0;
  let firstFalsePositiveRank: number | null = null;
  const flagged = new Set<string>();

  for (const finding of findings) {
    const matched = matchesOf(finding);
    for (const series of matched) {
      const outcome = outcomes.get(series.id)!;
      outcome.matchingFindings += 1;
      if (outcome.bestRank === null || finding.rank < outcome.bestRank) {
        outcome.bestRank = finding.rank;
        outcome.bestScore = finding.score;
      }
      if (finding.alert) outcome.detected = true;
    }
    if (!finding.alert) continue;

    alerts += 1;
    if (matched.length === 0) {
      unlabelledAlerts += 1;
    } else if (matched.some((series) => series.malicious)) {
      truePositiveAlerts += 1;
    } else {
      falsePositiveAlerts += 1;
      firstFalsePositiveRank = minRank(firstFalsePositiveRank, finding.rank);
      const classesHit = new Set<string>();
      for (const series of matched) {
        flagged.add(series.id);
        classesHit.add(series.class);
      }
      for (const name of classesHit) {
        const outcome = classes.get(name)!;
        outcome.falsePositives += 1;
        outcome.firstFalsePositiveRank = minRank(outcome.firstFalsePositiveRank, finding.rank);
      }
    }
  }

  const suppressedOutcomes: SuppressedOutcome[] = [];
  for (const entry of suppressed) {
    const matched = matchesOf(entry.finding);
    for (const series of matched) {
      const outcome = outcomes.get(series.id)!;
      if (!outcome.suppressedBy.some((rule) => rule.rule === entry.rule)) {
        outcome.suppressedBy.push({ rule: entry.rule, reason: entry.reason });
      }
    }
    for (const name of new Set(matched.filter((series) => !series.malicious).map((series) => series.class))) {
      classes.get(name)!.suppressed += 1;
    }
    suppressedOutcomes.push({
      rank: entry.finding.rank,
      score: entry.finding.score,
      sourceip: entry.finding.sourceip,
      keys: entry.finding.keys,
      rule: entry.rule,
      reason: entry.reason,
      seriesIds: matched.map((series) => series.id),
    });
  }

  for (const series of labels.series) {
    if (!series.malicious && flagged.has(series.id)) classes.get(series.class)!.flaggedSeries += 1;
  }

  const seriesOutcomes = labels.series.map((series) => outcomes.get(series.id)!);
  const malicious = seriesOutcomes.filter((outcome) => outcome.malicious);
  const detectedSeries = malicious.filter((outcome) => outcome.detected).length;
  const labelledAlerts = truePositiveAlerts + falsePositiveAlerts;

  return {
    findings: findings.length,
    alerts,
    truePositiveAlerts,
    falsePositiveAlerts,
    unlabelledAlerts,
    maliciousSeries: malicious.length,
    detectedSeries,
    recall: ratio(detectedSeries, malicious.length),
    precisionLabelled: ratio(truePositiveAlerts, labelledAlerts),
    precisionAll: ratio(truePositiveAlerts, alerts),
    firstFalsePositiveRank,
    maliciousAboveBenign: maliciousAboveBenign(seriesOutcomes),
    benignClasses: [...classes.values()],
    series: seriesOutcomes,
    suppressed: suppressedOutcomes,
  };
}

/**
 * Tells whether the worst-ranked malicious series still ranks above the best-ranked benign series.
 * A malicious series without a finding ranks below everything; a benign series without one imposes
 * nothing.
 */
function maliciousAboveBenign(outcomes: readonly SeriesOutcome[]): boolean | null {
  const malicious = outcomes.filter((outcome) => outcome.malicious);
  if (malicious.length === 0) return null;
  const worstMalicious = Math.max(
    ...malicious.map((outcome) => outcome.bestRank ?? Number.POSITIVE_INFINITY),
  );
  const benignRanks = outcomes
    .filter((outcome) => !outcome.malicious && outcome.bestRank !== null)
    .map((outcome) => outcome.bestRank!);
  const bestBenign = Math.min(Number.POSITIVE_INFINITY, ...benignRanks);
  return worstMalicious < bestBenign || (benignRanks.length === 0 && Number.isFinite(worstMalicious));
}

function emptyOutcome(series: EvalSeries): SeriesOutcome {
  return {
    id: series.id,
    title: series.title,
    class: series.class,
    malicious: series.malicious,
    detected: false,
    bestRank: null,
    bestScore: null,
    matchingFindings: 0,
    suppressedBy: [],
  };
}

function emptyClass(name: string): BenignClassOutcome {
  return {
    class: name,
    series: 0,
    flaggedSeries: 0,
    falsePositives: 0,
    firstFalsePositiveRank: null,
    suppressed: 0,
  };
}

function minRank(current: number | null, rank: number): number {
  return current === null ? rank : Math.min(current, rank);
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}
