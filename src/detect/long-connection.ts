/**
 * Long connections: per source, destination and port, the total time spent connected and the longest
 * single connection, from the events' `duration` column (seconds; Zeek conn.log and open_conn.log,
 * Suricata flows, PCAP flows and any format that records it). A C2 channel that keeps one session open,
 * or reconnects at once when it drops, shows hours of connected time to one destination where ordinary
 * traffic shows short requests.
 */
import { UsageError } from '../errors.js';
import type { SqlValue, Store } from '../store/store.js';
import { formatSeconds } from './beacon/index.js';
import {
  newestEventTime,
  type Detector,
  type DetectorContext,
  type FlatValue,
  type TableColumn,
} from './detector.js';

export interface LongConnectionOptions {
  /** Length of the window that ends at the context's `now`, in ms; Infinity reads every event up to `now`. */
  windowMs: number;
  /** Total or single connection time that reports a pair, in ms. */
  minDurationMs: number;
}

export const DEFAULT_LONG_CONNECTION_OPTIONS: Readonly<LongConnectionOptions> = Object.freeze({
  windowMs: Number.POSITIVE_INFINITY,
  minDurationMs: 3_600_000,
});

/** Criterion that a reported pair met. */
export type LongConnectionCriterion = 'total-duration' | 'single-duration';

export interface LongConnectionFinding {
  rank: number;
  criteria: LongConnectionCriterion[];
  sourceip: string;
  destinationip: string;
  destinationport: number | null;
  /** Transport protocols seen (tcp, udp, icmp), sorted. */
  protocols: string[];
  /** Application protocols the sensor named (Zeek service), up to three. */
  services: string[];
  /** TLS server names or HTTP hosts, up to three. */
  servernames: string[];
  connections: number;
  /** Sum of the connections' time inside the window, in seconds; parallel connections add up. */
  totalDurationSeconds: number;
  /** Full duration of the longest connection, in seconds, including any part before the window. */
  longestDurationSeconds: number;
  /** Bytes sent by the source and by the destination, summed over connections that report them. */
  sourceBytes: number;
  destinationBytes: number;
  /**
   * True when a connection of the pair was last reported by a Zeek open_conn log, so it had not ended
   * when the log was written. Known only for files whose name starts with "open_conn".
   */
  stillOpen: boolean;
  /** Connections of the pair last reported by an open_conn log. */
  openConnections: number;
  firstSeen: string;
  lastSeen: string;
  firstSeenEpochMs: number;
  lastSeenEpochMs: number;
  why: string[];
}

const DETECTOR_ID = 'long-connection';
const MAX_LISTED = 3;

/** @throws UsageError naming the first invalid option and its value. */
export function validateLongConnectionOptions(options: LongConnectionOptions): void {
  if (
    !(options.windowMs > 0) ||
    (Number.isFinite(options.windowMs) && !Number.isSafeInteger(options.windowMs))
  ) {
    throw new UsageError(
      `${DETECTOR_ID}: invalid windowMs ${options.windowMs}; use a positive whole number of ms, or Infinity`,
    );
  }
  if (!Number.isSafeInteger(options.minDurationMs) || options.minDurationMs < 1) {
    throw new UsageError(
      `${DETECTOR_ID}: invalid minDurationMs ${options.minDurationMs}; use a whole number of ms of at least 1`,
    );
  }
}

interface PairRow {
  sourceip: string;
  destinationip: string;
  destinationport: number | null;
  protocols: string[];
  services: string[];
  servernames: string[];
  connections: number;
  totalDurationSeconds: number;
  longestDurationSeconds: number;
  sourceBytes: number;
  destinationBytes: number;
  openConnections: number;
  firstSeen: number;
  lastSeen: number;
}

/**
 * Builds the query. A connection counts when any part of it lies in the window (windowStart, now]: its
 * time is clipped to the window for the total, while the longest keeps the full logged duration.
 */
export function buildLongConnectionQuery(
  options: LongConnectionOptions,
  now: number,
): { sql: string; params: SqlValue[] } {
  // $1 is now, $2 the threshold in seconds and $3 the window start; DuckDB lets a numbered parameter
  // appear more than once. Durations are seconds and times milliseconds.
  const finite = Number.isFinite(options.windowMs);
  const params: SqlValue[] = [now, options.minDurationMs / 1000];
  if (finite) params.push(now - options.windowMs);

  const end = 'starttime + duration * 1000';
  const clippedStart = finite ? 'greatest(starttime, $3)' : 'starttime';
  const clipped = `greatest(0, (least(${end}, $1) - ${clippedStart}) / 1000.0)`;
  // Summed as decimals with microsecond precision (Zeek's), so the total is exact and does not depend on
  // the order rows are stored in, as a sum of doubles does.
  const total = `CAST(sum(CAST(${clipped} AS DECIMAL(38, 6))) AS DOUBLE)`;
  const overlapsWindow = finite ? `starttime <= $1 AND ${end} > $3` : 'starttime <= $1';

  const sql = `SELECT sourceip, destinationip, destinationport,
      coalesce(list(DISTINCT protocol ORDER BY protocol) FILTER (WHERE protocol IS NOT NULL), []) AS protocols,
      coalesce(list(DISTINCT service ORDER BY service) FILTER (WHERE service IS NOT NULL), [])[1:${MAX_LISTED}] AS services,
      coalesce(list(DISTINCT servername ORDER BY servername) FILTER (WHERE servername IS NOT NULL), [])[1:${MAX_LISTED}] AS servernames,
      count(*) AS connections,
      ${total} AS "totalDurationSeconds",
      max(duration) AS "longestDurationSeconds",
      CAST(coalesce(sum(sourcebytes), 0) AS DOUBLE) AS "sourceBytes",
      CAST(coalesce(sum(destinationbytes), 0) AS DOUBLE) AS "destinationBytes",
      count(*) FILTER (WHERE regexp_matches(sourcefile, '(^|[/\\\\])open_conn[^/\\\\]*$')) AS "openConnections",
      min(starttime) AS "firstSeen",
      max(starttime) AS "lastSeen"
    FROM events
    WHERE duration > 0 AND isfinite(duration) AND ${overlapsWindow}
    GROUP BY sourceip, destinationip, destinationport
    HAVING ${total} >= $2 OR max(duration) >= $2
    ORDER BY "totalDurationSeconds" DESC, "longestDurationSeconds" DESC, sourceip, destinationip,
      destinationport NULLS LAST`;
  return { sql, params };
}

async function runLongConnection(
  context: DetectorContext,
  options: LongConnectionOptions,
): Promise<LongConnectionFinding[]> {
  validateLongConnectionOptions(options);
  if (!Number.isSafeInteger(context.now)) {
    throw new UsageError(
      `${DETECTOR_ID}: invalid end of window ${context.now}; use whole epoch milliseconds`,
    );
  }
  const { sql, params } = buildLongConnectionQuery(options, context.now);
  const rows = await context.store.all<PairRow>(sql, params);
  return rows.map((row, index) => toFinding(row, index + 1, options));
}

function toFinding(row: PairRow, rank: number, options: LongConnectionOptions): LongConnectionFinding {
  const minSeconds = options.minDurationMs / 1000;
  const criteria: LongConnectionCriterion[] = [];
  if (row.totalDurationSeconds >= minSeconds) criteria.push('total-duration');
  if (row.longestDurationSeconds >= minSeconds) criteria.push('single-duration');

  const why = [
    `${formatSeconds(row.totalDurationSeconds)} connected over ${row.connections} connection${row.connections === 1 ? '' : 's'}`,
    `longest ${formatSeconds(row.longestDurationSeconds)}`,
    `threshold ${formatSeconds(minSeconds)}`,
  ];
  if (row.openConnections > 0) why.push(`${row.openConnections} still open when logged (open_conn)`);
  why.push(`${formatBytes(row.sourceBytes)} sent, ${formatBytes(row.destinationBytes)} received`);

  return {
    rank,
    criteria,
    sourceip: row.sourceip,
    destinationip: row.destinationip,
    destinationport: row.destinationport,
    protocols: row.protocols,
    services: row.services,
    servernames: row.servernames,
    connections: row.connections,
    totalDurationSeconds: row.totalDurationSeconds,
    longestDurationSeconds: row.longestDurationSeconds,
    sourceBytes: row.sourceBytes,
    destinationBytes: row.destinationBytes,
    stillOpen: row.openConnections > 0,
    openConnections: row.openConnections,
    firstSeen: new Date(row.firstSeen).toISOString(),
    lastSeen: new Date(row.lastSeen).toISOString(),
    firstSeenEpochMs: row.firstSeen,
    lastSeenEpochMs: row.lastSeen,
    why,
  };
}

/** Formats a byte count with a binary unit: 512 B, 1.5 KiB, 20.0 MiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function flattenLongConnectionFinding(finding: LongConnectionFinding): Record<string, FlatValue> {
  return {
    rank: finding.rank,
    criteria: finding.criteria.join(' '),
    sourceip: finding.sourceip,
    destinationip: finding.destinationip,
    destinationport: finding.destinationport,
    protocols: finding.protocols.join(' '),
    services: finding.services.join(' '),
    servernames: finding.servernames.join(' '),
    connections: finding.connections,
    totalDurationSeconds: round(finding.totalDurationSeconds, 3),
    longestDurationSeconds: round(finding.longestDurationSeconds, 3),
    sourceBytes: finding.sourceBytes,
    destinationBytes: finding.destinationBytes,
    stillOpen: finding.stillOpen,
    openConnections: finding.openConnections,
    firstSeen: finding.firstSeen,
    lastSeen: finding.lastSeen,
    firstSeenEpochMs: finding.firstSeenEpochMs,
    lastSeenEpochMs: finding.lastSeenEpochMs,
    why: finding.why.join('; '),
  };
}

const CSV_COLUMNS = [
  'rank',
  'criteria',
  'sourceip',
  'destinationip',
  'destinationport',
  'protocols',
  'services',
  'servernames',
  'connections',
  'totalDurationSeconds',
  'longestDurationSeconds',
  'sourceBytes',
  'destinationBytes',
  'stillOpen',
  'openConnections',
  'firstSeen',
  'lastSeen',
  'firstSeenEpochMs',
  'lastSeenEpochMs',
  'why',
] as const;

const TABLE_COLUMNS: readonly TableColumn<LongConnectionFinding>[] = [
  { header: '#', value: (f) => String(f.rank), align: 'right' },
  { header: 'source', value: (f) => f.sourceip },
  { header: 'destination', value: (f) => f.servernames[0] ?? f.destinationip },
  {
    header: 'port',
    value: (f) => (f.destinationport === null ? '' : String(f.destinationport)),
    align: 'right',
  },
  { header: 'proto', value: (f) => [...f.protocols, ...f.services].join('/') },
  { header: 'conns', value: (f) => String(f.connections), align: 'right' },
  // No-break spaces keep each number with its unit when the column wraps.
  {
    header: 'total',
    value: (f) => formatSeconds(f.totalDurationSeconds).replace(' ', '\u00a0'),
    align: 'right',
  },
  {
    header: 'longest',
    value: (f) => formatSeconds(f.longestDurationSeconds).replace(' ', '\u00a0'),
    align: 'right',
  },
  { header: 'open', value: (f) => (f.stillOpen ? 'yes' : '') },
  { header: 'why', value: (f) => f.why.join('; ') },
];

/**
 * Returns the end of the last connection (start plus duration), or the newest start when no connection
 * has a duration. Every session then counts to its end. With the newest start as the end, a session
 * still running when the log closed would be cut off at an unrelated connection's start.
 */
async function newestConnectionEnd(store: Store): Promise<number | null> {
  const [row] = await store.all<{ newest: number | null }>(
    `SELECT max(greatest(starttime, starttime + CAST(round(coalesce(duration, 0) * 1000) AS BIGINT))) AS newest
       FROM events WHERE isfinite(coalesce(duration, 0))`,
  );
  return row?.newest ?? (await newestEventTime(store));
}

export const longConnectionDetector: Detector<LongConnectionOptions, LongConnectionFinding> = {
  id: DETECTOR_ID,
  description:
    'Long connections: per source, destination and port, total connected time and the longest single ' +
    'connection; by default reports pairs with 1 h or more of either.',
  run: runLongConnection,
  defaultNow: newestConnectionEnd,
  flatten: flattenLongConnectionFinding,
  csvColumns: CSV_COLUMNS,
  tableColumns: TABLE_COLUMNS,
};
