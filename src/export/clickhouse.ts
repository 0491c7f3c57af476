/**
 * ClickHouse SQL over beaconhunt's events table, for a dataset loaded into ClickHouse. It needs window
 * functions (ClickHouse 21.4 or later) and isIPAddressInRange (21.4 or later).
 */
import type { ExportRule } from './model.js';
import {
  canonicalCidr,
  domainRegex,
  processRegex,
  type Endpoint,
  type PredicateDialect,
} from './predicate.js';
import { compileSql, type SqlDialect } from './sql.js';

/** Quotes text as a ClickHouse string literal, escaping backslash and quote because ClickHouse strings read escapes. */
export function clickhouseString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const COLUMN: Record<Endpoint, string> = { source: 'sourceip', destination: 'destinationip' };

export const CLICKHOUSE_PREDICATE: PredicateDialect = {
  and: 'AND',
  or: 'OR',
  not: (operand) => `NOT ${operand}`,
  // isIPAddressInRange raises an exception on text that is not an address, so only valid text reaches it.
  // NOTE: ClickHouse evaluates both sides of AND unless short-circuit evaluation is on (the default
  // since 21.8), so the guard protects only on those versions.
  cidrs: (endpoint, cidrs) => {
    const column = COLUMN[endpoint];
    const tests = cidrs.map(
      (cidr) => `isIPAddressInRange(${column}, ${clickhouseString(canonicalCidr(cidr))})`,
    );
    return `((isIPv4String(${column}) OR isIPv6String(${column})) AND (${tests.join(' OR ')}))`;
  },
  ports: (ports) =>
    ports.length === 1 ? `destinationport = ${ports[0]}` : `destinationport IN (${ports.join(', ')})`,
  domain: (domain) => `(ifNull(match(lower(servername), ${clickhouseString(domainRegex(domain))}), 0) = 1)`,
  process: (process) =>
    `(ifNull(match(lower(processimage), ${clickhouseString(processRegex(process))}), 0) = 1)`,
  protocol: (protocol) => `(ifNull(lower(protocol) = ${clickhouseString(protocol)}, 0) = 1)`,
};

const CLICKHOUSE_DIALECT: SqlDialect = {
  target: 'ClickHouse SQL',
  predicate: CLICKHOUSE_PREDICATE,
  source: 'events',
  addressColumns: () => '',
  // A Nullable argument makes lagInFrame return NULL before the first row, not the type's default 0.
  previousStart: (partition) =>
    `lagInFrame(toNullable(starttime)) OVER (PARTITION BY ${partition} ORDER BY starttime ` +
    'ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)',
  positiveGapCount: () => 'countIf(gap_ms > 0)',
  positiveGapMean: () => 'avgIf(gap_ms, gap_ms > 0)',
  positiveGapStdev: () => 'stddevPopIf(gap_ms, gap_ms > 0)',
  limits: [
    'The window ends at the newest event in the table; replace bounds.window_end to pin another end.',
    'Needs ClickHouse 21.4 or later for window functions and isIPAddressInRange.',
  ],
};

export function compile(rule: ExportRule): string {
  return compileSql(rule, CLICKHOUSE_DIALECT);
}
