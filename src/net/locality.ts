/**
 * Local networks and event direction. QRadar's eventdirection records whether each end of a connection is
 * local (L) or remote (R): L2R is outbound, R2L inbound, L2L internal and R2R transit.
 */
import ipaddr from 'ipaddr.js';

import { UsageError } from '../errors.js';

/**
 * The default local networks: RFC 1918, loopback, IPv4 link-local, carrier-grade NAT (RFC 6598) and
 * the IPv6 unique-local, link-local and loopback ranges.
 */
export const DEFAULT_LOCAL_NETWORKS: readonly string[] = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '100.64.0.0/10',
  'fc00::/7',
  'fe80::/10',
  '::1/128',
];

export type EventDirection = 'L2R' | 'L2L' | 'R2L' | 'R2R';

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

export class LocalNetworks {
  private readonly cidrs: readonly Cidr[];

  constructor(readonly networks: readonly string[] = DEFAULT_LOCAL_NETWORKS) {
    this.cidrs = networks.map(parseNetwork);
  }

  /** Reports whether `address` falls in a local network; an unparseable address counts as remote. */
  isLocal(address: string): boolean {
    const parsed = parseAddress(address);
    if (parsed === null) return false;
    return this.cidrs.some(
      ([network, bits]) => parsed.kind() === network.kind() && parsed.match(network, bits),
    );
  }

  direction(sourceIp: string, destinationIp: string): EventDirection {
    const from = this.isLocal(sourceIp) ? 'L' : 'R';
    const to = this.isLocal(destinationIp) ? 'L' : 'R';
    return `${from}2${to}` as EventDirection;
  }
}

/** Parses an address, turning IPv4-mapped IPv6 (::ffff:a.b.c.d) into IPv4 so it matches IPv4 ranges. */
export function parseAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  // Zeek and Windows write IPv6 zone ids as fe80::1%eth0; the zone does not change locality.
  const bare = address.trim().replace(/%.*$/, '');
  if (!ipaddr.isValid(bare)) return null;
  const parsed = ipaddr.parse(bare);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed;
}

function parseNetwork(text: string): Cidr {
  const value = text.trim();
  const invalid = (): UsageError =>
    new UsageError(`invalid local network "${text}": expected a CIDR such as 10.0.0.0/8 or fd00::/8`);
  const address = value.split('/')[0] ?? '';
  // ipaddr.js also reads short and octal IPv4 forms: 10.1/16 as 10.0.0.1/16 and 010.0.0.0/8 as 8.0.0.0/8.
  // Either would silently select other addresses than the user meant, so IPv4 must be four decimal parts.
  if (!address.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(address)) throw invalid();
  try {
    if (!value.includes('/')) {
      const parsed = ipaddr.parse(value);
      return [parsed, parsed.kind() === 'ipv4' ? 32 : 128];
    }
    return ipaddr.parseCIDR(value);
  } catch {
    throw invalid();
  }
}
