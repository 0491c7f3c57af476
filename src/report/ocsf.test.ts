/**
 * OCSF Detection Finding output: an exact object for one finding, and the class's required fields and
 * mappings on the findings of every detector on simulated traffic.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SUMMARY } from '../../test/finding-summary-fixture.js';
import type { Detector } from '../detect/detector.js';
import { DETECTORS, type DetectorId } from '../detect/registry.js';
import { scan, type ScanResult } from '../scan.js';
import { simulate } from '../simulate/simulate.js';
import { summarizeFinding } from './finding-summary.js';
import { findingUid, renderOcsf, severityId, toOcsf } from './ocsf.js';

/** The parts of an OCSF event the checks read. */
interface OcsfEvent {
  class_uid: number;
  type_uid: number;
  severity_id: number;
  time: number;
  message: string;
  finding_info: {
    first_seen_time: number;
    last_seen_time: number;
    analytic: { uid: string };
    attacks: { technique: { uid: string } }[];
  };
  evidences: { src_endpoint: { ip: string } }[];
  unmapped: unknown;
}

describe('toOcsf', () => {
  it('writes a Detection Finding with every mapped field', () => {
    expect(toOcsf(SUMMARY, { rank: 1, score: 0.82 }, '9.9.9')).toEqual({
      class_uid: 2004,
      class_name: 'Detection Finding',
      category_uid: 2,
      category_name: 'Findings',
      activity_id: 1,
      activity_name: 'Create',
      type_uid: 200401,
      type_name: 'Detection Finding: Create',
      time: 1_700_003_600_000,
      severity_id: 4,
      severity: 'High',
      status_id: 1,
      status: 'New',
      message: SUMMARY.title,
      confidence_score: 82,
      metadata: {
        version: '1.3.0',
        product: { name: 'beaconhunt', vendor_name: 'beaconhunt', version: '9.9.9' },
      },
      finding_info: {
        uid: findingUid(SUMMARY),
        title: SUMMARY.title,
        desc: 'every 60 s; steady size 320 B',
        types: ['Command and Control'],
        first_seen_time: 1_700_000_000_000,
        last_seen_time: 1_700_003_600_000,
        analytic: { uid: 'beacon', name: 'beacon', type_id: 3, type: 'Statistical' },
        attacks: [
          {
            technique: { uid: 'T1071.001', name: 'Web Protocols' },
            tactic: { uid: 'TA0011', name: 'Command and Control' },
          },
        ],
      },
      evidences: [
        {
          src_endpoint: { ip: '10.0.0.5' },
          dst_endpoint: { ip: '203.0.113.7', port: 443, hostname: 'cdn.example.net' },
          connection_info: { protocol_name: 'tcp' },
        },
      ],
      count: 61,
      unmapped: { rank: 1, score: 0.82 },
    });
  });

  it('leaves out what is unknown', () => {
    const event = toOcsf(
      {
        ...SUMMARY,
        score: null,
        destinationIp: null,
        destinationPort: null,
        destinationName: null,
        protocol: null,
        count: null,
      },
      {},
      '1',
    );
    expect(event).not.toHaveProperty('confidence_score');
    expect(event).not.toHaveProperty('count');
    expect((event.evidences as object[])[0]).toEqual({ src_endpoint: { ip: '10.0.0.5' }, dst_endpoint: {} });
  });
});

describe('severityId', () => {
  it('maps alert and score onto Informational, Medium and High', () => {
    expect(severityId({ ...SUMMARY, alert: false, score: 0.99 })).toBe(1);
    expect(severityId({ ...SUMMARY, alert: true, score: 0.74 })).toBe(3);
    expect(severityId({ ...SUMMARY, alert: true, score: 0.75 })).toBe(4);
    expect(severityId({ ...SUMMARY, alert: true, score: null })).toBe(3);
  });
});

describe('findingUid', () => {
  it('stays the same across scans and changes with the destination', () => {
    expect(findingUid({ ...SUMMARY, rank: 7, score: 0.3, lastSeenMs: 1 })).toBe(findingUid(SUMMARY));
    expect(findingUid({ ...SUMMARY, destinationPort: 8443 })).not.toBe(findingUid(SUMMARY));
    expect(findingUid({ ...SUMMARY, detector: 'qradar-t1071' })).not.toBe(findingUid(SUMMARY));
    expect(findingUid(SUMMARY)).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('OCSF output of every detector', () => {
  let folder: string;
  const results = new Map<DetectorId, ScanResult<DetectorId>>();

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'beaconhunt-ocsf-'));
    simulate({ out: folder, seed: 3, formats: ['zeek-tsv'] });
    for (const detector of ['beacon', 'qradar-t1071', 'long-connection', 'dns-tunnel'] as const) {
      results.set(detector, await scan({ paths: [join(folder, 'zeek-tsv')], detector }));
    }
  });

  afterAll(() => {
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  });

  it.each(['beacon', 'qradar-t1071', 'long-connection', 'dns-tunnel'] as const)(
    '%s: one valid Detection Finding per finding',
    (detectorId) => {
      const findings = results.get(detectorId)!.findings as object[];
      expect(findings.length).toBeGreaterThan(0);
      const detector = DETECTORS[detectorId] as unknown as Detector<unknown, object>;
      const summaries = findings.map((finding, index) => summarizeFinding(detectorId, finding, index));
      const records = findings.map((finding) => detector.flatten(finding));
      const lines = renderOcsf(summaries, records, '0.1.0').trimEnd().split('\n');
      expect(lines).toHaveLength(findings.length);
      lines.forEach((line, index) => {
        const event = JSON.parse(line) as OcsfEvent;
        const summary = summaries[index]!;
        expect(event.class_uid).toBe(2004);
        expect(event.type_uid).toBe(200401);
        expect([1, 3, 4]).toContain(event.severity_id);
        expect(event.severity_id === 1).toBe(!summary.alert);
        expect(event.time).toBe(summary.lastSeenMs);
        expect(event.finding_info.first_seen_time).toBeLessThanOrEqual(event.finding_info.last_seen_time);
        expect(event.finding_info.analytic.uid).toBe(detectorId);
        expect(event.finding_info.attacks[0]?.technique.uid).toMatch(/^T1071(\.00[14])?$/);
        expect(event.evidences[0]?.src_endpoint.ip).toBe(summary.sourceIp);
        expect(event.message).toBe(summary.title);
        expect(event.message.length).toBeGreaterThan(10);
        expect(event.unmapped).toEqual(JSON.parse(JSON.stringify(records[index])));
      });
    },
  );

  it('gives DNS findings the DNS technique', () => {
    const findings = results.get('dns-tunnel')!.findings as object[];
    const summary = summarizeFinding('dns-tunnel', findings[0]!, 0);
    expect(summary.technique.uid).toBe('T1071.004');
    expect(summary.destinationPort).toBe(53);
  });
});
