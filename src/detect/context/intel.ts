/**
 * Threat-intelligence lists: plain-text files of IP addresses, CIDR blocks and domain names, one entry a
 * line, with `#` comments. Domain entries match the name itself and every name below it, and must be a
 * registered domain or a name under one (Public Suffix List, through tldts), so that an entry such as
 * `co.uk` cannot flag a whole country.
 */
import { readFile } from 'node:fs/promises';
import { domainToASCII } from 'node:url';

import ipaddr from 'ipaddr.js';
import { getDomain } from 'tldts';

import { InputError } from '../../errors.js';
import { parseAddress } from '../../net/locality.js';

/** One line of a list that was not used, with the reason. `line` is 1-based. */
export interface IntelProblem {
  file: string;
  line: number;
  text: string;
  reason: string;
}

export interface IntelListSummary {
  /** The path as the caller gave it; hits name their list by it. */
  file: string;
  addresses: number;
  networks: number;
  domains: number;
  /** Entries that repeat an earlier entry of the same file. */
  duplicates: number;
  /** Lines rejected, as listed in IntelLists.problems. */
  rejected: number;
}

export interface IntelHit {
  /** The file the entry came from. */
  list: string;
  /** The entry in normalised form: an address, `network/bits` or a lower-case domain. */
  entry: string;
  /** The destination address or name that the entry matched. */
  matched: string;
}

/**
 * Loaded lists, indexed for lookup. An address is looked up once per prefix length present, and a name
 * once per label, so the cost of a lookup does not grow with the size of the lists.
 */
export interface IntelLists {
  lists: IntelListSummary[];
  problems: IntelProblem[];
  /** Canonical address text to the files that list it. */
  addresses: Map<string, Set<string>>;
  /** Key `kind/bits/network bytes` to the files and entry text of that network. */
  networks: Map<string, { entry: string; files: Set<string> }>;
  /** Prefix lengths present per address family, longest first, so that the most specific entry wins. */
  prefixLengths: { ipv4: number[]; ipv6: number[] };
  /** Lower-case ASCII domain to the files that list it. */
  domains: Map<string, Set<string>>;
}

export function emptyIntelLists(): IntelLists {
  return {
    lists: [],
    problems: [],
    addresses: new Map(),
    networks: new Map(),
    prefixLengths: { ipv4: [], ipv6: [] },
    domains: new Map(),
  };
}

/**
 * Reads list files in order and indexes their entries. A line that is not an address, network or domain
 * is returned in `problems` with its file and line, so the caller decides whether it is fatal (as under
 * --strict). A file that cannot be read raises InputError.
 */
export async function loadIntelLists(paths: string[]): Promise<IntelLists> {
  const lists = emptyIntelLists();
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new InputError(
        `${path}: cannot read the threat-intelligence list (${code}); check the path`,
        path,
      );
    }
    addIntelList(lists, path, text);
  }
  return lists;
}

/** Parses the text of one list file into `lists`; `file` names the list in hits and problems. */
export function addIntelList(lists: IntelLists, file: string, text: string): IntelListSummary {
  const summary: IntelListSummary = {
    file,
    addresses: 0,
    networks: 0,
    domains: 0,
    duplicates: 0,
    rejected: 0,
  };
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    // A comment starts a line or follows whitespace, so `#` inside an entry is reported as invalid.
    const value = raw.replace(/(^|\s)#.*$/, '').trim();
    if (value === '') return;
    const entry = parseEntry(value);
    if ('reason' in entry) {
      summary.rejected += 1;
      lists.problems.push({ file, line: index + 1, text: raw.trim().slice(0, 200), reason: entry.reason });
      return;
    }
    const added = addEntry(lists, file, entry);
    if (!added) summary.duplicates += 1;
    else if (entry.kind === 'address') summary.addresses += 1;
    else if (entry.kind === 'network') summary.networks += 1;
    else summary.domains += 1;
  });
  lists.lists.push(summary);
  return summary;
}

type ParsedEntry =
  | { kind: 'address'; text: string }
  | { kind: 'network'; key: string; text: string; family: 'ipv4' | 'ipv6'; bits: number }
  | { kind: 'domain'; text: string }
  | { reason: string };

function parseEntry(value: string): ParsedEntry {
  if (/\s/.test(value)) return { reason: 'more than one value on the line; put one entry on each line' };
  if (value.includes('/') && !/^[0-9a-fA-F:.]+\/\d+$/.test(value)) {
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(value)
      ? { reason: 'a URL; list its host name or address instead' }
      : { reason: 'invalid CIDR block; expected address/prefix-length such as 198.51.100.0/24' };
  }
  if (value.includes('/')) return parseNetworkEntry(value);
  if (value.includes(':')) return parseIpv6Entry(value);
  if (/^[0-9.]+$/.test(value)) {
    return ipaddr.IPv4.isValidFourPartDecimal(value)
      ? { kind: 'address', text: ipaddr.IPv4.parse(value).toString() }
      : { reason: 'invalid IPv4 address; expected four decimal numbers from 0 to 255' };
  }
  return parseDomainEntry(value);
}

function parseNetworkEntry(value: string): ParsedEntry {
  const [address = '', bitsText = ''] = value.split('/');
  const isIpv4 = !address.includes(':');
  if (isIpv4 ? !ipaddr.IPv4.isValidFourPartDecimal(address) : !ipaddr.IPv6.isValid(address)) {
    return { reason: `invalid CIDR block: ${address} is not an IP address` };
  }
  const bits = Number(bitsText);
  const maximum = isIpv4 ? 32 : 128;
  if (!Number.isInteger(bits) || bits > maximum) {
    return { reason: `invalid CIDR block: prefix length ${bitsText} is not from 0 to ${maximum}` };
  }
  const network = maskedBytes(ipaddr.parse(address).toByteArray(), bits);
  const family = isIpv4 ? 'ipv4' : 'ipv6';
  const text = `${ipaddr.fromByteArray(network).toString()}/${bits}`;
  return { kind: 'network', key: networkKey(family, bits, network), text, family, bits };
}

function parseIpv6Entry(value: string): ParsedEntry {
  const parsed = parseAddress(value);
  if (parsed === null || value.includes('%')) {
    return { reason: 'invalid IPv6 address' };
  }
  return { kind: 'address', text: parsed.toString() };
}

function parseDomainEntry(value: string): ParsedEntry {
  // `*.example.com` and `.example.com` are common spellings of "example.com and below", which is what
  // every domain entry means here.
  const bare = value.replace(/^\*?\./, '').replace(/\.$/, '');
  const ascii = domainToASCII(bare).toLowerCase();
  if (ascii === '' || ascii.length > 253) return { reason: 'invalid domain name' };
  const labels = ascii.split('.');
  if (!labels.every((label) => /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/.test(label))) {
    return { reason: 'invalid domain name; a label holds characters other than letters, digits, - and _' };
  }
  if (labels.length < 2 || getDomain(ascii, { allowPrivateDomains: true }) === null) {
    return {
      reason:
        'a public suffix or a name without one; list a registered domain (example.com) or a name below it',
    };
  }
  return { kind: 'domain', text: ascii };
}

/** Adds one entry to the index and returns false when the same file already listed it. */
function addEntry(lists: IntelLists, file: string, entry: Exclude<ParsedEntry, { reason: string }>): boolean {
  if (entry.kind === 'network') {
    const existing = lists.networks.get(entry.key);
    if (existing?.files.has(file)) return false;
    if (existing) existing.files.add(file);
    else lists.networks.set(entry.key, { entry: entry.text, files: new Set([file]) });
    const lengths = lists.prefixLengths[entry.family];
    if (!lengths.includes(entry.bits)) {
      lengths.push(entry.bits);
      lengths.sort((a, b) => b - a);
    }
    return true;
  }
  const index = entry.kind === 'address' ? lists.addresses : lists.domains;
  const files = index.get(entry.text);
  if (files?.has(file)) return false;
  if (files) files.add(file);
  else index.set(entry.text, new Set([file]));
  return true;
}

/**
 * Looks up destination addresses and names. Each matched value yields one hit per list that contains a
 * matching entry: the address itself, the longest network that contains it, or the longest listed domain
 * at or above the name. Unparseable addresses and empty names are passed over.
 */
export function matchIntel(
  lists: IntelLists,
  addresses: readonly string[],
  names: readonly string[],
): IntelHit[] {
  const hits: IntelHit[] = [];
  const seen = new Set<string>();
  const push = (list: string, entry: string, matched: string): void => {
    const id = `${list}\u0000${entry}\u0000${matched}`;
    if (seen.has(id)) return;
    seen.add(id);
    hits.push({ list, entry, matched });
  };

  for (const address of addresses) {
    const parsed = parseAddress(address);
    if (parsed === null) continue;
    const canonical = parsed.toString();
    for (const file of lists.addresses.get(canonical) ?? []) push(file, canonical, address);
    const family = parsed.kind();
    const bytes = parsed.toByteArray();
    const matchedFiles = new Set<string>();
    for (const bits of lists.prefixLengths[family]) {
      const network = lists.networks.get(networkKey(family, bits, maskedBytes(bytes, bits)));
      if (network === undefined) continue;
      for (const file of network.files) {
        if (matchedFiles.has(file)) continue;
        matchedFiles.add(file);
        push(file, network.entry, address);
      }
    }
  }

  for (const name of names) {
    const host = domainToASCII(name.trim().replace(/\.$/, '')).toLowerCase();
    if (host === '') continue;
    const labels = host.split('.');
    const matchedFiles = new Set<string>();
    for (let start = 0; start < labels.length - 1; start += 1) {
      const candidate = labels.slice(start).join('.');
      for (const file of lists.domains.get(candidate) ?? []) {
        if (matchedFiles.has(file)) continue;
        matchedFiles.add(file);
        push(file, candidate, name);
      }
    }
  }
  return hits;
}

/** Clears every bit after the first `bits` bits. */
function maskedBytes(bytes: readonly number[], bits: number): number[] {
  return bytes.map((byte, index) => {
    const kept = Math.min(8, Math.max(0, bits - index * 8));
    return byte & (0xff << (8 - kept)) & 0xff;
  });
}

function networkKey(family: string, bits: number, bytes: readonly number[]): string {
  return `${family}/${bits}/${bytes.join('.')}`;
}
