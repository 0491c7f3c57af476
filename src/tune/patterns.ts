/**
 * The value patterns of allowlist entries and profiles: domain patterns with registered-domain
 * semantics, CIDR blocks and process-path globs. Each parse function throws PatternError with a
 * message fit for a config error.
 */
import ipaddr from 'ipaddr.js';
import { getDomain } from 'tldts';

import { parseAddress } from '../net/locality.js';

export class PatternError extends Error {
  override readonly name: string = 'PatternError';
}

/** Private suffixes (cloudfront.net, github.io) count as public: each name under them is its own registrant. */
const TLD_OPTIONS = { allowPrivateDomains: true, detectIp: true, validateHostname: false } as const;

const LABEL = /^[a-z0-9_*-]+$/;

/**
 * A domain pattern. `example.com` and `*.example.com` both match example.com and every name under it.
 * A `*` inside a label matches any run of characters within that one label, as in
 * `winatp-gw-*.microsoft.com`. Labels are compared whole, so `example.com` never matches `badexample.com`.
 */
export interface DomainPattern {
  readonly text: string;
  /** Labels from the right (TLD first), each a regular expression over one label. */
  readonly labels: readonly RegExp[];
}

export function parseDomainPattern(text: string): DomainPattern {
  const raw = text.trim().toLowerCase().replace(/\.$/, '');
  const body = raw.startsWith('*.') ? raw.slice(2) : raw;
  const labels = body.split('.');
  if (body === '' || labels.some((label) => label === '' || !LABEL.test(label))) {
    throw new PatternError(
      `invalid domain pattern "${text}": expected a name such as example.com or *.example.com`,
    );
  }
  if (ipaddr.isValid(body)) {
    throw new PatternError(`"${text}" is an address, not a domain; use a cidr entry for addresses`);
  }
  // The wildcard-free labels at the right end must include a registered domain, so that a pattern never
  // spans many registrants: *.co.uk, *.com and *.cloudfront.net are rejected.
  let fixed = 0;
  while (fixed < labels.length && !labels[labels.length - 1 - fixed]!.includes('*')) fixed += 1;
  const tail = labels.slice(labels.length - fixed).join('.');
  if (fixed === 0 || getDomain(tail, TLD_OPTIONS) === null) {
    throw new PatternError(
      `domain pattern "${text}" covers a public suffix ("${tail || body}"), which would match many unrelated owners; name a registered domain such as example.co.uk`,
    );
  }
  const regexps = labels
    .reverse()
    .map((label) => new RegExp(`^${label.split('*').map(escapeRegExp).join('[a-z0-9_-]*')}$`));
  return { text: text.trim(), labels: regexps };
}

/** Reports whether `name` (lower case, no trailing dot) is the pattern's domain or a name under it. */
export function matchesDomain(pattern: DomainPattern, name: string): boolean {
  const labels = name.split('.');
  if (labels.length < pattern.labels.length) return false;
  for (let index = 0; index < pattern.labels.length; index += 1) {
    const label = labels[labels.length - 1 - index]!;
    if (!pattern.labels[index]!.test(label)) return false;
  }
  return true;
}

/** An IPv4 or IPv6 block; a bare address is a /32 or /128. */
export interface CidrPattern {
  readonly text: string;
  readonly network: ipaddr.IPv4 | ipaddr.IPv6;
  readonly bits: number;
}

export function parseCidr(text: string): CidrPattern {
  const value = text.trim();
  const invalid = (): PatternError =>
    new PatternError(`invalid CIDR "${text}": expected a block such as 192.0.2.0/24 or 2001:db8::/32`);
  const address = value.split('/')[0] ?? '';
  // ipaddr.js also reads short and octal IPv4 forms (10.1 as 10.0.0.1, 010.0.0.0 as 8.0.0.0), which
  // would select other addresses than the user meant, so IPv4 must be four decimal parts.
  if (!address.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(address)) throw invalid();
  try {
    if (!value.includes('/')) {
      const network = ipaddr.parse(value);
      return { text: value, network, bits: network.kind() === 'ipv4' ? 32 : 128 };
    }
    const [network, bits] = ipaddr.parseCIDR(value);
    return { text: value, network, bits };
  } catch {
    throw invalid();
  }
}

/** Reports whether `address` is in the block; IPv4-mapped IPv6 addresses match IPv4 blocks. */
export function matchesCidr(pattern: CidrPattern, address: string): boolean {
  const parsed = parseAddress(address);
  if (parsed === null || parsed.kind() !== pattern.network.kind()) return false;
  return parsed.match(pattern.network, pattern.bits);
}

/**
 * A process image glob: `*` matches any run of characters, including path separators. Matching ignores
 * case and treats `\` and `/` alike, because Windows paths are case-insensitive and logs differ in
 * separators. A pattern without a separator matches the file name alone (`ESETservice.exe`).
 */
export interface ProcessPattern {
  readonly text: string;
  readonly regexp: RegExp;
  readonly fileNameOnly: boolean;
}

export function parseProcessPattern(text: string): ProcessPattern {
  const value = text.trim();
  if (value === '' || /^\*+$/.test(value)) {
    throw new PatternError(
      `process pattern "${text}" matches every process; name an image path or file name`,
    );
  }
  const normalized = value.toLowerCase().replace(/\\/g, '/');
  const source = normalized.split('*').map(escapeRegExp).join('.*');
  return { text: value, regexp: new RegExp(`^${source}$`), fileNameOnly: !normalized.includes('/') };
}

export function matchesProcess(pattern: ProcessPattern, image: string): boolean {
  const normalized = image.trim().toLowerCase().replace(/\\/g, '/');
  const candidate = pattern.fileNameOnly ? normalized.slice(normalized.lastIndexOf('/') + 1) : normalized;
  return pattern.regexp.test(candidate);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
