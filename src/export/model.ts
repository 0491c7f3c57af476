/**
 * The typed rule that `beaconhunt rule export` compiles into each SIEM language. It contains the seed
 * QRadar T1071 rule's parameters (ports, window, count and mean-gap thresholds), the tuning from the
 * config file (local networks, allowlist) and an optional regularity test on the gaps between
 * connections. Every compiler reads only this model, so all targets describe the same detection.
 */
import { UsageError } from '../errors.js';
import type { BeaconhuntConfig } from '../config.js';
import { DEFAULT_QRADAR_T1071_OPTIONS } from '../detect/qradar-t1071.js';
import { DEFAULT_LOCAL_NETWORKS } from '../net/locality.js';
import {
  PatternError,
  parseCidr,
  parseDomainPattern,
  parseProcessPattern,
  type CidrPattern,
} from '../tune/patterns.js';

/** One allowlist entry; its selectors combine with AND, as in the config file. */
export interface ExportAllowlistEntry {
  /** Destination network, IPv4 or IPv6 CIDR. */
  readonly cidr?: string;
  /**
   * Domain pattern without a leading `*.` and in lower case. It matches the domain and every name under
   * it. A `*` inside a label matches any run of letters, digits, `_` and `-` within that label.
   */
  readonly domain?: string;
  readonly port?: number;
  /** Transport protocol in lower case: tcp, udp, icmp or sctp. */
  readonly protocol?: string;
  /** Process image glob: `*` matches any run of characters; without a path separator it names the file alone. */
  readonly process?: string;
  /** Source networks of the entry's source group, with the group's name. */
  readonly sourceGroup?: { readonly name: string; readonly cidrs: readonly string[] };
  readonly reason?: string;
}

/**
 * The regularity test: a group passes when it has at least `minGaps` positive gaps between consecutive
 * connection times and their coefficient of variation (population standard deviation / mean) is at
 * most `maxGapCv`. Gaps of 0 (connections that start in the same millisecond) are left out, so the gaps
 * are those between distinct start times.
 */
export interface RegularityTest {
  readonly minGaps: number;
  readonly maxGapCv: number;
}

export interface ExportRule {
  /** Short identifier of the rule, used as a name in Sigma and in comments. */
  readonly name: string;
  /** Length of the window that ends at the search time, in milliseconds (a whole number of seconds). */
  readonly windowMs: number;
  /** Destination ports the rule watches. */
  readonly ports: readonly number[];
  /** A connection is outbound when its source is in one of these networks and its destination is not. */
  readonly localNetworks: readonly string[];
  /** Destination networks never counted, whatever the local networks are. */
  readonly excludedDestinations: readonly string[];
  readonly allowlist: readonly ExportAllowlistEntry[];
  /** A group is reported when it has more than this many connections (the seed rule's "> 10"). */
  readonly minCount: number;
  /** Inclusive bounds of the mean gap (last − first) / (count − 1), in milliseconds. */
  readonly minIntervalMs: number;
  readonly maxIntervalMs: number;
  /** null when the export carries the seed rule's thresholds only. */
  readonly regularity: RegularityTest | null;
}

/** The seed rule's private-destination exclusion (10/8, 172.16/12, 192.168/16, 127/8) as networks. */
export const SEED_EXCLUDED_DESTINATIONS: readonly string[] = Object.freeze([
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '127.0.0.0/8',
]);

/**
 * The default exclusion: the seed rule's four networks plus the ranges its text prefixes miss. These
 * are IPv4 link-local (169.254/16), carrier-grade NAT (100.64/10), multicast (224/4), limited broadcast,
 * and the IPv6 unique-local, link-local, loopback and multicast ranges, none of which reach the internet.
 */
export const DEFAULT_EXCLUDED_DESTINATIONS: readonly string[] = Object.freeze([
  ...SEED_EXCLUDED_DESTINATIONS,
  '169.254.0.0/16',
  '100.64.0.0/10',
  '224.0.0.0/4',
  '255.255.255.255/32',
  'fc00::/7',
  'fe80::/10',
  '::1/128',
  'ff00::/8',
]);

/**
 * The default regularity test. A maximum coefficient of variation of 0.5 keeps beacons with uniform
 * jitter up to ±50 % of the sleep (CV 0.29) and one missed beat in five (CV 0.33 without jitter).
 * Poisson arrivals have a CV of 1. The 0.5 is an estimate, not a value fitted on labelled data.
 */
export const DEFAULT_REGULARITY: RegularityTest = Object.freeze({ minGaps: 10, maxGapCv: 0.5 });

export const DEFAULT_RULE_NAME = 'beaconhunt_t1071_beaconing';

/** Values from flags, each overriding the default or the config file. */
export interface BuildRuleOptions {
  name?: string;
  ports?: readonly number[];
  windowMs?: number;
  minCount?: number;
  minIntervalMs?: number;
  maxIntervalMs?: number;
  /** Replaces the config's local_networks. */
  localNetworks?: readonly string[];
  excludedDestinations?: readonly string[];
  /** null exports the seed rule's thresholds without a regularity test. */
  regularity?: RegularityTest | null;
}

/**
 * Builds the rule from the config file and flags. Defaults are the seed rule's values (its ports, 24 h,
 * more than 10 connections, a mean gap from 1 s to 1 h) with the local networks of beaconhunt, the
 * wider destination exclusion and the default regularity test.
 *
 * @throws UsageError naming the first invalid value.
 */
export function buildRule(config: BeaconhuntConfig, options: BuildRuleOptions = {}): ExportRule {
  const groups = config.source_groups ?? {};
  const allowlist = (config.allowlist ?? []).map((entry): ExportAllowlistEntry => {
    const sources = entry.source_group !== undefined ? groups[entry.source_group] : undefined;
    if (entry.source_group !== undefined && sources === undefined) {
      throw new UsageError(`allowlist names the unknown source group "${entry.source_group}"`);
    }
    return {
      ...(entry.cidr !== undefined ? { cidr: entry.cidr.trim() } : {}),
      ...(entry.domain !== undefined ? { domain: normalizeDomain(entry.domain) } : {}),
      ...(entry.port !== undefined ? { port: entry.port } : {}),
      ...(entry.protocol !== undefined ? { protocol: entry.protocol } : {}),
      ...(entry.process !== undefined ? { process: entry.process.trim() } : {}),
      ...(entry.source_group !== undefined && sources !== undefined
        ? { sourceGroup: { name: entry.source_group, cidrs: sources.map((cidr) => cidr.trim()) } }
        : {}),
      ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
    };
  });

  const rule: ExportRule = {
    name: options.name ?? DEFAULT_RULE_NAME,
    windowMs: options.windowMs ?? DEFAULT_QRADAR_T1071_OPTIONS.windowMs,
    ports: [...(options.ports ?? DEFAULT_QRADAR_T1071_OPTIONS.ports)],
    localNetworks: [...(options.localNetworks ?? config.local_networks ?? DEFAULT_LOCAL_NETWORKS)],
    excludedDestinations: [...(options.excludedDestinations ?? DEFAULT_EXCLUDED_DESTINATIONS)],
    allowlist,
    minCount: options.minCount ?? DEFAULT_QRADAR_T1071_OPTIONS.minCount,
    minIntervalMs: options.minIntervalMs ?? DEFAULT_QRADAR_T1071_OPTIONS.minIntervalMs,
    maxIntervalMs: options.maxIntervalMs ?? DEFAULT_QRADAR_T1071_OPTIONS.maxIntervalMs,
    regularity: options.regularity === undefined ? DEFAULT_REGULARITY : options.regularity,
  };
  validateRule(rule);
  return rule;
}

/** Lower-cases a domain pattern and drops a leading `*.` and a trailing dot, after checking it. */
function normalizeDomain(pattern: string): string {
  const checked = checkPattern(() => parseDomainPattern(pattern));
  const lowered = checked.text.toLowerCase().replace(/\.$/, '');
  return lowered.startsWith('*.') ? lowered.slice(2) : lowered;
}

function checkPattern<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof PatternError) throw new UsageError(error.message);
    throw error;
  }
}

/** Parses a CIDR of the rule, turning a pattern error into a UsageError. */
export function ruleCidr(text: string): CidrPattern {
  return checkPattern(() => parseCidr(text));
}

const RULE_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const MAX_PORT = 65_535;

/**
 * Checks every value of the rule, so that compilers receive only whole numbers, valid networks and
 * patterns, and a name that is an identifier in every target.
 *
 * @throws UsageError naming the first invalid value and the accepted form.
 */
export function validateRule(rule: ExportRule): void {
  if (!RULE_NAME.test(rule.name)) {
    throw new UsageError(
      `invalid rule name "${rule.name}"; use letters, digits and _, starting with a letter`,
    );
  }
  if (!Number.isSafeInteger(rule.windowMs) || rule.windowMs <= 0 || rule.windowMs % 1000 !== 0) {
    throw new UsageError(
      `invalid window ${rule.windowMs} ms; a SIEM rule needs a finite window of whole seconds, such as 24h`,
    );
  }
  if (rule.ports.length === 0) throw new UsageError('the port list is empty; name at least one port');
  for (const port of rule.ports) {
    if (!Number.isInteger(port) || port < 0 || port > MAX_PORT) {
      throw new UsageError(`invalid port ${port}; use whole numbers from 0 to ${MAX_PORT}`);
    }
  }
  if (rule.localNetworks.length === 0) throw new UsageError('the local network list is empty');
  for (const cidr of [...rule.localNetworks, ...rule.excludedDestinations]) ruleCidr(cidr);

  for (const [name, value] of [
    ['min count', rule.minCount],
    ['min interval', rule.minIntervalMs],
    ['max interval', rule.maxIntervalMs],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new UsageError(`invalid ${name} ${value}; use a whole number of at least 0`);
    }
  }
  if (rule.minIntervalMs > rule.maxIntervalMs) {
    throw new UsageError(
      `min interval ${rule.minIntervalMs} ms exceeds max interval ${rule.maxIntervalMs} ms; swap them`,
    );
  }

  if (rule.regularity !== null) {
    const { minGaps, maxGapCv } = rule.regularity;
    if (!Number.isSafeInteger(minGaps) || minGaps < 2) {
      throw new UsageError(`invalid minimum gap count ${minGaps}; the variation needs at least 2 gaps`);
    }
    if (!Number.isFinite(maxGapCv) || maxGapCv < 0) {
      throw new UsageError(
        `invalid maximum coefficient of variation ${maxGapCv}; use a number of at least 0`,
      );
    }
  }

  rule.allowlist.forEach((entry, index) => validateEntry(entry, index));
}

function validateEntry(entry: ExportAllowlistEntry, index: number): void {
  const where = `allowlist[${index}]`;
  const selectors = [entry.cidr, entry.domain, entry.port, entry.process, entry.sourceGroup];
  if (selectors.every((value) => value === undefined)) {
    throw new UsageError(`${where}: an entry needs a cidr, domain, port, process or source group`);
  }
  if (entry.cidr !== undefined) ruleCidr(entry.cidr);
  if (entry.domain !== undefined) {
    checkPattern(() => parseDomainPattern(entry.domain!));
    if (entry.domain !== entry.domain.toLowerCase() || entry.domain.startsWith('*.')) {
      throw new UsageError(`${where}: domain "${entry.domain}" must be lower case without a leading *.`);
    }
  }
  if (
    entry.port !== undefined &&
    (!Number.isInteger(entry.port) || entry.port < 0 || entry.port > MAX_PORT)
  ) {
    throw new UsageError(`${where}: invalid port ${entry.port}; use whole numbers from 0 to ${MAX_PORT}`);
  }
  if (entry.protocol !== undefined && !/^[a-z]+$/.test(entry.protocol)) {
    throw new UsageError(`${where}: invalid protocol "${entry.protocol}"; use tcp, udp, icmp or sctp`);
  }
  if (entry.process !== undefined) checkPattern(() => parseProcessPattern(entry.process!));
  if (entry.sourceGroup !== undefined) {
    if (entry.sourceGroup.cidrs.length === 0) throw new UsageError(`${where}: the source group is empty`);
    for (const cidr of entry.sourceGroup.cidrs) ruleCidr(cidr);
  }
}
