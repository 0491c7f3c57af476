/**
 * The rule that ties a finding to a labelled series. The source must be the same. Then any of these
 * matches: a destination address (with the same port when both sides have one), the server name, or the
 * registered domain for a series without a server name of its own (a DNS beacon). A series with a server
 * name does not match by domain, because several beacons of one operator can share a domain and a
 * finding on one of them must not count for the others.
 */
import ipaddr from 'ipaddr.js';
import { normaliseName, registeredDomain } from '../net/domain.js';

import type { EvalFinding } from './adapt.js';
import type { EvalSeries } from './labels.js';

/**
 * Returns one spelling for an address, so that "2001:DB8::1", "2001:db8:0:0::1" and an IPv4-mapped
 * "::ffff:192.0.2.1" compare equal to their canonical forms. Text that is no address is lower-cased.
 */
export function normaliseAddress(text: string): string {
  const trimmed = text.trim();
  // Zeek writes a scoped IPv6 address as fe80::1%eth0; the zone does not name another host.
  const withoutZone = trimmed.replace(/%.*$/, '');
  if (!ipaddr.isValid(withoutZone)) return trimmed.toLowerCase();
  return ipaddr.process(withoutZone).toString();
}

// Names are compared as the beacon detector keys them.
export { normaliseName, registeredDomain } from '../net/domain.js';

/** A labelled series with its addresses and names normalised once, for matching many findings. */
export interface SeriesMatcher {
  series: EvalSeries;
  sourceip: string;
  destinationips: ReadonlySet<string>;
  servername: string | null;
  domain: string | null;
}

export function seriesMatcher(series: EvalSeries): SeriesMatcher {
  const addresses = [series.destinationip, ...(series.destinationips ?? [])].filter(
    (ip): ip is string => ip !== null && ip !== '',
  );
  const servername = series.servername === null ? null : normaliseName(series.servername);
  const domain = servername === null && series.domain !== null ? normaliseName(series.domain) : null;
  return {
    series,
    sourceip: normaliseAddress(series.sourceip),
    destinationips: new Set(addresses.map(normaliseAddress)),
    servername,
    domain,
  };
}

/** Tells whether a finding belongs to a labelled series; see the file comment for the rule. */
export function findingMatchesSeries(finding: EvalFinding, matcher: SeriesMatcher): boolean {
  if (normaliseAddress(finding.sourceip) !== matcher.sourceip) return false;

  const port = matcher.series.destinationport;
  const endpoints =
    finding.endpoints.length > 0
      ? finding.endpoints
      : finding.destinationips.map((ip) => ({ ip, port: finding.destinationport }));
  for (const endpoint of endpoints) {
    if (!matcher.destinationips.has(normaliseAddress(endpoint.ip))) continue;
    if (port === null || endpoint.port === null || port === endpoint.port) return true;
  }

  for (const rawName of finding.names) {
    const name = normaliseName(rawName);
    if (matcher.servername !== null && name === matcher.servername) return true;
    if (matcher.domain !== null && (name === matcher.domain || registeredDomain(name) === matcher.domain)) {
      return true;
    }
  }
  return false;
}
