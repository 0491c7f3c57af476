/**
 * Shared parts of the capture file parsers (classic pcap and pcapng): the packet record they yield, the sink
 * they report to, and the handling of records that span the chunks of a file stream.
 */

/** One packet record as stored in the capture file. */
export interface CapturedPacket {
  /** 1-based position among the file's packet records, reported as the event's `sourceline`. */
  index: number;
  /** The LINKTYPE_ value of the interface that captured the packet. */
  linkType: number;
  /**
   * Capture time in epoch microseconds, fractional for nanosecond captures. A double represents current
   * dates to 0.25 µs, so finer digits are rounded.
   */
  timeMicros: number;
  /** The captured bytes. They belong to the parser's buffer, so a consumer copies what it keeps. */
  data: Buffer;
  /** The packet's length on the wire, which exceeds `data.length` when the snap length cut it. */
  originalLength: number;
}

export interface ContainerSink {
  /** Called for each interface: once for a classic pcap file, once per Interface Description Block in pcapng. */
  interface(linkType: number): void;
  packet(packet: CapturedPacket): void;
  /** A packet record that cannot be used, with its 1-based index. */
  reject(index: number, reason: string, data: Buffer): void;
}

/** The reason and place a parser stopped before the end of the file. */
export interface ContainerFailure {
  /** The packet record where reading stopped, 1-based; 0 when the file header itself is unusable. */
  index: number;
  /** Short, fixed text that groups skipped records in the import summary. */
  reason: string;
  /** The reason with the numbers (offsets, lengths) that locate the problem. */
  detail: string;
  /** True when the file simply ends inside a record, as a capture cut short by a copy does. */
  truncated: boolean;
}

/** Reason recorded for a packet record that the end of the file cuts off. */
export const TRUNCATED_RECORD = 'record cut off by the end of the file';

/**
 * A parser fed with consecutive chunks of a file. A record that spans chunks is kept until the next
 * chunk completes it. After a failure, later chunks are ignored.
 */
export abstract class ChunkedParser {
  /** Packet records read so far, including rejected ones. */
  packets = 0;
  failure: ContainerFailure | null = null;
  /** Offset in the file of the first byte that parse() has not consumed. */
  protected fileOffset = 0;
  private leftover: Buffer | null = null;

  constructor(protected readonly sink: ContainerSink) {}

  push(chunk: Buffer): void {
    if (this.failure !== null) return;
    const data = this.leftover === null ? chunk : Buffer.concat([this.leftover, chunk]);
    const consumed = this.parse(data);
    this.fileOffset += consumed;
    this.leftover = consumed < data.length ? data.subarray(consumed) : null;
  }

  /** Called after the last chunk. Bytes still unconsumed mean the file ends inside a record. */
  end(): void {
    if (this.failure !== null || this.leftover === null) return;
    this.failure = this.truncation(this.leftover);
  }

  /** Reads as many complete records from `data` as it contains and returns how many bytes they used. */
  protected abstract parse(data: Buffer): number;

  /** Describes the unconsumed tail of a file that ends inside a record. */
  protected abstract truncation(tail: Buffer): ContainerFailure;

  /** Records a failure and returns `offset`, the bytes consumed before it, for parse() to return. */
  protected fail(failure: ContainerFailure, offset: number): number {
    this.failure = failure;
    return offset;
  }
}
