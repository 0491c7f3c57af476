/**
 * The rows a scan needs, chosen in ClickHouse. The detectors run on a local DuckDB copy of these rows
 * (the working set), which gives the same findings as a scan of the whole dataset in DuckDB because every
 * query a detector makes reads only:
 *
 * - series of one key in the window with at least `minSeries` rows. The beacon and QRadar detectors
 *   never score a smaller one.
 * - pairs whose connections add up to `minDurationMs`, for the long-connection detector;
 * - counts of distinct sources per destination address, server name and user agent in the window, and
 *   which sources are local (the context's prevalence): one row per distinct pair keeps every count;
 * - the earliest row of each destination address, server name, (address, name) pair and source over the
 *   whole dataset (first seen, the start of the data, the names an address served, the source groups);
 * - DNS queries, which are copied whole, and the HTTP requests of connections in the window.
 *
 * The pair aggregation runs in ClickHouse: each rule is a GROUP BY whose groups select rows with
 * GLOBAL IN, so on a sharded cluster the groups are computed once and sent to every shard. The rules are
 * ORed in one WHERE, so a row that several rules select is returned once. NULL keys are compared as ''
 * (and -1 for a port), because ClickHouse 18 sets never hold NULL; merging a NULL key with '' only adds
 * rows, and extra rows change nothing for the detectors, which apply their own conditions.
 */
import { DNS_QUERIES_TABLE, EVENTS_TABLE, FLOW_HTTP_TABLE } from '../schema.js';

export interface WorkingSetBounds {
  /** End of the analysis window, epoch ms. */
  now: number;
  /** Start of the window (exclusive), epoch ms, or null for every row up to `now`. */
  windowStart: number | null;
  /** Rows a series of one key needs before any detector scores it. */
  minSeries: number;
  /** Connected time that makes a long connection, ms, or null when the long-connection detector is not run. */
  minDurationMs: number | null;
}

const SOURCE = "ifNull(sourceip, '')";
const DESTINATION = "ifNull(destinationip, '')";
const PORT = 'ifNull(destinationport, -1)';
const NAME = "lower(ifNull(servername, ''))";
const AGENT = "ifNull(useragent, '')";
const HAS_NAME = "servername IS NOT NULL AND servername != ''";

function windowCondition(bounds: WorkingSetBounds): string {
  const end = `starttime <= ${Math.trunc(bounds.now)}`;
  return bounds.windowStart === null ? end : `starttime > ${Math.trunc(bounds.windowStart)} AND ${end}`;
}

/**
 * Rows of groups of `keys` (within `where`) that have at least `minimum` rows, or at least `minimum`
 * connections counting the eventcount of coalesced records, as the QRadar rule counts them.
 */
function seriesRule(keys: readonly string[], where: string, minimum: number): string {
  const aliases = keys.map((_, index) => `k${index}`);
  const selected = keys.map((key, index) => `${key} AS ${aliases[index]}`).join(', ');
  return `((${keys.join(', ')}) GLOBAL IN (
      SELECT ${selected} FROM ${EVENTS_TABLE} WHERE ${where}
      GROUP BY ${aliases.join(', ')}
      HAVING greatest(count(), sum(ifNull(eventcount, 1))) >= ${Math.trunc(minimum)}))`;
}

/** Selects the earliest rows of each group of `keys` among the rows matching `where`. */
function earliestRule(keys: readonly string[], where: string): string {
  const aliases = keys.map((_, index) => `k${index}`);
  const selected = keys.map((key, index) => `${key} AS ${aliases[index]}`).join(', ');
  return `((${keys.join(', ')}, starttime) GLOBAL IN (
      SELECT ${selected}, min(starttime) FROM ${EVENTS_TABLE} WHERE ${where}
      GROUP BY ${aliases.join(', ')}))`;
}

/** Pairs whose connections overlap the window and add up to, or include one of, `minDurationMs`. */
function longConnectionRule(bounds: WorkingSetBounds, minDurationMs: number): string {
  const overlaps =
    bounds.windowStart === null
      ? `starttime <= ${Math.trunc(bounds.now)}`
      : `starttime <= ${Math.trunc(bounds.now)} AND starttime + duration * 1000 + 1 > ${Math.trunc(bounds.windowStart)}`;
  const where = `duration > 0 AND isFinite(duration) AND ${overlaps}`;
  const seconds = minDurationMs / 1000;
  return `(duration > 0 AND (${SOURCE}, ${DESTINATION}, ${PORT}) GLOBAL IN (
      SELECT ${SOURCE} AS k0, ${DESTINATION} AS k1, ${PORT} AS k2 FROM ${EVENTS_TABLE} WHERE ${where}
      GROUP BY k0, k1, k2 HAVING sum(duration) >= ${seconds} OR max(duration) >= ${seconds}))`;
}

/** Builds the query for the events of the working set; the columns are those of the events table. */
export function workingEventsSql(bounds: WorkingSetBounds): string {
  const inWindow = windowCondition(bounds);
  const rules = [
    seriesRule([SOURCE, DESTINATION, PORT], inWindow, bounds.minSeries),
    seriesRule([SOURCE, NAME], `${inWindow} AND ${HAS_NAME}`, bounds.minSeries),
    earliestRule([SOURCE, DESTINATION], inWindow),
    earliestRule([SOURCE, NAME], `${inWindow} AND ${HAS_NAME}`),
    earliestRule([SOURCE, AGENT], `${inWindow} AND useragent IS NOT NULL`),
    earliestRule([SOURCE], `${inWindow} AND eventdirection IN ('L2R', 'L2L')`),
    earliestRule([SOURCE], inWindow),
    earliestRule([SOURCE], '1'),
    earliestRule([DESTINATION], '1'),
    earliestRule([DESTINATION, NAME], HAS_NAME),
  ];
  if (bounds.minDurationMs !== null) rules.push(longConnectionRule(bounds, bounds.minDurationMs));
  return `SELECT * FROM ${EVENTS_TABLE}\nWHERE ${rules.join('\n  OR ')}`;
}

/**
 * Builds the query for the DNS queries: all of them. `answered` = 0 marks a query without a logged
 * response, which has NULL in place of a list in DuckDB; ClickHouse 18 has no Nullable arrays.
 */
export function workingDnsSql(): string {
  return `SELECT * FROM ${DNS_QUERIES_TABLE}`;
}

/** Builds the query for the HTTP requests of the connections in the window. */
export function workingHttpSql(bounds: WorkingSetBounds): string {
  return `SELECT uid, ts, host, uri, user_agent FROM ${FLOW_HTTP_TABLE}
  WHERE uid GLOBAL IN (SELECT uid FROM ${EVENTS_TABLE} WHERE ${windowCondition(bounds)} AND uid IS NOT NULL)`;
}
