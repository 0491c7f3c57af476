/** The input and output of every output writer. */
import type { LocalNetworks } from '../../net/locality.js';
import type { SimConnection } from '../model.js';

/** The locality questions writers ask, answered once per address. */
export interface Locality {
  isLocal(address: string): boolean;
  /** L2R, L2L, R2L or R2R. */
  direction(source: string, destination: string): string;
}

export interface OutputContext {
  seed: number;
  localNetworks: Locality;
}

/** Wraps LocalNetworks with a cache, because a run looks up the same few hundred addresses a million times. */
export function cachedLocality(networks: LocalNetworks): Locality {
  const cache = new Map<string, boolean>();
  const isLocal = (address: string): boolean => {
    let local = cache.get(address);
    if (local === undefined) {
      local = networks.isLocal(address);
      cache.set(address, local);
    }
    return local;
  };
  return {
    isLocal,
    direction: (source, destination) => `${isLocal(source) ? 'L' : 'R'}2${isLocal(destination) ? 'L' : 'R'}`,
  };
}

/** One file of an output format: its path relative to the format's folder and its lines, generated lazily. */
export interface OutputFile {
  path: string;
  lines: () => Iterable<string>;
}

export interface OutputFormat {
  /** The id of the beaconhunt reader that reads the files back, such as "zeek-tsv". */
  id: string;
  /** Other names accepted by `--format`, such as "sysmon" for "sysmon-xml". */
  aliases: readonly string[];
  description: string;
  /** The fields the format cannot carry, for the documentation and `simulate --help`. */
  limits: string;
  files(connections: readonly SimConnection[], context: OutputContext): OutputFile[];
  /** Records this format writes for one connection: 0 when it cannot see it, more for proxied requests. */
  recordsFor(connection: SimConnection): number;
}

/** Formats epoch milliseconds as ISO 8601 UTC with milliseconds. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** Formats epoch milliseconds as epoch seconds with six decimals, as Zeek writes `ts`. */
export function epochSeconds(ms: number): string {
  return (ms / 1000).toFixed(6);
}

export function isIpv6(address: string): boolean {
  return address.includes(':');
}

/** Packets of a connection, estimated at 1,400 payload bytes each plus the TCP handshake and close. */
export function packetCount(bytes: number, protocol: 'tcp' | 'udp'): number {
  const data = Math.ceil(bytes / 1400);
  return protocol === 'tcp' ? data + 3 : Math.max(1, data);
}
