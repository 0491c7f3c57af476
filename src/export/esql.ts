/**
 * Elastic ES|QL over ECS fields. STATS gives the count and the first and last start time of each group,
 * so the mean gap is exact. ES|QL has no window function that reads the previous row, so the gaps
 * between connections, and with them the regularity test, cannot be computed.
 */
import { renderHeader } from './header.js';
import type { ExportRule } from './model.js';
import {
  canonicalCidr,
  domainRegex,
  eventFilter,
  processRegex,
  renderPredicate,
  windowParts,
  type Endpoint,
  type PredicateDialect,
} from './predicate.js';

/** Quotes text as an ES|QL string literal, escaping backslash and double quote with a backslash. */
export function esqlString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * Turns a regular expression of predicate.ts into Lucene's dialect, which RLIKE uses. Lucene matches
 * the whole string, so the anchors go. It also reserves `@`, `#`, `&`, `<`, `>`, `~` and `"`, which
 * escapeRegex leaves alone, so every one of them is escaped here.
 */
export function luceneRegex(regex: string): string {
  const unanchored = regex.replace(/^\^/, '').replace(/\$$/, '');
  return unanchored.replace(/[@#&<>~"]/g, '\\$&');
}

const COLUMN: Record<Endpoint, string> = { source: 'source.ip', destination: 'destination.ip' };

export const ESQL_PREDICATE: PredicateDialect = {
  and: 'AND',
  or: 'OR',
  not: (operand) => `NOT ${operand}`,
  cidrs: (endpoint, cidrs) =>
    `CIDR_MATCH(${COLUMN[endpoint]}, ${cidrs.map((cidr) => esqlString(canonicalCidr(cidr))).join(', ')})`,
  ports: (ports) =>
    ports.length === 1 ? `destination.port == ${ports[0]}` : `destination.port IN (${ports.join(', ')})`,
  // COALESCE keeps events without a name or process: a NULL under NOT would drop them.
  domain: (domain) =>
    `COALESCE(TO_LOWER(destination.domain), "") RLIKE ${esqlString(luceneRegex(domainRegex(domain)))}`,
  process: (process) =>
    `COALESCE(TO_LOWER(process.executable), "") RLIKE ${esqlString(luceneRegex(processRegex(process)))}`,
  protocol: (protocol) => `COALESCE(TO_LOWER(network.transport), "") == ${esqlString(protocol)}`,
};

const ESQL_UNITS = { d: 'days', h: 'hours', m: 'minutes', s: 'seconds' } as const;

export function compile(rule: ExportRule): string {
  const filter = eventFilter(rule)
    .map((condition) => renderPredicate(condition, ESQL_PREDICATE))
    .join('\n  AND ');
  const { value, unit } = windowParts(rule.windowMs);
  const header = renderHeader(rule, {
    target: 'Elastic ES|QL',
    marker: '//',
    fields:
      'ECS @timestamp, source.ip, destination.ip, destination.port, user.name, network.transport, ' +
      'destination.domain, process.executable; replace logs-* with your network data',
    limits: [
      'ES|QL has no function that reads the previous row, so the gaps between connections cannot be',
      'computed: the regularity test is left out and this query is the prefilter of count and mean gap only.',
    ],
  });
  return `${header}FROM logs-*
| WHERE @timestamp > NOW() - ${value} ${ESQL_UNITS[unit]}
  AND ${filter}
| STATS ConnectionCount = COUNT(*), FirstSeen = MIN(@timestamp), LastSeen = MAX(@timestamp)
    BY source.ip, destination.ip, destination.port, user.name
| EVAL AvgIntervalMs = CASE(ConnectionCount > 1, TO_DOUBLE(DATE_DIFF("millisecond", FirstSeen, LastSeen)) / (ConnectionCount - 1), 0.0)
| WHERE ConnectionCount > ${rule.minCount} AND AvgIntervalMs >= ${rule.minIntervalMs} AND AvgIntervalMs <= ${rule.maxIntervalMs}
| SORT ConnectionCount DESC
`;
}
