/**
 * ClickHouse SQL over beaconhunt's events table, for a dataset loaded into ClickHouse.
 *
 * The query uses only what ClickHouse has had since release 18, the version Debian ships, so it runs
 * unchanged on old and current servers. Nested subqueries replace CTEs, and a scalar WITH gives the end
 * of the window. The gaps come from arrays (groupArray, arraySort, arrayDifference) rather than window
 * functions. Addresses are tested as numbers and hex text, because isIPAddressInRange came in 21.4.
 */
import { renderHeader } from './header.js';
import type { ExportRule } from './model.js';
import {
  domainRegex,
  eventFilter,
  networkTests,
  processRegex,
  renderPredicate,
  type AddressSql,
  type Endpoint,
  type PredicateDialect,
} from './predicate.js';

/** Quotes text as a ClickHouse string literal, escaping backslash and quote because ClickHouse strings read escapes. */
export function clickhouseString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const COLUMN: Record<Endpoint, string> = { source: 'sourceip', destination: 'destinationip' };

/** Address text lower-cased and without an IPv6 zone id (fe80::1%eth0). */
function bareAddress(column: string): string {
  return `lower(splitByChar('%', ifNull(${column}, ''))[1])`;
}

/**
 * Converts to an unsigned 32-bit number dotted IPv4 text and IPv4-mapped IPv6 text (::ffff:192.0.2.1), which
 * beaconhunt's local networks read as IPv4; NULL for anything else. IPv4StringToNum returns 0 for text it
 * cannot read, so the pattern is checked first: 0 would otherwise fall inside 0.0.0.0/8.
 */
function ipv4Number(column: string): string {
  const bare = bareAddress(column);
  return `if(match(${bare}, '^(::ffff:)?[0-9]{1,3}([.][0-9]{1,3}){3}$'),
      toNullable(IPv4StringToNum(replaceRegexpOne(${bare}, '^::ffff:', ''))), NULL)`;
}

/**
 * Gives the 32 lower-case hex digits of an IPv6 address, NULL for IPv4 text (which has dots, so also for
 * IPv4-mapped IPv6). IPv6StringToNum returns 16 zero bytes for text it cannot read.
 */
function ipv6Hex(column: string): string {
  const bare = bareAddress(column);
  return `if(match(${bare}, '^[0-9a-f:]*:[0-9a-f:]*$'), toNullable(lower(hex(IPv6StringToNum(${bare})))), NULL)`;
}

const CLICKHOUSE_ADDRESS_SQL: AddressSql = {
  hexPrefix: (column, hex) => `substring(${column}, 1, ${hex.length}) = '${hex}'`,
  hexDigit: (column, position) => `(position('0123456789abcdef', substring(${column}, ${position}, 1)) - 1)`,
  bitAnd: (left, right) => `bitAnd(${left}, ${right})`,
  isNotNull: (column) => `isNotNull(${column})`,
};

function cidrTest(endpoint: Endpoint, cidrs: readonly string[]): string {
  const tests = networkTests(endpoint, cidrs, CLICKHOUSE_ADDRESS_SQL);
  // ifNull: a NULL from the other address family must read as "not in the network", also under NOT.
  return `ifNull(${tests.map((test) => `(${test})`).join(' OR ')}, 0)`;
}

export const CLICKHOUSE_PREDICATE: PredicateDialect = {
  and: 'AND',
  or: 'OR',
  not: (operand) => `NOT ${operand}`,
  cidrs: cidrTest,
  ports: (ports) =>
    ports.length === 1 ? `destinationport = ${ports[0]}` : `destinationport IN (${ports.join(', ')})`,
  domain: (domain) => `ifNull(match(lower(servername), ${clickhouseString(domainRegex(domain))}), 0)`,
  process: (process) => `ifNull(match(lower(processimage), ${clickhouseString(processRegex(process))}), 0)`,
  protocol: (protocol) => `ifNull(lower(protocol) = ${clickhouseString(protocol)}, 0)`,
};

const GROUP_COLUMNS = 'sourceip, destinationip, destinationport, username';

/** Builds the whole query: header, window, event filter, gaps, groups, thresholds and order. */
export function compile(rule: ExportRule): string {
  const filter = eventFilter(rule)
    .map((condition) => renderPredicate(condition, CLICKHOUSE_PREDICATE))
    .join('\n      AND ');
  const regularity = rule.regularity;
  const thresholds = [
    `"ConnectionCount" > ${rule.minCount}`,
    `"AvgIntervalMs" BETWEEN ${rule.minIntervalMs} AND ${rule.maxIntervalMs}`,
    ...(regularity !== null
      ? [`"GapCount" >= ${regularity.minGaps}`, `"GapCv" <= ${regularity.maxGapCv}`]
      : []),
  ];
  const header = renderHeader(rule, {
    target: 'ClickHouse SQL',
    marker: '--',
    fields:
      'the events table of beaconhunt: starttime (epoch ms), sourceip, destinationip, destinationport, ' +
      'username, protocol, servername, processimage, eventcount',
    limits: [
      'The window ends at the newest event in the table; replace window_end to pin another end.',
      'Runs on ClickHouse 18.16 and later: arrays instead of window functions, no isIPAddressInRange.',
    ],
  });
  const addresses = (['source', 'destination'] as const)
    .map(
      (endpoint) =>
        `      ${ipv4Number(COLUMN[endpoint])} AS ${endpoint}_v4,\n` +
        `      ${ipv6Hex(COLUMN[endpoint])} AS ${endpoint}_v6`,
    )
    .join(',\n');

  // Gaps are taken between distinct start times (sorted, differenced, zeros dropped), so duplicated
  // records do not pull the variation down. The mean gap counts every connection, as QRadar's rule does.
  return `${header}SELECT sourceip, destinationip, destinationport, "userName", "ConnectionCount", "FirstSeenEpochMs",
  "LastSeenEpochMs", "AvgIntervalMs", "GapCount", "GapCv"
FROM (
  SELECT sourceip, destinationip, destinationport, username AS "userName",
    sum(weight) AS "ConnectionCount",
    min(starttime) AS "FirstSeenEpochMs",
    max(starttime) AS "LastSeenEpochMs",
    if("ConnectionCount" > 1,
      toFloat64("LastSeenEpochMs" - "FirstSeenEpochMs") / ("ConnectionCount" - 1), 0) AS "AvgIntervalMs",
    arrayFilter(gap -> gap > 0, arrayDifference(arraySort(groupArray(starttime)))) AS positive_gaps,
    length(positive_gaps) AS "GapCount",
    if("GapCount" > 0,
      arrayReduce('stddevPop', positive_gaps) / arrayReduce('avg', positive_gaps), NULL) AS "GapCv"
  FROM (
    WITH (SELECT max(starttime) FROM events) AS window_end
    SELECT ${GROUP_COLUMNS}, starttime, coalesce(eventcount, 1) AS weight,
${addresses}
    FROM events
    WHERE starttime > window_end - ${rule.windowMs}
      AND starttime <= window_end
      AND ${filter}
  )
  GROUP BY ${GROUP_COLUMNS}
)
WHERE ${thresholds.join('\n  AND ')}
ORDER BY "ConnectionCount" DESC, sourceip NULLS LAST, destinationip NULLS LAST,
  destinationport NULLS LAST, "userName" NULLS LAST;
`;
}
