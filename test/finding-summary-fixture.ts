/** One beacon finding as a FindingSummary, shared by the tests of the SIEM output formats. */
import type { FindingSummary } from '../src/report/finding-summary.js';

export const SUMMARY: FindingSummary = {
  detector: 'beacon',
  rank: 1,
  title: '10.0.0.5 → 203.0.113.7:443/tcp: every 60 s',
  score: 0.82,
  alert: true,
  firstSeenMs: 1_700_000_000_000,
  lastSeenMs: 1_700_003_600_000,
  sourceIp: '10.0.0.5',
  destinationIp: '203.0.113.7',
  destinationPort: 443,
  destinationName: 'cdn.example.net',
  protocol: 'tcp',
  count: 61,
  technique: { uid: 'T1071.001', name: 'Web Protocols' },
  why: ['every 60 s', 'steady size 320 B'],
};
