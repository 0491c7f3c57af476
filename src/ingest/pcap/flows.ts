/**
 * TCP and UDP flow tracking. Packets are grouped by their 5-tuple in both directions, and each flow is
 * keyed by its initiator: the SYN sender for TCP (the receiver of a SYN-ACK seen first), else the source of
 * the first packet. A flow ends when it has been idle for its protocol's timeout, when a new SYN reuses the
 * 5-tuple of a closed connection, or at the end of the file. The sink then receives it.
 */
import { createHash } from 'node:crypto';

import { ClientStreamAnalyzer, type ApplicationFindings } from './application.js';
import type { EndpointActivity } from './conn-state.js';
import { DNS_PORTS, firstQuestionName } from './dns.js';
import type { HttpRequest } from './http.js';
import { formatAddress } from './ip.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TransportPacket } from './packet.js';
import { TcpStream } from './stream.js';

/** Zeek's udp_inactivity_timeout (1 min in base/init-bare.zeek): a UDP flow idle this long has ended. */
export const UDP_INACTIVITY_TIMEOUT_MICROS = 60 * 1_000_000;

/**
 * Zeek's tcp_inactivity_timeout (5 min in base/init-bare.zeek). A closed TCP connection is also kept this
 * long, so that late ACKs and retransmitted FINs join it rather than starting flows of their own.
 */
export const TCP_INACTIVITY_TIMEOUT_MICROS = 5 * 60 * 1_000_000;

/** Capture time between sweeps for idle flows. */
const SWEEP_INTERVAL_MICROS = 10 * 1_000_000;

/**
 * Flows tracked at once. Beyond it the oldest flows are ended early, which bounds memory on captures of
 * scans and floods where flows rarely end on their own.
 */
export const MAX_TRACKED_FLOWS = 500_000;

/** Sequence jumps larger than this within one direction are treated as corrupt, not as bytes sent. */
const MAX_SEQUENCE_JUMP = 2 ** 30;

export interface Side extends EndpointActivity {
  /** Sequence number of the SYN (or SYN-ACK) this endpoint sent, for telling retransmissions from new SYNs. */
  initialSequence: number | null;
  /** The acknowledgment number of this endpoint's SYN-ACK. */
  synAckAcknowledges: number | null;
  /** Sequence number that relative offsets count from: the first data byte. */
  base: number | null;
  /** Lowest and highest relative sequence offsets of payload seen; TCP bytes are their difference. */
  low: number;
  high: number;
}

export interface Flow {
  uid: string;
  protocol: 'tcp' | 'udp';
  sourceIp: string;
  sourcePort: number;
  destinationIp: string;
  destinationPort: number;
  /** Packet record of the first packet. */
  firstIndex: number;
  firstTimeMicros: number;
  lastTimeMicros: number;
  orig: Side;
  resp: Side;
  /** Set for TCP flows: the initiator's byte stream and what was read from it. */
  client: { stream: TcpStream; analyzer: ClientStreamAnalyzer } | null;
  /** 'dns' and the first question name, for UDP flows on DNS ports. */
  dnsName: string | null;
  /** The first HTTP request of the connection; later ones are handed to the sink as they come. */
  firstRequest: HttpRequest | null;
  requests: number;
}

export interface FlowSink {
  flow(flow: Flow): void;
  /** An HTTP request after the first in one connection; `number` counts from 2. */
  request(flow: Flow, request: HttpRequest, number: number): void;
}

interface TrackedFlow extends Flow {
  key: string;
  initiatorKey: string;
}

function newSide(): Side {
  return {
    packets: 0,
    syn: false,
    synAck: false,
    fin: false,
    rst: false,
    bytes: 0,
    initialSequence: null,
    synAckAcknowledges: null,
    base: null,
    low: 0,
    high: 0,
  };
}

/** Endpoint identity as a short string: the address bytes and the port as one UTF-16 code unit. */
function endpointKey(address: Buffer, port: number): string {
  return address.toString('latin1') + String.fromCharCode(port);
}

/** Derives the flow id from the 5-tuple and the first packet time, so every import gives the same uid. */
export function flowUid(flow: Omit<Flow, 'uid'> | Flow): string {
  const identity = [
    flow.protocol,
    flow.sourceIp,
    flow.sourcePort,
    flow.destinationIp,
    flow.destinationPort,
    flow.firstTimeMicros,
  ].join(' ');
  return `P${createHash('sha1').update(identity).digest('base64url').slice(0, 16)}`;
}

/** Returns what was read from the flow's client stream, or nothing for UDP flows. */
export function applicationFindings(flow: Flow): ApplicationFindings {
  return flow.client?.analyzer.findings ?? { service: null, serverName: null };
}

export class FlowTable {
  private readonly flows = new Map<string, TrackedFlow>();
  private newestMicros = Number.NEGATIVE_INFINITY;
  private lastSweepMicros = Number.NEGATIVE_INFINITY;

  constructor(private readonly sink: FlowSink) {}

  get size(): number {
    return this.flows.size;
  }

  add(packet: TransportPacket, timeMicros: number, index: number): void {
    const sourceKey = endpointKey(packet.source, packet.sourcePort);
    const destinationKey = endpointKey(packet.destination, packet.destinationPort);
    const key =
      (packet.protocol === 'tcp' ? 't' : 'u') +
      (sourceKey < destinationKey ? sourceKey + destinationKey : destinationKey + sourceKey);

    let flow = this.flows.get(key);
    if (flow !== undefined && this.hasEnded(flow, packet, sourceKey, timeMicros)) {
      this.finish(flow);
      flow = undefined;
    }
    if (flow === undefined) {
      flow = this.create(packet, key, sourceKey, destinationKey, timeMicros, index);
      this.flows.set(key, flow);
    }
    this.update(flow, packet, sourceKey === flow.initiatorKey, timeMicros, index);

    if (timeMicros > this.newestMicros) this.newestMicros = timeMicros;
    if (this.newestMicros - this.lastSweepMicros >= SWEEP_INTERVAL_MICROS) this.sweep();
    if (this.flows.size > MAX_TRACKED_FLOWS) this.evictOldest();
  }

  /** Ends every flow still open, as at the end of the file. */
  finishAll(): void {
    for (const flow of this.flows.values()) this.finish(flow);
  }

  /** True when the packet cannot belong to the flow: the flow timed out, or a new SYN reuses its 5-tuple. */
  private hasEnded(
    flow: TrackedFlow,
    packet: TransportPacket,
    sourceKey: string,
    timeMicros: number,
  ): boolean {
    if (timeMicros - flow.lastTimeMicros > timeoutOf(flow)) return true;
    if (packet.protocol !== 'tcp' || (packet.flags & (TCP_SYN | TCP_ACK)) !== TCP_SYN) return false;

    const fromInitiator = sourceKey === flow.initiatorKey;
    const sender = fromInitiator ? flow.orig : flow.resp;
    // A retransmitted SYN, or the SYN of a SYN-ACK that was captured before it. After both sides sent
    // FIN the connection is over, so a SYN is a new connection even with the same sequence number, as
    // generated traffic and some embedded stacks produce.
    const finished = flow.orig.fin && flow.resp.fin;
    if (sender.initialSequence === packet.sequence && !finished) return false;
    if (fromInitiator && !finished && flow.resp.synAckAcknowledges === (packet.sequence + 1) >>> 0) {
      return false;
    }

    const closed = flow.orig.fin || flow.orig.rst || flow.resp.fin || flow.resp.rst;
    return closed || !flow.orig.syn;
  }

  private create(
    packet: TransportPacket,
    key: string,
    sourceKey: string,
    destinationKey: string,
    timeMicros: number,
    index: number,
  ): TrackedFlow {
    // A SYN-ACK seen first means the SYN was missed: its receiver opened the connection.
    const reversed =
      packet.protocol === 'tcp' && (packet.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
    const sourceIp = formatAddress(packet.source);
    const destinationIp = formatAddress(packet.destination);
    const identity = {
      protocol: packet.protocol,
      sourceIp: reversed ? destinationIp : sourceIp,
      sourcePort: reversed ? packet.destinationPort : packet.sourcePort,
      destinationIp: reversed ? sourceIp : destinationIp,
      destinationPort: reversed ? packet.sourcePort : packet.destinationPort,
      firstTimeMicros: timeMicros,
    };
    const flow: TrackedFlow = {
      ...identity,
      uid: '',
      key,
      initiatorKey: reversed ? destinationKey : sourceKey,
      firstIndex: index,
      lastTimeMicros: timeMicros,
      orig: newSide(),
      resp: newSide(),
      client: null,
      dnsName: null,
      firstRequest: null,
      requests: 0,
    };
    flow.uid = flowUid(flow);
    if (packet.protocol === 'tcp') {
      const analyzer = new ClientStreamAnalyzer((request) => this.onRequest(flow, request));
      flow.client = { stream: new TcpStream(analyzer), analyzer };
    }
    return flow;
  }

  private update(
    flow: TrackedFlow,
    packet: TransportPacket,
    fromInitiator: boolean,
    timeMicros: number,
    index: number,
  ): void {
    if (timeMicros < flow.firstTimeMicros) flow.firstTimeMicros = timeMicros;
    if (timeMicros > flow.lastTimeMicros) flow.lastTimeMicros = timeMicros;
    const side = fromInitiator ? flow.orig : flow.resp;
    side.packets += 1;

    if (packet.protocol === 'udp') {
      side.bytes += packet.payloadLength;
      this.readDns(flow, packet);
      return;
    }

    const flags = packet.flags;
    if ((flags & TCP_RST) !== 0) side.rst = true;
    if ((flags & TCP_FIN) !== 0) side.fin = true;
    const syn = (flags & TCP_SYN) !== 0;
    if (syn) {
      side.initialSequence = packet.sequence;
      if ((flags & TCP_ACK) !== 0) {
        side.synAck = true;
        side.synAckAcknowledges = packet.acknowledgment;
      } else {
        side.syn = true;
      }
    }
    // Data starts one after the SYN's sequence number; a RST's payload is a diagnostic, not data.
    const dataSequence = syn ? (packet.sequence + 1) >>> 0 : packet.sequence;
    if (syn && side.base === null) side.base = dataSequence;
    if (packet.payloadLength > 0 && (flags & TCP_RST) === 0) {
      countSequenceRange(side, dataSequence, packet.payloadLength);
      if (fromInitiator && flow.client !== null && !flow.client.stream.done) {
        flow.client.stream.segment(dataSequence, packet.payload, packet.payloadLength, timeMicros, index);
      }
    } else if (syn && fromInitiator && flow.client !== null) {
      flow.client.stream.synchronize(packet.sequence);
    }
  }

  private readDns(flow: TrackedFlow, packet: TransportPacket): void {
    if (flow.dnsName !== null) return;
    if (!DNS_PORTS.has(packet.sourcePort) && !DNS_PORTS.has(packet.destinationPort)) return;
    flow.dnsName = firstQuestionName(packet.payload);
  }

  private onRequest(flow: TrackedFlow, request: HttpRequest): void {
    flow.requests += 1;
    if (flow.firstRequest === null) flow.firstRequest = request;
    else this.sink.request(flow, request, flow.requests);
  }

  private finish(flow: TrackedFlow): void {
    flow.client?.stream.finish();
    this.flows.delete(flow.key);
    this.sink.flow(flow);
  }

  private sweep(): void {
    this.lastSweepMicros = this.newestMicros;
    for (const flow of this.flows.values()) {
      if (this.newestMicros - flow.lastTimeMicros > timeoutOf(flow)) this.finish(flow);
    }
  }

  private evictOldest(): void {
    // NOTE: Map order is creation order, so a long-lived busy flow can be ended before idle ones.
    for (const flow of this.flows.values()) {
      if (this.flows.size <= MAX_TRACKED_FLOWS * 0.9) return;
      this.finish(flow);
    }
  }
}

function timeoutOf(flow: Flow): number {
  return flow.protocol === 'udp' ? UDP_INACTIVITY_TIMEOUT_MICROS : TCP_INACTIVITY_TIMEOUT_MICROS;
}

/**
 * Counts payload by sequence range, as Zeek does, so retransmitted bytes count once. Offsets are relative
 * to the first data byte and signed, so segments that arrive out of order extend the range either way.
 */
function countSequenceRange(side: Side, sequence: number, length: number): void {
  if (side.base === null) side.base = sequence;
  const start = (sequence - side.base) | 0;
  if (Math.abs(start) > MAX_SEQUENCE_JUMP) return;
  if (side.low === 0 && side.high === 0) {
    side.low = Math.min(0, start);
    side.high = start + length;
  } else {
    side.low = Math.min(side.low, start);
    side.high = Math.max(side.high, start + length);
  }
  side.bytes = side.high - side.low;
}
