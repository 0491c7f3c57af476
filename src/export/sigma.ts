/**
 * Sigma: a base rule that selects the outbound connections (category network_connection, Sysmon field
 * names) and an event_count correlation rule that counts them per group in the window. Sigma
 * correlations count events but cannot compute the time between them, so neither the mean-gap bounds
 * nor the regularity test can be expressed. The output is the count prefilter, with a comment that
 * states this.
 */
import { createHash } from 'node:crypto';

import { stringify } from 'yaml';

import { renderHeader } from './header.js';
import type { ExportAllowlistEntry, ExportRule } from './model.js';
import { canonicalCidr, windowText } from './predicate.js';

/** Escapes Sigma's wildcard and escape characters in a literal value. */
function sigmaLiteral(text: string): string {
  return text.replace(/[\\*?]/g, '\\$&');
}

/**
 * Converts a process glob to Sigma values: its `*` stays a wildcard and every other special character is
 * escaped. Sigma compares case-insensitively by default, as beaconhunt does.
 */
function processValues(process: string): Record<string, string[]> {
  const glob = process.trim();
  const value = glob.split('*').map(sigmaLiteral).join('*');
  if (/[\\/]/.test(glob)) return { Image: [value] };
  return { 'Image|endswith': [`\\\\${value}`, `/${value}`] };
}

function entryDetection(entry: ExportAllowlistEntry): Record<string, unknown> {
  return {
    ...(entry.sourceGroup !== undefined
      ? { 'SourceIp|cidr': entry.sourceGroup.cidrs.map(canonicalCidr) }
      : {}),
    ...(entry.cidr !== undefined ? { 'DestinationIp|cidr': canonicalCidr(entry.cidr) } : {}),
    ...(entry.port !== undefined ? { DestinationPort: entry.port } : {}),
    ...(entry.protocol !== undefined ? { Protocol: entry.protocol } : {}),
    // The domain itself and every name under it; Sigma's * in a label also spans dots.
    ...(entry.domain !== undefined ? { DestinationHostname: [entry.domain, `*.${entry.domain}`] } : {}),
    ...(entry.process !== undefined ? processValues(entry.process) : {}),
  };
}

/** Makes a UUID from a hash of the rule, so the same rule always gets the same id. */
function stableId(rule: ExportRule, part: string): string {
  const hex = createHash('sha256').update(JSON.stringify(rule)).update(part).digest('hex');
  // Version 8 (custom) and the RFC 9562 variant bits, so the id is a valid UUID.
  const version = `8${hex.slice(13, 16)}`;
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16) + hex.slice(17, 20);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${version}-${variant}-${hex.slice(20, 32)}`;
}

export function compile(rule: ExportRule): string {
  const baseName = `${rule.name}_outbound`;
  const detection: Record<string, unknown> = {
    selection: {
      Initiated: 'true',
      DestinationPort: [...rule.ports],
      'SourceIp|cidr': rule.localNetworks.map(canonicalCidr),
    },
    filter_local_destination: { 'DestinationIp|cidr': rule.localNetworks.map(canonicalCidr) },
  };
  if (rule.excludedDestinations.length > 0) {
    detection.filter_excluded_destination = {
      'DestinationIp|cidr': rule.excludedDestinations.map(canonicalCidr),
    };
  }
  rule.allowlist.forEach((entry, index) => {
    detection[`filter_allowlist_${index + 1}`] = entryDetection(entry);
  });
  detection.condition = 'selection and not 1 of filter_*';

  const base = {
    title: 'beaconhunt T1071 outbound connections to watched ports',
    id: stableId(rule, 'base'),
    name: baseName,
    status: 'experimental',
    description:
      'Outbound connections from local networks to the watched ports, without excluded destinations ' +
      'and allowlisted traffic. Counted per group by the correlation rule that follows.',
    tags: ['attack.command-and-control', 'attack.t1071'],
    logsource: { category: 'network_connection' },
    detection,
    level: 'informational',
  };
  const correlation = {
    title: 'beaconhunt T1071 repeated outbound connections (beaconing prefilter)',
    id: stableId(rule, 'correlation'),
    status: 'experimental',
    description:
      `More than ${rule.minCount} outbound connections from one source and user to one destination ` +
      `and port within ${windowText(rule.windowMs)}. Sigma cannot test the time between them.`,
    tags: ['attack.command-and-control', 'attack.t1071'],
    correlation: {
      type: 'event_count',
      rules: [baseName],
      'group-by': ['SourceIp', 'DestinationIp', 'DestinationPort', 'User'],
      timespan: windowText(rule.windowMs),
      condition: { gt: rule.minCount },
    },
    level: 'medium',
  };

  const header = renderHeader(rule, {
    target: 'Sigma (base rule and event_count correlation)',
    marker: '#',
    fields:
      'Sysmon network_connection names SourceIp, DestinationIp, DestinationPort, User, Initiated, ' +
      'Protocol, DestinationHostname, Image',
    limits: [
      'Sigma correlations count events but cannot compute the time between them, so the mean-gap',
      `bounds (${rule.minIntervalMs} to ${rule.maxIntervalMs} ms) and the regularity test are left out: this is`,
      'the strongest prefilter Sigma can express. Run the SQL, KQL or SPL export for the full rule.',
    ],
  });
  const options = { lineWidth: 0 } as const;
  return `${header}${stringify(base, options)}---\n${stringify(correlation, options)}`;
}
