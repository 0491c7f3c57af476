/**
 * One shape for a finding of any detector: who talked to what, when, how strongly it was flagged and
 * why. The SIEM formats (OCSF, and the forwarding formats to come) are written from it, so that each
 * needs one mapping rather than one per detector.
 */
import type { BeaconFinding } from '../detect/beacon/index.js';
import type { DnsTunnelFinding } from '../detect/dns-tunnel.js';
import type { LongConnectionFinding } from '../detect/long-connection.js';
import type { QradarT1071Finding } from '../detect/qradar-t1071.js';
import type { DetectorId } from '../detect/registry.js';

/** MITRE ATT&CK technique of a finding. */
export interface AttackTechnique {
  uid: string;
  name: string;
}

export interface FindingSummary {
  detector: DetectorId;
  rank: number;
  /** One line for a person, such as "10.0.0.5 → 203.0.113.7:443/tcp every 60 s". */
  title: string;
  /** The detector's score from 0 to 1, or null for a rule with no score (qradar-t1071). */
  score: number | null;
  /** True when the detector would raise it: an alert, a flagged DNS domain, or a rule match. */
  alert: boolean;
  firstSeenMs: number;
  lastSeenMs: number;
  sourceIp: string;
  destinationIp: string | null;
  destinationPort: number | null;
  /** Server name or DNS domain of the destination, when known. */
  destinationName: string | null;
  protocol: string | null;
  /** Connections (or DNS queries) behind the finding, when the detector counts them. */
  count: number | null;
  technique: AttackTechnique;
  why: string[];
}

const APPLICATION_LAYER: AttackTechnique = { uid: 'T1071', name: 'Application Layer Protocol' };
const WEB_PROTOCOLS: AttackTechnique = { uid: 'T1071.001', name: 'Web Protocols' };
const DNS: AttackTechnique = { uid: 'T1071.004', name: 'DNS' };

/** Returns the sub-technique a port names (web ports and DNS), or T1071 itself. */
function techniqueForPort(port: number | null, protocol: string | null): AttackTechnique {
  if (port === 53 || protocol === 'dns') return DNS;
  if (port === 80 || port === 443 || port === 8080 || port === 8443) return WEB_PROTOCOLS;
  return APPLICATION_LAYER;
}

function summarizeBeacon(finding: BeaconFinding): FindingSummary {
  return {
    detector: 'beacon',
    rank: finding.rank,
    title: `${finding.sourceip} → ${finding.label}: ${finding.why[0] ?? 'regular connections'}`,
    score: finding.score,
    alert: finding.alert,
    firstSeenMs: finding.firstSeenEpochMs,
    lastSeenMs: finding.lastSeenEpochMs,
    sourceIp: finding.sourceip,
    destinationIp: finding.destinationip,
    destinationPort: finding.destinationport,
    destinationName: finding.servername ?? finding.domain,
    protocol: finding.protocol,
    count: finding.connections,
    technique:
      finding.key === 'dns-domain' ? DNS : techniqueForPort(finding.destinationport, finding.protocol),
    why: finding.why,
  };
}

function summarizeQradar(finding: QradarT1071Finding, rank: number): FindingSummary {
  const seconds = Math.round(finding.AvgIntervalMs / 100) / 10;
  return {
    detector: 'qradar-t1071',
    rank,
    title:
      `${finding.sourceip} → ${finding.destinationip}:${finding.destinationport}: ` +
      `${finding.ConnectionCount} connections, mean gap ${seconds} s (QRadar T1071 rule)`,
    score: null,
    alert: true,
    firstSeenMs: finding.FirstSeenEpochMs,
    lastSeenMs: finding.LastSeenEpochMs,
    sourceIp: finding.sourceip,
    destinationIp: finding.destinationip,
    destinationPort: finding.destinationport,
    destinationName: null,
    protocol: null,
    count: finding.ConnectionCount,
    technique: techniqueForPort(finding.destinationport, null),
    why: [
      `more than 10 connections (${finding.ConnectionCount}) with a mean gap of ${seconds} s, between 1 s and 1 h`,
    ],
  };
}

function summarizeLongConnection(finding: LongConnectionFinding): FindingSummary {
  const hours = Math.round(finding.totalDurationSeconds / 360) / 10;
  const destination = `${finding.destinationip}:${finding.destinationport ?? ''}`;
  return {
    detector: 'long-connection',
    rank: finding.rank,
    title: `${finding.sourceip} → ${destination}: connected ${hours} h in all`,
    score: null,
    alert: true,
    firstSeenMs: finding.firstSeenEpochMs,
    lastSeenMs: finding.lastSeenEpochMs,
    sourceIp: finding.sourceip,
    destinationIp: finding.destinationip,
    destinationPort: finding.destinationport,
    destinationName: finding.servernames[0] ?? null,
    protocol: finding.protocols[0] ?? null,
    count: finding.connections,
    technique: techniqueForPort(finding.destinationport, finding.protocols[0] ?? null),
    why: finding.why,
  };
}

function summarizeDnsTunnel(finding: DnsTunnelFinding): FindingSummary {
  return {
    detector: 'dns-tunnel',
    rank: finding.rank,
    title: `${finding.sourceip} → *.${finding.domain}: ${finding.why[0] ?? 'DNS names that carry data'}`,
    score: finding.score,
    alert: finding.flagged,
    firstSeenMs: finding.firstSeenEpochMs,
    lastSeenMs: finding.lastSeenEpochMs,
    sourceIp: finding.sourceip,
    destinationIp: finding.resolvers[0] ?? null,
    destinationPort: 53,
    destinationName: finding.domain,
    protocol: 'dns',
    count: finding.measures.queries,
    technique: DNS,
    why: finding.why,
  };
}

/** Summarizes a finding of `detector`; `index` is its 0-based position, for detectors without a rank. */
export function summarizeFinding(detector: DetectorId, finding: object, index: number): FindingSummary {
  switch (detector) {
    case 'beacon':
      return summarizeBeacon(finding as BeaconFinding);
    case 'qradar-t1071':
      return summarizeQradar(finding as QradarT1071Finding, index + 1);
    case 'long-connection':
      return summarizeLongConnection(finding as LongConnectionFinding);
    case 'dns-tunnel':
      return summarizeDnsTunnel(finding as DnsTunnelFinding);
  }
}
