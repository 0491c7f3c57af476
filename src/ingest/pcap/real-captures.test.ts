/**
 * The pcap reader on public captures. The documented C2 connections must come out with the counts and gaps
 * of the dataset notes. When tshark is installed, the flows, TLS server names and HTTP requests must agree
 * with tshark's reading of the same files.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, test } from 'vitest';

import { groundTruth, HAS_SHARED_DATA, sharedPath, type GroundTruthPair } from '../../../test/shared-data.js';
import { coversPair, type BeaconFinding } from '../../detect/beacon/index.js';
import type { ConnectionEvent } from '../../model/event.js';
import { scan } from '../../scan.js';
import { DuckDbStore } from '../../store/duckdb.js';
import { importFiles } from '../import.js';

const HAS_TSHARK = spawnSync('tshark', ['--version']).status === 0;
const HAS_UNZIP = spawnSync('unzip', ['-v']).status === 0;

if (HAS_SHARED_DATA && !HAS_TSHARK) {
  console.warn('skipping the comparison of the pcap reader with tshark: tshark is not on PATH');
}
if (HAS_SHARED_DATA && !HAS_UNZIP) {
  console.warn('skipping the pcap tests on the Empire captures: the unzip command is not on PATH');
}

const CAPTURE_1 = 'pcap/slips-test-cc/test-cc-capture-1.pcap';
const CAPTURE_2 = 'pcap/slips-test-cc/test-cc-capture-2.pcap';
const QUASAR = 'pcap/quasarrat/09ffabf7-774a-43a3-8c97-68f2046fd385.pcap';

/** The Empire pcaps, unzipped once into a temporary folder. */
let empireFolder: string | null = null;

function empireCaptures(): string[] {
  if (empireFolder === null) {
    empireFolder = mkdtempSync(join(tmpdir(), 'beaconhunt-empire-'));
    execFileSync('unzip', [
      '-q',
      sharedPath('sysmon/otrf-empire-psremoting/network.zip'),
      '-d',
      empireFolder,
    ]);
  }
  const folder = empireFolder;
  return readdirSync(folder)
    .filter((name) => name.endsWith('.cap'))
    .sort()
    .map((name) => join(folder, name));
}

afterAll(() => {
  if (empireFolder !== null) rmSync(empireFolder, { recursive: true, force: true });
});

const loads = new Map<string, Promise<ConnectionEvent[]>>();

/** Imports one capture into a fresh in-memory store and returns its events; each file is read once. */
function eventsOf(path: string): Promise<ConnectionEvent[]> {
  let events = loads.get(path);
  if (events === undefined) {
    events = (async () => {
      const store = await DuckDbStore.open();
      try {
        const summary = (await importFiles(store, [path])).summary();
        expect(summary.files[0]).toMatchObject({ format: 'pcap', status: 'loaded', skipped: 0 });
        return await store.all<ConnectionEvent>('SELECT * FROM events ORDER BY starttime');
      } finally {
        await store.close();
      }
    })();
    loads.set(path, events);
  }
  return events;
}

function between(
  events: readonly ConnectionEvent[],
  pair: Pick<GroundTruthPair, 'src' | 'dst' | 'dport'>,
): ConnectionEvent[] {
  return events.filter(
    (event) =>
      event.sourceip === pair.src && event.destinationip === pair.dst && event.destinationport === pair.dport,
  );
}

function connections(events: readonly ConnectionEvent[]): ConnectionEvent[] {
  return events.filter((event) => event.logsource === 'pcap');
}

function medianGapSeconds(events: readonly ConnectionEvent[]): number {
  const times = events.map((event) => Number(event.starttime)).sort((a, b) => a - b);
  const gaps = times.slice(1).map((time, index) => (time - times[index]!) / 1000);
  gaps.sort((a, b) => a - b);
  const middle = Math.floor(gaps.length / 2);
  return gaps.length % 2 === 1 ? gaps[middle]! : (gaps[middle - 1]! + gaps[middle]!) / 2;
}

describe.skipIf(!HAS_SHARED_DATA)('pcap reader on real captures', () => {
  test('slips test-cc capture 1: curl loop connections', async () => {
    const [pair] = groundTruth('slips-test-cc-1').positives;
    const flows = between(connections(await eventsOf(sharedPath(CAPTURE_1))), pair!);

    expect(flows).toHaveLength(pair!.conns as number);
    expect(new Set(flows.map((flow) => flow.connstate))).toEqual(new Set(['SF']));
    expect(new Set(flows.map((flow) => flow.service))).toEqual(new Set(['ssl']));
    expect(medianGapSeconds(flows)).toBeCloseTo(pair!.measured_median!, 1);
  });

  test('slips test-cc capture 2: random sleep connections', async () => {
    const [pair] = groundTruth('slips-test-cc-2').positives;
    const flows = between(connections(await eventsOf(sharedPath(CAPTURE_2))), pair!);

    expect(flows).toHaveLength(pair!.conns as number);
    expect(medianGapSeconds(flows)).toBeCloseTo(pair!.measured_median!, 1);
  });

  test('QuasarRAT connections and gap', async () => {
    const [pair] = groundTruth('corelight-quasarrat').positives;
    const flows = between(connections(await eventsOf(sharedPath(QUASAR))), pair!);

    expect(flows).toHaveLength(pair!.conns as number);
    expect(medianGapSeconds(flows)).toBeCloseTo(pair!.measured_median!, 1);
  });

  test.skipIf(!HAS_UNZIP)('Empire agents: HTTP requests on keep-alive connections', async () => {
    const dataset = groundTruth('otrf-empire-psremoting');
    const [workstation5, workstation6] = empireCaptures();
    const expectations = [
      [workstation5!, dataset.positives[0]!],
      [workstation6!, dataset.positives[1]!],
    ] as const;
    for (const [path, pair] of expectations) {
      const requests = between(await eventsOf(path), pair).filter((event) => event.uri !== null);
      const expected = (pair as GroundTruthPair & { http_requests: number }).http_requests;

      expect(requests).toHaveLength(expected);
      expect(new Set(requests.map((request) => request.servername))).toEqual(new Set(['10.10.10.5']));
      expect(medianGapSeconds(requests)).toBeCloseTo(pair.measured_median!, 1);
      // All requests travel on one connection, so most events are the connection's later requests.
      expect(requests.filter((request) => request.logsource === 'pcap:http-request')).toHaveLength(
        expected - 1,
      );
    }
  });

  test('scan ranks the capture 1 C2 pair in the top 3', async () => {
    const [pair] = groundTruth('slips-test-cc-1').positives;
    const result = await scan({ paths: [sharedPath(CAPTURE_1)], detector: 'beacon' });
    const finding = (result.findings as BeaconFinding[]).find((entry) =>
      coversPair(entry, pair!.src, pair!.dst, pair!.dport),
    );

    expect(finding).toBeDefined();
    expect(finding!.rank).toBeLessThanOrEqual(3);
  });
});

/** Builds the key of an unordered pair of endpoints, as tshark lists a conversation. */
function conversationKey(a: string, b: string): string {
  return [a, b].sort().join(' <-> ');
}

/**
 * Reads tshark's conversation table: one "address:port <-> address:port" line per conversation. tshark
 * 4.0 lists each TCP stream on its own line, so a 5-tuple reused after a close appears twice.
 */
function tsharkConversations(path: string, protocol: 'tcp' | 'udp'): string[] {
  const output = execFileSync('tshark', ['-n', '-r', path, '-q', '-z', `conv,${protocol}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const pairs: string[] = [];
  for (const line of output.split('\n')) {
    const [first, arrow, second] = line.trim().split(/\s+/);
    if (arrow === '<->' && first !== undefined && second !== undefined)
      pairs.push(conversationKey(first, second));
  }
  return pairs.sort();
}

/** Runs tshark with a display filter and returns each matching packet's fields. */
function tsharkFields(path: string, filter: string, fields: readonly string[]): string[][] {
  const output = execFileSync(
    'tshark',
    [
      '-n',
      '-r',
      path,
      '-Y',
      filter,
      '-T',
      'fields',
      '-E',
      'separator=\t',
      ...fields.flatMap((field) => ['-e', field]),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 },
  );
  return output
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t'));
}

/** Builds a packet's 5-tuple from its ip.src, ipv6.src, port, ip.dst, ipv6.dst and port fields. */
function tupleOf(fields: readonly string[]): string {
  const [ipSource, ipv6Source, sourcePort, ipDestination, ipv6Destination, destinationPort] = fields;
  return `${ipSource || ipv6Source}:${sourcePort} > ${ipDestination || ipv6Destination}:${destinationPort}`;
}

function eventTuple(event: ConnectionEvent): string {
  return `${event.sourceip}:${event.sourceport} > ${event.destinationip}:${event.destinationport}`;
}

const ENDPOINT_FIELDS = ['ip.src', 'ipv6.src', 'tcp.srcport', 'ip.dst', 'ipv6.dst', 'tcp.dstport'];

describe.skipIf(!HAS_SHARED_DATA || !HAS_TSHARK)('pcap reader agrees with tshark', () => {
  const captures = (): string[] => [
    sharedPath(CAPTURE_1),
    sharedPath(CAPTURE_2),
    sharedPath(QUASAR),
    ...(HAS_UNZIP ? empireCaptures() : []),
  ];

  test('same TCP connections and UDP conversations', async () => {
    for (const path of captures()) {
      const flows = connections(await eventsOf(path));
      const ours = (protocol: string): string[] =>
        flows
          .filter((flow) => flow.protocol === protocol)
          .map((flow) =>
            conversationKey(
              `${flow.sourceip}:${flow.sourceport}`,
              `${flow.destinationip}:${flow.destinationport}`,
            ),
          )
          .sort();

      // One flow per TCP stream, including streams that reuse a 5-tuple.
      expect({ path, tcp: ours('tcp') }).toEqual({ path, tcp: tsharkConversations(path, 'tcp') });
      // tshark never times a UDP conversation out, while a UDP flow ends after 60 s idle, so only the sets
      // of 5-tuples are the same.
      expect({ path, udp: [...new Set(ours('udp'))].sort() }).toEqual({
        path,
        udp: [...new Set(tsharkConversations(path, 'udp'))].sort(),
      });
    }
  });

  test('same TLS server names', async () => {
    for (const path of captures()) {
      const theirs = new Set(
        tsharkFields(path, 'tls.handshake.type == 1', [
          ...ENDPOINT_FIELDS,
          'tls.handshake.extensions_server_name',
        ])
          .filter((fields) => fields[6] !== '' && fields[6] !== undefined)
          .map((fields) => `${tupleOf(fields)} ${fields[6]}`),
      );
      const ours = new Set(
        connections(await eventsOf(path))
          .filter((flow) => flow.service === 'ssl' && flow.servername !== null)
          .map((flow) => `${eventTuple(flow)} ${flow.servername}`),
      );

      expect({ path, names: [...ours].sort() }).toEqual({ path, names: [...theirs].sort() });
    }
  });

  test('same HTTP requests and hosts', async () => {
    for (const path of captures()) {
      // tshark also shows SSDP's HTTP-like requests over UDP, which are not HTTP connections.
      const theirs = tsharkFields(path, 'http.request && tcp', [
        ...ENDPOINT_FIELDS,
        'http.host',
        'http.request.uri',
      ]).map((fields) => `${tupleOf(fields)} ${fields[6]?.replace(/:\d+$/, '')} ${fields[7]}`);
      const ours = (await eventsOf(path))
        .filter((event) => event.uri !== null)
        .map((event) => `${eventTuple(event)} ${event.servername} ${event.uri}`);

      expect({ path, requests: ours.sort() }).toEqual({ path, requests: theirs.sort() });
    }
  });
});
