/**
 * Loads the connections behind one finding, for the HTML report's charts and `explain`'s text histogram:
 * start times and byte counts of the events (or DNS queries) that carry the finding's key, between its
 * first and last time. The detectors keep only measures, so the rows are read again while the store is
 * open, one small query per finding.
 */
import type { BeaconFinding } from '../detect/beacon/index.js';
import { FAILED_STATES } from '../detect/beacon/candidates.js';
import type { DnsTunnelFinding } from '../detect/dns-tunnel.js';
import type { LongConnectionFinding } from '../detect/long-connection.js';
import type { QradarT1071Finding } from '../detect/qradar-t1071.js';
import type { DetectorId } from '../detect/registry.js';
import type { Store } from '../store/store.js';

/** Rows of one finding, sorted by start time. */
export interface FindingSeries {
  /** Start times, epoch ms. */
  times: number[];
  /** Bytes sent by the source and by the destination; null where the log has no count (DNS queries). */
  sourceBytes: (number | null)[];
  destinationBytes: (number | null)[];
  /** Rows that matched, which is more than the rows loaded when the series was cut at MAX_SERIES_ROWS. */
  total: number;
  /**
   * Rows per minute of the day in UTC (1,440 counts), over every matched row, so that
   * the hours of a cut series are still exact for any UTC offset. Without it, the loaded rows are counted.
   */
  minuteCounts?: number[];
}

/**
 * Rows loaded per finding: a one-second beacon gives 86,400 a day. Beyond this the newest rows are kept,
 * so the charts show the end of the window, where an analyst starts.
 */
export const MAX_SERIES_ROWS = 100_000;

interface SeriesQuery {
  table: 'events' | 'dns_queries';
  where: string[];
  params: (string | number)[];
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const MINUTES_PER_DAY = 1_440;

/** The connection states of a failed attempt, as an SQL list. */
const FAILED_LIST = FAILED_STATES.map((state) => `'${state}'`).join(', ');

/** Returns the condition that a beacon finding's own key puts on the events table. */
function beaconQuery(finding: BeaconFinding): SeriesQuery {
  if (finding.key === 'dns-domain') return domainQuery(finding.sourceip, finding.domain ?? '');
  const where = ['sourceip = ?'];
  const params: (string | number)[] = [finding.sourceip];
  if (finding.key === 'server-name') {
    where.push('lower(servername) = ?');
    params.push(finding.servername ?? '');
  } else {
    where.push('destinationip = ?', 'destinationport IS NOT DISTINCT FROM ?');
    params.push(finding.destinationip ?? '', finding.destinationport ?? -1);
    if (finding.key === 'process') {
      where.push('processimage = ?');
      params.push(finding.processimage ?? '');
    }
  }
  // The detector scores failed attempts and working connections of one key as separate series.
  const failed = `coalesce(connstate IN (${FAILED_LIST}), false)`;
  where.push(finding.category === 'blocked-attempts' ? failed : `NOT ${failed}`);
  return { table: 'events', where, params };
}

/** Returns the condition on DNS queries from `sourceip` for names under the registered `domain`. */
function domainQuery(sourceip: string, domain: string): SeriesQuery {
  return {
    table: 'dns_queries',
    where: ['sourceip = ?', '(lower(query) = ? OR ends_with(lower(query), ?))'],
    params: [sourceip, domain, `.${domain}`],
  };
}

/** Returns the condition on the events of a (source, destination, port) pair. */
function pairQuery(sourceip: string, destinationip: string, port: number | null): SeriesQuery {
  return {
    table: 'events',
    where: ['sourceip = ?', 'destinationip = ?', 'destinationport IS NOT DISTINCT FROM ?'],
    params: [sourceip, destinationip, port ?? -1],
  };
}

/** Returns the query that selects the rows of a finding of `detector`. */
function seriesQuery(detector: DetectorId, finding: object): SeriesQuery {
  switch (detector) {
    case 'beacon':
      return beaconQuery(finding as BeaconFinding);
    case 'qradar-t1071': {
      const rule = finding as QradarT1071Finding;
      const query = pairQuery(rule.sourceip, rule.destinationip, rule.destinationport);
      query.where.push('username IS NOT DISTINCT FROM ?');
      // DuckDB binds a JavaScript null as SQL NULL, which IS NOT DISTINCT FROM matches.
      query.params.push(rule.userName as unknown as string);
      return query;
    }
    case 'long-connection': {
      const pair = finding as LongConnectionFinding;
      return pairQuery(pair.sourceip, pair.destinationip, pair.destinationport);
    }
    case 'dns-tunnel': {
      const tunnel = finding as DnsTunnelFinding;
      return domainQuery(tunnel.sourceip, tunnel.domain);
    }
  }
}

/**
 * Loads the rows of a finding that started between `fromMs` and `toMs` inclusive: the finding's first and
 * last time, so that the rows are those the detector counted.
 */
export async function loadFindingSeries(
  store: Pick<Store, 'all'>,
  detector: DetectorId,
  finding: object,
  fromMs: number,
  toMs: number,
): Promise<FindingSeries> {
  const query = seriesQuery(detector, finding);
  const where = [...query.where, 'starttime >= ?', 'starttime <= ?'].join(' AND ');
  const params = [...query.params, Math.trunc(fromMs), Math.trunc(toMs)];
  const bytes =
    query.table === 'events'
      ? 'sourcebytes, destinationbytes'
      : 'CAST(NULL AS BIGINT) AS sourcebytes, CAST(NULL AS BIGINT) AS destinationbytes';
  const rows = await store.all<{
    starttime: number;
    sourcebytes: number | null;
    destinationbytes: number | null;
    total: number;
  }>(
    `SELECT * FROM (
       SELECT starttime, ${bytes}, count(*) OVER () AS total FROM ${query.table} WHERE ${where}
       ORDER BY starttime DESC, sourcebytes DESC NULLS LAST LIMIT ${MAX_SERIES_ROWS}
     ) ORDER BY starttime, sourcebytes NULLS FIRST`,
    params,
  );
  const minutes = await store.all<{ minute: number; times: number }>(
    `SELECT CAST((starttime % ${DAY_MS} + ${DAY_MS}) % ${DAY_MS} // ${MINUTE_MS} AS INTEGER) AS minute,
       count(*) AS times
     FROM ${query.table} WHERE ${where} GROUP BY minute`,
    params,
  );
  const minuteCounts = new Array<number>(MINUTES_PER_DAY).fill(0);
  for (const { minute, times } of minutes) minuteCounts[Number(minute)] = Number(times);
  return {
    times: rows.map((row) => Number(row.starttime)),
    sourceBytes: rows.map((row) => nullableNumber(row.sourcebytes)),
    destinationBytes: rows.map((row) => nullableNumber(row.destinationbytes)),
    total: Number(rows[0]?.total ?? 0),
    minuteCounts,
  };
}

function nullableNumber(value: number | bigint | null): number | null {
  return value === null ? null : Number(value);
}
