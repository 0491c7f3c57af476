/**
 * The IBM QRadar seed rule for MITRE ATT&CK T1071 (application layer protocol C2), reproduced with its
 * semantics and its faults. The rule in AQL:
 *
 *   SELECT sourceip, destinationip, destinationport, "userName", COUNT(*) AS ConnectionCount,
 *     MIN(starttime) AS FirstSeenEpochMs, MAX(starttime) AS LastSeenEpochMs,
 *     CASE WHEN COUNT(*) > 1 THEN (MAX(LONG(starttime)) - MIN(LONG(starttime))) / (COUNT(*) - 1) ELSE 0 END
 *       AS AvgIntervalMs
 *   FROM events
 *   WHERE starttime > (NOW() - 86400000)
 *     AND destinationport IN (80, 443, 53, 21, 25, 110, 143, 8080, 8443, 1883, 5222)
 *     AND eventdirection = 'L2R'
 *     AND NOT (destinationip ILIKE '10.%' OR destinationip ILIKE '172.16.%' OR ...
 *       OR destinationip ILIKE '172.31.%'
 *       OR destinationip ILIKE '192.168.%' OR destinationip ILIKE '127.%')
 *   GROUP BY sourceip, destinationip, destinationport, "userName"
 *   HAVING COUNT(*) > 10 AND AvgIntervalMs BETWEEN 1000 AND 3600000
 *   ORDER BY ConnectionCount DESC
 *
 * Every threshold is an option. The SQL sticks to standard functions (LOWER, SUBSTRING, CAST, CASE) so
 * that other stores can run it unchanged.
 */
import { UsageError } from '../errors.js';
import type { EventDirection } from '../net/locality.js';
import type { SqlValue } from '../store/store.js';
import type { Detector, DetectorContext, FlatValue, TableColumn } from './detector.js';

export interface QradarT1071Options {
  /** Destination ports the rule watches. */
  ports: readonly number[];
  /** Length of the window that ends at the context's `now`, in milliseconds. */
  windowMs: number;
  /** A group is reported when it has more than this many connections (the rule's "> 10"). */
  minCount: number;
  /** Lower bound of the mean gap between connections, inclusive, in milliseconds. */
  minIntervalMs: number;
  /** Upper bound of the mean gap between connections, inclusive, in milliseconds. */
  maxIntervalMs: number;
  /** The only eventdirection value counted. */
  direction: EventDirection;
  /**
   * Destination address prefixes to drop, compared case-insensitively with the start of the address text.
   * They are literal text: unlike the rule's ILIKE patterns, '%' and '_' match only themselves.
   */
  excludedDestinationPrefixes: readonly string[];
}

/** One group that passed the rule, with the rule's output column names. */
export interface QradarT1071Finding {
  sourceip: string;
  destinationip: string;
  destinationport: number;
  userName: string | null;
  ConnectionCount: number;
  FirstSeenEpochMs: number;
  LastSeenEpochMs: number;
  /** Mean gap between connections in ms, (last - first) / (count - 1), or 0 for a single connection. */
  AvgIntervalMs: number;
}

/**
 * The rule's private-destination exclusion: 10/8, 172.16/12, 192.168/16 and 127/8, written as text
 * prefixes. It keeps the rule's gaps on purpose: link-local 169.254/16, carrier-grade NAT 100.64/10 and
 * every IPv6 address (including ::1, fc00::/7 and fe80::/10) are not excluded.
 */
const RULE_PRIVATE_PREFIXES: readonly string[] = [
  '10.',
  ...Array.from({ length: 16 }, (_, index) => `172.${16 + index}.`),
  '192.168.',
  '127.',
];

export const DEFAULT_QRADAR_T1071_OPTIONS: Readonly<QradarT1071Options> = Object.freeze({
  ports: Object.freeze([80, 443, 53, 21, 25, 110, 143, 8080, 8443, 1883, 5222]),
  windowMs: 86_400_000,
  minCount: 10,
  minIntervalMs: 1_000,
  maxIntervalMs: 3_600_000,
  direction: 'L2R',
  excludedDestinationPrefixes: Object.freeze(RULE_PRIVATE_PREFIXES),
});

const DETECTOR_ID = 'qradar-t1071';
const EVENT_DIRECTIONS: readonly EventDirection[] = ['L2R', 'L2L', 'R2L', 'R2R'];
const MAX_PORT = 65_535;

/**
 * Checks every option, so that only validated integers and plain strings reach the query.
 *
 * @throws UsageError naming the first invalid option and its value.
 */
export function validateQradarT1071Options(options: QradarT1071Options): void {
  if (options.ports.length === 0) {
    throw new UsageError(`${DETECTOR_ID}: ports is empty; list at least one destination port`);
  }
  for (const port of options.ports) {
    if (!Number.isInteger(port) || port < 0 || port > MAX_PORT) {
      throw new UsageError(`${DETECTOR_ID}: invalid port ${port}; use integers from 0 to ${MAX_PORT}`);
    }
  }

  if (!Number.isSafeInteger(options.windowMs) || options.windowMs <= 0) {
    throw new UsageError(
      `${DETECTOR_ID}: invalid windowMs ${options.windowMs}; use a positive whole number of ms`,
    );
  }
  requireNonNegativeInteger('minCount', options.minCount);
  requireNonNegativeInteger('minIntervalMs', options.minIntervalMs);
  requireNonNegativeInteger('maxIntervalMs', options.maxIntervalMs);
  if (options.minIntervalMs > options.maxIntervalMs) {
    throw new UsageError(
      `${DETECTOR_ID}: minIntervalMs ${options.minIntervalMs} exceeds maxIntervalMs ${options.maxIntervalMs}`,
    );
  }

  if (!EVENT_DIRECTIONS.includes(options.direction)) {
    throw new UsageError(
      `${DETECTOR_ID}: invalid direction "${options.direction}"; use one of ${EVENT_DIRECTIONS.join(', ')}`,
    );
  }

  for (const prefix of options.excludedDestinationPrefixes) {
    // Printable ASCII without spaces, like address text. JavaScript and SQL engines lower-case and
    // count other characters differently, so the SUBSTRING length could be wrong for them.
    if (!/^[\x21-\x7e]+$/.test(prefix)) {
      throw new UsageError(
        `${DETECTOR_ID}: invalid excluded destination prefix ${JSON.stringify(prefix)}; ` +
          'use printable ASCII without spaces, such as "10." or "fe80:"',
      );
    }
  }
}

function requireNonNegativeInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new UsageError(`${DETECTOR_ID}: invalid ${name} ${value}; use a non-negative whole number`);
  }
}

/**
 * Builds the rule's query with every option value as a parameter. The only text spliced into the SQL is
 * the placeholders and the prefix lengths, both computed here.
 */
export function buildQradarT1071Query(
  options: QradarT1071Options,
  now: number,
): { sql: string; params: SqlValue[] } {
  const params: SqlValue[] = [];
  const bind = (value: SqlValue): string => {
    params.push(value);
    return '?';
  };

  // The rule reads "starttime > NOW() - 86400000" with no upper bound because QRadar's NOW() has no
  // events after it. Here `now` can lie in the past, so events after it are outside the window too.
  const windowStart = now - options.windowMs;
  const conditions = [
    `starttime > ${bind(windowStart)}`,
    `starttime <= ${bind(now)}`,
    `destinationport IN (${options.ports.map((port) => bind(port)).join(', ')})`,
    `eventdirection = ${bind(options.direction)}`,
  ];

  // ILIKE 'p%' is a case-insensitive prefix test. SUBSTRING on the lower-cased address does the same in
  // standard SQL and needs no escaping of LIKE wildcards in the prefix.
  if (options.excludedDestinationPrefixes.length > 0) {
    const prefixTests = options.excludedDestinationPrefixes.map((prefix) => {
      const lowered = prefix.toLowerCase();
      return `SUBSTRING(LOWER(destinationip), 1, ${lowered.length}) = ${bind(lowered)}`;
    });
    conditions.push(`NOT (${prefixTests.join(' OR ')})`);
  }

  // NOTE: whether AQL's LONG / LONG truncates is unverified. IBM's "AQL logical and comparison operators"
  // page (ibm.com/docs/SS42VS_latest/com.ibm.qradar.doc/r_aql_operators.html) states only that "/"
  // divides two values and returns the result. The "AQL data calculation and formatting functions" page
  // documents LONG() and DOUBLE() but not the type of arithmetic on them. So the mean is computed in
  // double precision: a mean of 3600000.5 ms fails the 3600000 maximum here, but would pass if AQL
  // truncates.
  const sql = `SELECT sourceip, destinationip, destinationport, "userName", "ConnectionCount",
  "FirstSeenEpochMs", "LastSeenEpochMs", "AvgIntervalMs"
FROM (
  SELECT sourceip, destinationip, destinationport, username AS "userName",
    COUNT(*) AS "ConnectionCount",
    MIN(starttime) AS "FirstSeenEpochMs",
    MAX(starttime) AS "LastSeenEpochMs",
    CASE WHEN COUNT(*) > 1
      THEN CAST(MAX(starttime) - MIN(starttime) AS DOUBLE PRECISION) / (COUNT(*) - 1)
      ELSE 0
    END AS "AvgIntervalMs"
  FROM events
  WHERE ${conditions.join('\n    AND ')}
  GROUP BY sourceip, destinationip, destinationport, username
) AS grouped
WHERE "ConnectionCount" > ${bind(options.minCount)}
  AND "AvgIntervalMs" BETWEEN ${bind(options.minIntervalMs)} AND ${bind(options.maxIntervalMs)}
ORDER BY "ConnectionCount" DESC, sourceip NULLS LAST, destinationip NULLS LAST, destinationport NULLS LAST,
  "userName" NULLS LAST`;

  return { sql, params };
}

async function runQradarT1071(
  context: DetectorContext,
  options: QradarT1071Options,
): Promise<QradarT1071Finding[]> {
  validateQradarT1071Options(options);
  if (!Number.isSafeInteger(context.now)) {
    throw new UsageError(
      `${DETECTOR_ID}: invalid end of window ${context.now}; use whole epoch milliseconds`,
    );
  }

  const { sql, params } = buildQradarT1071Query(options, context.now);
  const rows = await context.store.all<QradarT1071Finding>(sql, params);
  return rows.map((row) => ({
    sourceip: row.sourceip,
    destinationip: row.destinationip,
    destinationport: row.destinationport,
    userName: row.userName,
    ConnectionCount: row.ConnectionCount,
    FirstSeenEpochMs: row.FirstSeenEpochMs,
    LastSeenEpochMs: row.LastSeenEpochMs,
    AvgIntervalMs: row.AvgIntervalMs,
  }));
}

/** Formats a mean gap for the table with at most three decimals, dropping trailing zeros. */
function formatIntervalMs(ms: number): string {
  return String(Number(ms.toFixed(3)));
}

const TABLE_COLUMNS: readonly TableColumn<QradarT1071Finding>[] = [
  { header: 'sourceip', value: (finding) => finding.sourceip },
  { header: 'destinationip', value: (finding) => finding.destinationip },
  { header: 'destinationport', value: (finding) => String(finding.destinationport), align: 'right' },
  { header: 'userName', value: (finding) => finding.userName ?? '(none)' },
  { header: 'ConnectionCount', value: (finding) => String(finding.ConnectionCount), align: 'right' },
  { header: 'FirstSeen (UTC)', value: (finding) => new Date(finding.FirstSeenEpochMs).toISOString() },
  { header: 'LastSeen (UTC)', value: (finding) => new Date(finding.LastSeenEpochMs).toISOString() },
  { header: 'AvgIntervalMs', value: (finding) => formatIntervalMs(finding.AvgIntervalMs), align: 'right' },
];

export const qradarT1071Detector: Detector<QradarT1071Options, QradarT1071Finding> = {
  id: DETECTOR_ID,
  description:
    'IBM QRadar T1071 seed rule: outbound connections to common application ports, grouped by source, ' +
    'destination, port and user; by default reports groups with more than 10 connections in 24 h and a ' +
    'mean gap from 1 s to 1 h.',
  run: runQradarT1071,
  flatten: (finding): Record<string, FlatValue> => ({
    sourceip: finding.sourceip,
    destinationip: finding.destinationip,
    destinationport: finding.destinationport,
    userName: finding.userName,
    ConnectionCount: finding.ConnectionCount,
    FirstSeenEpochMs: finding.FirstSeenEpochMs,
    LastSeenEpochMs: finding.LastSeenEpochMs,
    AvgIntervalMs: finding.AvgIntervalMs,
  }),
  csvColumns: [
    'sourceip',
    'destinationip',
    'destinationport',
    'userName',
    'ConnectionCount',
    'FirstSeenEpochMs',
    'LastSeenEpochMs',
    'AvgIntervalMs',
  ],
  tableColumns: TABLE_COLUMNS,
};
