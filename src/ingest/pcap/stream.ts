/**
 * In-order delivery of one direction of a TCP connection, for the parsers of client requests. Segments
 * that arrive early wait, up to MAX_PENDING_BYTES, for the bytes before them. Retransmitted bytes are
 * delivered once. When the wait would exceed the bound, or the flow ends with bytes still missing, the
 * consumer receives a gap and delivery goes on after it.
 */

/**
 * Bytes of early segments kept per connection while the bytes before them are missing. Enough for a
 * reordered handshake record or request head, while bounding memory per flow.
 */
export const MAX_PENDING_BYTES = 64 * 1024;

export interface StreamConsumer {
  /** In-order bytes from the packet `index` captured at `timeMicros`. */
  data(bytes: Buffer, timeMicros: number, index: number): void;
  /** Bytes were lost before the next delivery. */
  gap(): void;
  /** True when the consumer needs no more bytes. */
  readonly done: boolean;
}

interface PendingSegment {
  sequence: number;
  bytes: Buffer;
  timeMicros: number;
  index: number;
}

/** Signed distance from `from` to `to` in 32-bit sequence number space. */
function sequenceDistance(from: number, to: number): number {
  return (to - from) | 0;
}

export class TcpStream {
  /** Sequence number of the next byte to deliver, or null before the first SYN or data segment. */
  private next: number | null = null;
  private pending: PendingSegment[] = [];
  private pendingBytes = 0;

  constructor(private readonly consumer: StreamConsumer) {}

  get done(): boolean {
    return this.consumer.done;
  }

  /** Sets the start of the stream from the SYN's sequence number, as data starts one after it. */
  synchronize(initialSequence: number): void {
    if (this.next === null) this.next = (initialSequence + 1) >>> 0;
  }

  /**
   * Adds a segment. `captured` may be shorter than `length` when the snap length cut the packet; the
   * missing bytes are then reported as a gap.
   */
  segment(sequence: number, captured: Buffer, length: number, timeMicros: number, index: number): void {
    if (this.consumer.done || length === 0) return;
    if (this.next === null) this.next = sequence;
    if (captured.length < length) {
      this.deliverFrom(sequence, captured, timeMicros, index);
      this.skipTo((sequence + length) >>> 0);
      this.drain();
      return;
    }
    const distance = sequenceDistance(this.next, sequence);
    if (distance <= 0) {
      this.deliverFrom(sequence, captured, timeMicros, index);
      this.drain();
      return;
    }
    this.pending.push({ sequence, bytes: Buffer.from(captured), timeMicros, index });
    this.pending.sort((a, b) => sequenceDistance(b.sequence, a.sequence));
    this.pendingBytes += captured.length;
    if (this.pendingBytes > MAX_PENDING_BYTES) this.flushPending();
  }

  /** Delivers what is still waiting, after a gap, because no more segments will come. */
  finish(): void {
    if (this.pending.length > 0 && !this.consumer.done) this.flushPending();
  }

  /** Delivers the part of a segment at or after `next`; a segment wholly before it is a retransmission. */
  private deliverFrom(sequence: number, bytes: Buffer, timeMicros: number, index: number): void {
    const next = this.next ?? sequence;
    const overlap = sequenceDistance(sequence, next);
    if (overlap >= bytes.length || overlap < 0) return;
    const fresh = overlap === 0 ? bytes : bytes.subarray(overlap);
    this.next = (next + fresh.length) >>> 0;
    if (!this.consumer.done) this.consumer.data(fresh, timeMicros, index);
  }

  /** Delivers waiting segments that have become contiguous. */
  private drain(): void {
    if (this.consumer.done) {
      // Early segments are of no use once the consumer has what it needs.
      this.pending = [];
      this.pendingBytes = 0;
    }
    while (this.pending.length > 0 && this.next !== null) {
      const first = this.pending[0]!;
      if (sequenceDistance(this.next, first.sequence) > 0) return;
      this.pending.shift();
      this.pendingBytes -= first.bytes.length;
      this.deliverFrom(first.sequence, first.bytes, first.timeMicros, first.index);
    }
  }

  /** Gives up on the missing bytes before the earliest waiting segment and delivers from there. */
  private flushPending(): void {
    while (this.pending.length > 0) {
      const first = this.pending[0]!;
      this.skipTo(first.sequence);
      this.drain();
    }
  }

  private skipTo(sequence: number): void {
    if (this.next !== null && sequenceDistance(this.next, sequence) <= 0) return;
    this.next = sequence;
    if (!this.consumer.done) this.consumer.gap();
  }
}
