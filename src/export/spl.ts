/**
 * Splunk SPL over network connection events with CIM Network_Traffic field names. streamstats gives
 * each event the previous start time of its group, so the search computes the gaps and runs the
 * regularity test in Splunk.
 */
import { renderHeader } from './header.js';
import type { ExportRule } from './model.js';
import {
  canonicalCidr,
  domainRegex,
  eventFilter,
  processRegex,
  renderPredicate,
  windowText,
  type Endpoint,
  type PredicateDialect,
} from './predicate.js';

/** Quotes text as a string literal of eval expressions, escaping backslash and double quote with a backslash. */
export function splString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const COLUMN: Record<Endpoint, string> = { source: 'src_ip', destination: 'dest_ip' };
/** Placeholder for a missing user, because stats and streamstats drop events whose BY field is missing. */
const NO_USER = '(none)';

export const SPL_PREDICATE: PredicateDialect = {
  and: 'AND',
  or: 'OR',
  not: (operand) => `NOT ${operand}`,
  cidrs: (endpoint, cidrs) => {
    const tests = cidrs.map(
      (cidr) => `cidrmatch(${splString(canonicalCidr(cidr))}, coalesce(${COLUMN[endpoint]}, ""))`,
    );
    return tests.length === 1 ? tests[0]! : `(${tests.join(' OR ')})`;
  },
  ports: (ports) =>
    ports.length === 1
      ? `dest_port=${splString(String(ports[0]))}`
      : `in(dest_port, ${ports.map((port) => splString(String(port))).join(', ')})`,
  // match() returns false for a missing field, so NOT keeps events without a name or process.
  domain: (domain) => `match(lower(coalesce(dest, "")), ${splString(domainRegex(domain))})`,
  process: (process) => `match(lower(coalesce(process, "")), ${splString(processRegex(process))})`,
  protocol: (protocol) => `lower(coalesce(transport, ""))=${splString(protocol)}`,
};

/** Wraps the header in an SPL block comment; a run of three backticks inside would end it early. */
function splComment(text: string): string {
  return `\`\`\`\n${text.replace(/`{3,}/g, (run) => "'".repeat(run.length))}\`\`\`\n`;
}

export function compile(rule: ExportRule): string {
  const filter = eventFilter(rule)
    .map((condition) => renderPredicate(condition, SPL_PREDICATE))
    .join('\n  AND ');
  const header = renderHeader(rule, {
    target: 'Splunk SPL',
    marker: '',
    fields:
      'CIM Network_Traffic names src_ip, dest_ip, dest_port, user, transport, dest (server name), ' +
      'process (image path); replace index=* tag=network tag=communicate with your network data',
  });
  const by = 'src_ip dest_ip dest_port user';
  const regularity = rule.regularity;
  const thresholds = [
    `ConnectionCount > ${rule.minCount}`,
    `AvgIntervalMs >= ${rule.minIntervalMs}`,
    `AvgIntervalMs <= ${rule.maxIntervalMs}`,
    ...(regularity !== null ? [`GapCount >= ${regularity.minGaps}`, `GapCv <= ${regularity.maxGapCv}`] : []),
  ];
  return `${splComment(header)}search index=* tag=network tag=communicate earliest=-${windowText(rule.windowMs)} latest=now
| where ${filter}
| fillnull value=${splString(NO_USER)} user
| sort 0 + _time
| streamstats current=false last(_time) AS previous_time BY ${by}
| eval gap_ms=if(isnull(previous_time), null(), (_time - previous_time) * 1000)
| eval positive_gap_ms=if(gap_ms > 0, gap_ms, null())
| stats count AS ConnectionCount, min(_time) AS FirstSeen, max(_time) AS LastSeen,
    count(positive_gap_ms) AS GapCount, avg(positive_gap_ms) AS GapMeanMs, stdevp(positive_gap_ms) AS GapStdevMs
    BY ${by}
| eval AvgIntervalMs=if(ConnectionCount > 1, (LastSeen - FirstSeen) * 1000 / (ConnectionCount - 1), 0)
| eval GapCv=GapStdevMs / GapMeanMs
| where ${thresholds.join(' AND ')}
| eval FirstSeenEpochMs=round(FirstSeen * 1000), LastSeenEpochMs=round(LastSeen * 1000)
| table src_ip dest_ip dest_port user ConnectionCount FirstSeenEpochMs LastSeenEpochMs AvgIntervalMs GapCount GapCv
| sort 0 - ConnectionCount
`;
}
