/**
 * One adapter per detector turns its findings into the shape evaluation matches against labels. Every
 * other part of evaluation reads only EvalFinding, so a change to a detector's finding touches one
 * function here.
 */
import { ALERT_SCORE, type BeaconFinding } from '../detect/beacon/index.js';
import type { DnsTunnelFinding } from '../detect/dns-tunnel.js';
import type { LongConnectionFinding } from '../detect/long-connection.js';
import type { QradarT1071Finding } from '../detect/qradar-t1071.js';
import type { DetectorId, FindingById } from '../detect/registry.js';
import { UsageError } from '../errors.js';

/** Detectors that have an adapter below. */
export const EVALUATED_DETECTORS = [
  'beacon',
  'qradar-t1071',
  'dns-tunnel',
  'long-connection',
] as const satisfies readonly DetectorId[];

/** A destination address with its port, or null when the key has no port. */
export interface Endpoint {
  ip: string;
  port: number | null;
}

export interface EvalFinding {
  /** The detector's rank, 1 for its strongest finding. */
  rank: number;
  /** The detector's score, or null for a detector without one (qradar-t1071). */
  score: number | null;
  /** True for a beacon finding scoring at or above the threshold, and for every qradar-t1071 finding. */
  alert: boolean;
  sourceip: string;
  /** Every C2-side destination address of the finding, under its own key and any attached key. */
  destinationips: string[];
  destinationport: number | null;
  /** Each address with the port it was seen on; matching uses these when the finding has several keys. */
  endpoints: Endpoint[];
  /** Server names, DNS query names and registered domains, lower case. */
  names: string[];
  /** The keys the finding covers, in words, such as "ip-port 203.0.113.50:443/tcp". */
  keys: string[];
}

/** Returns the default alert threshold for `beacon`: the detector's own ALERT_SCORE. */
export function defaultBeaconThreshold(): number {
  return ALERT_SCORE;
}

/** The fields of an attached or listed key that evaluation reads; every one may be absent. */
interface KeyLike {
  key?: unknown;
  label?: unknown;
  destinationip?: unknown;
  destinationport?: unknown;
  servername?: unknown;
  domain?: unknown;
}

/**
 * Adapts a beacon finding. It reads today's fields (the main key and `otherKeys`) and, when present,
 * the multi-key fields `keys` (strings or key objects), `names` and `domain`. A dns-domain key lists the
 * resolvers the client asked as its destinations, so those addresses are left out: they are not the C2
 * server, and matching them would tie every DNS series through one resolver to the finding.
 */
export function adaptBeaconFinding(finding: BeaconFinding, threshold: number): EvalFinding {
  const endpoints: Endpoint[] = [];
  const names = new Set<string>();
  const keys: string[] = [];

  const addKey = (key: KeyLike, sourceOfDestinations?: readonly unknown[]): void => {
    const kind = typeof key.key === 'string' ? key.key : null;
    if (typeof key.label === 'string') keys.push(kind === null ? key.label : `${kind} ${key.label}`);
    const port = typeof key.destinationport === 'number' ? key.destinationport : null;
    if (kind !== 'dns-domain') {
      if (typeof key.destinationip === 'string') endpoints.push({ ip: key.destinationip, port });
      for (const ip of sourceOfDestinations ?? []) {
        if (typeof ip === 'string') endpoints.push({ ip, port });
      }
    }
    if (typeof key.servername === 'string') names.add(key.servername.toLowerCase());
    if (typeof key.domain === 'string') names.add(key.domain.toLowerCase());
  };

  addKey(finding as KeyLike, finding.destinations);
  for (const other of finding.otherKeys ?? []) addKey(other as KeyLike);
  const listedKeys = (finding as { keys?: unknown }).keys;
  if (Array.isArray(listedKeys)) {
    for (const entry of listedKeys as unknown[]) {
      if (typeof entry === 'string') keys.push(entry);
      else if (entry !== null && typeof entry === 'object') addKey(entry as KeyLike);
    }
  }
  for (const name of finding.names ?? []) {
    if (typeof name === 'string') names.add(name.toLowerCase());
  }

  const unique = uniqueEndpoints(endpoints);
  return {
    rank: finding.rank,
    score: finding.score,
    alert: finding.score >= threshold,
    sourceip: finding.sourceip,
    destinationips: [...new Set(unique.map((endpoint) => endpoint.ip))],
    destinationport: finding.destinationport,
    endpoints: unique,
    names: [...names],
    keys: [...new Set(keys)],
  };
}

/**
 * Adapts a qradar-t1071 finding. The rule has no score, so every group it returns is an alert. Its rank
 * is the position in its output, which is ordered by connection count.
 */
export function adaptQradarFinding(finding: QradarT1071Finding, index: number): EvalFinding {
  return {
    rank: index + 1,
    score: null,
    alert: true,
    sourceip: finding.sourceip,
    destinationips: [finding.destinationip],
    destinationport: finding.destinationport,
    endpoints: [{ ip: finding.destinationip, port: finding.destinationport }],
    names: [],
    keys: [`ip-port ${finding.destinationip}:${finding.destinationport}`],
  };
}

/**
 * Adapts a dns-tunnel finding: its key is the source and the registered domain, and it is an alert when
 * the detector flagged it (benign look-alikes such as reverse lookups are listed but not flagged).
 */
export function adaptDnsTunnelFinding(finding: DnsTunnelFinding): EvalFinding {
  return {
    rank: finding.rank,
    score: finding.score,
    alert: finding.flagged,
    sourceip: finding.sourceip,
    destinationips: [],
    destinationport: null,
    endpoints: [],
    names: [finding.domain.toLowerCase()],
    keys: [`dns-domain ${finding.domain}`],
  };
}

/** Adapts a long-connection finding: every finding passed its duration threshold, so each is an alert. */
export function adaptLongConnectionFinding(finding: LongConnectionFinding): EvalFinding {
  return {
    rank: finding.rank,
    score: null,
    alert: true,
    sourceip: finding.sourceip,
    destinationips: [finding.destinationip],
    destinationport: finding.destinationport,
    endpoints: [{ ip: finding.destinationip, port: finding.destinationport }],
    names: finding.servernames.map((name) => name.toLowerCase()),
    keys: [`ip-port ${finding.destinationip}:${finding.destinationport}`],
  };
}

/** Adapts the findings of any detector, in the detector's order. */
export function adaptFindings<D extends DetectorId>(
  detector: D,
  findings: readonly FindingById[D][],
  threshold: number,
): EvalFinding[] {
  if (detector === 'beacon') {
    return (findings as readonly BeaconFinding[]).map((finding) => adaptBeaconFinding(finding, threshold));
  }
  if (detector === 'qradar-t1071') {
    return (findings as readonly QradarT1071Finding[]).map((finding, index) =>
      adaptQradarFinding(finding, index),
    );
  }
  if (detector === 'dns-tunnel') return (findings as readonly DnsTunnelFinding[]).map(adaptDnsTunnelFinding);
  if (detector === 'long-connection') {
    return (findings as readonly LongConnectionFinding[]).map(adaptLongConnectionFinding);
  }
  throw new UsageError(
    `eval has no adapter for detector ${String(detector)}; use ${EVALUATED_DETECTORS.join(', ')}`,
  );
}

function uniqueEndpoints(endpoints: readonly Endpoint[]): Endpoint[] {
  const seen = new Map<string, Endpoint>();
  for (const endpoint of endpoints) seen.set(`${endpoint.ip}|${endpoint.port ?? ''}`, endpoint);
  return [...seen.values()];
}
