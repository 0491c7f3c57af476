/**
 * Findings as OCSF Detection Finding events (class 2004, category Findings), schema version 1.3.0, one
 * JSON object per line as SIEM and data-lake collectors take them. The detector's own record goes under
 * `unmapped`, so every number stays available. Field names follow the OCSF schema browser at
 * https://schema.ocsf.io/1.3.0/classes/detection_finding.
 *
 * The text carries no wall-clock time: `time` is when the finding's traffic was last seen, so the same
 * findings always give the same lines.
 */
import { createHash } from 'node:crypto';

import type { FlatValue } from '../detect/detector.js';
import type { FindingSummary } from './finding-summary.js';

export const OCSF_VERSION = '1.3.0';

const DETECTION_FINDING_CLASS = 2004;
const FINDINGS_CATEGORY = 2;
/** Activity 1, Create: a new finding. type_uid is class_uid × 100 + activity_id. */
const CREATE_ACTIVITY = 1;

/** OCSF analytic types: 1 Rule for the QRadar rule, 3 Statistical for the scored detectors. */
const ANALYTIC_TYPE: Record<FindingSummary['detector'], { id: number; name: string }> = {
  beacon: { id: 3, name: 'Statistical' },
  'qradar-t1071': { id: 1, name: 'Rule' },
  'long-connection': { id: 3, name: 'Statistical' },
  'dns-tunnel': { id: 3, name: 'Statistical' },
};

const SEVERITY_NAMES: Record<number, string> = { 1: 'Informational', 2: 'Low', 3: 'Medium', 4: 'High' };

/**
 * Maps a finding to an OCSF severity. A finding the detector does not raise is Informational. A raised
 * one is High from a score of 0.75 and Medium below; a rule match has no score, so it is Medium.
 */
export function severityId(summary: FindingSummary): number {
  if (!summary.alert) return 1;
  if (summary.score !== null && summary.score >= 0.75) return 4;
  return 3;
}

/**
 * Builds a stable finding id from the detector and what the finding is about, so that the same beacon found
 * in two scans gets the same uid and a SIEM can group them.
 */
export function findingUid(summary: FindingSummary): string {
  const key = [
    summary.detector,
    summary.sourceIp,
    summary.destinationIp ?? '',
    summary.destinationPort ?? '',
    summary.destinationName ?? '',
  ].join('|');
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

/** Builds the endpoint object of OCSF: ip, port and hostname, leaving out what is unknown. */
function endpoint(ip: string | null, port: number | null, hostname: string | null): Record<string, unknown> {
  return {
    ...(ip !== null ? { ip } : {}),
    ...(port !== null ? { port } : {}),
    ...(hostname !== null ? { hostname } : {}),
  };
}

/** Renders one finding as an OCSF Detection Finding object. */
export function toOcsf(
  summary: FindingSummary,
  record: Record<string, FlatValue>,
  productVersion: string,
): Record<string, unknown> {
  const severity = severityId(summary);
  const analytic = ANALYTIC_TYPE[summary.detector];
  return {
    class_uid: DETECTION_FINDING_CLASS,
    class_name: 'Detection Finding',
    category_uid: FINDINGS_CATEGORY,
    category_name: 'Findings',
    activity_id: CREATE_ACTIVITY,
    activity_name: 'Create',
    type_uid: DETECTION_FINDING_CLASS * 100 + CREATE_ACTIVITY,
    type_name: 'Detection Finding: Create',
    time: summary.lastSeenMs,
    severity_id: severity,
    severity: SEVERITY_NAMES[severity],
    status_id: 1,
    status: 'New',
    message: summary.title,
    ...(summary.score !== null ? { confidence_score: Math.round(summary.score * 100) } : {}),
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'beaconhunt', vendor_name: 'beaconhunt', version: productVersion },
    },
    finding_info: {
      uid: findingUid(summary),
      title: summary.title,
      desc: summary.why.join('; '),
      types: ['Command and Control'],
      first_seen_time: summary.firstSeenMs,
      last_seen_time: summary.lastSeenMs,
      analytic: { uid: summary.detector, name: summary.detector, type_id: analytic.id, type: analytic.name },
      attacks: [
        {
          technique: { uid: summary.technique.uid, name: summary.technique.name },
          tactic: { uid: 'TA0011', name: 'Command and Control' },
        },
      ],
    },
    evidences: [
      {
        src_endpoint: endpoint(summary.sourceIp, null, null),
        dst_endpoint: endpoint(summary.destinationIp, summary.destinationPort, summary.destinationName),
        ...(summary.protocol !== null ? { connection_info: { protocol_name: summary.protocol } } : {}),
      },
    ],
    ...(summary.count !== null ? { count: summary.count } : {}),
    unmapped: record,
  };
}

/** Renders findings as OCSF JSON lines. */
export function renderOcsf(
  summaries: readonly FindingSummary[],
  records: readonly Record<string, FlatValue>[],
  productVersion: string,
): string {
  return summaries
    .map((summary, index) => `${JSON.stringify(toOcsf(summary, records[index] ?? {}, productVersion))}\n`)
    .join('');
}
