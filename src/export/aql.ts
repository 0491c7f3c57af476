/**
 * QRadar AQL in its portable form: a LAST n time clause (without one QRadar searches only its default
 * few minutes), INCIDR for networks (QRadar rejects ILIKE on address fields) and SUM(eventcount),
 * because QRadar coalesces repeated events into one record. AQL has no window functions, so the gaps
 * between connections, and with them the regularity test, cannot be computed in QRadar.
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

/**
 * Quotes text as an AQL string literal, doubling single quotes.
 * NOTE: IBM's AQL reference does not document how a quote inside a string is escaped. Doubling is the
 * SQL convention and is unverified on a QRadar console.
 */
export function aqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Custom event properties the allowlist reads; QRadar has no built-in field for either. */
export const AQL_SERVER_NAME_FIELD = '"Server Name"';
export const AQL_PROCESS_FIELD = '"Process Path"';

const COLUMN: Record<Endpoint, string> = { source: 'sourceip', destination: 'destinationip' };

export const AQL_PREDICATE: PredicateDialect = {
  and: 'AND',
  or: 'OR',
  not: (operand) => `NOT ${operand}`,
  cidrs: (endpoint, cidrs) => {
    const tests = cidrs.map((cidr) => `INCIDR(${aqlString(canonicalCidr(cidr))}, ${COLUMN[endpoint]})`);
    return tests.length === 1 ? tests[0]! : `(${tests.join(' OR ')})`;
  },
  ports: (ports) =>
    ports.length === 1 ? `destinationport = ${ports[0]}` : `destinationport IN (${ports.join(', ')})`,
  // The IS NOT NULL guard keeps an event without the property: a NULL under NOT would drop it.
  domain: (domain) =>
    `(${AQL_SERVER_NAME_FIELD} IS NOT NULL AND ${AQL_SERVER_NAME_FIELD} IMATCHES ${aqlString(domainRegex(domain))})`,
  process: (process) =>
    `(${AQL_PROCESS_FIELD} IS NOT NULL AND ${AQL_PROCESS_FIELD} IMATCHES ${aqlString(processRegex(process))})`,
  protocol: (protocol) => `LOWER(PROTOCOLNAME(protocolid)) = ${aqlString(protocol)}`,
};

const AQL_UNITS = { d: 'DAYS', h: 'HOURS', m: 'MINUTES' } as const;

/** Writes the LAST clause. AQL takes minutes, hours or days, so a window of whole seconds is rounded up to minutes. */
function lastClause(windowMs: number): string {
  const { value, unit } = windowParts(windowMs);
  if (unit === 's') return `LAST ${Math.ceil(windowMs / 60_000)} MINUTES`;
  return `LAST ${value} ${AQL_UNITS[unit]}`;
}

export function compile(rule: ExportRule): string {
  const filter = eventFilter(rule)
    .map((condition) => renderPredicate(condition, AQL_PREDICATE))
    .join('\n  AND ');
  const limits = [
    'AQL has no window functions, so the gaps between connections cannot be computed in QRadar:',
    'the regularity test is left out and this search is the prefilter of count and mean gap only.',
    ...(rule.allowlist.some((entry) => entry.domain !== undefined || entry.process !== undefined)
      ? [
          `Domain and process entries read the custom event properties ${AQL_SERVER_NAME_FIELD} and ` +
            `${AQL_PROCESS_FIELD}; define them or rename them here.`,
        ]
      : []),
    ...(windowParts(rule.windowMs).unit === 's'
      ? ['AQL time clauses take whole minutes, so the window is rounded up to the next minute.']
      : []),
  ];
  const header = renderHeader(rule, {
    target: 'QRadar AQL',
    marker: '--',
    fields:
      'sourceip, destinationip, destinationport, username, starttime (epoch ms), eventcount, protocolid',
    limits,
  });
  return `${header}SELECT sourceip, destinationip, destinationport, username AS "userName",
  SUM(eventcount) AS "ConnectionCount",
  MIN(starttime) AS "FirstSeenEpochMs",
  MAX(starttime) AS "LastSeenEpochMs",
  CASE WHEN SUM(eventcount) > 1
    THEN DOUBLE(MAX(starttime) - MIN(starttime)) / (SUM(eventcount) - 1)
    ELSE 0
  END AS "AvgIntervalMs"
FROM events
WHERE ${filter}
GROUP BY sourceip, destinationip, destinationport, username
HAVING "ConnectionCount" > ${rule.minCount}
  AND "AvgIntervalMs" BETWEEN ${rule.minIntervalMs} AND ${rule.maxIntervalMs}
ORDER BY "ConnectionCount" DESC
${lastClause(rule.windowMs)}
`;
}
