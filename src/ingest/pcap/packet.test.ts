import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import {
  ethernet,
  ipPacket,
  nullLoopback,
  parseAddress,
  PROTOCOL_TCP,
  sll,
  sll2,
  SYN,
  tcpSegment,
  udpPacket,
} from '../../../test/pcap-writer.js';
import { formatAddress } from './ip.js';
import { SUPPORTED_LINK_TYPES } from './link.js';
import { decodePacket, type TransportPacket } from './packet.js';

const tcp = ipPacket({
  source: '192.0.2.1',
  destination: '198.51.100.2',
  protocol: PROTOCOL_TCP,
  payload: tcpSegment({
    sourcePort: 1234,
    destinationPort: 443,
    sequence: 0xfffffff0,
    flags: SYN,
    payload: Buffer.from('data'),
  }),
});

function transport(linkType: number, frame: Buffer): TransportPacket {
  const decoded = decodePacket(linkType, frame);
  if (decoded.kind !== 'transport') throw new Error(`not decoded: ${JSON.stringify(decoded)}`);
  return decoded;
}

describe('decodePacket', () => {
  test.each([
    ['Ethernet', 1, ethernet(tcp)],
    ['VLAN', 1, ethernet(tcp, [[0x8100, 7]])],
    [
      'QinQ 88a8',
      1,
      ethernet(tcp, [
        [0x88a8, 1],
        [0x8100, 7],
      ]),
    ],
    [
      'QinQ 9100',
      1,
      ethernet(tcp, [
        [0x9100, 1],
        [0x8100, 7],
      ]),
    ],
    ['SLL', 113, sll(tcp)],
    ['SLL2', 276, sll2(tcp)],
    ['RAW', 101, tcp],
    ['DLT_RAW', 12, tcp],
    ['IPv4', 228, tcp],
    ['NULL', 0, nullLoopback(tcp)],
    ['LOOP', 108, nullLoopback(tcp, true)],
  ] as const)('%s frame', (_name, linkType, frame) => {
    const decoded = transport(linkType, frame);

    expect(formatAddress(decoded.source)).toBe('192.0.2.1');
    expect(formatAddress(decoded.destination)).toBe('198.51.100.2');
    expect(decoded).toMatchObject({ protocol: 'tcp', sourcePort: 1234, destinationPort: 443, flags: SYN });
    expect(decoded.sequence).toBe(0xfffffff0);
    expect(decoded.payload.toString()).toBe('data');
    expect(decoded.payloadLength).toBe(4);
  });

  test('Ethernet padding is not payload', () => {
    const small = udpPacket('10.0.0.1', 1, '10.0.0.2', 2, Buffer.from('x'));
    const decoded = transport(1, ethernet(small));

    expect(decoded.payload.toString()).toBe('x');
    expect(decoded.payloadLength).toBe(1);
  });

  test('snap length shorter than the packet', () => {
    const frame = ethernet(udpPacket('10.0.0.1', 1, '10.0.0.2', 2, Buffer.alloc(1000, 0x61)));
    const decoded = transport(1, frame.subarray(0, 14 + 20 + 8 + 10));

    expect(decoded.payload.length).toBe(10);
    expect(decoded.payloadLength).toBe(1000);
  });

  test('IPv6 over SLL2 with a fragment header of a first fragment', () => {
    const ip = ipPacket({
      source: 'fe80::1',
      destination: 'ff02::fb',
      protocol: 17,
      payload: Buffer.from('0014e9140010000068656c6c6f', 'hex'),
      extensionHeaders: [[44, Buffer.from([0, 1, 0, 0, 0, 9])]],
    });
    const decoded = transport(276, sll2(ip));

    expect(formatAddress(decoded.source)).toBe('fe80::1');
    expect(formatAddress(decoded.destination)).toBe('ff02::fb');
    expect(decoded).toMatchObject({
      protocol: 'udp',
      sourcePort: 20,
      destinationPort: 59668,
      payloadLength: 8,
    });
  });

  test.each([
    ['ARP', 1, Buffer.concat([Buffer.alloc(12), Buffer.from([0x08, 0x06]), Buffer.alloc(28)]), 'ARP'],
    [
      'STP over LLC',
      1,
      Buffer.concat([Buffer.alloc(12), Buffer.from([0x00, 0x26]), Buffer.alloc(38)]),
      '802.3 LLC',
    ],
    [
      'ICMP',
      101,
      ipPacket({ source: '10.0.0.1', destination: '10.0.0.2', protocol: 1, payload: Buffer.alloc(8) }),
      'ICMP',
    ],
    [
      'IPv4 later fragment',
      101,
      ipPacket({
        source: '10.0.0.1',
        destination: '10.0.0.2',
        protocol: 17,
        payload: Buffer.alloc(8),
        fragmentOffset: 3,
      }),
      'IP fragment after the first',
    ],
  ] as const)('%s is not used', (_name, linkType, frame, protocol) => {
    expect(decodePacket(linkType, frame)).toEqual({ kind: 'other', protocol });
  });

  test.each([
    ['short Ethernet', 1, Buffer.alloc(10), 'truncated Ethernet header'],
    ['short IPv4', 101, Buffer.from([0x45, 0, 0]), 'truncated IPv4 header'],
    [
      'IPv4 header length 4',
      101,
      Buffer.concat([Buffer.from([0x41]), Buffer.alloc(30)]),
      'invalid IPv4 header length',
    ],
    ['raw version 5', 101, Buffer.from([0x50, 0, 0, 0]), 'raw packet that is neither IPv4 nor IPv6'],
    ['cut TCP header', 101, tcp.subarray(0, 30), 'truncated TCP header'],
    ['unknown link type', 147, Buffer.alloc(60), 'unsupported link type 147'],
  ] as const)('%s is invalid', (_name, linkType, frame, reason) => {
    expect(decodePacket(linkType, frame)).toEqual({ kind: 'invalid', reason });
  });

  test('random frames never throw', () => {
    const linkTypes = [...SUPPORTED_LINK_TYPES.keys(), 147];
    fc.assert(
      fc.property(fc.constantFrom(...linkTypes), fc.uint8Array({ maxLength: 200 }), (linkType, bytes) => {
        const decoded = decodePacket(linkType, Buffer.from(bytes));
        expect(['transport', 'other', 'invalid']).toContain(decoded.kind);
      }),
    );
  });

  test('damaged IP packets never throw', () => {
    const ipv6 = udpPacket('2001:db8::1', 1, '2001:db8::2', 2, Buffer.alloc(20));
    fc.assert(
      fc.property(
        fc.constantFrom(tcp, ipv6),
        fc.array(fc.tuple(fc.nat(80), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(80),
        (packet, flips, length) => {
          const damaged = Buffer.from(packet.subarray(0, length));
          for (const [offset, value] of flips) if (offset < damaged.length) damaged[offset] = value;
          decodePacket(101, damaged);
        },
      ),
    );
  });
});

describe('formatAddress', () => {
  test.each([
    ['10.0.0.1', '10.0.0.1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['fe80:0:0:0:0:0:0:0', 'fe80::'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['0:0:0:0:0:ffff:c000:201', '::ffff:192.0.2.1'],
  ])('%s prints as %s', (input, expected) => {
    expect(formatAddress(parseAddress(input))).toBe(expected);
  });
});
