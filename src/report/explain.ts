/**
 * `beaconhunt explain N` and `scan --explain N`: everything behind one finding, as text a person can
 * check by hand. It shows the series and its period, a text histogram of the gaps with the fitted band
 * marked, and connections per hour. Then come each factor of the score with its formula, the context,
 * and every tuning rule checked against the finding with the condition that decided it.
 */
import { scoreFactors } from '../detect/beacon/score.js';
import { formatSeconds, type BeaconFinding } from '../detect/beacon/index.js';
import { percent } from '../detect/context/index.js';
import type { DnsTunnelFinding } from '../detect/dns-tunnel.js';
import type { LongConnectionFinding } from '../detect/long-connection.js';
import type { QradarT1071Finding } from '../detect/qradar-t1071.js';
import type { TuningCheck } from '../tune/index.js';
import type { ReportFinding } from './report-document.js';
import type { FindingCharts, GapHistogram } from './series-charts.js';
import { countOf } from '../text/plural.js';
import { wrapLine } from '../text/wrap.js';
import { escapeControlCharacters } from './table.js';

export interface ExplainOptions {
  /** Findings in the scan, shown and hidden, for "finding 3 of 40". */
  total: number;
  /** Whether tuning ran; without it there are no checks to list. */
  tuning: boolean;
  /** Characters per line; bars shrink to fit. */
  width: number;
  /** The qradar-t1071 thresholds the scan ran with, for that rule's conditions. */
  qradar?: { minCount: number; minIntervalMs: number; maxIntervalMs: number };
}

/** Maximum rows of the text histogram. The chart's bins are merged until the occupied ones fit. */
const MAX_TEXT_ROWS = 16;
/** Eighths of a block, for bars drawn to a fraction of a character. */
const BLOCKS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
const SPARK = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** Renders the explanation of one finding. */
export function renderExplanation(entry: ReportFinding, options: ExplainOptions): string {
  const { summary } = entry;
  const lines: string[] = [];

  lines.push(
    ...wrapLine(
      `Finding ${summary.rank} of ${options.total} (${summary.detector}): ${clean(summary.title)}`,
      options.width,
    ),
  );
  if (entry.hidden) lines.push('Hidden by tuning: shown here because it was asked for by rank.');
  lines.push('');
  const section = (title: string, body: readonly string[]): string[] => [
    ...wrapLine(title, options.width),
    ...body.flatMap((line) => (line === '' ? [''] : wrapLine(`  ${line}`, options.width))),
    '',
  ];

  lines.push(...section('Series', seriesLines(entry)));
  if (entry.charts !== null) {
    lines.push(...section(gapHeading(entry), gapLines(entry.charts, options.width)));
    lines.push(...section(hourHeading(entry.charts), hourLines(entry.charts.hours)));
  }

  lines.push(...section('Score', scoreLines(entry, options)));
  if (summary.detector === 'beacon') {
    lines.push(...section('Context', contextLines(entry.finding as BeaconFinding)));
  }
  lines.push(
    ...section(
      'Why',
      summary.why.map((reason) => `- ${clean(reason)}`),
    ),
  );
  if (summary.detector === 'beacon') {
    lines.push(...section('Tuning', tuningLines(entry.checks, options.tuning)));
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Replaces control characters in text that came from the network. */
function clean(text: string): string {
  return escapeControlCharacters(text);
}

function seriesLines(entry: ReportFinding): string[] {
  const { summary } = entry;
  const lines = [
    `source         ${summary.sourceIp}`,
    `destination    ${destinationText(entry)}`,
    `first seen     ${iso(summary.firstSeenMs)}`,
    summary.lastSeenMs === summary.firstSeenMs
      ? `last seen      the same time`
      : `last seen      ${iso(summary.lastSeenMs)} (${hours(summary.lastSeenMs - summary.firstSeenMs)} later)`,
  ];
  if (summary.count !== null) lines.push(`connections    ${thousands(summary.count)}`);
  if (entry.charts !== null && entry.charts.rows > entry.charts.loadedRows) {
    lines.push(
      `rows loaded    newest ${thousands(entry.charts.loadedRows)} of ${thousands(entry.charts.rows)}`,
    );
  }
  if (summary.detector === 'beacon') lines.push(...beaconSeriesLines(entry.finding as BeaconFinding));
  if (summary.detector === 'dns-tunnel') {
    const { resolvers } = entry.finding as DnsTunnelFinding;
    if (resolvers.length > 1) lines.push(`resolvers      ${resolvers.join(', ')}`);
  }
  return lines;
}

function destinationText(entry: ReportFinding): string {
  const { summary } = entry;
  const name = summary.destinationName === null ? null : clean(summary.destinationName);
  const protocol = summary.protocol === null ? '' : `/${summary.protocol}`;
  if (summary.destinationIp === null) {
    // A server-name or DNS key groups by name over any address.
    return name === null ? 'unknown' : `${name}${protocol === '/dns' ? '' : protocol} (any address)`;
  }
  // An IPv6 address is bracketed before its port, as in a URL (RFC 3986).
  const address = summary.destinationIp.includes(':') ? `[${summary.destinationIp}]` : summary.destinationIp;
  const port = summary.destinationPort === null ? '' : `:${summary.destinationPort}`;
  return `${address}${port}${protocol}${name === null ? '' : ` (${name})`}`;
}

function beaconSeriesLines(finding: BeaconFinding): string[] {
  const { measures, jitter } = finding;
  const lines = [
    `key            ${finding.key} ${clean(finding.label)}${finding.category === 'blocked-attempts' ? ' (failed attempts only)' : ''}`,
  ];
  for (const other of finding.otherKeys) {
    lines.push(
      `also seen as   ${other.key} ${clean(other.label)}: score ${fixed(other.score)}, ` +
        `${thousands(other.connections)} connections, period ${formatSeconds(other.periodSeconds)}`,
    );
  }
  lines.push(
    `period         ${formatSeconds(measures.periodSeconds)} ± ${formatSeconds(measures.jitterSeconds)} ` +
      `(found by ${measures.periodMethod}; false-alarm probability ${probability(measures.falseAlarmProbability)})`,
    `gaps           median ${formatSeconds(measures.gapMedianSeconds)}, quartiles ${formatSeconds(measures.gapQ1Seconds)}–${formatSeconds(measures.gapQ3Seconds)}, ` +
      `${percent(measures.onBeatFraction)} on the beat, ${percent(measures.missedBeatFraction)} of beats missed`,
  );
  if (jitter.model !== 'none') lines.push(`jitter         ${clean(jitter.reason)}`);
  if (measures.burstRuns > 0) {
    lines.push(
      `bursts         ${countOf(measures.burstRuns, 'run')}, ${countOf(measures.burstConnections, 'connection')}`,
    );
  }
  if (measures.sizeMedianBytes !== null) {
    lines.push(
      `sizes          median ${measures.sizeMedianBytes} B ± ${measures.sizeMadBytes ?? 0} B sent by the source`,
    );
  }
  return lines;
}

function gapHeading(entry: ReportFinding): string {
  const charts = entry.charts as FindingCharts;
  const gaps = Math.max(0, charts.connections - 1);
  // The QRadar rule has a mean gap and no band; the beacon detector fits a period and a band.
  const marks =
    charts.period === null
      ? ''
      : entry.summary.detector === 'qradar-t1071'
        ? '; ◆ marks the mean gap'
        : '; ◆ marks the period, ┃ the jitter band';
  const cut = charts.rows > charts.loadedRows ? ` in the newest ${thousands(charts.loadedRows)} rows` : '';
  return `Gaps between connections (${countOf(gaps, 'gap')}${cut}${marks})`;
}

/**
 * Draws the gap histogram as text, from the first bin with a gap to the last, and a row for the gaps
 * beyond. Neighbouring bins are merged so that at most MAX_TEXT_ROWS rows remain.
 */
export function gapLines(charts: FindingCharts, width: number): string[] {
  const occupiedFirst = charts.gaps.counts.findIndex((count) => count > 0);
  const occupiedLast = charts.gaps.counts.findLastIndex((count) => count > 0);
  const occupied = occupiedFirst === -1 ? 0 : occupiedLast - occupiedFirst + 1;
  const rows = mergeBins(charts.gaps, Math.max(1, Math.ceil(occupied / MAX_TEXT_ROWS)));
  const first = rows.findIndex((row) => row.count > 0);
  if (first === -1 && charts.gaps.overflow === 0) return ['no gaps: the series has one connection time'];
  const last = rows.findLastIndex((row) => row.count > 0);
  const shown = first === -1 ? [] : rows.slice(first, last + 1);
  const end = charts.gaps.fromSeconds + charts.gaps.binSeconds * charts.gaps.counts.length;
  const edge = edgeFormatter(end, (shown[0]?.to ?? end) - (shown[0]?.from ?? 0));
  const labels = shown.map((row) => `${edge(row.from)}–${edge(row.to)}`);
  const overflowLabel = `> ${edge(end)}`;
  const labelWidth = Math.max(overflowLabel.length, ...labels.map((label) => label.length));
  const highest = Math.max(1, charts.gaps.overflow, ...shown.map((row) => row.count));
  const countWidth = thousands(highest).length;
  // Two spaces of indent, the label, a mark column, the bar and its count.
  const barWidth = Math.max(10, width - 2 - labelWidth - 3 - countWidth - 1);
  const period = charts.period;
  const lines = shown.map((row, index) => {
    const mark =
      period === null
        ? ' '
        : period.seconds >= row.from && period.seconds < row.to
          ? '◆'
          : row.to > period.lowSeconds && row.from <= period.highSeconds
            ? '┃'
            : ' ';
    const label = (labels[index] as string).padStart(labelWidth);
    return `${label} ${mark} ${bar(row.count, highest, barWidth)} ${thousands(row.count)}`.trimEnd();
  });
  if (charts.gaps.overflow > 0) {
    // Empty rows between the last gap and the end of the histogram are left out.
    if ((shown.at(-1)?.to ?? end) < end - charts.gaps.binSeconds / 2) lines.push('…'.padStart(labelWidth));
    lines.push(
      `${overflowLabel.padStart(labelWidth)}   ${bar(charts.gaps.overflow, highest, barWidth)} ${thousands(charts.gaps.overflow)} ` +
        `(longest ${longDuration(charts.gaps.maxSeconds)})`,
    );
  }
  return lines;
}

function mergeBins(histogram: GapHistogram, perRow: number): { from: number; to: number; count: number }[] {
  const rows: { from: number; to: number; count: number }[] = [];
  for (let start = 0; start < histogram.counts.length; start += perRow) {
    const counts = histogram.counts.slice(start, start + perRow);
    rows.push({
      from: histogram.fromSeconds + start * histogram.binSeconds,
      to: histogram.fromSeconds + (start + counts.length) * histogram.binSeconds,
      count: counts.reduce((sum, count) => sum + count, 0),
    });
  }
  return rows;
}

/** Draws a bar of `value` out of `highest` in `width` characters, to an eighth of a character. */
function bar(value: number, highest: number, width: number): string {
  const eighths = Math.round((value / highest) * width * 8);
  const text = '█'.repeat(Math.floor(eighths / 8)) + (BLOCKS[eighths % 8] as string);
  // A non-zero count always shows, however small beside the highest.
  return text === '' && value > 0 ? '▏' : text;
}

function hourHeading(charts: FindingCharts): string {
  return `Connections per hour of day (${utcOffsetText(charts.utcOffsetMinutes)})`;
}

function hourLines(counts: readonly number[]): string[] {
  const highest = Math.max(1, ...counts);
  const spark = counts
    .map((count) => (count === 0 ? ' ' : SPARK[Math.min(7, Math.floor((count / highest) * 7.999))]))
    .join('');
  const quietest = Math.min(...counts);
  return [`00 ${spark} 23`, `fewest ${thousands(quietest)}, most ${thousands(highest)} per hour`];
}

function utcOffsetText(minutes: number): string {
  if (minutes === 0) return 'UTC';
  const sign = minutes < 0 ? '-' : '+';
  const absolute = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(absolute / 60)).padStart(2, '0')}:${String(absolute % 60).padStart(2, '0')}`;
}

function scoreLines(entry: ReportFinding, options: ExplainOptions): string[] {
  switch (entry.summary.detector) {
    case 'beacon':
      return beaconScoreLines(entry.finding as BeaconFinding);
    case 'qradar-t1071':
      return qradarLines(entry.finding as QradarT1071Finding, options.qradar ?? QRADAR_RULE_DEFAULTS);
    case 'long-connection':
      return longConnectionLines(entry.finding as LongConnectionFinding);
    case 'dns-tunnel':
      return dnsTunnelLines(entry.finding as DnsTunnelFinding);
  }
}

function beaconScoreLines(finding: BeaconFinding): string[] {
  const factors = scoreFactors(finding.parts);
  const nameWidth = Math.max(...factors.map((factor) => factor.name.length));
  const lines = factors.map(
    (factor) => `${factor.name.padEnd(nameWidth)}  ${fixed(factor.value)}  ${factor.formula}`,
  );
  const { parts } = finding;
  lines.push(
    '',
    `parts: regularity ${fixed(parts.regularity)}, on-beat ${fixed(parts.onBeat)}, coherence ${fixed(parts.coherence)}, ` +
      `size ${parts.size === null ? 'none' : fixed(parts.size)}, coverage ${fixed(parts.coverage)}, evidence ${fixed(parts.evidence)}`,
    `timing score = product of the factors = ${fixed(finding.timingScore)}`,
  );
  const factor = finding.context?.factor ?? 1;
  lines.push(
    finding.context === null
      ? `score = timing score = ${fixed(finding.score)} (context off)`
      : `score = min(1, timing ${fixed(finding.timingScore)} × context ${fixed(factor)}) = ${fixed(finding.score)}`,
    finding.alert
      ? 'alert: the score reaches 0.25'
      : finding.suppression !== null
        ? 'no alert: tuning hid the finding'
        : 'no alert: the score is below 0.25',
  );
  return lines;
}

/** The rule as QRadar ships it: more than 10 connections, mean gap from 1 s to 1 h. */
const QRADAR_RULE_DEFAULTS = { minCount: 10, minIntervalMs: 1_000, maxIntervalMs: 3_600_000 };

function qradarLines(
  finding: QradarT1071Finding,
  rule: { minCount: number; minIntervalMs: number; maxIntervalMs: number },
): string[] {
  const mean = finding.AvgIntervalMs / 1000;
  return [
    'the QRadar rule has no score; it matches when every condition holds:',
    `connections    ${thousands(finding.ConnectionCount)} (more than ${rule.minCount})`,
    `mean gap       ${formatSeconds(mean)} = (last − first) / (connections − 1)`,
    `               (from ${formatSeconds(rule.minIntervalMs / 1000)} to ${formatSeconds(rule.maxIntervalMs / 1000)})`,
    `user           ${finding.userName === null ? 'none logged' : clean(finding.userName)}`,
  ];
}

function longConnectionLines(finding: LongConnectionFinding): string[] {
  return [
    'the long-connection detector has no score; it reports pairs that meet a criterion:',
    `criteria       ${finding.criteria.join(', ')}`,
    `total time     ${hours(finding.totalDurationSeconds * 1000)} over ${countOf(finding.connections, 'connection')}`,
    `longest        ${hours(finding.longestDurationSeconds * 1000)}`,
    `bytes          ${thousands(finding.sourceBytes)} sent by the source, ${thousands(finding.destinationBytes)} by the destination`,
  ];
}

function dnsTunnelLines(finding: DnsTunnelFinding): string[] {
  const parts = Object.entries(finding.parts).map(([name, value]) => `${name} ${fixed(Number(value))}`);
  return [
    `score          ${fixed(finding.score)} = weighted sum of the parts`,
    `parts          ${parts.join(', ')}`,
    `criteria       ${finding.criteria.length > 0 ? finding.criteria.join(', ') : 'none met'}`,
    ...(finding.lookalike !== null ? [`look-alike     ${clean(finding.lookalike)}`] : []),
  ];
}

function contextLines(finding: BeaconFinding): string[] {
  const context = finding.context;
  if (context === null) return ['context was off for this scan'];
  const { prevalence, firstSeen } = context;
  const lines = [
    `prevalence     ${thousands(prevalence.sources)} of ${thousands(prevalence.ofSources)} ${prevalence.scope} sources ` +
      `(${percent(prevalence.share)}) contact this destination`,
    firstSeen === null
      ? 'first seen     no earlier event to this destination'
      : `first seen     ${firstSeen.iso}, ${days(firstSeen.daysBeforeWindowEnd)} before the window end`,
    `intel          ${context.intel.length === 0 ? 'no list names it' : context.intel.map((hit) => `${hit.list}: ${clean(hit.entry)}`).join('; ')}`,
  ];
  for (const indicator of context.indicators) {
    lines.push(
      `indicator      ${indicator.id}: ${clean(indicator.detail)} (× ${fixed(1 + indicator.weight)})`,
    );
  }
  const parts = Object.entries(context.parts).map(([name, value]) => `${name} ${fixed(value)}`);
  lines.push(`factor         ${fixed(context.factor)} = clamp(${parts.join(' × ')}, 0.5, 1.5)`);
  return lines;
}

/**
 * Lists the tuning rules in the order they ran. A profile has several rules under one name; each is one
 * line, so that the condition that failed is shown for every one of them.
 */
function tuningLines(checks: readonly TuningCheck[] | null, tuning: boolean): string[] {
  if (!tuning) return ['tuning was off for this scan (--no-tuning)'];
  if (checks === null || checks.length === 0) return ['no tuning rule ran'];
  const hid = checks.find((check) => check.outcome === 'hid');
  const lines = [
    hid === undefined
      ? `none of ${checks.length} rules hid it`
      : `hidden by ${clean(hid.rule)}: ${clean(hid.reason)}`,
    '',
  ];
  for (const check of checks) {
    lines.push(`${check.outcome.padEnd(7)} ${clean(check.rule)}: ${clean(check.detail)}`);
  }
  return lines;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Formats a duration that may run to days, such as the longest gap of a host that slept a month. */
function longDuration(seconds: number): string {
  return seconds >= 172_800 ? `${round(seconds / 86_400)} days` : formatSeconds(seconds);
}

function hours(ms: number): string {
  const value = ms / 3_600_000;
  return value >= 1 ? `${round(value)} h` : `${round(ms / 60_000)} min`;
}

function days(value: number): string {
  const rounded = round(value);
  return rounded === 1 ? '1 day' : `${rounded} days`;
}

/**
 * Returns a formatter for the edges of one histogram: one unit for every edge (seconds below 10 minutes,
 * minutes below 12 hours, then hours), with enough decimals that neighbouring edges differ.
 */
function edgeFormatter(highestSeconds: number, rowSeconds: number): (seconds: number) => string {
  const [unit, size] = highestSeconds < 600 ? ['s', 1] : highestSeconds < 43_200 ? ['min', 60] : ['h', 3_600];
  const step = rowSeconds / size;
  let decimals = Math.min(3, Math.ceil(-Math.log10(step)) + 1);
  if (step >= 1) decimals = step >= 10 ? 0 : 1;
  return (seconds) => `${(seconds / size).toFixed(decimals)} ${unit}`;
}

function fixed(value: number): string {
  return value.toFixed(3);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function thousands(value: number): string {
  return value.toLocaleString('en-US');
}

function probability(value: number): string {
  return value === 0 ? '< 1e-300' : value.toPrecision(2);
}
