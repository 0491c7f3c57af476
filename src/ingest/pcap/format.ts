/**
 * PCAP and PCAPNG captures, read directly. The file is streamed (through gunzip when compressed), and its
 * packets are decoded and grouped into TCP and UDP flows. One event per flow, plus one per later HTTP
 * request of a keep-alive connection, is appended in batches. So memory contains the open flows and one
 * batch, not the file. A packet that cannot be decoded is skipped with its record number as the line.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

import { InputError } from '../../errors.js';
import type { ConnectionEvent } from '../../model/event.js';
import type { InputFormat, LoadContext, LoadResult } from '../format.js';
import { reportRejects } from '../lines.js';
import type { FileSample } from '../sniff.js';
import { RejectBuffer } from '../text-stream.js';
import { wrongFormatError } from '../wrong-format.js';
import { PcapParser } from './classic.js';
import type { CapturedPacket, ChunkedParser, ContainerSink } from './container.js';
import { FORMAT_ID, flowEvent, requestEvent } from './events.js';
import { FlowTable } from './flows.js';
import { SUPPORTED_LINK_TYPES } from './link.js';
import { decodePacket } from './packet.js';
import { PcapngParser } from './pcapng.js';
import { hexExcerpt } from './rejects.js';

/** Bytes read from the file per chunk. */
const READ_CHUNK_BYTES = 1024 * 1024;

function supportedLinkTypes(): string {
  return [...SUPPORTED_LINK_TYPES].map(([type, name]) => `${type} ${name}`).join(', ');
}

/** Opens the file as a byte stream, through gunzip when it is compressed. */
function openBytes(sample: FileSample): Readable {
  const raw = createReadStream(sample.readPath, { highWaterMark: READ_CHUNK_BYTES });
  if (sample.compression !== 'gzip') return raw;
  const gunzip = createGunzip({ chunkSize: READ_CHUNK_BYTES });
  raw.on('error', (error) => gunzip.destroy(error));
  return raw.pipe(gunzip);
}

/**
 * Yields the chunks of the file. A gzip stream that breaks off ends the data without an error, because the
 * import checks the gzip data itself and reports the damage with the number of events read before it.
 */
async function* byteChunks(sample: FileSample): AsyncGenerator<Buffer> {
  const stream = openBytes(sample);
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (error) {
    if (sample.compression !== 'gzip') throw error;
  } finally {
    stream.destroy();
  }
}

/** Counts what a capture contained besides the flows. */
interface CaptureCounts {
  packets: number;
  /** Packets that carry something other than TCP or UDP over IP, by protocol. */
  notUsed: Map<string, number>;
}

/** Turns the packets of one file into events and rejects. */
class CaptureReader implements ContainerSink {
  readonly events: ConnectionEvent[] = [];
  eventCount = 0;
  readonly counts: CaptureCounts = { packets: 0, notUsed: new Map() };
  private readonly flows: FlowTable;

  constructor(
    private readonly sample: FileSample,
    private readonly rejects: RejectBuffer,
    private readonly classic: boolean,
  ) {
    this.flows = new FlowTable({
      flow: (flow) => this.emit(flowEvent(flow, sample.path)),
      request: (flow, request, number) => this.emit(requestEvent(flow, request, number, sample.path)),
    });
  }

  interface(linkType: number): void {
    // A classic pcap file has one link type for all its packets: an unsupported one makes the file unusable.
    if (this.classic && !SUPPORTED_LINK_TYPES.has(linkType)) {
      throw new InputError(
        `${this.sample.path}: pcap link type ${linkType} is not supported; supported link types: ${supportedLinkTypes()}`,
        this.sample.path,
      );
    }
  }

  packet(packet: CapturedPacket): void {
    // In pcapng each interface has its own link type. An interface of an unsupported one fails the file at
    // its first packet, as a classic pcap file does at its header, so an interface without packets does not.
    if (!SUPPORTED_LINK_TYPES.has(packet.linkType)) {
      throw new InputError(
        `${this.sample.path}: pcapng link type ${packet.linkType} (the interface of packet record ${packet.index}) is not supported; supported link types: ${supportedLinkTypes()}`,
        this.sample.path,
      );
    }
    this.counts.packets += 1;
    const decoded = decodePacket(packet.linkType, packet.data);
    if (decoded.kind === 'transport') {
      this.flows.add(decoded, packet.timeMicros, packet.index);
    } else if (decoded.kind === 'other') {
      this.counts.notUsed.set(decoded.protocol, (this.counts.notUsed.get(decoded.protocol) ?? 0) + 1);
    } else {
      this.rejects.push(packet.index, decoded.reason, hexExcerpt(packet.data));
    }
  }

  reject(index: number, reason: string, data: Buffer): void {
    this.counts.packets += 1;
    this.rejects.push(index, reason, hexExcerpt(data));
  }

  finish(): void {
    this.flows.finishAll();
  }

  private emit(event: ConnectionEvent): void {
    this.events.push(event);
    this.eventCount += 1;
  }
}

/** Builds the import summary's note: packets not used, and the truncation or corruption that ended reading. */
function loadMessage(counts: CaptureCounts, ending: string | null): string | undefined {
  const parts: string[] = [];
  if (ending !== null) parts.push(ending);
  const notUsed = [...counts.notUsed.values()].reduce((sum, count) => sum + count, 0);
  if (notUsed > 0) {
    const top = [...counts.notUsed]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([protocol, count]) => `${count} ${protocol}`)
      .join(', ');
    parts.push(`${notUsed} of ${counts.packets} packets carry no TCP or UDP and were not used (${top})`);
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}

export const pcapFormat: InputFormat = {
  id: FORMAT_ID,
  description: 'PCAP and PCAPNG packet captures (TCP and UDP flows, TLS server names, HTTP requests)',
  recognisedBy:
    'the pcap magic number (a1b2c3d4 or a1b23c4d, either byte order) or a pcapng Section Header Block',
  example: "(binary) tcpdump -w capture.pcap, or Wireshark's File > Save As in pcap or pcapng format",
  providesDirection: false,

  detect(sample: FileSample): boolean {
    return sample.binaryFormat === 'pcap' || sample.binaryFormat === 'pcapng';
  },

  async load(context: LoadContext): Promise<LoadResult> {
    const { store, sample, report } = context;
    if (sample.binaryFormat !== 'pcap' && sample.binaryFormat !== 'pcapng') {
      // Only --format brings such a file here, since detection requires a magic number.
      throw wrongFormatError(
        sample,
        FORMAT_ID,
        'not a packet capture (no pcap or pcapng magic number at the start)',
        'classic pcap and pcapng captures, compressed with gzip or not',
      );
    }
    const rejects = new RejectBuffer(store, 'pcap_rejects');
    await rejects.open();
    const sink = store.openEventSink(sample.path);
    try {
      const reader = new CaptureReader(sample, rejects, sample.binaryFormat === 'pcap');
      const parser: ChunkedParser =
        sample.binaryFormat === 'pcap' ? new PcapParser(reader) : new PcapngParser(reader);
      for await (const chunk of byteChunks(sample)) {
        parser.push(chunk);
        for (const event of reader.events.splice(0)) sink.add(event);
        if (rejects.full) await rejects.flush();
        if (parser.failure !== null) break;
      }
      parser.end();

      const failure = parser.failure;
      if (failure !== null && failure.index === 0) {
        throw new InputError(
          `${sample.path}: ${failure.detail}; the file cannot be read as ${sample.binaryFormat}`,
          sample.path,
        );
      }
      if (failure !== null) rejects.push(failure.index, failure.reason, failure.detail);
      reader.finish();
      for (const event of reader.events.splice(0)) sink.add(event);
      await sink.finish();
      await rejects.moveToRejects(sample.path);
      const skipped = await reportRejects(store, report, sample.path);

      const ending =
        failure === null
          ? null
          : `${failure.detail}; the ${failure.index - 1} packet records before it were read`;
      const message = loadMessage(reader.counts, ending);
      return {
        status: 'loaded',
        events: reader.eventCount,
        skipped,
        ...(message === undefined ? {} : { message }),
      };
    } finally {
      sink.discard();
      await rejects.close();
    }
  },
};
