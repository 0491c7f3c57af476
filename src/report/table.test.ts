import { stripVTControlCharacters } from 'node:util';

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import { beaconDetector, type BeaconFinding } from '../detect/beacon/index.js';
import type { TableColumn } from '../detect/detector.js';
import { dnsTunnelDetector } from '../detect/dns-tunnel.js';
import { longConnectionDetector } from '../detect/long-connection.js';
import { qradarT1071Detector } from '../detect/qradar-t1071.js';
import { colorEnabled, renderTable, tableWidth } from './table.js';

/** Returns the width of the widest line without colours, one cell per character as in ASCII and box drawing. */
function widestLine(text: string): number {
  return Math.max(...text.split('\n').map((line) => [...stripVTControlCharacters(line)].length));
}

/** Builds a beacon finding with only the fields that the table shows. */
function beaconFinding(fields: Partial<BeaconFinding> & { periodSeconds: number; jitterSeconds: number }) {
  const { periodSeconds, jitterSeconds, ...rest } = fields;
  return {
    rank: 1,
    sourceip: '10.0.0.5',
    destinationip: null,
    destinationport: 443,
    servername: null,
    domain: null,
    connections: 100,
    score: 0.5,
    alert: false,
    why: [],
    ...rest,
    measures: { periodSeconds, jitterSeconds },
  } as unknown as BeaconFinding;
}

const GOLDEN_FINDINGS = [
  beaconFinding({
    rank: 1,
    sourceip: '10.20.1.15',
    servername: 'cdn-assets.example.net',
    connections: 1600,
    periodSeconds: 54,
    jitterSeconds: 3,
    score: 0.91,
    alert: true,
    why: ['every 54 s ± 3.0 s', 'steady size 320 B', 'over 24.0 h'],
  }),
  beaconFinding({
    rank: 2,
    sourceip: '2001:db8:85a3:1234:5678:8a2e:370:7334',
    destinationip: '2001:db8::17',
    destinationport: 8443,
    connections: 242,
    periodSeconds: 300,
    jitterSeconds: 15,
    score: 0.12,
    why: ['every 300 s ± 15 s'],
  }),
  beaconFinding({
    rank: 3,
    sourceip: '192.168.100.200',
    servername: 'telemetry-collector-eu-west-1.updates.example-cdn-provider.com',
    destinationport: null,
    connections: 99,
    periodSeconds: 3600,
    jitterSeconds: 0.25,
    score: 0.3,
    alert: true,
    why: ['every 60.0 min ± 250 ms', 'user agent \u001b]0;owned\u0007'],
  }),
];

/**
 * The 80-column layout: short columns on one row, the "why" text on a full-width row below. The period
 * cells hold a no-break space (U+00A0) between each number and its unit, written `_` here.
 */
const GOLDEN_80 = String.raw`
┌───┬─────────────────┬─────────────────┬──────┬───────┬───────────────┬───────┐
│ # │ source          │ destination     │ port │ conns │      period ± │ score │
│   │                 │                 │      │       │        jitter │       │
├───┼─────────────────┼─────────────────┼──────┼───────┼───────────────┼───────┤
│ 1 │ 10.20.1.15      │ cdn-assets.     │  443 │  1600 │  54_s ± 3.0_s │  0.91 │
│   │                 │ example.net     │      │       │               │       │
├───┴─────────────────┴─────────────────┴──────┴───────┴───────────────┴───────┤
│ why: every 54 s ± 3.0 s; steady size 320 B; over 24.0 h                      │
├───┬─────────────────┬─────────────────┬──────┬───────┬───────────────┬───────┤
│ 2 │ 2001:db8:85a3:  │ 2001:db8::17    │ 8443 │   242 │  300_s ± 15_s │  0.12 │
│   │ 1234:5678:8a2e: │                 │      │       │               │       │
│   │ 370:7334        │                 │      │       │               │       │
├───┴─────────────────┴─────────────────┴──────┴───────┴───────────────┴───────┤
│ why: every 300 s ± 15 s                                                      │
├───┬─────────────────┬─────────────────┬──────┬───────┬───────────────┬───────┤
│ 3 │ 192.168.100.200 │ telemetry-      │      │    99 │    60.0_min ± │  0.30 │
│   │                 │ collector-eu-   │      │       │        250_ms │       │
│   │                 │ west-1.updates. │      │       │               │       │
│   │                 │ example-cdn-    │      │       │               │       │
│   │                 │ provider.com    │      │       │               │       │
├───┴─────────────────┴─────────────────┴──────┴───────┴───────────────┴───────┤
│ why: every 60.0 min ± 250 ms; user agent \x1b]0;owned\x07                    │
└──────────────────────────────────────────────────────────────────────────────┘
`.slice(1, -1);

describe('renderTable layout', () => {
  test('beacon table at 80 columns', () => {
    const table = renderTable(GOLDEN_FINDINGS, beaconDetector.tableColumns, 80, false);

    expect(table.replaceAll('\u00a0', '_')).toBe(GOLDEN_80);
  });

  test('wide table keeps one row', () => {
    const table = renderTable(GOLDEN_FINDINGS.slice(0, 2), beaconDetector.tableColumns, 200, false);
    const header = table.split('\n')[1] ?? '';

    expect(header).toMatch(/│ why +│$/);
    expect(table).not.toContain('why: ');
    expect(widestLine(table)).toBeLessThanOrEqual(200);
  });

  test('spanning row escapes control characters', () => {
    const table = renderTable(GOLDEN_FINDINGS, beaconDetector.tableColumns, 60, false);

    expect(table).toContain('\\x1b]0;owned\\x07');
    expect(table).not.toContain('\u001b');
    expect(widestLine(table)).toBeLessThanOrEqual(60);
  });

  test('IPv6 address wraps inside its cell', () => {
    const table = renderTable(GOLDEN_FINDINGS, beaconDetector.tableColumns, 60, false);
    const sourceLines = table.split('\n').map((line) => line.split('│')[2]?.trim() ?? '');

    expect(sourceLines.join('')).toContain('2001:db8:85a3:1234:5678:8a2e:370:7334');
    expect(sourceLines.filter((line) => line.startsWith('2001:'))).toHaveLength(1);
  });
});

/** Values for every field that the four detectors' table columns read, so one record serves them all. */
const address = fc.oneof(fc.ipV4(), fc.ipV6());
const name = fc.oneof(
  fc.domain(),
  fc.string({ unit: 'binary-ascii', maxLength: 120 }),
  fc.stringMatching(/^[a-z0-9.-]{60,200}$/),
);
const findingFields = {
  rank: fc.integer({ min: 1, max: 100_000 }),
  sourceip: address,
  destinationip: address,
  destinationport: fc.option(fc.integer({ min: 0, max: 65_535 })),
  servername: fc.option(name),
  servernames: fc.array(name, { maxLength: 3 }),
  domain: name,
  userName: fc.option(name),
  connections: fc.nat(),
  ConnectionCount: fc.nat(),
  FirstSeenEpochMs: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  LastSeenEpochMs: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  AvgIntervalMs: fc.double({ min: 0, max: 1e9, noNaN: true }),
  protocols: fc.array(fc.constantFrom('tcp', 'udp', 'icmp'), { maxLength: 2 }),
  services: fc.array(name, { maxLength: 2 }),
  totalDurationSeconds: fc.double({ min: 0, max: 1e7, noNaN: true }),
  longestDurationSeconds: fc.double({ min: 0, max: 1e7, noNaN: true }),
  stillOpen: fc.boolean(),
  score: fc.double({ min: 0, max: 1, noNaN: true }),
  alert: fc.boolean(),
  flagged: fc.boolean(),
  examples: fc.array(name, { maxLength: 2 }),
  why: fc.array(fc.oneof(name, fc.lorem({ maxCount: 30 })), { maxLength: 8 }),
  measures: fc.record({
    periodSeconds: fc.double({ min: 0, max: 1e6, noNaN: true }),
    jitterSeconds: fc.double({ min: 0, max: 1e6, noNaN: true }),
    subdomains: fc.nat(),
    lookups: fc.nat(),
    meanSubdomainLength: fc.double({ min: 0, max: 255, noNaN: true }),
    entropyBitsPerChar: fc.double({ min: 0, max: 8, noNaN: true }),
  }),
};

/** Each detector's columns with random findings; a beacon finding may lack a name and a domain. */
const DETECTOR_CASES: [string, readonly TableColumn<never>[], fc.Arbitrary<object>][] = [
  [
    'beacon',
    beaconDetector.tableColumns,
    fc.record({ ...findingFields, destinationip: fc.option(address), domain: fc.option(name) }),
  ],
  ['long-connection', longConnectionDetector.tableColumns, fc.record(findingFields)],
  ['dns-tunnel', dnsTunnelDetector.tableColumns, fc.record(findingFields)],
  ['qradar-t1071', qradarT1071Detector.tableColumns, fc.record(findingFields)],
];

describe('renderTable width', () => {
  test.each(DETECTOR_CASES)('%s lines fit the width', (_, columns, finding) => {
    fc.assert(
      fc.property(
        fc.array(finding, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 60, max: 200 }),
        fc.boolean(),
        (findings, width, color) => {
          const table = renderTable(findings as never[], columns, width, color);

          expect(widestLine(table)).toBeLessThanOrEqual(width);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('renderTable colour', () => {
  test('no escapes without colour', () => {
    const table = renderTable(GOLDEN_FINDINGS, beaconDetector.tableColumns, 80, false);

    expect(table).not.toContain('\u001b');
  });

  test('forced colour marks header, border, alert', () => {
    const table = renderTable(GOLDEN_FINDINGS, beaconDetector.tableColumns, 80, true);
    const lines = table.split('\n');

    expect(lines[0]?.startsWith('\u001b[90m┌─')).toBe(true);
    expect(lines[1]).toContain('\u001b[36m#\u001b[39m');
    expect(table).toContain('\u001b[1m\u001b[31m0.91\u001b[39m\u001b[22m');
    expect(table).toContain('\u001b[1m\u001b[31m0.30\u001b[39m\u001b[22m');
    expect(table).toMatch(/ 0\.12 /);
    expect(stripVTControlCharacters(table)).toBe(
      renderTable(GOLDEN_FINDINGS, beaconDetector.tableColumns, 80, false),
    );
  });
});

describe('colorEnabled', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };

  test.each([
    ['terminal', tty, {}, true],
    ['pipe', pipe, {}, false],
    ['NO_COLOR on a terminal', tty, { NO_COLOR: '1' }, false],
    ['empty NO_COLOR on a terminal', tty, { NO_COLOR: '' }, true],
    ['FORCE_COLOR on a pipe', pipe, { FORCE_COLOR: '1' }, true],
    ['FORCE_COLOR=0 on a terminal', tty, { FORCE_COLOR: '0' }, false],
    ['FORCE_COLOR=false on a terminal', tty, { FORCE_COLOR: 'false' }, false],
    ['empty FORCE_COLOR on a pipe', pipe, { FORCE_COLOR: '' }, false],
    ['NO_COLOR beats FORCE_COLOR', tty, { NO_COLOR: '1', FORCE_COLOR: '1' }, false],
    ['TERM=dumb terminal', tty, { TERM: 'dumb' }, false],
    ['CI on a pipe', pipe, { CI: 'true' }, false],
  ])('%s', (_, stream, env, expected) => {
    expect(colorEnabled(stream, env)).toBe(expected);
  });
});

describe('tableWidth', () => {
  test.each([
    ['terminal columns', { isTTY: true, columns: 132 }, { COLUMNS: '100' }, 132],
    ['terminal without columns', { isTTY: true }, { COLUMNS: '100' }, 100],
    ['pipe with COLUMNS', { isTTY: false, columns: 132 }, { COLUMNS: '100' }, 100],
    ['pipe without COLUMNS', { isTTY: false }, {}, 80],
    ['COLUMNS of zero', { isTTY: false }, { COLUMNS: '0' }, 80],
    ['negative COLUMNS', { isTTY: false }, { COLUMNS: '-5' }, 80],
    ['COLUMNS not a number', { isTTY: false }, { COLUMNS: 'wide' }, 80],
    ['fractional COLUMNS', { isTTY: false }, { COLUMNS: '99.5' }, 80],
  ])('%s', (_, stream, env, expected) => {
    expect(tableWidth(stream, env)).toBe(expected);
  });
});
