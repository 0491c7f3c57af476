/**
 * The per-event filter of a rule as a small boolean syntax tree, and the pieces every compiler shares:
 * the tree's rendering with a target's operators, regular expressions for domain and process patterns,
 * and the numeric forms of networks. Compilers supply only how each leaf is written in their language.
 */
import type { ExportAllowlistEntry, ExportRule } from './model.js';
import { ruleCidr } from './model.js';

/** End of a connection that a network test reads. */
export type Endpoint = 'source' | 'destination';

export type Predicate =
  | { readonly kind: 'and' | 'or'; readonly items: readonly Predicate[] }
  | { readonly kind: 'not'; readonly item: Predicate }
  | { readonly kind: 'cidrs'; readonly endpoint: Endpoint; readonly cidrs: readonly string[] }
  | { readonly kind: 'ports'; readonly ports: readonly number[] }
  | { readonly kind: 'domain'; readonly domain: string }
  | { readonly kind: 'process'; readonly process: string }
  | { readonly kind: 'protocol'; readonly protocol: string };

/** Rendering of each leaf and connective in one target language. */
export interface PredicateDialect {
  readonly and: string;
  readonly or: string;
  not(operand: string): string;
  cidrs(endpoint: Endpoint, cidrs: readonly string[]): string;
  ports(ports: readonly number[]): string;
  domain(domain: string): string;
  process(process: string): string;
  protocol(protocol: string): string;
}

/** Builds the conditions of one allowlist entry, which drop an event only when all of them hold. */
export function allowlistPredicate(entry: ExportAllowlistEntry): Predicate {
  const items: Predicate[] = [];
  if (entry.sourceGroup !== undefined) {
    items.push({ kind: 'cidrs', endpoint: 'source', cidrs: entry.sourceGroup.cidrs });
  }
  if (entry.cidr !== undefined) items.push({ kind: 'cidrs', endpoint: 'destination', cidrs: [entry.cidr] });
  if (entry.port !== undefined) items.push({ kind: 'ports', ports: [entry.port] });
  if (entry.protocol !== undefined) items.push({ kind: 'protocol', protocol: entry.protocol });
  if (entry.domain !== undefined) items.push({ kind: 'domain', domain: entry.domain });
  if (entry.process !== undefined) items.push({ kind: 'process', process: entry.process });
  return items.length === 1 ? items[0]! : { kind: 'and', items };
}

/**
 * Builds the rule's event filter without the time window: a watched port, a local source, a
 * destination that is neither local nor excluded, and no matching allowlist entry.
 */
export function eventFilter(rule: ExportRule): Predicate[] {
  const conditions: Predicate[] = [
    { kind: 'ports', ports: rule.ports },
    { kind: 'cidrs', endpoint: 'source', cidrs: rule.localNetworks },
    { kind: 'not', item: { kind: 'cidrs', endpoint: 'destination', cidrs: rule.localNetworks } },
  ];
  if (rule.excludedDestinations.length > 0) {
    conditions.push({
      kind: 'not',
      item: { kind: 'cidrs', endpoint: 'destination', cidrs: rule.excludedDestinations },
    });
  }
  for (const entry of rule.allowlist) conditions.push({ kind: 'not', item: allowlistPredicate(entry) });
  return conditions;
}

/** Renders a predicate, with brackets around every nested AND or OR group. */
export function renderPredicate(predicate: Predicate, dialect: PredicateDialect): string {
  switch (predicate.kind) {
    case 'and':
    case 'or': {
      const joiner = ` ${predicate.kind === 'and' ? dialect.and : dialect.or} `;
      return `(${predicate.items.map((item) => renderPredicate(item, dialect)).join(joiner)})`;
    }
    case 'not':
      return dialect.not(renderPredicate(predicate.item, dialect));
    case 'cidrs':
      return dialect.cidrs(predicate.endpoint, predicate.cidrs);
    case 'ports':
      return dialect.ports(predicate.ports);
    case 'domain':
      return dialect.domain(predicate.domain);
    case 'process':
      return dialect.process(predicate.process);
    case 'protocol':
      return dialect.protocol(predicate.protocol);
  }
}

/** The SQL pieces that test an address column against networks, for the SQL targets. */
export interface AddressSql {
  /** `column` starts with the hex digits `hex` (lower case). */
  hexPrefix(column: string, hex: string): string;
  /** The value 0–15 of the hex digit at 1-based `position` of `column`. */
  hexDigit(column: string, position: number): string;
  /** Bitwise AND of two integers. */
  bitAnd(left: string, right: number): string;
  isNotNull(column: string): string;
}

/**
 * Writes one test per network over the columns `<endpoint>_v4` (an IPv4 address as an unsigned 32-bit
 * number) and `<endpoint>_v6` (an IPv6 address as 32 hex digits), which the query computes beforehand.
 * IPv4 networks are ranges; IPv6 networks are hex prefixes plus a masked digit when the prefix length is
 * not a multiple of 4. Each test carries the network as a comment. A NULL from the other address family
 * is left to the caller to read as false.
 */
export function networkTests(endpoint: Endpoint, cidrs: readonly string[], sql: AddressSql): string[] {
  const { ipv4, ipv6 } = splitFamilies(cidrs);
  return [
    ...ipv4.map((cidr) => {
      const [low, high] = ipv4Range(cidr);
      return `${endpoint}_v4 BETWEEN ${low} AND ${high} /* ${cidr} */`;
    }),
    ...ipv6.map((cidr) => {
      const { hex, partial } = ipv6Prefix(cidr);
      const column = `${endpoint}_v6`;
      const whole = hex === '' ? sql.isNotNull(column) : sql.hexPrefix(column, hex);
      if (partial === null) return `${whole} /* ${cidr} */`;
      const digit = sql.hexDigit(column, hex.length + 1);
      return `${whole} AND ${sql.bitAnd(digit, partial.mask)} = ${partial.value} /* ${cidr} */`;
    }),
  ];
}

/** Splits CIDRs by address family, keeping their order. */
export function splitFamilies(cidrs: readonly string[]): { ipv4: string[]; ipv6: string[] } {
  const ipv4: string[] = [];
  const ipv6: string[] = [];
  for (const cidr of cidrs)
    (ruleCidr(cidr).network.kind() === 'ipv4' ? ipv4 : ipv6).push(canonicalCidr(cidr));
  return { ipv4, ipv6 };
}

/** Writes a CIDR as network/bits with the host bits cleared, such as 10.0.0.0/8 for "10.1.2.3/8". */
export function canonicalCidr(text: string): string {
  const { network, bits } = ruleCidr(text);
  if (network.kind() === 'ipv4') {
    const [low] = ipv4Range(text);
    return `${[24, 16, 8, 0].map((shift) => Math.floor(low / 2 ** shift) % 256).join('.')}/${bits}`;
  }
  return `${ipv6Prefix(text).compact}/${bits}`;
}

/** Returns the first and last address of an IPv4 network as unsigned 32-bit numbers. */
export function ipv4Range(text: string): [number, number] {
  const { network, bits } = ruleCidr(text);
  const value = network.toByteArray().reduce((sum, byte) => sum * 256 + byte, 0);
  const size = 2 ** (32 - bits);
  const low = value - (value % size);
  return [low, low + size - 1];
}

/**
 * Returns an IPv6 network as the leading hex digits of its 32-digit address, plus the mask and value of
 * the next digit when the prefix length is not a multiple of 4, and the network in compact text.
 */
export function ipv6Prefix(text: string): {
  hex: string;
  partial: { mask: number; value: number } | null;
  compact: string;
} {
  const { network, bits } = ruleCidr(text);
  const digits = network
    .toByteArray()
    .map((byte) => byte.toString(16).padStart(2, '0'))
    .join('');
  const nibbles = Math.floor(bits / 4);
  const rest = bits % 4;
  const mask = rest === 0 ? 0 : (0xf << (4 - rest)) & 0xf;
  const partial = rest === 0 ? null : { mask, value: Number.parseInt(digits[nibbles]!, 16) & mask };
  const cleared = digits.slice(0, nibbles) + (partial ? partial.value.toString(16) : '');
  const full = cleared.padEnd(32, '0');
  const groups = Array.from({ length: 8 }, (_, index) =>
    Number.parseInt(full.slice(index * 4, index * 4 + 4), 16).toString(16),
  );
  return { hex: digits.slice(0, nibbles), partial, compact: compactIpv6(groups) };
}

/** Writes eight hex groups in RFC 5952 form: the longest run of two or more zero groups becomes "::". */
function compactIpv6(groups: readonly string[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let start = 0; start < 8;) {
    if (groups[start] !== '0') {
      start += 1;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === '0') end += 1;
    if (end - start > bestLength && end - start >= 2) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  if (bestStart < 0) return groups.join(':');
  const head = groups.slice(0, bestStart).join(':');
  const tail = groups.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

/** Escapes every regular-expression metacharacter, for RE2, PCRE and Java regular expressions alike. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * Builds a regular expression over a lower-case host name that matches the domain and every name under
 * it. A `*` inside a label becomes a run of label characters, as in beaconhunt's allowlist.
 */
export function domainRegex(domain: string): string {
  const labels = domain.split('.').map((label) => label.split('*').map(escapeRegex).join('[a-z0-9_-]*'));
  return `^(.*\\.)?${labels.join('\\.')}$`;
}

/**
 * Builds a regular expression over a lower-case process image path that matches the glob as beaconhunt
 * does: `*` spans any characters, `\` and `/` are alike, and a glob without a separator names the file alone.
 */
export function processRegex(process: string): string {
  const normalized = process.trim().toLowerCase().replace(/\\/g, '/');
  const body = normalized
    .split('*')
    .map((part) => part.split('/').map(escapeRegex).join('[\\\\/]'))
    .join('.*');
  return normalized.includes('/') ? `^${body}$` : `^(.*[\\\\/])?${body}$`;
}

/**
 * Splits a window into a number and a unit for targets that take both. Whole days from two days up
 * are days. Otherwise the unit is the largest of hours, minutes and seconds that divides the window,
 * so one day reads as 24 hours, as in QRadar's T1071 rule.
 */
export function windowParts(windowMs: number): { value: number; unit: 'd' | 'h' | 'm' | 's' } {
  const day = 86_400_000;
  if (windowMs % day === 0 && windowMs >= 2 * day) return { value: windowMs / day, unit: 'd' };
  const units = [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const;
  for (const [unit, size] of units) {
    if (windowMs % size === 0) return { value: windowMs / size, unit };
  }
  // validateRule accepts only whole seconds, so this line runs only for an unvalidated rule.
  throw new RangeError(`window ${windowMs} ms is not a whole number of seconds`);
}

/** Formats the window as "24h", "7d", "90m" or "45s". */
export function windowText(windowMs: number): string {
  const { value, unit } = windowParts(windowMs);
  return `${value}${unit}`;
}
