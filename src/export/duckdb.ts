/**
 * DuckDB SQL over beaconhunt's events table. DuckDB has no address type without the inet extension,
 * which may need a download, so the query turns address text into numbers itself: an IPv4 address into
 * an unsigned 32-bit value, an IPv6 address into its 32 hex digits. Network tests then compare ranges
 * and hex prefixes, which is exact for every prefix length.
 */
import type { ExportRule } from './model.js';
import {
  domainRegex,
  networkTests,
  processRegex,
  type AddressSql,
  type Endpoint,
  type PredicateDialect,
} from './predicate.js';
import { compileSql, type SqlDialect } from './sql.js';

/** Quotes text as a DuckDB string literal, doubling single quotes; backslashes stay, because DuckDB strings have no escapes. */
export function duckdbString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

const COLUMN: Record<Endpoint, string> = { source: 'sourceip', destination: 'destinationip' };

/** Address text lower-cased and without an IPv6 zone id (fe80::1%eth0). */
function bareAddress(column: string): string {
  return `lower(split_part(${column}, '%', 1))`;
}

/**
 * Converts dotted IPv4 text and IPv4-mapped IPv6 text (::ffff:192.0.2.1) to an unsigned 32-bit number.
 * beaconhunt's local networks read both forms as IPv4.
 */
function ipv4Number(column: string): string {
  const dotted = `regexp_extract(lower(${column}), '^(::ffff:)?(\\d{1,3}(\\.\\d{1,3}){3})$', 2)`;
  const octet = (index: number): string => `CAST(split_part(${dotted}, '.', ${index}) AS BIGINT)`;
  return `CASE WHEN ${dotted} <> ''
      THEN ${octet(1)} * 16777216 + ${octet(2)} * 65536 + ${octet(3)} * 256 + ${octet(4)}
    END`;
}

/**
 * Lists the hex groups left (side 1) or right (side 2) of "::", without empty groups. Without "::",
 * side 1 is every group.
 */
function ipv6Groups(column: string, side: 1 | 2): string {
  return `list_filter(string_split(split_part(${bareAddress(column)}, '::', ${side}), ':'), lambda g: g <> '')`;
}

function ipv6Hex(prefix: string, column: string): string {
  const join = (list: string): string =>
    `array_to_string(list_transform(${list}, lambda g: lpad(g, 4, '0')), '')`;
  // Only hex digits and colons: IPv4 text and IPv4-mapped IPv6 (::ffff:192.0.2.1) get NULL here.
  return `CASE WHEN regexp_full_match(${bareAddress(column)}, '[0-9a-f:]*:[0-9a-f:]*')
      THEN ${join(`${prefix}_left`)} || repeat('0000', 8 - len(${prefix}_left) - len(${prefix}_right))
        || ${join(`${prefix}_right`)}
    END`;
}

const DUCKDB_ADDRESS_SQL: AddressSql = {
  hexPrefix: (column, hex) => `left(${column}, ${hex.length}) = '${hex}'`,
  hexDigit: (column, position) => `(strpos('0123456789abcdef', substr(${column}, ${position}, 1)) - 1)`,
  bitAnd: (left, right) => `(${left} & ${right})`,
  isNotNull: (column) => `${column} IS NOT NULL`,
};

function cidrTest(endpoint: Endpoint, cidrs: readonly string[]): string {
  const tests = networkTests(endpoint, cidrs, DUCKDB_ADDRESS_SQL);
  // coalesce: a NULL from the other address family must read as "not in the network", also under NOT.
  return `coalesce(${tests.map((test) => `(${test})`).join(' OR ')}, false)`;
}

export const DUCKDB_PREDICATE: PredicateDialect = {
  and: 'AND',
  or: 'OR',
  not: (operand) => `NOT ${operand}`,
  cidrs: cidrTest,
  ports: (ports) =>
    ports.length === 1 ? `destinationport = ${ports[0]}` : `destinationport IN (${ports.join(', ')})`,
  domain: (domain) =>
    `coalesce(regexp_full_match(lower(servername), ${duckdbString(domainRegex(domain))}), false)`,
  process: (process) =>
    `coalesce(regexp_full_match(lower(processimage), ${duckdbString(processRegex(process))}), false)`,
  protocol: (protocol) => `coalesce(lower(protocol) = ${duckdbString(protocol)}, false)`,
};

const DUCKDB_DIALECT: SqlDialect = {
  target: 'DuckDB SQL',
  predicate: DUCKDB_PREDICATE,
  source: 'addressed',
  addressColumns: () => {
    const lists = (['source', 'destination'] as const)
      .map((endpoint) =>
        [1, 2]
          .map(
            (side) =>
              `    ${ipv6Groups(COLUMN[endpoint], side as 1 | 2)} AS ${endpoint}_${side === 1 ? 'left' : 'right'}`,
          )
          .join(',\n'),
      )
      .join(',\n');
    const numbers = (['source', 'destination'] as const)
      .map(
        (endpoint) =>
          `    ${ipv4Number(COLUMN[endpoint])} AS ${endpoint}_v4,\n    ${ipv6Hex(endpoint, COLUMN[endpoint])} AS ${endpoint}_v6`,
      )
      .join(',\n');
    return `address_groups AS (
  SELECT *,
${lists}
  FROM events
),
addressed AS (
  SELECT *,
${numbers}
  FROM address_groups
),
`;
  },
  previousStart: (partition) => `lag(starttime) OVER (PARTITION BY ${partition} ORDER BY starttime)`,
  positiveGapCount: () => 'count(gap_ms) FILTER (WHERE gap_ms > 0)',
  positiveGapMean: () => 'avg(gap_ms) FILTER (WHERE gap_ms > 0)',
  positiveGapStdev: () => 'stddev_pop(gap_ms) FILTER (WHERE gap_ms > 0)',
  limits: ['The window ends at the newest event in the table; replace bounds.window_end to pin another end.'],
};

export function compile(rule: ExportRule): string {
  return compileSql(rule, DUCKDB_DIALECT);
}
