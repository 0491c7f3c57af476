import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterEach, describe, expect, test } from 'vitest';

import {
  ACK,
  dnsQuery,
  ethernet,
  httpRequest,
  ipPacket,
  nullLoopback,
  pcapFile,
  pcapngFile,
  PROTOCOL_TCP,
  RST,
  sll,
  sll2,
  SYN,
  TcpConversation,
  tcpSegment,
  tlsClientHello,
  udpPacket,
  type TimedPacket,
  type WrittenPacket,
} from '../../../test/pcap-writer.js';
import type { ConnectionEvent } from '../../model/event.js';
import { LocalNetworks } from '../../net/locality.js';
import { DuckDbStore } from '../../store/duckdb.js';
import { detectFormat } from '../formats.js';
import { importFiles } from '../import.js';
import { IngestReport } from '../report.js';
import { sniffFile } from '../sniff.js';
import { pcapFormat } from './format.js';
import { TCP_INACTIVITY_TIMEOUT_MICROS, UDP_INACTIVITY_TIMEOUT_MICROS } from './flows.js';

const stores: DuckDbStore[] = [];
const folders: string[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

/** 2024-04-19T10:00:00Z in epoch microseconds. */
const T0 = 1_713_520_800_000_000;

async function writeTemp(name: string, content: Buffer): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-pcap-'));
  folders.push(folder);
  const path = join(folder, name);
  await writeFile(path, content);
  return path;
}

async function load(path: string) {
  const store = await DuckDbStore.open();
  stores.push(store);
  const report = new IngestReport();
  const sample = await sniffFile(path);
  const result = await pcapFormat.load({ store, sample, report, localNetworks: new LocalNetworks() });
  const events = await store.all<ConnectionEvent>('SELECT * FROM events ORDER BY starttime, sourceline, uid');
  return { result, report: report.summary(), events, sample };
}

async function loadBuffer(content: Buffer, name = 'capture.pcap') {
  return load(await writeTemp(name, content));
}

/** Wraps timed IP packets in Ethernet frames for a classic pcap file. */
function ethernetPackets(packets: readonly TimedPacket[]): WrittenPacket[] {
  return packets.map((packet) => ({ timeMicros: packet.timeMicros, data: ethernet(packet.ip) }));
}

function ethernetPcap(packets: readonly TimedPacket[]): Buffer {
  return pcapFile({ linkType: 1 }, ethernetPackets(packets));
}

describe('pcap detection', () => {
  test('sniffer lets captures through', async () => {
    const conversation = new TcpConversation('10.0.0.1', 40000, '10.0.0.2', 80, T0).handshake();
    const classic = await writeTemp('a.bin', ethernetPcap(conversation.packets));
    const next = await writeTemp(
      'b.bin',
      pcapngFile({ interfaces: [{ linkType: 1 }] }, ethernetPackets(conversation.packets)),
    );
    const gzipped = await writeTemp('c.pcap.gz', gzipSync(ethernetPcap(conversation.packets)));

    const samples = await Promise.all([classic, next, gzipped].map((path) => sniffFile(path)));
    expect(samples.map((sample) => sample.binaryFormat)).toEqual(['pcap', 'pcapng', 'pcap']);
    expect(samples.map((sample) => detectFormat(sample)?.id)).toEqual(['pcap', 'pcap', 'pcap']);
  });

  test('other binary files are still rejected', async () => {
    const path = await writeTemp('random.bin', Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 0, 0, 7, 8]));
    await expect(sniffFile(path)).rejects.toThrow(/binary content/);
  });
});

describe('pcap link layers', () => {
  const conversation = new TcpConversation('192.0.2.10', 51000, '198.51.100.20', 8080, T0)
    .handshake()
    .close();

  test.each([
    ['Ethernet', 1, (ip: Buffer) => ethernet(ip)],
    ['802.1Q VLAN', 1, (ip: Buffer) => ethernet(ip, [[0x8100, 42]])],
    [
      'QinQ',
      1,
      (ip: Buffer) =>
        ethernet(ip, [
          [0x88a8, 100],
          [0x8100, 42],
        ]),
    ],
    ['Linux SLL', 113, (ip: Buffer) => sll(ip)],
    ['Linux SLL2', 276, (ip: Buffer) => sll2(ip)],
    ['LINKTYPE_RAW', 101, (ip: Buffer) => ip],
    ['DLT_RAW 12', 12, (ip: Buffer) => ip],
    ['NULL little-endian', 0, (ip: Buffer) => nullLoopback(ip)],
    ['NULL big-endian', 0, (ip: Buffer) => nullLoopback(ip, true)],
  ] as const)('%s frames load', async (_name, linkType, frame) => {
    const packets = conversation.packets.map((packet) => ({
      timeMicros: packet.timeMicros,
      data: frame(packet.ip),
    }));
    const { events, result } = await loadBuffer(pcapFile({ linkType }, packets));

    expect(result.skipped).toBe(0);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      sourceip: '192.0.2.10',
      sourceport: 51000,
      destinationip: '198.51.100.20',
      destinationport: 8080,
      protocol: 'tcp',
      connstate: 'SF',
      starttime: T0 / 1000,
      sourceline: 1,
    });
  });

  test('unsupported link type fails the file', async () => {
    const path = await writeTemp(
      'wifi.pcap',
      pcapFile({ linkType: 105 }, [{ timeMicros: T0, data: Buffer.alloc(40) }]),
    );
    await expect(load(path)).rejects.toThrow(/link type 105 is not supported/);
  });
});

describe('pcap flows', () => {
  test('IPv6 with extension headers', async () => {
    const hopByHop = Buffer.alloc(6);
    const destinationOptions = Buffer.alloc(14);
    const segment = tcpSegment({ sourcePort: 50000, destinationPort: 443, sequence: 1, flags: SYN });
    const ip = ipPacket({
      source: '2001:db8::1',
      destination: '2001:db8:0:1::443',
      protocol: PROTOCOL_TCP,
      payload: segment,
      extensionHeaders: [
        [0, hopByHop],
        [60, destinationOptions],
      ],
    });
    const { events } = await loadBuffer(pcapFile({ linkType: 1 }, [{ timeMicros: T0, data: ethernet(ip) }]));

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      sourceip: '2001:db8::1',
      destinationip: '2001:db8:0:1::443',
      destinationport: 443,
      connstate: 'S0',
    });
  });

  test('IPv6 fragments after the first are not used', async () => {
    const first = udpPacket('2001:db8::1', 5000, '2001:db8::2', 6000, Buffer.alloc(16));
    const later = ipPacket({
      source: '2001:db8::1',
      destination: '2001:db8::2',
      protocol: 17,
      payload: Buffer.alloc(24, 0x55),
      // Fragment header body: offset 185 (in 8-byte units), no more fragments, identification.
      extensionHeaders: [[44, Buffer.from([0x05, 0xc8, 0, 0, 0, 1])]],
    });
    const { events, result } = await loadBuffer(
      pcapFile({ linkType: 101 }, [
        { timeMicros: T0, data: first },
        { timeMicros: T0 + 1, data: later },
      ]),
    );

    expect(events).toHaveLength(1);
    expect(result.skipped).toBe(0);
    expect(result.message).toMatch(/1 of 2 packets carry no TCP or UDP/);
  });

  test.each([
    ['S0', (c: TcpConversation) => c.syn()],
    ['REJ', (c: TcpConversation) => c.syn().reset(false)],
    ['S1', (c: TcpConversation) => c.handshake().clientSends(Buffer.from('hello'))],
    ['SF', (c: TcpConversation) => c.handshake().clientSends(Buffer.from('hello')).close()],
    ['RSTO', (c: TcpConversation) => c.handshake().clientSends(Buffer.from('hello')).reset(true)],
    ['RSTR', (c: TcpConversation) => c.handshake().serverSends(Buffer.from('hello')).reset(false)],
    ['RSTOS0', (c: TcpConversation) => c.syn().reset(true)],
    ['SH', (c: TcpConversation) => c.syn().wait(1).close()],
  ] as const)('TCP handshake gives %s', async (state, build) => {
    const conversation = build(new TcpConversation('10.1.1.1', 40001, '10.2.2.2', 443, T0));
    // SH: only the SYN and the client's FIN; drop the server's packets that close() adds.
    const packets =
      state === 'SH'
        ? conversation.packets.filter((packet) => packet.ip.readUInt8(15) === 1)
        : conversation.packets;
    const { events } = await loadBuffer(ethernetPcap(packets));

    expect(events).toHaveLength(1);
    expect(events[0]!.connstate).toBe(state);
  });

  test('midstream TCP without SYN is OTH', async () => {
    const conversation = new TcpConversation('10.1.1.1', 40001, '10.2.2.2', 9000, T0)
      .handshake()
      .clientSends(Buffer.from('abc'))
      .serverSends(Buffer.from('defgh'));
    const { events } = await loadBuffer(ethernetPcap(conversation.packets.slice(3)));

    expect(events[0]).toMatchObject({
      connstate: 'OTH',
      sourceip: '10.1.1.1',
      sourcebytes: 3,
      destinationbytes: 5,
    });
  });

  test('SYN-ACK seen first keeps the client as source', async () => {
    const conversation = new TcpConversation('10.1.1.1', 40001, '10.2.2.2', 9000, T0).handshake().close();
    const { events } = await loadBuffer(ethernetPcap(conversation.packets.slice(1)));

    expect(events[0]).toMatchObject({
      sourceip: '10.1.1.1',
      destinationip: '10.2.2.2',
      destinationport: 9000,
    });
  });

  test('byte counts, duration and retransmissions', async () => {
    const conversation = new TcpConversation('10.1.1.1', 40001, '10.2.2.2', 9000, T0, 250_000)
      .handshake()
      .clientSends(Buffer.alloc(3000, 0x41), 1000)
      .serverSends(Buffer.alloc(700, 0x42))
      .close();
    // The client's second data segment, sent twice.
    const packets = [...conversation.packets];
    packets.splice(5, 0, packets[4]!);
    const { events } = await loadBuffer(ethernetPcap(packets));

    expect(events[0]).toMatchObject({ sourcebytes: 3000, destinationbytes: 700, connstate: 'SF' });
    expect(events[0]!.duration).toBeCloseTo((conversation.packets.length - 1) * 0.25, 6);
  });

  test('new SYN after close splits the flow', async () => {
    const first = new TcpConversation('10.1.1.1', 40001, '10.2.2.2', 9000, T0).handshake().close();
    const second = new TcpConversation(
      '10.1.1.1',
      40001,
      '10.2.2.2',
      9000,
      T0 + 2_000_000,
      1000,
      [9000, 7000],
    )
      .handshake()
      .close();
    const { events } = await loadBuffer(ethernetPcap([...first.packets, ...second.packets]));

    expect(events).toHaveLength(2);
    expect(events.map((event) => event.connstate)).toEqual(['SF', 'SF']);
    expect(events.map((event) => event.starttime)).toEqual([T0 / 1000, T0 / 1000 + 2000]);
    expect(new Set(events.map((event) => event.uid)).size).toBe(2);
  });

  test('new SYN with the same sequence after close splits the flow', async () => {
    // Generated traffic often reuses the initial sequence number; after both FINs it is a new connection.
    const first = new TcpConversation('10.1.1.1', 40001, '10.2.2.2', 9000, T0).handshake().close();
    const second = new TcpConversation('10.1.1.1', 40001, '10.2.2.2', 9000, T0 + 60_000_000)
      .handshake()
      .close();
    const { events } = await loadBuffer(ethernetPcap([...first.packets, ...second.packets]));

    expect(events).toHaveLength(2);
    expect(events.map((event) => event.starttime)).toEqual([T0 / 1000, T0 / 1000 + 60_000]);
  });

  test('retransmitted SYN stays one attempt', async () => {
    const conversation = new TcpConversation('10.1.1.1', 40001, '10.2.2.2', 9000, T0).syn();
    const retransmission = { ...conversation.packets[0]!, timeMicros: T0 + 1_000_000 };
    const { events } = await loadBuffer(ethernetPcap([...conversation.packets, retransmission]));

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ connstate: 'S0', duration: 1 });
  });

  test('idle TCP flow ends after the inactivity timeout', async () => {
    const conversation = new TcpConversation('10.1.1.1', 40001, '10.2.2.2', 9000, T0)
      .handshake()
      .clientSends(Buffer.from('a'))
      .wait(TCP_INACTIVITY_TIMEOUT_MICROS + 1_000_000)
      .clientSends(Buffer.from('b'));
    const { events } = await loadBuffer(ethernetPcap(conversation.packets));

    expect(events.map((event) => event.connstate)).toEqual(['S1', 'OTH']);
  });

  test('UDP states and idle split', async () => {
    const query = dnsQuery('example.org');
    const packets: TimedPacket[] = [
      { timeMicros: T0, ip: udpPacket('10.0.0.5', 33333, '10.0.0.53', 53, query) },
      {
        timeMicros: T0 + 20_000,
        ip: udpPacket('10.0.0.53', 53, '10.0.0.5', 33333, Buffer.concat([query, Buffer.alloc(16)])),
      },
      { timeMicros: T0 + 1_000, ip: udpPacket('10.0.0.5', 44444, '203.0.113.9', 9999, Buffer.alloc(10)) },
      {
        timeMicros: T0 + UDP_INACTIVITY_TIMEOUT_MICROS + 5_000_000,
        ip: udpPacket('10.0.0.5', 44444, '203.0.113.9', 9999, Buffer.alloc(12)),
      },
    ];
    const { events } = await loadBuffer(ethernetPcap(packets));

    expect(
      events.map((event) => [
        event.destinationport,
        event.connstate,
        event.sourcebytes,
        event.destinationbytes,
      ]),
    ).toEqual([
      [53, 'SF', query.length, query.length + 16],
      [9999, 'S0', 10, 0],
      [9999, 'S0', 12, 0],
    ]);
  });

  test('DNS query name becomes the server name', async () => {
    const { events } = await loadBuffer(
      ethernetPcap([
        { timeMicros: T0, ip: udpPacket('10.0.0.5', 33333, '10.0.0.53', 53, dnsQuery('c2.example.net')) },
      ]),
    );

    expect(events[0]).toMatchObject({ service: 'dns', servername: 'c2.example.net', protocol: 'udp' });
  });

  test('uid is stable across imports', async () => {
    const conversation = new TcpConversation('10.1.1.1', 40001, '10.2.2.2', 9000, T0).handshake();
    const capture = ethernetPcap(conversation.packets);
    const first = await loadBuffer(capture, 'one.pcap');
    const second = await loadBuffer(capture, 'two.pcap');

    expect(first.events[0]!.uid).toMatch(/^P[A-Za-z0-9_-]{16}$/);
    expect(second.events[0]!.uid).toBe(first.events[0]!.uid);
  });
});

describe('pcap application layer', () => {
  test('TLS SNI from a hello split across two segments', async () => {
    const hello = tlsClientHello('beacon.example.com', 600);
    const conversation = new TcpConversation('10.1.1.1', 40001, '203.0.113.5', 443, T0)
      .handshake()
      .clientSends(hello, 300)
      .serverSends(Buffer.alloc(100))
      .close();
    const { events } = await loadBuffer(ethernetPcap(conversation.packets));

    expect(hello.length).toBeGreaterThan(600);
    expect(events[0]).toMatchObject({
      service: 'ssl',
      servername: 'beacon.example.com',
      sourcebytes: hello.length,
    });
  });

  test('TLS hello segments out of order', async () => {
    const conversation = new TcpConversation('10.1.1.1', 40001, '203.0.113.5', 8443, T0)
      .handshake()
      .clientSends(tlsClientHello('reordered.example.com', 1000), 700);
    const packets = [...conversation.packets];
    [packets[3], packets[4]] = [packets[4]!, packets[3]!];
    const { events } = await loadBuffer(ethernetPcap(packets));

    expect(events[0]).toMatchObject({ service: 'ssl', servername: 'reordered.example.com' });
  });

  test('HTTP keep-alive with three requests', async () => {
    const headers = (n: number) => ({
      Host: 'c2.example.com:8080',
      'User-Agent': `agent/${n}`,
      'Content-Length': '5',
    });
    const conversation = new TcpConversation('10.1.1.1', 40001, '203.0.113.5', 8080, T0)
      .handshake()
      .clientSends(httpRequest('POST', '/a', headers(1), 'hello'))
      .serverSends(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'))
      .wait(5_000_000)
      .clientSends(httpRequest('POST', '/b', headers(2), 'hello'))
      .serverSends(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'))
      .wait(5_000_000)
      .clientSends(httpRequest('GET', '/c?x=1', { Host: 'c2.example.com', 'User-Agent': 'agent/3' }))
      .close();
    const { events } = await loadBuffer(ethernetPcap(conversation.packets));

    expect(events).toHaveLength(3);
    const [connection, second, third] = events;
    expect(connection).toMatchObject({
      logsource: 'pcap',
      service: 'http',
      servername: 'c2.example.com',
      uri: '/a',
      useragent: 'agent/1',
      connstate: 'SF',
    });
    expect(second).toMatchObject({
      logsource: 'pcap:http-request',
      service: 'http',
      servername: 'c2.example.com',
      uri: '/b',
      useragent: 'agent/2',
      sourceport: 40001,
      destinationport: 8080,
      uid: `${connection!.uid}-2`,
    });
    expect(third).toMatchObject({ uri: '/c?x=1', useragent: 'agent/3', uid: `${connection!.uid}-3` });
    expect(second!.starttime - connection!.starttime).toBeGreaterThan(5000);
    expect(third!.starttime - second!.starttime).toBeGreaterThan(5000);
  });

  test('HTTP request split across segments', async () => {
    const request = httpRequest('GET', '/long', {
      Host: 'split.example.com',
      'User-Agent': 'x'.repeat(3000),
    });
    const conversation = new TcpConversation('10.1.1.1', 40001, '203.0.113.5', 80, T0)
      .handshake()
      .clientSends(request, 1000);
    const { events } = await loadBuffer(ethernetPcap(conversation.packets));

    expect(events[0]).toMatchObject({ service: 'http', servername: 'split.example.com', uri: '/long' });
  });
});

describe('pcap damaged files', () => {
  const conversation = new TcpConversation('10.1.1.1', 40001, '10.2.2.2', 9000, T0)
    .handshake()
    .clientSends(Buffer.from('x'))
    .close();

  test('truncated file loads what it can', async () => {
    const capture = ethernetPcap(conversation.packets);
    const { events, result, report } = await loadBuffer(capture.subarray(0, capture.length - 20));

    // Only the last ACK is cut off, so both FINs were read.
    expect(events).toHaveLength(1);
    expect(events[0]!.connstate).toBe('SF');
    expect(result.skipped).toBe(1);
    expect(result.message).toMatch(/truncated capture: the file ends inside packet record 7/);
    expect(report.samples[0]).toMatchObject({ line: 7, reason: 'record cut off by the end of the file' });
  });

  test('garbage packet is skipped with its record number', async () => {
    const packets = ethernetPackets(conversation.packets);
    packets.splice(2, 0, { timeMicros: T0 + 1500, data: Buffer.from('not a frame') });
    const { events, result, report } = await loadBuffer(pcapFile({ linkType: 1 }, packets));

    expect(events).toHaveLength(1);
    expect(events[0]!.connstate).toBe('SF');
    expect(result.skipped).toBe(1);
    expect(report.samples[0]).toMatchObject({ line: 3, reason: 'truncated Ethernet header' });
  });

  test('corrupt record header stops reading', async () => {
    const capture = ethernetPcap(conversation.packets);
    // The third record's captured length (record headers are 16 bytes, frames 60 or more).
    const third = 24 + 2 * (16 + 60);
    capture.writeUInt32LE(0x7fffffff, third + 8);
    const { events, result, report } = await loadBuffer(capture);

    // SYN and SYN-ACK were read before the corrupt record.
    expect(events).toHaveLength(1);
    expect(events[0]!.connstate).toBe('S1');
    expect(result.message).toMatch(/packet record 3 at byte 176 claims 2147483647 captured bytes/);
    expect(report.samples[0]).toMatchObject({ line: 3, reason: 'invalid record header' });
  });

  test('file shorter than its header fails', async () => {
    const path = await writeTemp('short.pcap', ethernetPcap([]).subarray(0, 10));
    await expect(load(path)).rejects.toThrow(/ends inside the pcap file header/);
  });

  test('truncated gzip capture reports the damage', async () => {
    const compressed = gzipSync(ethernetPcap(conversation.packets));
    const path = await writeTemp('cut.pcap.gz', compressed.subarray(0, compressed.length - 30));
    const store = await DuckDbStore.open();
    stores.push(store);
    const summary = (await importFiles(store, [path])).summary();

    expect(summary.files[0]).toMatchObject({ format: 'pcap', status: 'loaded' });
    expect(summary.files[0]!.message).toMatch(/gzip data is truncated or corrupt/);
  });
});

describe('pcap file variants', () => {
  const conversation = new TcpConversation('10.1.1.1', 40001, '10.2.2.2', 9000, T0 + 123_456)
    .handshake()
    .clientSends(Buffer.from('ping'))
    .close();

  test.each([
    ['big-endian microseconds', { bigEndian: true }],
    ['little-endian nanoseconds', { nanoseconds: true }],
    ['big-endian nanoseconds', { bigEndian: true, nanoseconds: true }],
  ] as const)('classic pcap, %s', async (_name, options) => {
    const { events } = await loadBuffer(
      pcapFile({ linkType: 1, ...options }, ethernetPackets(conversation.packets)),
    );

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      starttime: Math.round((T0 + 123_456) / 1000),
      connstate: 'SF',
      sourcebytes: 4,
    });
  });

  test('gzip-compressed capture', async () => {
    const { events } = await loadBuffer(gzipSync(ethernetPcap(conversation.packets)), 'capture.pcap.gz');

    expect(events).toHaveLength(1);
    expect(events[0]!.connstate).toBe('SF');
  });

  test('pcapng with interfaces of different link types and resolutions', async () => {
    const other = new TcpConversation('192.0.2.1', 50000, '192.0.2.2', 22, T0 + 2_500_000).handshake();
    const raw = new TcpConversation('192.0.2.7', 50001, '192.0.2.8', 25, T0 + 7_000_000).syn();
    const packets: WrittenPacket[] = [
      ...conversation.packets.map((packet) => ({
        timeMicros: packet.timeMicros,
        data: ethernet(packet.ip),
        interfaceId: 0,
      })),
      ...other.packets.map((packet) => ({
        timeMicros: packet.timeMicros,
        data: sll(packet.ip),
        interfaceId: 1,
      })),
      ...raw.packets.map((packet) => ({ timeMicros: packet.timeMicros, data: packet.ip, interfaceId: 2 })),
    ];
    for (const bigEndian of [false, true]) {
      const capture = pcapngFile(
        {
          bigEndian,
          interfaces: [
            { linkType: 1 },
            { linkType: 113, tsresol: 9 },
            { linkType: 101, tsresol: 0x80 | 10, tsoffset: 1_000_000 },
          ],
        },
        packets,
      );
      const { events, result } = await loadBuffer(capture, 'multi.pcapng');

      expect(result.skipped).toBe(0);
      expect(events.map((event) => [event.destinationport, event.connstate, event.starttime])).toEqual([
        [9000, 'SF', Math.round((T0 + 123_456) / 1000)],
        [22, 'S1', (T0 + 2_500_000) / 1000],
        [25, 'S0', (T0 + 7_000_000) / 1000],
      ]);
    }
  });

  test('pcapng with an unsupported link type fails the file', async () => {
    const capture = pcapngFile({ interfaces: [{ linkType: 1 }, { linkType: 105 }] }, [
      ...ethernetPackets(conversation.packets),
      { timeMicros: T0, data: Buffer.alloc(40), interfaceId: 1 },
    ]);
    const path = await writeTemp('wifi.pcapng', capture);
    const packetRecord = conversation.packets.length + 1;

    await expect(load(path)).rejects.toThrow(
      new RegExp(
        `^${path}: pcapng link type 105 \\(the interface of packet record ${packetRecord}\\) is not supported; supported link types: 0 `,
      ),
    );
    const store = await DuckDbStore.open();
    stores.push(store);
    await expect(importFiles(store, [path])).rejects.toThrow(/link type 105/);
    const [count] = await store.all<{ events: number }>('SELECT count(*)::INTEGER AS events FROM events');
    expect(count?.events).toBe(0);
  });

  test('pcapng interface of an unsupported link type without packets is harmless', async () => {
    const capture = pcapngFile(
      { interfaces: [{ linkType: 1 }, { linkType: 105 }] },
      ethernetPackets(conversation.packets),
    );
    const { events, result } = await loadBuffer(capture, 'unused.pcapng');

    expect(result.skipped).toBe(0);
    expect(events).toHaveLength(1);
  });

  test('pcapng packet of an undefined interface is skipped', async () => {
    const capture = pcapngFile({ interfaces: [{ linkType: 1 }] }, [
      ...ethernetPackets(conversation.packets),
      { timeMicros: T0, data: ethernet(conversation.packets[0]!.ip), interfaceId: 0 },
    ]);
    // Point the last Enhanced Packet Block at interface 3, which the file never defines.
    const lastBlock = capture.lastIndexOf(Buffer.from([6, 0, 0, 0]));
    capture.writeUInt32LE(3, lastBlock + 8);
    const { events, report } = await loadBuffer(capture, 'undefined.pcapng');

    expect(events).toHaveLength(1);
    expect(report.skippedByReason).toEqual({ 'packet of an undefined interface': 1 });
  });
});

describe('pcap import', () => {
  test('import summary and direction', async () => {
    const conversation = new TcpConversation('10.1.1.1', 40001, '203.0.113.5', 443, T0)
      .handshake()
      .clientSends(tlsClientHello('beacon.example.com'))
      .close();
    const path = await writeTemp('c2.pcap', ethernetPcap(conversation.packets));
    const store = await DuckDbStore.open();
    stores.push(store);
    const summary = (await importFiles(store, [path])).summary();
    const [event] = await store.all<ConnectionEvent>('SELECT * FROM events');

    expect(summary.files[0]).toMatchObject({ format: 'pcap', status: 'loaded', events: 1, skipped: 0 });
    expect(event).toMatchObject({
      eventdirection: 'L2R',
      servername: 'beacon.example.com',
      logsource: 'pcap',
    });
  });

  test('RST from the server on a fresh SYN after REJ', async () => {
    const attempts: TimedPacket[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const conversation = new TcpConversation(
        '10.1.1.1',
        40001,
        '10.2.2.2',
        5888,
        T0 + attempt * 500_000,
        1000,
        [100 + attempt * 1000, 0],
      ).syn();
      attempts.push(...conversation.packets);
      attempts.push({
        timeMicros: T0 + attempt * 500_000 + 100,
        ip: ipPacket({
          source: '10.2.2.2',
          destination: '10.1.1.1',
          protocol: PROTOCOL_TCP,
          payload: tcpSegment({
            sourcePort: 5888,
            destinationPort: 40001,
            sequence: 0,
            acknowledgment: 101 + attempt * 1000,
            flags: RST | ACK,
          }),
        }),
      });
    }
    const { events } = await loadBuffer(ethernetPcap(attempts));

    expect(events.map((event) => event.connstate)).toEqual(['REJ', 'REJ', 'REJ']);
  });
});
