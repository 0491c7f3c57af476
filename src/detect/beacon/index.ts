/**
 * Detector `beacon`: ranks (source, destination, port) and (source, server name) series by how
 * regular their connection times are, with every part of the score in the finding.
 */
import {
  contextMultiplier,
  DEFAULT_CONTEXT_SETTINGS,
  loadContext,
  type ContextKey,
  type ContextSettings,
  type FindingContext,
  type IntelLists,
} from '../context/index.js';
import { countOf } from '../../text/plural.js';
import type { Detector, DetectorContext, FlatValue, TableColumn } from '../detector.js';
import { fetchCandidates, type BeaconKeyKind, type CandidateSeries } from './candidates.js';
import { groupByBeacon } from './merge.js';
import type { GapHistogramBin } from './patterns.js';
import { scoreSeries, type ScoreParts, type SeriesMeasures, type SeriesScore } from './score.js';

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
  /** Weigh each finding by its context: prevalence, first seen, threat intelligence, C2 defaults. */
  context: boolean;
  /** Offset of the analysts' local time from UTC, minutes, for working hours and the hour-of-day counts. */
  utcOffsetMinutes: number;
  /** Threat-intelligence lists matched against destinations. */
  intel?: IntelLists;
  contextSettings?: ContextSettings;
}

export const DEFAULT_BEACON_OPTIONS: BeaconOptions = {
  windowMs: Number.POSITIVE_INFINITY,
  minConnections: 10,
  minLongPeriodConnections: 5,
  minScore: 0,
  skipMulticast: true,
  discountPeriodicProtocols: true,
  context: true,
  utcOffsetMinutes: 0,
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

/**
 * Score from which a finding is an alert rather than a lead to look at. Set on the simulated suite
 * (docs/detection-quality.md): the benign series that tuning does not hide score at most 0.18 and
 * the malicious ones at least 0.37, so 0.25 sits between them with room on both sides.
 */
export const ALERT_SCORE = 0.25;

/** The jitter model fitted to the gaps (see jitter.ts). */
export interface FindingJitter {
  model: 'subtractive' | 'additive' | 'symmetric' | 'none';
  sleepSeconds: number;
  jitterFraction: number;
  lowSeconds: number;
  highSeconds: number;
  reason: string;
}

/** The context of a finding and the factor it applied to the score (docs/context.md). */
export interface FindingContextScore extends FindingContext {
  /** The score factor: clamp(product of parts, 0.5, 1.5). */
  factor: number;
  parts: Record<string, number>;
}

/** The rule that hid a finding, set by tuning (src/tune) when the scan ran with it. */
export interface FindingSuppression {
  rule: string;
  reason: string;
  matched: string;
}

/** Counts behind the finding's charts and text histogram. */
export interface FindingShape {
  gapHistogram: GapHistogramBin[];
  /** Connections per hour of day, in UTC shifted by the beacon option utcOffsetMinutes. */
  hourCounts: number[];
  /** Start of the sleep change, when the series has two regimes. */
  sleepChange: { at: string; periodBeforeSeconds: number; periodAfterSeconds: number } | null;
  /** The daily window of a working-hours beacon, such as 08:00–18:00 UTC. */
  workingHours: { startHour: number; endHour: number; weekdaysOnly: boolean } | null;
  recentStart: boolean;
}

export interface BeaconFinding {
  rank: number;
  /** min(1, timingScore × context factor). */
  score: number;
  /** The score from timing alone, before context. */
  timingScore: number;
  /** True when the score reaches ALERT_SCORE and tuning did not hide the finding. */
  alert: boolean;
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
  jitter: FindingJitter;
  shape: FindingShape;
  /** Null when context was turned off. */
  context: FindingContextScore | null;
  /** Null unless tuning hid the finding (listed with --show-suppressed). */
  suppression: FindingSuppression | null;
  why: string[];
}

/** CSV columns of a beacon finding, in order. */
const BEACON_CSV_COLUMNS = [
  'rank',
  'score',
  'timingScore',
  'alert',
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
  'falseAlarmProbability',
  'coherence',
  'autocorrelation',
  'periodMethod',
  'jitterModel',
  'sleepSeconds',
  'jitterFraction',
  'gapMedianSeconds',
  'gapMadSeconds',
  'gapQ1Seconds',
  'gapQ3Seconds',
  'bowleySkew',
  'onBeatFraction',
  'missedBeatFraction',
  'burstRuns',
  'burstConnections',
  'sizeMedianBytes',
  'sizeMadBytes',
  'failedFraction',
  'spanSeconds',
  'periodicity',
  'support',
  'part_significance',
  'part_regularity',
  'part_onBeat',
  'part_coherence',
  'part_size',
  'part_coverage',
  'part_evidence',
  'part_established',
  'part_protocol',
  'part_names',
  'contextFactor',
  'prevalenceSources',
  'prevalenceOfSources',
  'destinationFirstSeen',
  'intel',
  'indicators',
  'uris',
  'userAgents',
  'processes',
  'usernames',
  'suppressedBy',
  'suppressionReason',
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
    const merged = mergeKeys(scored);
    if (options.context) {
      await addContext(context, merged, {
        windowStart,
        settings: options.contextSettings ?? DEFAULT_CONTEXT_SETTINGS,
        ...(options.intel !== undefined ? { intel: options.intel } : {}),
      });
    }
    const findings = merged.filter((finding) => finding.score >= options.minScore);
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
      // No-break spaces keep each number with its unit when the column wraps.
      value: (f) =>
        `${formatSeconds(f.measures.periodSeconds).replace(' ', '\u00a0')} ± ` +
        formatSeconds(f.measures.jitterSeconds).replace(' ', '\u00a0'),
      align: 'right',
    },
    { header: 'score', value: (f) => f.score.toFixed(2), align: 'right', alert: (f) => f.alert },
    { header: 'why', value: (f) => f.why.join('; ') },
  ] satisfies TableColumn<BeaconFinding>[],
};

function periodicByDesign(candidate: CandidateSeries): string | null {
  if (candidate.key !== 'ip-port' && candidate.key !== 'process') return null;
  if (candidate.destinationport === null) return null;
  if (candidate.protocol !== 'udp') return null;
  // Every lookup the host makes goes to its resolver over UDP, so that series mixes whatever polls by
  // name. The dns-domain key scores the names themselves. TCP to port 53 (a beacon that borrows the port,
  // as Atomic Red Team's multi-protocol test does with curl) is not discounted.
  if (candidate.destinationport === 53 && candidate.internal) return 'DNS to a local resolver';
  return PERIODIC_BY_DESIGN.get(candidate.destinationport) ?? null;
}

function flattenBeaconFinding(finding: BeaconFinding): Record<string, FlatValue> {
  const { measures, parts } = finding;
  const part = (value: number | null): number | null => (value === null ? null : round(value, 3));
  return {
    rank: finding.rank,
    score: round(finding.score, 3),
    timingScore: round(finding.timingScore, 3),
    alert: finding.alert,
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
    falseAlarmProbability: Number(measures.falseAlarmProbability.toPrecision(3)),
    coherence: round(measures.coherence, 3),
    autocorrelation: measures.autocorrelation === null ? null : round(measures.autocorrelation, 3),
    periodMethod: measures.periodMethod,
    jitterModel: measures.jitterModel,
    sleepSeconds: round(measures.sleepSeconds, 3),
    jitterFraction: round(measures.jitterFraction, 3),
    gapMedianSeconds: round(measures.gapMedianSeconds, 3),
    gapMadSeconds: round(measures.gapMadSeconds, 3),
    gapQ1Seconds: round(measures.gapQ1Seconds, 3),
    gapQ3Seconds: round(measures.gapQ3Seconds, 3),
    bowleySkew: round(measures.bowleySkew, 3),
    onBeatFraction: round(measures.onBeatFraction, 3),
    missedBeatFraction: round(measures.missedBeatFraction, 3),
    burstRuns: measures.burstRuns,
    burstConnections: measures.burstConnections,
    sizeMedianBytes: measures.sizeMedianBytes,
    sizeMadBytes: measures.sizeMadBytes,
    failedFraction: round(measures.failedFraction, 3),
    spanSeconds: round(measures.spanSeconds, 3),
    periodicity: round(finding.periodicity, 3),
    support: round(finding.support, 3),
    part_significance: part(parts.significance),
    part_regularity: part(parts.regularity),
    part_onBeat: part(parts.onBeat),
    part_coherence: part(parts.coherence),
    part_size: part(parts.size),
    part_coverage: part(parts.coverage),
    part_evidence: part(parts.evidence),
    part_established: part(parts.established),
    part_protocol: part(parts.protocol),
    part_names: part(parts.names),
    contextFactor: finding.context?.factor ?? null,
    prevalenceSources: finding.context?.prevalence.sources ?? null,
    prevalenceOfSources: finding.context?.prevalence.ofSources ?? null,
    destinationFirstSeen: finding.context?.firstSeen?.iso ?? null,
    intel: finding.context?.intel.map((hit) => `${hit.list}: ${hit.entry}`).join(' | ') ?? null,
    indicators: finding.context?.indicators.map((indicator) => indicator.id).join(' ') ?? null,
    uris: finding.uris.join(' '),
    userAgents: finding.userAgents.join(' | '),
    processes: finding.processes.join(' | '),
    usernames: finding.usernames.join(' | '),
    suppressedBy: finding.suppression?.rule ?? null,
    suppressionReason: finding.suppression?.reason ?? null,
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
    utcOffsetMinutes: options.utcOffsetMinutes,
    ...(Number.isFinite(options.windowMs) ? { windowStart: now - options.windowMs } : {}),
    ...(candidate.key === 'dns-domain' ? { nameNovelty: candidate.nameCount / candidate.connections } : {}),
  });
  if (scored === null) return null;
  const first = candidate.times[0] as number;
  const last = candidate.times[candidate.times.length - 1] as number;
  return {
    rank: 0,
    score: scored.score,
    timingScore: scored.score,
    alert: scored.score >= ALERT_SCORE,
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
    jitter: {
      model: scored.jitter.model,
      sleepSeconds: scored.jitter.sleepSeconds,
      jitterFraction: scored.jitter.jitterFraction,
      lowSeconds: scored.jitter.lowSeconds,
      highSeconds: scored.jitter.highSeconds,
      reason: scored.jitter.reason,
    },
    shape: findingShape(scored),
    context: null,
    suppression: null,
    why: explain(candidate, scored, designed),
  };
}

/**
 * Loads the context of every finding in one batch and folds it into the score:
 * score = min(1, timing score × factor). The context's reasons join the finding's `why`.
 */
async function addContext(
  detector: DetectorContext,
  findings: readonly BeaconFinding[],
  options: { windowStart: number; settings: ContextSettings; intel?: IntelLists },
): Promise<void> {
  const contexts = await loadContext(detector.store, findings.map(contextKey), {
    windowStart: options.windowStart,
    windowEnd: detector.now,
    settings: options.settings,
    ...(options.intel !== undefined ? { intel: options.intel } : {}),
  });
  findings.forEach((finding, index) => {
    const found = contexts[index];
    if (found === undefined) return;
    const { factor, parts } = contextMultiplier(found, options.settings);
    finding.context = { ...found, factor, parts };
    finding.score = Math.min(1, finding.timingScore * factor);
    finding.alert = finding.score >= ALERT_SCORE;
    finding.why.push(...found.phrases);
  });
}

/**
 * Returns the destination entity of a finding for its context. A name stands for itself: the addresses
 * behind a server name are often a CDN's, shared with every other site on it.
 */
function contextKey(finding: BeaconFinding): ContextKey {
  const sourceip = finding.sourceip;
  switch (finding.key) {
    case 'server-name':
      return { sourceip, destinationips: [], names: finding.names, destinationport: null };
    case 'dns-domain':
      return {
        sourceip,
        destinationips: [],
        names: finding.domain === null ? [] : [finding.domain],
        destinationport: null,
      };
    case 'ip-port':
    case 'process':
      return {
        sourceip,
        destinationips: finding.destinationip === null ? [] : [finding.destinationip],
        names: [],
        destinationport: finding.destinationport,
      };
  }
}

function findingShape(scored: SeriesScore): FindingShape {
  const { patterns } = scored;
  const window = patterns.daily.workingHours ? patterns.daily.window : null;
  return {
    gapHistogram: patterns.gapHistogram,
    hourCounts: patterns.daily.hourCounts,
    sleepChange:
      patterns.sleepChange === null
        ? null
        : {
            at: patterns.sleepChange.change,
            periodBeforeSeconds: patterns.sleepChange.periodBeforeSeconds,
            periodAfterSeconds: patterns.sleepChange.periodAfterSeconds,
          },
    workingHours:
      window === null
        ? null
        : { startHour: window.startHour, endHour: window.endHour, weekdaysOnly: patterns.daily.weekdaysOnly },
    recentStart: patterns.start.recentStart,
  };
}

/** Short reasons, strongest evidence first, each with the number behind it. */
function explain(candidate: CandidateSeries, scored: SeriesScore, periodicService: string | null): string[] {
  const { measures, parts, jitter, patterns } = scored;
  const why = [
    `every ${formatSeconds(measures.periodSeconds)} ± ${formatSeconds(measures.jitterSeconds)}`,
    `false-alarm probability ${formatProbability(measures.falseAlarmProbability)}`,
    `${percent(measures.onBeatFraction)} of gaps on the beat`,
  ];
  // A framework's jitter draws sleeps evenly from an interval, so gaps peaked inside it are not that.
  // Naming a framework for timing without a significant period would mislead.
  const periodic = measures.falseAlarmProbability <= 1e-3;
  if (periodic && jitter.model !== 'none' && jitter.flat && jitter.onBeatGaps >= 10) why.push(jitter.reason);
  why.push(...patterns.phrases);
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
  if (candidate.internal) why.push('internal pair');
  if (periodicService !== null) why.push(`${periodicService} polls on a timer by design (score halved)`);
  if (candidate.key === 'dns-domain' && parts.names < 0.9) {
    why.push(`${candidate.nameCount} names asked ${candidate.connections} times: repeated lookups`);
  }
  if (candidate.key === 'server-name' && candidate.destinationCount > 1) {
    why.push(`${candidate.destinationCount} addresses for one name`);
  }
  return why;
}

/** Formats a probability for people: "< 1e-300", "3e-9", "0.0012", "0.5". */
function formatProbability(probability: number): string {
  if (probability < 1e-300) return '< 1e-300';
  if (probability < 0.001) return probability.toExponential(0);
  return String(Number(probability.toPrecision(2)));
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
      return `${candidate.domain ?? ''} (${countOf(candidate.nameCount, 'name')})`;
    case 'process':
      return `${candidate.processimage ?? ''} → ${address(candidate.destinationip, candidate.destinationport)}`;
  }
}

function compareFindings(a: BeaconFinding, b: BeaconFinding): number {
  return (
    b.score - a.score ||
    b.timingScore - a.timingScore ||
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
