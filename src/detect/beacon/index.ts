/**
 * Detector `beacon`: ranks (source, destination, port) and (source, server name) series by how
 * regular their connection times are, with every part of the score in the finding.
 */
import type { Detector, DetectorContext, FlatValue, TableColumn } from '../detector.js';
import { fetchCandidates, type BeaconKeyKind, type CandidateSeries } from './candidates.js';
import { groupByBeacon } from './merge.js';
import { scoreSeries, type ScoreParts, type SeriesMeasures } from './score.js';

export interface BeaconOptions {
  /** Length of the analysis window ending at `now`, ms; Infinity analyses everything loaded. */
  windowMs: number;
  /** Distinct connection times a series needs before it is scored. */
  minConnections: number;
  /** Distinct times enough for a series whose mean gap is an hour or more (at most minConnections). */
  minLongPeriodConnections: number;
  /** Findings below this score are left out. */
  minScore: number;
  skipMulticast: boolean;
  /** Discount services that poll on a fixed schedule by design (see PERIODIC_BY_DESIGN). */
  discountPeriodicProtocols: boolean;
}

export const DEFAULT_BEACON_OPTIONS: BeaconOptions = {
  windowMs: Number.POSITIVE_INFINITY,
  minConnections: 10,
  minLongPeriodConnections: 5,
  minScore: 0,
  skipMulticast: true,
  discountPeriodicProtocols: true,
};

/**
 * UDP services whose clients poll on a timer as part of the protocol, so their regularity reveals nothing
 * about an implant: NTP (RFC 5905 poll intervals are powers of two seconds), DHCP lease renewal and
 * NetBIOS name and datagram services. Named profiles for other benign beacons belong to tuning.
 */
const PERIODIC_BY_DESIGN: ReadonlyMap<number, string> = new Map([
  [123, 'NTP'],
  [67, 'DHCP'],
  [68, 'DHCP'],
  [546, 'DHCPv6'],
  [547, 'DHCPv6'],
  [137, 'NetBIOS name service'],
  [138, 'NetBIOS datagram service'],
]);
const PERIODIC_BY_DESIGN_WEIGHT = 0.5;

/** The same beacon seen under another key, attached to the finding of its strongest key. */
export interface AttachedKey {
  key: BeaconKeyKind;
  label: string;
  destinationip: string | null;
  destinationport: number | null;
  servername: string | null;
  domain: string | null;
  score: number;
  connections: number;
  periodSeconds: number;
}

export type BeaconCategory = 'beacon' | 'blocked-attempts';

export interface BeaconFinding {
  rank: number;
  score: number;
  /**
   * 'blocked-attempts' for a series of failed attempts only (refused, unanswered, reset in the
   * handshake): a blocked or dead C2 channel, reported apart from working channels.
   */
  category: BeaconCategory;
  key: BeaconKeyKind;
  /** The key in words, such as "203.0.113.7:443/tcp" or "cdn.example.net". */
  label: string;
  sourceip: string;
  destinationip: string | null;
  destinationport: number | null;
  servername: string | null;
  /** Registered domain of a dns-domain key. */
  domain: string | null;
  /** Process image of a process key. */
  processimage: string | null;
  /** Destination addresses of the series (first five); the DNS servers asked, for a dns-domain key. */
  destinations: string[];
  destinationCount: number;
  /** Names of the beacon: its server name, or the query names of a dns-domain key (first five). */
  names: string[];
  nameCount: number;
  /** The same beacon under other keys, strongest first. */
  otherKeys: AttachedKey[];
  protocol: string | null;
  internal: boolean;
  connections: number;
  firstSeen: string;
  lastSeen: string;
  firstSeenEpochMs: number;
  lastSeenEpochMs: number;
  /** Distinct HTTP URIs, user agents, process images and user names of the series (first three each). */
  uris: string[];
  userAgents: string[];
  processes: string[];
  usernames: string[];
  periodicity: number;
  support: number;
  measures: SeriesMeasures;
  parts: ScoreParts;
  why: string[];
}

/** CSV columns of a beacon finding, in order. */
const BEACON_CSV_COLUMNS = [
  'rank',
  'score',
  'category',
  'key',
  'label',
  'sourceip',
  'destinationip',
  'destinationport',
  'servername',
  'domain',
  'processimage',
  'destinations',
  'destinationCount',
  'names',
  'nameCount',
  'otherKeys',
  'protocol',
  'internal',
  'connections',
  'firstSeen',
  'lastSeen',
  'firstSeenEpochMs',
  'lastSeenEpochMs',
  'periodSeconds',
  'jitterSeconds',
  'gapMedianSeconds',
  'gapMadSeconds',
  'gapQ1Seconds',
  'gapQ3Seconds',
  'bowleySkew',
  'onBeatFraction',
  'missedBeatFraction',
  'sizeMedianBytes',
  'sizeMadBytes',
  'failedFraction',
  'spanSeconds',
  'periodicity',
  'support',
  'part_regularity',
  'part_onBeat',
  'part_skew',
  'part_size',
  'part_coverage',
  'part_continuity',
  'part_evidence',
  'part_established',
  'part_protocol',
  'uris',
  'userAgents',
  'processes',
  'usernames',
  'why',
] as const;

export const beaconDetector: Detector<BeaconOptions, BeaconFinding> = {
  id: 'beacon',
  description: 'Regularity of connection times per source and destination or server name (default)',

  async run(context: DetectorContext, options: BeaconOptions): Promise<BeaconFinding[]> {
    const windowStart = Number.isFinite(options.windowMs)
      ? context.now - options.windowMs
      : Number.MIN_SAFE_INTEGER;
    const candidates = await fetchCandidates(context.store, {
      windowStart,
      windowEnd: context.now,
      minConnections: options.minConnections,
      minLongPeriodConnections: options.minLongPeriodConnections,
      skipMulticast: options.skipMulticast,
    });
    const scored: BeaconFinding[] = [];
    for (const candidate of candidates) {
      const finding = scoreCandidate(candidate, context.now, options);
      if (finding !== null) scored.push(finding);
    }
    const findings = mergeKeys(scored).filter((finding) => finding.score >= options.minScore);
    findings.sort(compareFindings);
    findings.forEach((finding, index) => (finding.rank = index + 1));
    return findings;
  },

  flatten: flattenBeaconFinding,
  csvColumns: BEACON_CSV_COLUMNS,

  tableColumns: [
    { header: '#', value: (f) => String(f.rank), align: 'right' },
    { header: 'source', value: (f) => f.sourceip },
    { header: 'destination', value: (f) => destinationLabel(f) },
    {
      header: 'port',
      value: (f) => (f.destinationport === null ? '' : String(f.destinationport)),
      align: 'right',
    },
    { header: 'conns', value: (f) => String(f.connections), align: 'right' },
    {
      header: 'period ± jitter',
      value: (f) => `${formatSeconds(f.measures.periodSeconds)} ± ${formatSeconds(f.measures.jitterSeconds)}`,
      align: 'right',
    },
    { header: 'score', value: (f) => f.score.toFixed(2), align: 'right' },
    { header: 'why', value: (f) => f.why.join('; ') },
  ] satisfies TableColumn<BeaconFinding>[],
};

function periodicByDesign(candidate: CandidateSeries): string | null {
  if (candidate.protocol !== 'udp' || candidate.destinationport === null) return null;
  return PERIODIC_BY_DESIGN.get(candidate.destinationport) ?? null;
}

function flattenBeaconFinding(finding: BeaconFinding): Record<string, FlatValue> {
  const { measures, parts } = finding;
  const part = (value: number | null): number | null => (value === null ? null : round(value, 3));
  return {
    rank: finding.rank,
    score: round(finding.score, 3),
    category: finding.category,
    key: finding.key,
    label: finding.label,
    sourceip: finding.sourceip,
    destinationip: finding.destinationip,
    destinationport: finding.destinationport,
    servername: finding.servername,
    domain: finding.domain,
    processimage: finding.processimage,
    destinations: finding.destinations.join(' '),
    destinationCount: finding.destinationCount,
    names: finding.names.join(' '),
    nameCount: finding.nameCount,
    otherKeys: finding.otherKeys.map((other) => `${other.key} ${other.label}`).join(' | '),
    protocol: finding.protocol,
    internal: finding.internal,
    connections: finding.connections,
    firstSeen: finding.firstSeen,
    lastSeen: finding.lastSeen,
    firstSeenEpochMs: finding.firstSeenEpochMs,
    lastSeenEpochMs: finding.lastSeenEpochMs,
    periodSeconds: round(measures.periodSeconds, 3),
    jitterSeconds: round(measures.jitterSeconds, 3),
    gapMedianSeconds: round(measures.gapMedianSeconds, 3),
    gapMadSeconds: round(measures.gapMadSeconds, 3),
    gapQ1Seconds: round(measures.gapQ1Seconds, 3),
    gapQ3Seconds: round(measures.gapQ3Seconds, 3),
    bowleySkew: round(measures.bowleySkew, 3),
    onBeatFraction: round(measures.onBeatFraction, 3),
    missedBeatFraction: round(measures.missedBeatFraction, 3),
    sizeMedianBytes: measures.sizeMedianBytes,
    sizeMadBytes: measures.sizeMadBytes,
    failedFraction: round(measures.failedFraction, 3),
    spanSeconds: round(measures.spanSeconds, 3),
    periodicity: round(finding.periodicity, 3),
    support: round(finding.support, 3),
    part_regularity: part(parts.regularity),
    part_onBeat: part(parts.onBeat),
    part_skew: part(parts.skew),
    part_size: part(parts.size),
    part_coverage: part(parts.coverage),
    part_continuity: part(parts.continuity),
    part_evidence: part(parts.evidence),
    part_established: part(parts.established),
    part_protocol: part(parts.protocol),
    uris: finding.uris.join(' '),
    userAgents: finding.userAgents.join(' | '),
    processes: finding.processes.join(' | '),
    usernames: finding.usernames.join(' | '),
    why: finding.why.join('; '),
  };
}

function scoreCandidate(
  candidate: CandidateSeries,
  now: number,
  options: BeaconOptions,
): BeaconFinding | null {
  const designed = options.discountPeriodicProtocols ? periodicByDesign(candidate) : null;
  const scored = scoreSeries({
    protocolWeight: designed === null ? 1 : PERIODIC_BY_DESIGN_WEIGHT,
    times: candidate.times,
    sizes: candidate.sizes ?? [],
    failed: candidate.failed,
    connections: candidate.connections,
    windowEnd: now,
  });
  if (scored === null) return null;
  const first = candidate.times[0] as number;
  const last = candidate.times[candidate.times.length - 1] as number;
  return {
    rank: 0,
    score: scored.score,
    category: candidate.blocked ? 'blocked-attempts' : 'beacon',
    key: candidate.key,
    label: keyLabel(candidate),
    sourceip: candidate.sourceip,
    destinationip: candidate.destinationip,
    destinationport: candidate.destinationport,
    servername: candidate.servername,
    domain: candidate.domain,
    processimage: candidate.processimage,
    destinations: candidate.destinations,
    destinationCount: candidate.destinationCount,
    names: candidate.servername !== null ? [candidate.servername] : candidate.names,
    nameCount: candidate.servername !== null ? 1 : candidate.nameCount,
    otherKeys: [],
    protocol: candidate.protocol,
    internal: candidate.internal === true,
    connections: candidate.connections,
    firstSeen: new Date(first).toISOString(),
    lastSeen: new Date(last).toISOString(),
    firstSeenEpochMs: first,
    lastSeenEpochMs: last,
    uris: candidate.uris ?? [],
    userAgents: candidate.userAgents ?? [],
    processes: candidate.processes ?? [],
    usernames: candidate.usernames ?? [],
    periodicity: scored.periodicity,
    support: scored.support,
    measures: scored.measures,
    parts: scored.parts,
    why: explain(candidate, scored.measures, scored.parts, designed),
  };
}

/** Short reasons, strongest evidence first, each with the number behind it. */
function explain(
  candidate: CandidateSeries,
  measures: SeriesMeasures,
  parts: ScoreParts,
  periodicService: string | null,
): string[] {
  const why = [
    `every ${formatSeconds(measures.periodSeconds)} ± ${formatSeconds(measures.jitterSeconds)}`,
    `${percent(measures.onBeatFraction)} of gaps on the beat`,
  ];
  if (measures.missedBeatFraction >= 0.05) why.push(`${percent(measures.missedBeatFraction)} missed beats`);
  if (
    parts.size !== null &&
    parts.size >= 0.8 &&
    measures.sizeMedianBytes !== null &&
    measures.sizeMedianBytes > 0
  ) {
    why.push(`steady size ${Math.round(measures.sizeMedianBytes)} B`);
  }
  why.push(`over ${formatSeconds(measures.spanSeconds)}`);
  if (parts.coverage < 0.5) why.push(`active in ${percent(parts.coverage)} of the time since first seen`);
  if (measures.failedFraction === 1) why.push('every attempt failed (blocked or refused)');
  else if (measures.failedFraction >= 0.5) why.push(`${percent(measures.failedFraction)} of attempts failed`);
  if (candidate.internal) why.push('internal pair');
  if (periodicService !== null) why.push(`${periodicService} polls on a timer by design (score halved)`);
  if (candidate.key === 'server-name' && candidate.destinationCount > 1) {
    why.push(`${candidate.destinationCount} addresses for one name`);
  }
  return why;
}

/**
 * Reports each beacon once: the series of one beacon under several keys are grouped, and the strongest
 * carries the others as attached keys. Its destination list gains the addresses of the others.
 */
function mergeKeys(findings: readonly BeaconFinding[]): BeaconFinding[] {
  const items = findings.map((finding) => ({
    ...finding,
    periodSeconds: finding.measures.periodSeconds,
    blocked: finding.category === 'blocked-attempts',
    finding,
  }));
  return groupByBeacon(items).map(({ primary, others }) => {
    const finding = primary.finding;
    if (others.length === 0) return finding;
    finding.otherKeys = others.map((other) => ({
      key: other.key,
      label: other.label,
      destinationip: other.destinationip,
      destinationport: other.destinationport,
      servername: other.servername,
      domain: other.domain,
      score: other.score,
      connections: other.connections,
      periodSeconds: other.periodSeconds,
    }));
    const addresses = new Set(finding.destinations);
    for (const other of others) {
      if (other.key !== 'dns-domain') for (const address of other.destinations) addresses.add(address);
    }
    finding.destinations = [...addresses].slice(0, MAX_LISTED_DESTINATIONS);
    finding.destinationCount = Math.max(finding.destinationCount, addresses.size);
    const names = new Set(finding.names);
    for (const other of others) for (const name of other.names) names.add(name);
    finding.names = [...names].slice(0, MAX_LISTED_DESTINATIONS);
    finding.why.push(`also seen as ${others.map((other) => `${other.key} ${other.label}`).join(', ')}`);
    return finding;
  });
}

/**
 * Tells whether a finding covers connections from `sourceip` to the address and port, under its own key
 * or an attached one.
 */
export function coversPair(
  finding: BeaconFinding,
  sourceip: string,
  destinationip: string,
  port: number,
): boolean {
  if (finding.sourceip !== sourceip) return false;
  return [finding, ...finding.otherKeys].some(
    (key) => key.destinationip === destinationip && key.destinationport === port,
  );
}

/** Destination addresses listed in a finding. */
const MAX_LISTED_DESTINATIONS = 5;

/** Names a series' key in words. */
function keyLabel(candidate: CandidateSeries): string {
  const address = (ip: string | null, port: number | null): string => {
    const host = ip !== null && ip.includes(':') ? `[${ip}]` : (ip ?? '');
    return port === null ? host : `${host}:${port}`;
  };
  const transport = candidate.protocol !== null ? `/${candidate.protocol}` : '';
  switch (candidate.key) {
    case 'ip-port':
      return `${address(candidate.destinationip, candidate.destinationport)}${transport}`;
    case 'server-name':
      return candidate.servername ?? '';
    case 'dns-domain':
      return `${candidate.domain ?? ''} (${candidate.nameCount} names)`;
    case 'process':
      return `${candidate.processimage ?? ''} → ${address(candidate.destinationip, candidate.destinationport)}`;
  }
}

function compareFindings(a: BeaconFinding, b: BeaconFinding): number {
  return (
    b.score - a.score ||
    b.connections - a.connections ||
    a.sourceip.localeCompare(b.sourceip) ||
    destinationLabel(a).localeCompare(destinationLabel(b)) ||
    (a.destinationport ?? 0) - (b.destinationport ?? 0)
  );
}

function destinationLabel(finding: BeaconFinding): string {
  return finding.servername ?? finding.domain ?? finding.destinationip ?? '';
}

/** Formats seconds with a unit that keeps two or three significant figures: 850 ms, 4.2 s, 270 s, 2.5 h. */
export function formatSeconds(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 600) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function percent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
