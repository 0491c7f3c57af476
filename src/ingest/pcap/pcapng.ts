/**
 * The pcapng file format: a sequence of blocks, each framed by its type and a total length repeated at its
 * end. A Section Header Block sets the byte order for the blocks after it, and each Interface Description
 * Block defines an interface with its own link type and timestamp resolution (if_tsresol, if_tsoffset).
 * Packets come from Enhanced, Simple and the obsolete Packet Blocks; every other block is passed over.
 * Format reference: draft-ietf-opsawg-pcapng.
 */
import { ChunkedParser, TRUNCATED_RECORD, type ContainerFailure, type ContainerSink } from './container.js';

const SECTION_HEADER_BLOCK = 0x0a0d0d0a;
const INTERFACE_DESCRIPTION_BLOCK = 1;
const PACKET_BLOCK = 2;
const SIMPLE_PACKET_BLOCK = 3;
const ENHANCED_PACKET_BLOCK = 6;

const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Option codes of the Interface Description Block. */
const OPTION_END = 0;
const OPTION_IF_TSRESOL = 9;
const OPTION_IF_TSOFFSET = 14;

/** Block type, total length, and the total length repeated after the body. */
const BLOCK_FRAMING_BYTES = 12;

/**
 * Maximum block size. Older Wireshark releases used the same 16 MiB bound (MAX_BLOCK_SIZE in
 * wiretap/pcapng.c), and a block of a link type read here, at most 256 KiB of packet, never comes near it.
 * So a larger length means the framing is corrupt.
 */
export const MAX_BLOCK_BYTES = 16 * 1024 * 1024;

interface Interface {
  linkType: number;
  snapLength: number;
  /** Multiplier from timestamp units to microseconds: 1 for the default resolution of 10^-6 s. */
  microsPerUnit: number;
  /** if_tsoffset in microseconds, added to every timestamp. */
  offsetMicros: number;
}

export class PcapngParser extends ChunkedParser {
  private littleEndian = true;
  private interfaces: Interface[] = [];
  private sectionSeen = false;

  constructor(sink: ContainerSink) {
    super(sink);
  }

  protected parse(data: Buffer): number {
    let offset = 0;
    while (offset + 8 <= data.length) {
      const type = this.u32(data, offset);
      if (type === SECTION_HEADER_BLOCK) {
        if (offset + 12 > data.length) break;
        const failure = this.readByteOrder(data, offset);
        if (failure !== null) return this.fail(failure, offset);
      } else if (!this.sectionSeen) {
        return this.fail(
          this.invalidBlock(offset, 'the file does not start with a Section Header Block'),
          offset,
        );
      }

      const length = this.u32(data, offset + 4);
      if (length < BLOCK_FRAMING_BYTES || length % 4 !== 0 || length > MAX_BLOCK_BYTES) {
        return this.fail(this.invalidBlock(offset, `invalid block total length ${length}`), offset);
      }
      if (offset + length > data.length) break;
      const trailer = this.u32(data, offset + length - 4);
      if (trailer !== length) {
        return this.fail(
          this.invalidBlock(
            offset,
            `block total lengths differ (${length} at the start, ${trailer} at the end)`,
          ),
          offset,
        );
      }

      const body = data.subarray(offset + 8, offset + length - 4);
      const failure = this.readBlock(type, body, offset);
      if (failure !== null) return this.fail(failure, offset);
      offset += length;
    }
    return offset;
  }

  protected truncation(tail: Buffer): ContainerFailure {
    const index = this.packets + 1;
    return {
      index,
      reason: TRUNCATED_RECORD,
      detail: `truncated capture: the file ends inside a block after packet record ${this.packets} (${tail.length} bytes of it present)`,
      truncated: true,
    };
  }

  /** Reads the byte-order magic of a Section Header Block, which applies to the whole section. */
  private readByteOrder(data: Buffer, offset: number): ContainerFailure | null {
    const magic = data.readUInt32LE(offset + 8);
    if (magic === BYTE_ORDER_MAGIC) {
      this.littleEndian = true;
    } else if (data.readUInt32BE(offset + 8) === BYTE_ORDER_MAGIC) {
      this.littleEndian = false;
    } else {
      return this.invalidBlock(offset, 'Section Header Block without the byte-order magic 0x1A2B3C4D');
    }
    return null;
  }

  private readBlock(type: number, body: Buffer, offset: number): ContainerFailure | null {
    switch (type) {
      case SECTION_HEADER_BLOCK:
        return this.readSectionHeader(body, offset);
      case INTERFACE_DESCRIPTION_BLOCK:
        return this.readInterface(body, offset);
      case ENHANCED_PACKET_BLOCK:
        this.readEnhancedPacket(body);
        return null;
      case PACKET_BLOCK:
        this.readObsoletePacket(body);
        return null;
      case SIMPLE_PACKET_BLOCK:
        this.readSimplePacket(body);
        return null;
      default:
        // Name resolution, statistics, decryption secrets, custom blocks: nothing to load.
        return null;
    }
  }

  private readSectionHeader(body: Buffer, offset: number): ContainerFailure | null {
    if (body.length < 16) return this.invalidBlock(offset, 'Section Header Block shorter than 16 bytes');
    const major = this.u16(body, 4);
    if (major !== 1)
      return this.invalidBlock(offset, `pcapng version ${major} is not supported (only 1.x is)`);
    // Interface ids count from 0 again in each section.
    this.interfaces = [];
    this.sectionSeen = true;
    return null;
  }

  private readInterface(body: Buffer, offset: number): ContainerFailure | null {
    if (body.length < 8) return this.invalidBlock(offset, 'Interface Description Block shorter than 8 bytes');
    const linkType = this.u16(body, 0);
    const description: Interface = {
      linkType,
      snapLength: this.u32(body, 4),
      microsPerUnit: 1,
      offsetMicros: 0,
    };
    let position = 8;
    while (position + 4 <= body.length) {
      const code = this.u16(body, position);
      const length = this.u16(body, position + 2);
      const value = position + 4;
      if (code === OPTION_END || value + length > body.length) break;
      if (code === OPTION_IF_TSRESOL && length >= 1) {
        description.microsPerUnit = microsPerUnit(body.readUInt8(value));
      } else if (code === OPTION_IF_TSOFFSET && length >= 8) {
        const high = this.u32(body, value + (this.littleEndian ? 4 : 0)) | 0;
        const low = this.u32(body, value + (this.littleEndian ? 0 : 4));
        description.offsetMicros = (high * 4_294_967_296 + low) * 1_000_000;
      }
      position = value + Math.ceil(length / 4) * 4;
    }
    this.interfaces.push(description);
    this.sink.interface(linkType);
    return null;
  }

  private readEnhancedPacket(body: Buffer): void {
    const index = this.nextIndex();
    if (body.length < 20) {
      this.sink.reject(index, 'invalid Enhanced Packet Block', body);
      return;
    }
    const interfaceId = this.u32(body, 0);
    const capturedLength = this.u32(body, 12);
    if (capturedLength > body.length - 20) {
      this.sink.reject(index, 'invalid Enhanced Packet Block', body);
      return;
    }
    this.emit(
      index,
      interfaceId,
      this.u32(body, 4),
      this.u32(body, 8),
      body.subarray(20, 20 + capturedLength),
      this.u32(body, 16),
      body,
    );
  }

  private readObsoletePacket(body: Buffer): void {
    const index = this.nextIndex();
    if (body.length < 20) {
      this.sink.reject(index, 'invalid Packet Block', body);
      return;
    }
    const capturedLength = this.u32(body, 12);
    if (capturedLength > body.length - 20) {
      this.sink.reject(index, 'invalid Packet Block', body);
      return;
    }
    this.emit(
      index,
      this.u16(body, 0),
      this.u32(body, 4),
      this.u32(body, 8),
      body.subarray(20, 20 + capturedLength),
      this.u32(body, 16),
      body,
    );
  }

  /** Simple Packet Blocks carry no timestamp, so their packets cannot be placed in time. */
  private readSimplePacket(body: Buffer): void {
    const index = this.nextIndex();
    this.sink.reject(index, 'Simple Packet Block without a timestamp', body);
  }

  private emit(
    index: number,
    interfaceId: number,
    high: number,
    low: number,
    data: Buffer,
    originalLength: number,
    body: Buffer,
  ): void {
    const description = this.interfaces[interfaceId];
    if (description === undefined) {
      this.sink.reject(index, 'packet of an undefined interface', body);
      return;
    }
    const units = high * 4_294_967_296 + low;
    this.sink.packet({
      index,
      linkType: description.linkType,
      timeMicros: units * description.microsPerUnit + description.offsetMicros,
      data,
      originalLength,
    });
  }

  private nextIndex(): number {
    this.packets += 1;
    return this.packets;
  }

  private invalidBlock(offset: number, problem: string): ContainerFailure {
    const index = this.packets + 1;
    return {
      index,
      reason: 'invalid block',
      detail: `${problem}, in the block at byte ${this.fileOffset + offset}; the file is corrupt from there on`,
      truncated: false,
    };
  }

  private u16(data: Buffer, offset: number): number {
    return this.littleEndian ? data.readUInt16LE(offset) : data.readUInt16BE(offset);
  }

  private u32(data: Buffer, offset: number): number {
    return this.littleEndian ? data.readUInt32LE(offset) : data.readUInt32BE(offset);
  }
}

/**
 * Converts an if_tsresol value to microseconds per timestamp unit. The high bit selects a power of two,
 * otherwise a power of ten: 6 (the default) is 10^-6 s, 9 is 10^-9 s, 0x8a is 2^-10 s.
 */
export function microsPerUnit(tsresol: number): number {
  const exponent = tsresol & 0x7f;
  const unitsPerSecond = (tsresol & 0x80) === 0 ? 10 ** exponent : 2 ** exponent;
  return 1_000_000 / unitsPerSecond;
}
