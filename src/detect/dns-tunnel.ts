/**
 * DNS tunnelling and DNS beacons that ask a fresh name each time (MITRE ATT&CK T1071.004). Queries are
 * grouped by source and registered domain from the dns_queries table. A tunnel encodes data in the labels
 * left of a domain whose authoritative name server the attacker runs. It therefore shows as many
 * distinct, long, high-entropy subdomains of one domain, each asked about once. It often uses record
 * types that carry more data back (TXT, NULL, CNAME, MX).
 *
 * Millions of query rows never leave DuckDB. Only the distinct query names are read, once, and mapped to
 * their registered domain in TypeScript (the Public Suffix List, through tldts). The mapping is then
 * joined back for the aggregation in SQL.
 */
import { UsageError } from '../errors.js';
import { registeredDomain, subdomainOf } from '../net/domain.js';
import type { SqlValue, Store } from '../store/store.js';
import type { Detector, DetectorContext, FlatValue, TableColumn } from './detector.js';

export interface DnsTunnelOptions {
  /** Length of the window that ends at the context's `now`, in ms; Infinity reads every query up to `now`. */
  windowMs: number;
  /** Distinct subdomains of one domain from one source that flag it on their own (RITA's threshold is 100). */
  minSubdomains: number;
  /** Distinct subdomains needed by the fresh-name criterion. */
  minFreshSubdomains: number;
  /** Share of lookups that must ask a name not asked before, for the fresh-name criterion (0–1). */
  minFreshRatio: number;
  /** Distinct subdomains needed by the long-random-name criterion. */
  minLongNameSubdomains: number;
  /** Mean subdomain length in characters, dots included, for the long-random-name criterion. */
  minMeanSubdomainLength: number;
  /** Shannon entropy of the subdomain characters in bits per character, for the long-random-name criterion. */
  minEntropyBitsPerChar: number;
}

export const DEFAULT_DNS_TUNNEL_OPTIONS: Readonly<DnsTunnelOptions> = Object.freeze({
  windowMs: Number.POSITIVE_INFINITY,
  minSubdomains: 100,
  // NOTE: 30 fresh subdomains and 24 characters are estimates, set so that the Atomic Red Team
  // T1071.004 test (60 names in 30 min) is reported. No large labelled DNS dataset was available to tune them.
  minFreshSubdomains: 30,
  minFreshRatio: 0.9,
  minLongNameSubdomains: 10,
  minMeanSubdomainLength: 24,
  // Hex-encoded data reaches at most 4 bits per character and Base32 at most 5.
  minEntropyBitsPerChar: 3.5,
});

/** Criterion that a reported group met. */
export type DnsTunnelCriterion = 'subdomain-count' | 'fresh-names' | 'long-random-names';

/** Measurements of one (source, domain) group, in the window. */
export interface DnsTunnelMeasures {
  /** Query rows. */
  queries: number;
  /** Distinct (name, second) pairs: an A and an AAAA query, or a retransmission, in one second count once. */
  lookups: number;
  /** Distinct full query names. */
  names: number;
  /** Distinct non-empty subdomains (the labels left of the domain). */
  subdomains: number;
  /** Mean and max length of the distinct subdomains, in characters with their dots. */
  meanSubdomainLength: number;
  maxSubdomainLength: number;
  /** Shannon entropy of the characters of the distinct subdomains, dots left out, bits per character. */
  entropyBitsPerChar: number;
  /** Share of queries of type TXT, NULL, CNAME or MX. */
  unusualTypeShare: number;
  /** Share of NXDOMAIN among the queries with a logged response, or null when none has one. */
  nxdomainShare: number | null;
  /** Distinct names / lookups: 1 when every lookup queries a name not queried before. */
  uniqueNameRatio: number;
}

/** Score parts, each from 0 to 1 but `lookalike`, which is 1 or LOOKALIKE_FACTOR. */
export interface DnsTunnelParts {
  subdomains: number;
  freshness: number;
  length: number;
  entropy: number;
  recordTypes: number;
  lookalike: number;
}

export interface DnsTunnelFinding {
  rank: number;
  score: number;
  /** True when a criterion is met and the names are not a known benign look-alike. */
  flagged: boolean;
  criteria: DnsTunnelCriterion[];
  sourceip: string;
  /** Registered domain, or the zone of a look-alike class (in-addr.arpa, avqs.mcafee.com, local). */
  domain: string;
  /** Reason the names look like tunnelling but are benign, or null. */
  lookalike: string | null;
  resolvers: string[];
  firstSeen: string;
  lastSeen: string;
  firstSeenEpochMs: number;
  lastSeenEpochMs: number;
  /** Up to MAX_EXAMPLES full query names, longest first. */
  examples: string[];
  measures: DnsTunnelMeasures;
  parts: DnsTunnelParts;
  why: string[];
}

const DETECTOR_ID = 'dns-tunnel';
const MAX_EXAMPLES = 5;
const MAX_RESOLVERS = 3;
/** Distinct names sent to DuckDB per INSERT, as one JSON parameter. */
const NAME_BATCH = 100_000;
const NAMES_TABLE = 'dns_tunnel_names';

/** Record types that carry more data per response than A or AAAA, so tunnel tools prefer them. */
const UNUSUAL_QTYPES = ['TXT', 'NULL', 'CNAME', 'MX', '16', '10', '5', '15'];

/** Weights of the score parts; they sum to 1. */
export const DNS_TUNNEL_WEIGHTS = Object.freeze({
  subdomains: 0.4,
  freshness: 0.25,
  length: 0.15,
  entropy: 0.1,
  recordTypes: 0.1,
});
/** Mean subdomain length at which the length part reaches 1. DNS labels are at most 63 characters. */
const FULL_LENGTH = 40;
/** Entropy at which the entropy part reaches 1: the maximum of hex-encoded data. */
const FULL_ENTROPY_BITS = 4;
/** Factor on the score of a benign look-alike, so that it ranks below every flagged group. */
export const LOOKALIKE_FACTOR = 0.1;

/**
 * Zones whose names are reputation or list lookups that encode an address, a hash or a domain in the
 * subdomain, so they look like tunnelling. A tunnel needs the zone's authoritative name server, which the
 * list operator runs, so queries under these zones cannot carry an attacker's data to the attacker.
 */
const LOOKUP_ZONES: ReadonlyMap<string, string> = new Map([
  ['avqs.mcafee.com', 'anti-virus reputation lookups (McAfee)'],
  ['avts.mcafee.com', 'anti-virus reputation lookups (McAfee)'],
  ['sophosxl.net', 'anti-virus reputation lookups (Sophos)'],
  ['spamhaus.org', 'spam DNS block list lookups (Spamhaus)'],
  ['spamcop.net', 'spam DNS block list lookups (SpamCop)'],
  ['sorbs.net', 'spam DNS block list lookups (SORBS)'],
  ['barracudacentral.org', 'spam DNS block list lookups (Barracuda)'],
  ['abuseat.org', 'spam DNS block list lookups (CBL)'],
  ['surbl.org', 'spam DNS block list lookups (SURBL)'],
  ['uribl.com', 'spam DNS block list lookups (URIBL)'],
]);

/**
 * CDN and video-delivery domains whose host names are many and machine-made. The CDN runs their name
 * servers, so an attacker cannot tunnel through them. They are matched as name suffixes because the
 * Public Suffix List makes some of their subzones suffixes of their own (a.akamaiedge.net).
 */
const CDN_DOMAINS: readonly string[] = [
  'akamai.net',
  'akamaiedge.net',
  'akamaihd.net',
  'akadns.net',
  'edgekey.net',
  'edgesuite.net',
  'fastly.net',
  'googlevideo.com',
  'gvt1.com',
  '1e100.net',
  'azureedge.net',
  'trafficmanager.net',
  'llnwd.net',
  'cdn77.org',
  'nflxvideo.net',
  'edgecastcdn.net',
];

const REVERSE_LOOKUP = 'reverse lookups (PTR) of addresses';
const MULTICAST_DNS = 'multicast DNS on the local link (.local)';
const SERVICE_DISCOVERY = 'service discovery names (DNS-SD or SRV labels starting with _)';
const ADDRESS_LIST = 'DNS block list lookups of an IPv4 address (four reversed octets)';
const CDN = 'CDN host names, whose name servers the CDN runs';

/** Zones grouped as one look-alike class each, even where the Public Suffix List has suffixes below them. */
const LOOKALIKE_ZONES: ReadonlyMap<string, string> = new Map([
  ...LOOKUP_ZONES,
  ...CDN_DOMAINS.map((domain): [string, string] => [domain, CDN]),
]);

/** Group of one query name: the zone, the labels left of it, and a benign look-alike class. */
export interface NameClass {
  domain: string;
  subdomain: string;
  lookalike: string | null;
}

/**
 * Maps one lower-case query name to its group. Returns null for names with no registered domain (an
 * address, a single label, a bare public suffix), which cannot be tunnels under an attacker's domain.
 */
export function classifyName(name: string): NameClass | null {
  const host = name.trim().toLowerCase().replace(/\.$/, '');
  if (host === '') return null;

  // in-addr.arpa and ip6.arpa are public suffixes, so tldts would split reverse names by their last
  // octet. One zone per suffix keeps a source's reverse lookups together.
  const arpa = /^(.+)\.((?:in-addr|ip6)\.arpa)$/.exec(host);
  if (arpa !== null) return { domain: arpa[2] ?? '', subdomain: arpa[1] ?? '', lookalike: REVERSE_LOOKUP };
  if (host.endsWith('.arpa')) return null;
  if (host.endsWith('.local')) {
    return { domain: 'local', subdomain: host.slice(0, -'.local'.length), lookalike: MULTICAST_DNS };
  }

  for (const [zone, reason] of LOOKALIKE_ZONES) {
    if (host.endsWith(`.${zone}`)) {
      return { domain: zone, subdomain: host.slice(0, -(zone.length + 1)), lookalike: reason };
    }
  }

  const domain = registeredDomain(host);
  if (domain === null) return null;
  const subdomain = subdomainOf(host, domain);
  return { domain, subdomain, lookalike: lookalikeOf(subdomain) };
}

function lookalikeOf(subdomain: string): string | null {
  const labels = subdomain.split('.');
  if (labels.some((label) => label.startsWith('_'))) return SERVICE_DISCOVERY;
  const octets = labels.slice(0, 4);
  if (octets.length === 4 && octets.every((label) => /^\d{1,3}$/.test(label) && Number(label) <= 255)) {
    return ADDRESS_LIST;
  }
  return null;
}

/**
 * Returns the Shannon entropy, in bits per character, of the characters of `texts` taken together:
 * −Σ p·log2 p over each character's share p. Dots are left out because they separate labels. This is the
 * formula the SQL applies to each group's distinct subdomains; 0 for no characters.
 */
export function characterEntropy(texts: readonly string[]): number {
  const counts = new Map<string, number>();
  let total = 0;
  for (const text of texts) {
    for (const character of text) {
      if (character === '.') continue;
      counts.set(character, (counts.get(character) ?? 0) + 1);
      total += 1;
    }
  }
  let bits = 0;
  for (const count of counts.values()) {
    const share = count / total;
    bits -= share * Math.log2(share);
  }
  return bits === 0 ? 0 : bits;
}

/** @throws UsageError naming the first invalid option and its value. */
export function validateDnsTunnelOptions(options: DnsTunnelOptions): void {
  if (
    !(options.windowMs > 0) ||
    (Number.isFinite(options.windowMs) && !Number.isSafeInteger(options.windowMs))
  ) {
    throw new UsageError(
      `${DETECTOR_ID}: invalid windowMs ${options.windowMs}; use a positive whole number of ms, or Infinity`,
    );
  }
  const counts = ['minSubdomains', 'minFreshSubdomains', 'minLongNameSubdomains'] as const;
  for (const name of counts) {
    if (!Number.isSafeInteger(options[name]) || options[name] < 1) {
      throw new UsageError(
        `${DETECTOR_ID}: invalid ${name} ${options[name]}; use a whole number of at least 1`,
      );
    }
  }
  if (!(options.minFreshRatio >= 0 && options.minFreshRatio <= 1)) {
    throw new UsageError(
      `${DETECTOR_ID}: invalid minFreshRatio ${options.minFreshRatio}; use a number from 0 to 1`,
    );
  }
  for (const name of ['minMeanSubdomainLength', 'minEntropyBitsPerChar'] as const) {
    if (!Number.isFinite(options[name]) || options[name] < 0) {
      throw new UsageError(`${DETECTOR_ID}: invalid ${name} ${options[name]}; use a non-negative number`);
    }
  }
}

/** One group as the aggregation query returns it. */
interface GroupRow {
  sourceip: string;
  domain: string;
  lookalike: string;
  queries: number;
  lookups: number;
  names: number;
  subdomains: number;
  unusual: number;
  answered: number;
  nxdomain: number;
  firstSeen: number;
  lastSeen: number;
  resolvers: string[];
  meanLength: number;
  maxLength: number;
  entropy: number | null;
  examples: string[];
}

async function runDnsTunnel(
  context: DetectorContext,
  options: DnsTunnelOptions,
): Promise<DnsTunnelFinding[]> {
  validateDnsTunnelOptions(options);
  if (!Number.isSafeInteger(context.now)) {
    throw new UsageError(
      `${DETECTOR_ID}: invalid end of window ${context.now}; use whole epoch milliseconds`,
    );
  }
  const window = windowCondition(options, context.now);

  const distinct = await context.store.all<{ name: string }>(
    `SELECT DISTINCT lower(query) AS name FROM dns_queries
      WHERE ${window.sql('starttime')} AND sourceip IS NOT NULL AND query IS NOT NULL`,
    window.params,
  );
  const mapped: { name: string; domain: string; subdomain: string; lookalike: string }[] = [];
  for (const { name } of distinct) {
    const group = classifyName(name);
    if (group !== null) mapped.push({ name, ...group, lookalike: group.lookalike ?? '' });
  }
  if (mapped.length === 0) return [];

  await context.store.run(
    `CREATE OR REPLACE TEMP TABLE ${NAMES_TABLE} (name VARCHAR, domain VARCHAR, subdomain VARCHAR, lookalike VARCHAR)`,
  );
  try {
    for (let start = 0; start < mapped.length; start += NAME_BATCH) {
      await context.store.run(
        `INSERT INTO ${NAMES_TABLE} SELECT unnest(from_json(?,
          '[{"name":"VARCHAR","domain":"VARCHAR","subdomain":"VARCHAR","lookalike":"VARCHAR"}]'), recursive := true)`,
        [JSON.stringify(mapped.slice(start, start + NAME_BATCH))],
      );
    }
    const rows = await fetchGroups(context.store, window, options);
    return rankFindings(
      rows.map((row) => toFinding(row, options)).filter((finding) => finding.criteria.length > 0),
    );
  } finally {
    await context.store.run(`DROP TABLE IF EXISTS ${NAMES_TABLE}`);
  }
}

interface WindowCondition {
  /** Builds the condition on the start-time column `column`. */
  sql: (column: string) => string;
  params: SqlValue[];
}

function windowCondition(options: DnsTunnelOptions, now: number): WindowCondition {
  if (!Number.isFinite(options.windowMs)) return { sql: (column) => `${column} <= ?`, params: [now] };
  return {
    sql: (column) => `${column} > ? AND ${column} <= ?`,
    params: [now - options.windowMs, now],
  };
}

/**
 * Aggregates each (source, domain, look-alike class) group with enough distinct subdomains for any
 * criterion. Entropy is computed from the character counts of the group's distinct subdomains.
 */
async function fetchGroups(
  store: Store,
  window: WindowCondition,
  options: DnsTunnelOptions,
): Promise<GroupRow[]> {
  const minimum = Math.min(options.minSubdomains, options.minFreshSubdomains, options.minLongNameSubdomains);
  const unusual = UNUSUAL_QTYPES.map((type) => `'${type}'`).join(', ');
  return store.all<GroupRow>(
    `WITH scoped AS (
      SELECT q.sourceip, q.resolverip, q.starttime, lower(q.query) AS name, upper(q.qtype) AS qtype,
        upper(q.rcode) AS rcode, m.domain, m.subdomain, m.lookalike
      FROM dns_queries AS q JOIN ${NAMES_TABLE} AS m ON lower(q.query) = m.name
      WHERE ${window.sql('q.starttime')} AND q.sourceip IS NOT NULL
    ),
    groups AS (
      SELECT sourceip, domain, lookalike,
        count(*) AS queries,
        count(DISTINCT (name, starttime // 1000)) AS lookups,
        count(DISTINCT name) AS names,
        count(DISTINCT subdomain) FILTER (WHERE subdomain <> '') AS subdomains,
        count(*) FILTER (WHERE qtype IN (${unusual})) AS unusual,
        count(rcode) AS answered,
        count(*) FILTER (WHERE rcode IN ('NXDOMAIN', '3')) AS nxdomain,
        min(starttime) AS "firstSeen",
        max(starttime) AS "lastSeen",
        coalesce(list(DISTINCT resolverip ORDER BY resolverip) FILTER (WHERE resolverip IS NOT NULL), [])[1:${MAX_RESOLVERS}] AS resolvers
      FROM scoped
      GROUP BY sourceip, domain, lookalike
      HAVING count(DISTINCT subdomain) FILTER (WHERE subdomain <> '') >= ${minimum}
    ),
    subs AS (
      SELECT DISTINCT s.sourceip, s.domain, s.lookalike, s.subdomain
      FROM scoped AS s SEMI JOIN groups AS g
        ON s.sourceip = g.sourceip AND s.domain = g.domain AND s.lookalike = g.lookalike
      WHERE s.subdomain <> ''
    ),
    lengths AS (
      SELECT sourceip, domain, lookalike, avg(length(subdomain)) AS "meanLength",
        max(length(subdomain)) AS "maxLength"
      FROM subs GROUP BY sourceip, domain, lookalike
    ),
    characters AS (
      SELECT sourceip, domain, lookalike, character, count(*) AS n
      FROM (SELECT sourceip, domain, lookalike, unnest(string_split(replace(subdomain, '.', ''), '')) AS character
            FROM subs)
      GROUP BY sourceip, domain, lookalike, character
    ),
    entropies AS (
      -- Each term is rounded to 18 decimals and summed as a decimal, so the entropy is the same whatever
      -- order the rows arrive in; a sum of doubles can differ in its last bits.
      SELECT sourceip, domain, lookalike,
        -CAST(sum(CAST(n / total * log2(n / total) AS DECIMAL(38, 18))) AS DOUBLE) AS entropy
      FROM (SELECT *, sum(n) OVER (PARTITION BY sourceip, domain, lookalike) AS total FROM characters)
      GROUP BY sourceip, domain, lookalike
    ),
    examples AS (
      SELECT sourceip, domain, lookalike, list(name ORDER BY length(name) DESC, name)[1:${MAX_EXAMPLES}] AS examples
      FROM (SELECT DISTINCT s.sourceip, s.domain, s.lookalike, s.name
            FROM scoped AS s SEMI JOIN groups AS g
              ON s.sourceip = g.sourceip AND s.domain = g.domain AND s.lookalike = g.lookalike)
      GROUP BY sourceip, domain, lookalike
    )
    SELECT g.*, l."meanLength", l."maxLength", e.entropy, x.examples
    FROM groups AS g
      JOIN lengths AS l USING (sourceip, domain, lookalike)
      LEFT JOIN entropies AS e USING (sourceip, domain, lookalike)
      JOIN examples AS x USING (sourceip, domain, lookalike)`,
    window.params,
  );
}

function toFinding(row: GroupRow, options: DnsTunnelOptions): DnsTunnelFinding {
  const measures: DnsTunnelMeasures = {
    queries: row.queries,
    lookups: row.lookups,
    names: row.names,
    subdomains: row.subdomains,
    meanSubdomainLength: row.meanLength,
    maxSubdomainLength: row.maxLength,
    // No entropy row means no characters. Math.abs turns the −0 of a one-character alphabet into 0.
    entropyBitsPerChar: Math.abs(row.entropy ?? 0),
    unusualTypeShare: row.unusual / row.queries,
    nxdomainShare: row.answered === 0 ? null : row.nxdomain / row.answered,
    uniqueNameRatio: row.names / row.lookups,
  };
  const lookalike = row.lookalike === '' ? null : row.lookalike;
  const criteria = criteriaOf(measures, options);
  const parts: DnsTunnelParts = {
    subdomains: Math.min(1, measures.subdomains / options.minSubdomains),
    freshness: measures.uniqueNameRatio,
    length: Math.min(1, measures.meanSubdomainLength / FULL_LENGTH),
    entropy: Math.min(1, measures.entropyBitsPerChar / FULL_ENTROPY_BITS),
    recordTypes: measures.unusualTypeShare,
    lookalike: lookalike === null ? 1 : LOOKALIKE_FACTOR,
  };
  const weighted =
    DNS_TUNNEL_WEIGHTS.subdomains * parts.subdomains +
    DNS_TUNNEL_WEIGHTS.freshness * parts.freshness +
    DNS_TUNNEL_WEIGHTS.length * parts.length +
    DNS_TUNNEL_WEIGHTS.entropy * parts.entropy +
    DNS_TUNNEL_WEIGHTS.recordTypes * parts.recordTypes;

  return {
    rank: 0,
    score: weighted * parts.lookalike,
    flagged: criteria.length > 0 && lookalike === null,
    criteria,
    sourceip: row.sourceip,
    domain: row.domain,
    lookalike,
    resolvers: row.resolvers,
    firstSeen: new Date(row.firstSeen).toISOString(),
    lastSeen: new Date(row.lastSeen).toISOString(),
    firstSeenEpochMs: row.firstSeen,
    lastSeenEpochMs: row.lastSeen,
    examples: row.examples,
    measures,
    parts,
    why: explain(measures, criteria, lookalike, options),
  };
}

function criteriaOf(measures: DnsTunnelMeasures, options: DnsTunnelOptions): DnsTunnelCriterion[] {
  const criteria: DnsTunnelCriterion[] = [];
  if (measures.subdomains >= options.minSubdomains) criteria.push('subdomain-count');
  if (
    measures.subdomains >= options.minFreshSubdomains &&
    measures.uniqueNameRatio >= options.minFreshRatio
  ) {
    criteria.push('fresh-names');
  }
  if (
    measures.subdomains >= options.minLongNameSubdomains &&
    measures.meanSubdomainLength >= options.minMeanSubdomainLength &&
    measures.entropyBitsPerChar >= options.minEntropyBitsPerChar
  ) {
    criteria.push('long-random-names');
  }
  return criteria;
}

function explain(
  measures: DnsTunnelMeasures,
  criteria: readonly DnsTunnelCriterion[],
  lookalike: string | null,
  options: DnsTunnelOptions,
): string[] {
  const why: string[] = [];
  if (criteria.includes('subdomain-count')) {
    why.push(`${measures.subdomains} distinct subdomains (threshold ${options.minSubdomains})`);
  }
  if (criteria.includes('fresh-names')) {
    const below = criteria.includes('subdomain-count')
      ? ''
      : `, under the ${options.minSubdomains}-subdomain threshold`;
    why.push(
      `${percent(measures.uniqueNameRatio)} of ${measures.lookups} lookups ask a new name ` +
        `(${measures.subdomains} distinct subdomains${below}): a fresh name per query, as DNS beacons and tunnels do`,
    );
  }
  if (criteria.includes('long-random-names')) {
    why.push(
      `subdomains average ${measures.meanSubdomainLength.toFixed(1)} characters (max ${measures.maxSubdomainLength}) ` +
        `at ${measures.entropyBitsPerChar.toFixed(2)} bits/char`,
    );
  }
  if (measures.unusualTypeShare > 0)
    why.push(`${percent(measures.unusualTypeShare)} TXT/NULL/CNAME/MX queries`);
  if (measures.nxdomainShare !== null && measures.nxdomainShare > 0) {
    why.push(`${percent(measures.nxdomainShare)} NXDOMAIN`);
  }
  if (lookalike !== null) why.push(`not flagged: ${lookalike} (score × ${LOOKALIKE_FACTOR})`);
  return why;
}

/** Sorts flagged groups first, then by score, and numbers them. */
function rankFindings(findings: DnsTunnelFinding[]): DnsTunnelFinding[] {
  findings.sort(
    (a, b) =>
      Number(b.flagged) - Number(a.flagged) ||
      b.score - a.score ||
      b.measures.subdomains - a.measures.subdomains ||
      a.sourceip.localeCompare(b.sourceip) ||
      a.domain.localeCompare(b.domain),
  );
  findings.forEach((finding, index) => (finding.rank = index + 1));
  return findings;
}

function percent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function flattenDnsTunnelFinding(finding: DnsTunnelFinding): Record<string, FlatValue> {
  const { measures, parts } = finding;
  return {
    rank: finding.rank,
    score: round(finding.score, 3),
    flagged: finding.flagged,
    criteria: finding.criteria.join(' '),
    sourceip: finding.sourceip,
    domain: finding.domain,
    lookalike: finding.lookalike,
    resolvers: finding.resolvers.join(' '),
    firstSeen: finding.firstSeen,
    lastSeen: finding.lastSeen,
    firstSeenEpochMs: finding.firstSeenEpochMs,
    lastSeenEpochMs: finding.lastSeenEpochMs,
    queries: measures.queries,
    lookups: measures.lookups,
    names: measures.names,
    subdomains: measures.subdomains,
    meanSubdomainLength: round(measures.meanSubdomainLength, 3),
    maxSubdomainLength: measures.maxSubdomainLength,
    entropyBitsPerChar: round(measures.entropyBitsPerChar, 3),
    unusualTypeShare: round(measures.unusualTypeShare, 3),
    nxdomainShare: measures.nxdomainShare === null ? null : round(measures.nxdomainShare, 3),
    uniqueNameRatio: round(measures.uniqueNameRatio, 3),
    part_subdomains: round(parts.subdomains, 3),
    part_freshness: round(parts.freshness, 3),
    part_length: round(parts.length, 3),
    part_entropy: round(parts.entropy, 3),
    part_recordTypes: round(parts.recordTypes, 3),
    part_lookalike: parts.lookalike,
    examples: finding.examples.join(' '),
    why: finding.why.join('; '),
  };
}

const CSV_COLUMNS = Object.keys(flattenDnsTunnelFinding(emptyFinding()));

/** Returns a finding with every field set, used only to list the CSV columns in flatten's order. */
function emptyFinding(): DnsTunnelFinding {
  return {
    rank: 0,
    score: 0,
    flagged: false,
    criteria: [],
    sourceip: '',
    domain: '',
    lookalike: null,
    resolvers: [],
    firstSeen: '',
    lastSeen: '',
    firstSeenEpochMs: 0,
    lastSeenEpochMs: 0,
    examples: [],
    measures: {
      queries: 0,
      lookups: 0,
      names: 0,
      subdomains: 0,
      meanSubdomainLength: 0,
      maxSubdomainLength: 0,
      entropyBitsPerChar: 0,
      unusualTypeShare: 0,
      nxdomainShare: null,
      uniqueNameRatio: 0,
    },
    parts: { subdomains: 0, freshness: 0, length: 0, entropy: 0, recordTypes: 0, lookalike: 1 },
    why: [],
  };
}

const TABLE_COLUMNS: readonly TableColumn<DnsTunnelFinding>[] = [
  { header: '#', value: (f) => String(f.rank), align: 'right' },
  { header: 'source', value: (f) => f.sourceip },
  { header: 'domain', value: (f) => f.domain },
  { header: 'subdomains', value: (f) => String(f.measures.subdomains), align: 'right' },
  { header: 'lookups', value: (f) => String(f.measures.lookups), align: 'right' },
  { header: 'mean len', value: (f) => f.measures.meanSubdomainLength.toFixed(1), align: 'right' },
  { header: 'bits/char', value: (f) => f.measures.entropyBitsPerChar.toFixed(2), align: 'right' },
  { header: 'score', value: (f) => f.score.toFixed(2), align: 'right', alert: (f) => f.flagged },
  { header: 'example', value: (f) => f.examples[0] ?? '' },
  { header: 'why', value: (f) => f.why.join('; ') },
];

export const dnsTunnelDetector: Detector<DnsTunnelOptions, DnsTunnelFinding> = {
  id: DETECTOR_ID,
  description:
    'DNS tunnelling and fresh-name DNS beacons: per source and registered domain, distinct subdomains, ' +
    'name length and entropy, record types and NXDOMAIN share; flags 100 or more distinct subdomains, ' +
    'a fresh name per lookup, or long high-entropy names.',
  run: runDnsTunnel,
  flatten: flattenDnsTunnelFinding,
  csvColumns: CSV_COLUMNS,
  tableColumns: TABLE_COLUMNS,
};
