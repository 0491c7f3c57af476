/**
 * The query shape shared by the DuckDB and ClickHouse exports, which both run over beaconhunt's
 * `events` table (starttime in epoch ms, eventcount for coalesced records). The window ends at the
 * newest event in the table, as `beaconhunt scan` does without --now. Each dialect supplies its string
 * literals, address tests, gap window function and conditional aggregates.
 */
import { renderHeader } from './header.js';
import type { ExportRule } from './model.js';
import { eventFilter, renderPredicate, type PredicateDialect } from './predicate.js';

export interface SqlDialect {
  /** Target name for the header. */
  readonly target: string;
  readonly predicate: PredicateDialect;
  /** Extra CTEs computed from `events` that the address tests read, or '' for none. */
  addressColumns(): string;
  /** The table the filter reads from: "events" or the CTE that addressColumns defines. */
  readonly source: string;
  /** Previous start time in the group, NULL for the first row. */
  previousStart(partition: string): string;
  /** Count, mean and population standard deviation of the gaps over 0 ms. */
  positiveGapCount(): string;
  positiveGapMean(): string;
  positiveGapStdev(): string;
  readonly limits?: readonly string[];
}

const GROUP_COLUMNS = 'sourceip, destinationip, destinationport, username';

/** Builds the whole query: header, window, event filter, gaps, groups, thresholds and order. */
export function compileSql(rule: ExportRule, dialect: SqlDialect): string {
  const filter = eventFilter(rule)
    .map((condition) => renderPredicate(condition, dialect.predicate))
    .join('\n    AND ');
  const regularity = rule.regularity;
  const thresholds = [
    `"ConnectionCount" > ${rule.minCount}`,
    `"AvgIntervalMs" BETWEEN ${rule.minIntervalMs} AND ${rule.maxIntervalMs}`,
    ...(regularity !== null
      ? [`"GapCount" >= ${regularity.minGaps}`, `"GapCv" <= ${regularity.maxGapCv}`]
      : []),
  ];
  const addressCtes = dialect.addressColumns();
  const header = renderHeader(rule, {
    target: dialect.target,
    marker: '--',
    fields:
      'the events table of beaconhunt: starttime (epoch ms), sourceip, destinationip, destinationport, ' +
      'username, protocol, servername, processimage, eventcount',
    ...(dialect.limits !== undefined ? { limits: dialect.limits } : {}),
  });

  return `${header}WITH bounds AS (
  SELECT max(starttime) AS window_end FROM events
),
${addressCtes}matched AS (
  SELECT ${GROUP_COLUMNS}, starttime, coalesce(eventcount, 1) AS eventcount
  FROM ${dialect.source} CROSS JOIN bounds
  WHERE starttime > bounds.window_end - ${rule.windowMs}
    AND starttime <= bounds.window_end
    AND ${filter}
),
gaps AS (
  SELECT ${GROUP_COLUMNS}, starttime, eventcount,
    starttime - ${dialect.previousStart(GROUP_COLUMNS)} AS gap_ms
  FROM matched
),
grouped AS (
  SELECT sourceip, destinationip, destinationport, username AS "userName",
    sum(eventcount) AS "ConnectionCount",
    min(starttime) AS "FirstSeenEpochMs",
    max(starttime) AS "LastSeenEpochMs",
    CASE WHEN sum(eventcount) > 1
      THEN CAST(max(starttime) - min(starttime) AS DOUBLE) / (sum(eventcount) - 1)
      ELSE 0
    END AS "AvgIntervalMs",
    ${dialect.positiveGapCount()} AS "GapCount",
    ${dialect.positiveGapStdev()} / ${dialect.positiveGapMean()} AS "GapCv"
  FROM gaps
  GROUP BY ${GROUP_COLUMNS}
)
SELECT sourceip, destinationip, destinationport, "userName", "ConnectionCount", "FirstSeenEpochMs",
  "LastSeenEpochMs", "AvgIntervalMs", "GapCount", "GapCv"
FROM grouped
WHERE ${thresholds.join('\n  AND ')}
ORDER BY "ConnectionCount" DESC, sourceip NULLS LAST, destinationip NULLS LAST,
  destinationport NULLS LAST, "userName" NULLS LAST;
`;
}
