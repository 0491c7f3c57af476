/**
 * The classic pcap file format of libpcap: a 24-byte file header, then packet records of a 16-byte header and
 * the captured bytes. Both byte orders and both timestamp resolutions (microseconds, nanoseconds) are read.
 * Format reference: draft-ietf-opsawg-pcap (the IETF description of the libpcap format).
 */
import { ChunkedParser, TRUNCATED_RECORD, type ContainerFailure, type ContainerSink } from './container.js';

const FILE_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;

/**
 * Maximum captured length of one record: Wireshark's limit for most link types (WTAP_MAX_PACKET_SIZE_STANDARD
 * in wiretap/wtap.h). A larger length means the record header is corrupt.
 */
export const MAX_RECORD_BYTES = 262_144;

const MAGIC_MICROSECONDS = 0xa1b2c3d4;
const MAGIC_NANOSECONDS = 0xa1b23c4d;

export class PcapParser extends ChunkedParser {
  private littleEndian = true;
  private nanoseconds = false;
  private linkType = -1;
  private headerRead = false;

  constructor(sink: ContainerSink) {
    super(sink);
  }

  protected parse(data: Buffer): number {
    let offset = 0;
    if (!this.headerRead) {
      if (data.length < FILE_HEADER_BYTES) return 0;
      const failure = this.readFileHeader(data);
      if (failure !== null) return this.fail(failure, 0);
      offset = FILE_HEADER_BYTES;
    }

    while (offset + RECORD_HEADER_BYTES <= data.length) {
      const capturedLength = this.u32(data, offset + 8);
      const originalLength = this.u32(data, offset + 12);
      const index = this.packets + 1;
      if (capturedLength > MAX_RECORD_BYTES) {
        return this.fail(
          {
            index,
            reason: 'invalid record header',
            detail: `packet record ${index} at byte ${this.fileOffset + offset} claims ${capturedLength} captured bytes, more than the maximum of ${MAX_RECORD_BYTES}; the file is corrupt from there on`,
            truncated: false,
          },
          offset,
        );
      }
      const end = offset + RECORD_HEADER_BYTES + capturedLength;
      if (end > data.length) break;

      const seconds = this.u32(data, offset);
      const fraction = this.u32(data, offset + 4);
      this.packets = index;
      this.sink.packet({
        index,
        linkType: this.linkType,
        timeMicros: seconds * 1_000_000 + (this.nanoseconds ? fraction / 1000 : fraction),
        data: data.subarray(offset + RECORD_HEADER_BYTES, end),
        originalLength,
      });
      offset = end;
    }
    return offset;
  }

  protected truncation(tail: Buffer): ContainerFailure {
    if (!this.headerRead) {
      return {
        index: 0,
        reason: 'truncated file header',
        detail: `the file ends inside the pcap file header (${tail.length} of ${FILE_HEADER_BYTES} bytes)`,
        truncated: true,
      };
    }
    const index = this.packets + 1;
    const expected =
      tail.length < RECORD_HEADER_BYTES
        ? `${RECORD_HEADER_BYTES}-byte record header`
        : `${RECORD_HEADER_BYTES + this.u32(tail, 8)} bytes`;
    return {
      index,
      reason: TRUNCATED_RECORD,
      detail: `truncated capture: the file ends inside packet record ${index} (${tail.length} bytes of the ${expected})`,
      truncated: true,
    };
  }

  private readFileHeader(data: Buffer): ContainerFailure | null {
    const magic = data.readUInt32LE(0);
    const swapped = data.readUInt32BE(0);
    if (magic === MAGIC_MICROSECONDS || magic === MAGIC_NANOSECONDS) {
      this.littleEndian = true;
      this.nanoseconds = magic === MAGIC_NANOSECONDS;
    } else if (swapped === MAGIC_MICROSECONDS || swapped === MAGIC_NANOSECONDS) {
      this.littleEndian = false;
      this.nanoseconds = swapped === MAGIC_NANOSECONDS;
    } else {
      return {
        index: 0,
        reason: 'invalid file header',
        detail: `unknown pcap magic number 0x${swapped.toString(16).padStart(8, '0')}`,
        truncated: false,
      };
    }
    const major = this.u16(data, 4);
    if (major !== 2) {
      return {
        index: 0,
        reason: 'invalid file header',
        detail: `pcap version ${major}.${this.u16(data, 6)} is not supported (only 2.x is)`,
        truncated: false,
      };
    }
    // The upper bits of the link type field carry the FCS length (see the pcap draft), not the type.
    this.linkType = this.u32(data, 20) & 0xffff;
    this.headerRead = true;
    this.sink.interface(this.linkType);
    return null;
  }

  private u16(data: Buffer, offset: number): number {
    return this.littleEndian ? data.readUInt16LE(offset) : data.readUInt16BE(offset);
  }

  private u32(data: Buffer, offset: number): number {
    return this.littleEndian ? data.readUInt32LE(offset) : data.readUInt32BE(offset);
  }
}
