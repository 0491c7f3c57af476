/**
 * The data behind the HTML report: every listed finding with its summary, the detector's own record,
 * its charts and its tuning checks, plus what the scan read. The page is drawn from this object alone,
 * so it is also what a test checks before any browser is involved.
 */
import type { DetectorId } from '../detect/registry.js';
import type { FindingDetails, ScanResult } from '../scan.js';
import type { TuningCheck } from '../tune/index.js';
import { summarizeFinding, type FindingSummary } from './finding-summary.js';
import { buildCharts, fittedPeriod, type FindingCharts } from './series-charts.js';

export interface ReportFinding {
  summary: FindingSummary;
  /** The detector's finding, as `--json` writes it. */
  finding: object;
  /** True for a finding that tuning hid (listed with --show-suppressed). */
  hidden: boolean;
  /** Null when the scan loaded no rows for the finding. */
  charts: FindingCharts | null;
  /** Every tuning rule checked against the finding; null when tuning did not run on it. */
  checks: TuningCheck[] | null;
}

export interface ReportDocument {
  tool: { name: string; version: string };
  /** When the report was written, ISO 8601. */
  generatedAt: string;
  detector: DetectorId;
  /** End of the analysis window, ISO 8601, or null for an empty dataset. */
  windowEnd: string | null;
  input: {
    /** Files read by this run, or 0 for a saved dataset. */
    files: number;
    events: number;
    linesSkipped: number;
    duplicatesDropped: number;
  };
  findings: ReportFinding[];
  /** Shown findings left out by --top. */
  omitted: number;
  /** Findings tuning hid, listed or not: the list stops at --top of them. */
  hiddenTotal: number;
}

export interface ReportOptions {
  version: string;
  /** Shown findings to include; the rest are counted in `omitted`. */
  top: number;
  /** Include the findings tuning hid, after the shown ones. */
  includeHidden: boolean;
  /** Offset of local time from UTC for the hour-of-day strip, minutes. */
  utcOffsetMinutes: number;
  generatedAt?: Date;
}

/** Builds the report's data from a scan run with `details` covering the findings it lists. */
export function buildReportDocument(result: ScanResult, options: ReportOptions): ReportDocument {
  const shown = (result.findings as object[]).slice(0, options.top);
  // Hidden findings follow the shown ones, up to as many: --top caps each list.
  const hidden = options.includeHidden
    ? result.suppressed.slice(0, options.top).map((entry) => entry.finding as object)
    : [];
  const listed = [...shown, ...hidden];
  const findings = listed.map((finding, index) =>
    toReportFinding(result, finding, index, {
      hidden: index >= shown.length,
      utcOffsetMinutes: options.utcOffsetMinutes,
    }),
  );
  return {
    tool: { name: 'beaconhunt', version: options.version },
    generatedAt: (options.generatedAt ?? new Date()).toISOString(),
    detector: result.detector,
    windowEnd: result.now === null ? null : new Date(result.now).toISOString(),
    input: {
      files: result.ingest?.files.length ?? 0,
      events: result.events,
      linesSkipped: result.ingest?.linesSkipped ?? 0,
      duplicatesDropped: result.ingest?.duplicatesDropped ?? 0,
    },
    findings,
    omitted: result.findings.length - shown.length,
    hiddenTotal: result.suppressed.length,
  };
}

/**
 * Builds the report entry of one finding of `result`, with charts when the scan loaded its rows.
 * `index` is the finding's position among the listed ones, which ranks a qradar-t1071 match.
 */
export function toReportFinding(
  result: ScanResult,
  finding: object,
  index: number,
  options: { hidden: boolean; utcOffsetMinutes: number },
): ReportFinding {
  const detail = (result.details as Map<object, FindingDetails>).get(finding);
  return {
    summary: summarizeFinding(result.detector, finding, index),
    finding,
    hidden: options.hidden,
    charts:
      detail === undefined
        ? null
        : buildCharts(detail.series, fittedPeriod(result.detector, finding), options.utcOffsetMinutes),
    checks: detail?.checks ?? null,
  };
}
