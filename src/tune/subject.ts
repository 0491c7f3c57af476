/**
 * The parts of a finding that tuning matches, independent of any detector's finding shape, and the conversion
 * from the beacon detector's findings. Only `subjectOfBeaconFinding` reads the BeaconFinding fields.
 */
import type { BeaconFinding } from '../detect/beacon/index.js';

/** The parts of one finding that allowlist entries and profiles can match. */
export interface TuningSubject {
  sourceip: string;
  /** Every destination address of the finding; empty for a DNS-domain series (its resolvers are not destinations). */
  destinationips: readonly string[];
  destinationport: number | null;
  /** Transport protocol in lower case ('tcp', 'udp', …), or null when unknown. */
  protocol: string | null;
  /** TLS server names, HTTP Hosts and DNS query names: lower case, without a :port suffix. */
  names: readonly string[];
  /** Process image paths (Sysmon, EDR). */
  processes: readonly string[];
  usernames: readonly string[];
  uris: readonly string[];
  userAgents: readonly string[];
  periodSeconds: number | null;
}

/** Why a finding was hidden: the rule, its stated reason, and what matched. */
export interface Suppression {
  /** Names the rule so that a user can find it, such as `profile ntp` or `allowlist[2] (…; beaconhunt.yaml:14)`. */
  rule: string;
  reason: string;
  /** The value that matched and the pattern it matched, such as "name a.update.microsoft.com matches update.microsoft.com". */
  matched: string;
}

/** Lower-cases a host name and drops a trailing dot and a :port suffix. */
export function normalizeName(name: string): string {
  let host = name.trim().toLowerCase();
  // A bracketed IPv6 literal keeps its colons; only a trailing :digits on a plain name is a port.
  if (host.startsWith('[')) host = host.slice(1, host.indexOf(']') > 0 ? host.indexOf(']') : undefined);
  else host = host.replace(/:\d+$/, '');
  return host.replace(/\.$/, '');
}

function distinct(values: Iterable<string | null | undefined>): string[] {
  const seen = new Set<string>();
  for (const value of values) if (value !== null && value !== undefined && value !== '') seen.add(value);
  return [...seen];
}

/**
 * Converts a beacon finding to a tuning subject. This is the only function that reads the beacon
 * finding's shape, so a change to that shape is made here alone.
 */
export function subjectOfBeaconFinding(finding: BeaconFinding): TuningSubject {
  const dnsSeries = finding.key === 'dns-domain';
  const destinationips = dnsSeries ? [] : distinct([finding.destinationip, ...finding.destinations]);
  const names = distinct(
    [finding.servername, ...finding.names, ...(finding.domain !== null ? [finding.domain] : [])].map(
      (name) => (name === null ? null : normalizeName(name)),
    ),
  );
  return {
    sourceip: finding.sourceip,
    destinationips,
    destinationport: finding.destinationport,
    protocol: finding.protocol === null ? null : finding.protocol.toLowerCase(),
    names,
    processes: distinct([finding.processimage, ...finding.processes]),
    usernames: distinct(finding.usernames),
    uris: distinct(finding.uris),
    userAgents: distinct(finding.userAgents),
    periodSeconds: Number.isFinite(finding.measures.periodSeconds) ? finding.measures.periodSeconds : null,
  };
}
