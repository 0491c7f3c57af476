/**
 * Microsoft Sentinel KQL, in two forms: over the ASIM NetworkSession schema through the
 * _Im_NetworkSession parser, and over Microsoft Defender's DeviceNetworkEvents table. Sorting by group
 * and time serializes the rows, so prev() gives each row the previous start time of its group, and the
 * query computes the gaps and the regularity test in Sentinel.
 */
import { renderHeader } from './header.js';
import type { ExportRule } from './model.js';
import {
  domainRegex,
  eventFilter,
  processRegex,
  renderPredicate,
  splitFamilies,
  windowText,
  type Endpoint,
  type PredicateDialect,
} from './predicate.js';

/** Quotes text as a KQL string literal, escaping backslash and double quote with a backslash. */
export function kqlString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Column names of one KQL source table. */
interface KqlSchema {
  readonly target: string;
  readonly time: string;
  readonly source: string;
  readonly destination: string;
  readonly port: string;
  readonly user: string;
  readonly serverName: string;
  readonly process: string;
  /** The connection count of one row: EventCount where the schema has one, else 1. */
  readonly count: string;
  /** The table expression and the filters that come before the rule's filter. */
  readonly from: (window: string) => string[];
  readonly protocol: (protocol: string) => string;
}

const ASIM: KqlSchema = {
  target: 'Microsoft Sentinel KQL (ASIM NetworkSession)',
  time: 'TimeGenerated',
  source: 'SrcIpAddr',
  destination: 'DstIpAddr',
  port: 'DstPortNumber',
  user: 'SrcUsername',
  serverName: 'DstFQDN',
  process: 'SrcProcessName',
  count: 'coalesce(toint(EventCount), 1)',
  from: (window) => [`_Im_NetworkSession(starttime=ago(${window}), endtime=now())`],
  protocol: (protocol) => `NetworkProtocol =~ ${kqlString(protocol)}`,
};

const MDE: KqlSchema = {
  target: 'Microsoft Sentinel KQL (DeviceNetworkEvents)',
  time: 'Timestamp',
  source: 'LocalIP',
  destination: 'RemoteIP',
  port: 'RemotePort',
  user: 'InitiatingProcessAccountName',
  serverName: 'RemoteUrl',
  process: 'InitiatingProcessFolderPath',
  count: '1',
  // Inbound accepts and listening sockets are not connections the local host opened.
  from: (window) => [
    'DeviceNetworkEvents',
    `| where Timestamp > ago(${window})`,
    '| where ActionType !in ("InboundConnectionAccepted", "ListeningConnectionCreated")',
  ],
  // Defender writes Tcp, Udp and variants such as TcpV4.
  protocol: (protocol) => `Protocol startswith ${kqlString(protocol)}`,
};

function predicateDialect(schema: KqlSchema): PredicateDialect {
  const column: Record<Endpoint, string> = { source: schema.source, destination: schema.destination };
  return {
    and: 'and',
    or: 'or',
    not: (operand) => `not(${operand})`,
    // The family guard turns the NULL that the other family's function returns into false.
    cidrs: (endpoint, cidrs) => {
      const { ipv4, ipv6 } = splitFamilies(cidrs);
      const address = column[endpoint];
      const tests = [
        ...(ipv4.length > 0
          ? [
              `(isnotnull(parse_ipv4(${address})) and ipv4_is_in_any_range(${address}, dynamic([${ipv4.map(kqlString).join(', ')}])))`,
            ]
          : []),
        ...(ipv6.length > 0
          ? [
              `(isnull(parse_ipv4(${address})) and ipv6_is_in_any_range(${address}, dynamic([${ipv6.map(kqlString).join(', ')}])))`,
            ]
          : []),
      ];
      return tests.length === 1 ? tests[0]! : `(${tests.join(' or ')})`;
    },
    ports: (ports) =>
      ports.length === 1 ? `${schema.port} == ${ports[0]}` : `${schema.port} in (${ports.join(', ')})`,
    domain: (domain) => `tolower(${schema.serverName}) matches regex ${kqlString(domainRegex(domain))}`,
    process: (process) => `tolower(${schema.process}) matches regex ${kqlString(processRegex(process))}`,
    protocol: schema.protocol,
  };
}

function compileKql(rule: ExportRule, schema: KqlSchema): string {
  const dialect = predicateDialect(schema);
  const filter = eventFilter(rule)
    .map((condition) => `| where ${renderPredicate(condition, dialect)}`)
    .join('\n');
  const { time, source, destination, port, user } = schema;
  const group = `${source}, ${destination}, ${port}, ${user}`;
  const sameGroup = [source, destination, port, user].map((name) => `prev(${name}) == ${name}`).join(' and ');
  const regularity = rule.regularity;
  const thresholds = [
    `ConnectionCount > ${rule.minCount}`,
    `AvgIntervalMs between (${rule.minIntervalMs}.0 .. ${rule.maxIntervalMs}.0)`,
    ...(regularity !== null ? [`GapCount >= ${regularity.minGaps}`, `GapCv <= ${regularity.maxGapCv}`] : []),
  ];
  const header = renderHeader(rule, {
    target: schema.target,
    marker: '//',
    fields: `${time}, ${source}, ${destination}, ${port}, ${user}, ${schema.serverName}, ${schema.process}`,
  });
  return `${header}${schema.from(windowText(rule.windowMs)).join('\n')}
${filter}
| extend ${user} = coalesce(${user}, "")
| sort by ${source} asc, ${destination} asc, ${port} asc, ${user} asc, ${time} asc
| extend GapMs = iff(${sameGroup}, todouble((${time} - prev(${time})) / 1ms), real(null))
| summarize ConnectionCount = sum(${schema.count}), FirstSeen = min(${time}), LastSeen = max(${time}),
    GapCount = countif(GapMs > 0), GapMeanMs = avgif(GapMs, GapMs > 0), GapStdevMs = stdevpif(GapMs, GapMs > 0)
    by ${group}
| extend AvgIntervalMs = iff(ConnectionCount > 1, todouble((LastSeen - FirstSeen) / 1ms) / (ConnectionCount - 1), 0.0)
| extend GapCv = GapStdevMs / GapMeanMs
| where ${thresholds.join(' and ')}
| sort by ConnectionCount desc
`;
}

export function compileAsim(rule: ExportRule): string {
  return compileKql(rule, ASIM);
}

export function compileMde(rule: ExportRule): string {
  return compileKql(rule, MDE);
}
