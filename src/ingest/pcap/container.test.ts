import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import { pcapFile, pcapngFile, type WrittenPacket } from '../../../test/pcap-writer.js';
import { PcapParser } from './classic.js';
import type { CapturedPacket, ChunkedParser, ContainerSink } from './container.js';
import { captureKind } from './magic.js';
import { microsPerUnit, PcapngParser } from './pcapng.js';

interface Collected {
  interfaces: number[];
  packets: Array<Omit<CapturedPacket, 'data'> & { data: string }>;
  rejects: Array<[number, string]>;
}

function collector(): { sink: ContainerSink; collected: Collected } {
  const collected: Collected = { interfaces: [], packets: [], rejects: [] };
  const sink: ContainerSink = {
    interface: (linkType) => collected.interfaces.push(linkType),
    packet: (packet) => collected.packets.push({ ...packet, data: packet.data.toString('hex') }),
    reject: (index, reason) => collected.rejects.push([index, reason]),
  };
  return { sink, collected };
}

/** Parses `file` fed in chunks that end at `cuts`. */
function parse(file: Buffer, kind: 'pcap' | 'pcapng', cuts: readonly number[] = []) {
  const { sink, collected } = collector();
  const parser: ChunkedParser = kind === 'pcap' ? new PcapParser(sink) : new PcapngParser(sink);
  let from = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    parser.push(file.subarray(from, cut));
    from = cut;
  }
  parser.push(file.subarray(from));
  parser.end();
  return { ...collected, failure: parser.failure };
}

const T0 = 1_713_520_800_000_000;

const writtenPacket = fc.record({
  timeMicros: fc.integer({ min: 0, max: 4_000_000_000 }).map((seconds) => seconds * 1_000_000),
  fraction: fc.integer({ min: 0, max: 999_999 }),
  data: fc.uint8Array({ maxLength: 300 }),
});

describe('classic pcap container', () => {
  const packets: WrittenPacket[] = [
    { timeMicros: T0 + 1, data: Buffer.from('first') },
    { timeMicros: T0 + 2_500_000, data: Buffer.from('second packet'), originalLength: 1514 },
  ];

  test('reads records, link type and times', () => {
    const result = parse(pcapFile({ linkType: 113 }, packets), 'pcap');

    expect(result.failure).toBeNull();
    expect(result.interfaces).toEqual([113]);
    expect(result.packets).toEqual([
      {
        index: 1,
        linkType: 113,
        timeMicros: T0 + 1,
        data: Buffer.from('first').toString('hex'),
        originalLength: 5,
      },
      {
        index: 2,
        linkType: 113,
        timeMicros: T0 + 2_500_000,
        data: Buffer.from('second packet').toString('hex'),
        originalLength: 1514,
      },
    ]);
  });

  test('record split across chunks at every byte', () => {
    const file = pcapFile({ linkType: 1, bigEndian: true }, packets);
    const whole = parse(file, 'pcap');
    for (let cut = 1; cut < file.length; cut += 1) {
      expect(parse(file, 'pcap', [cut])).toEqual(whole);
    }
  });

  test('nanosecond timestamps keep sub-microsecond digits', () => {
    const file = pcapFile({ linkType: 1, nanoseconds: true }, [
      { timeMicros: T0 + 0.5, data: Buffer.alloc(1) },
    ]);

    expect(parse(file, 'pcap').packets[0]!.timeMicros).toBeCloseTo(T0 + 0.5, 3);
  });

  test('file cut in a record header', () => {
    const file = pcapFile({ linkType: 1 }, packets);
    const result = parse(file.subarray(0, 24 + 16 + 5 + 10), 'pcap');

    expect(result.packets).toHaveLength(1);
    expect(result.failure).toMatchObject({ index: 2, truncated: true });
    expect(result.failure!.detail).toMatch(
      /ends inside packet record 2 \(10 bytes of the 16-byte record header\)/,
    );
  });

  test('unknown magic number fails at the header', () => {
    const file = Buffer.alloc(40, 0x11);

    expect(parse(file, 'pcap').failure).toMatchObject({ index: 0, reason: 'invalid file header' });
  });

  test('version other than 2 fails at the header', () => {
    const file = pcapFile({ linkType: 1 }, packets);
    file.writeUInt16LE(3, 4);

    expect(parse(file, 'pcap').failure?.detail).toMatch(/pcap version 3\.4 is not supported/);
  });

  test('round trip of the test writer', () => {
    fc.assert(
      fc.property(
        fc.array(writtenPacket, { maxLength: 20 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 300 }),
        (records, bigEndian, nanoseconds, linkType) => {
          const written = records.map((record) => ({
            timeMicros: record.timeMicros + record.fraction,
            data: record.data,
          }));
          const result = parse(pcapFile({ linkType, bigEndian, nanoseconds }, written), 'pcap');

          expect(result.failure).toBeNull();
          expect(result.packets.map((packet) => [packet.timeMicros, packet.data, packet.linkType])).toEqual(
            written.map((packet) => [packet.timeMicros, Buffer.from(packet.data).toString('hex'), linkType]),
          );
        },
      ),
    );
  });

  test('random bytes after a valid header never throw', () => {
    const header = pcapFile({ linkType: 1 }, []);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat(2100)), (tail, cuts) => {
        const file = Buffer.concat([header, tail]);
        const result = parse(
          file,
          'pcap',
          cuts.filter((cut) => cut < file.length),
        );
        expect(result.packets.length).toBeLessThanOrEqual(tail.length / 16 + 1);
      }),
    );
  });
});

describe('pcapng container', () => {
  test('interfaces with their own link types and resolutions', () => {
    const file = pcapngFile(
      {
        interfaces: [
          { linkType: 1 },
          { linkType: 113, tsresol: 9 },
          { linkType: 101, tsresol: 0x80 | 20, tsoffset: 100 },
        ],
      },
      [
        { timeMicros: T0 + 7, data: Buffer.from('a'), interfaceId: 0 },
        { timeMicros: T0 + 8, data: Buffer.from('bb'), interfaceId: 1 },
        { timeMicros: T0 + 9, data: Buffer.from('ccc'), interfaceId: 2 },
      ],
    );
    const result = parse(file, 'pcapng');

    expect(result.failure).toBeNull();
    expect(result.interfaces).toEqual([1, 113, 101]);
    expect(result.packets.map((packet) => [packet.index, packet.linkType, packet.data])).toEqual([
      [1, 1, '61'],
      [2, 113, '6262'],
      [3, 101, '636363'],
    ]);
    expect(result.packets[0]!.timeMicros).toBe(T0 + 7);
    // A double represents epoch microseconds of current dates to 0.25 µs, so nanoseconds round to that.
    expect(Math.abs(result.packets[1]!.timeMicros - (T0 + 8))).toBeLessThanOrEqual(0.25);
    // 2^-20 s units: the writer rounds to the nearest unit of about 0.95 µs.
    expect(Math.abs(result.packets[2]!.timeMicros - (T0 + 9))).toBeLessThan(1);
  });

  test('if_tsresol conversion', () => {
    expect(microsPerUnit(6)).toBe(1);
    expect(microsPerUnit(9)).toBeCloseTo(0.001, 12);
    expect(microsPerUnit(3)).toBe(1000);
    expect(microsPerUnit(0x80 | 10)).toBeCloseTo(1_000_000 / 1024, 9);
  });

  test('big-endian section split at every byte', () => {
    const file = pcapngFile({ bigEndian: true, interfaces: [{ linkType: 1, tsresol: 9 }] }, [
      { timeMicros: T0, data: Buffer.from('abcde') },
      { timeMicros: T0 + 1, data: Buffer.from('fgh') },
    ]);
    const whole = parse(file, 'pcapng');

    expect(whole.packets).toHaveLength(2);
    for (let cut = 1; cut < file.length; cut += 1) expect(parse(file, 'pcapng', [cut])).toEqual(whole);
  });

  test('unknown blocks are passed over and simple packets rejected', () => {
    const base = pcapngFile({ interfaces: [{ linkType: 1 }] }, [
      { timeMicros: T0, data: Buffer.from('abcd') },
    ]);
    const custom = Buffer.alloc(16);
    custom.writeUInt32LE(0x00000bad, 0);
    custom.writeUInt32LE(16, 4);
    custom.writeUInt32LE(16, 12);
    const simple = Buffer.alloc(20);
    simple.writeUInt32LE(3, 0);
    simple.writeUInt32LE(20, 4);
    simple.writeUInt32LE(4, 8);
    simple.writeUInt32LE(20, 16);
    const result = parse(Buffer.concat([base, custom, simple]), 'pcapng');

    expect(result.failure).toBeNull();
    expect(result.packets).toHaveLength(1);
    expect(result.rejects).toEqual([[2, 'Simple Packet Block without a timestamp']]);
  });

  test('second section resets interfaces and byte order', () => {
    const first = pcapngFile({ interfaces: [{ linkType: 1 }] }, [{ timeMicros: T0, data: Buffer.from('a') }]);
    const second = pcapngFile({ bigEndian: true, interfaces: [{ linkType: 113 }] }, [
      { timeMicros: T0 + 1, data: Buffer.from('b') },
    ]);
    const result = parse(Buffer.concat([first, second]), 'pcapng');

    expect(result.packets.map((packet) => [packet.index, packet.linkType])).toEqual([
      [1, 1],
      [2, 113],
    ]);
  });

  test('mismatched block lengths stop reading', () => {
    const file = pcapngFile({ interfaces: [{ linkType: 1 }] }, [
      { timeMicros: T0, data: Buffer.from('a') },
      { timeMicros: T0, data: Buffer.from('b') },
    ]);
    file.writeUInt32LE(999, file.length - 4);
    const result = parse(file, 'pcapng');

    expect(result.packets).toHaveLength(1);
    expect(result.failure).toMatchObject({ index: 2, reason: 'invalid block', truncated: false });
    expect(result.failure!.detail).toMatch(/block total lengths differ/);
  });

  test('file cut inside a block', () => {
    const file = pcapngFile({ interfaces: [{ linkType: 1 }] }, [
      { timeMicros: T0, data: Buffer.from('a') },
      { timeMicros: T0, data: Buffer.from('b') },
    ]);
    const result = parse(file.subarray(0, file.length - 6), 'pcapng');

    expect(result.packets).toHaveLength(1);
    expect(result.failure).toMatchObject({ index: 2, truncated: true });
  });

  test('round trip of the test writer', () => {
    const resolution = fc.constantFrom(undefined, 3, 6, 9, 0x80 | 16);
    fc.assert(
      fc.property(
        fc.array(fc.record({ linkType: fc.integer({ min: 0, max: 300 }), tsresol: resolution }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.array(fc.tuple(writtenPacket, fc.nat()), { maxLength: 20 }),
        fc.boolean(),
        (interfaces, records, bigEndian) => {
          const written = records.map(([record, choice]) => ({
            timeMicros: record.timeMicros,
            data: record.data,
            interfaceId: choice % interfaces.length,
          }));
          const result = parse(pcapngFile({ bigEndian, interfaces }, written), 'pcapng');

          expect(result.failure).toBeNull();
          expect(result.packets.map((packet) => [packet.linkType, packet.data])).toEqual(
            written.map((packet) => [
              interfaces[packet.interfaceId]!.linkType,
              Buffer.from(packet.data).toString('hex'),
            ]),
          );
          // Whole seconds survive every resolution the writer was given.
          result.packets.forEach((packet, index) => {
            expect(packet.timeMicros).toBeCloseTo(written[index]!.timeMicros, 0);
          });
        },
      ),
    );
  });

  test('random bytes after a section header never throw', () => {
    const header = pcapngFile({ interfaces: [{ linkType: 1 }] }, []);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat(2100)), (tail, cuts) => {
        const file = Buffer.concat([header, tail]);
        parse(
          file,
          'pcapng',
          cuts.filter((cut) => cut < file.length),
        );
      }),
    );
  });

  test('corrupted files never throw', () => {
    const file = pcapngFile({ interfaces: [{ linkType: 1, tsresol: 9 }, { linkType: 101 }] }, [
      { timeMicros: T0, data: Buffer.alloc(60, 1), interfaceId: 0 },
      { timeMicros: T0, data: Buffer.alloc(40, 2), interfaceId: 1 },
    ]);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(file.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        (flips) => {
          const damaged = Buffer.from(file);
          for (const [offset, value] of flips) damaged[offset] = value;
          parse(damaged, 'pcapng');
          parse(damaged, 'pcap');
        },
      ),
    );
  });
});

describe('capture magic numbers', () => {
  test.each([
    ['a1b2c3d4', 'pcap'],
    ['d4c3b2a1', 'pcap'],
    ['a1b23c4d', 'pcap'],
    ['4d3cb2a1', 'pcap'],
    ['0a0d0d0a1c0000004d3c2b1a', 'pcapng'],
    ['0a0d0d0a0000001c1a2b3c4d', 'pcapng'],
    ['0a0d0d0a0000001c00000000', null],
    ['23736570', null],
  ])('%s is %s', (hex, kind) => {
    expect(captureKind(Buffer.from(hex, 'hex'))).toBe(kind);
  });
});
