/**
 * Builds packet captures for tests: classic pcap and pcapng files in either byte order, link-layer frames,
 * IPv4 and IPv6 packets, TCP and UDP segments, and TCP conversations with consistent sequence numbers.
 * Checksums are left 0, which the reader (like Wireshark by default) does not verify.
 */

export interface WrittenPacket {
  /** Capture time, epoch microseconds (whole numbers for microsecond files). */
  timeMicros: number;
  data: Uint8Array;
  /** Length on the wire; defaults to the captured length. */
  originalLength?: number;
  /** pcapng interface id; ignored by classic pcap. */
  interfaceId?: number;
}

export interface PcapOptions {
  linkType: number;
  bigEndian?: boolean;
  nanoseconds?: boolean;
  snapLength?: number;
}

/** Writes a classic pcap file. */
export function pcapFile(options: PcapOptions, packets: readonly WrittenPacket[]): Buffer {
  const writer = new ByteWriter(options.bigEndian ?? false);
  writer.u32(options.nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4);
  writer.u16(2);
  writer.u16(4);
  writer.u32(0);
  writer.u32(0);
  writer.u32(options.snapLength ?? 262_144);
  writer.u32(options.linkType);
  for (const packet of packets) {
    const seconds = Math.floor(packet.timeMicros / 1_000_000);
    const micros = packet.timeMicros - seconds * 1_000_000;
    writer.u32(seconds);
    writer.u32(Math.round(options.nanoseconds ? micros * 1000 : micros));
    writer.u32(packet.data.length);
    writer.u32(packet.originalLength ?? packet.data.length);
    writer.bytes(packet.data);
  }
  return writer.toBuffer();
}

export interface PcapngInterface {
  linkType: number;
  /** Raw if_tsresol byte: 6 (the default) is microseconds, 9 nanoseconds, 0x80 | n is 2^-n seconds. */
  tsresol?: number;
  /** if_tsoffset in seconds. */
  tsoffset?: number;
}

export interface PcapngOptions {
  bigEndian?: boolean;
  interfaces: readonly PcapngInterface[];
}

/** Units per second of an if_tsresol value. */
function unitsPerSecond(tsresol: number): number {
  return (tsresol & 0x80) === 0 ? 10 ** (tsresol & 0x7f) : 2 ** (tsresol & 0x7f);
}

/** Writes a pcapng file with one section, its interfaces, and each packet as an Enhanced Packet Block. */
export function pcapngFile(options: PcapngOptions, packets: readonly WrittenPacket[]): Buffer {
  const writer = new ByteWriter(options.bigEndian ?? false);
  writer.block(0x0a0d0d0a, (body) => {
    body.u32(0x1a2b3c4d);
    body.u16(1);
    body.u16(0);
    body.u32(0xffffffff);
    body.u32(0xffffffff);
  });
  for (const description of options.interfaces) {
    writer.block(1, (body) => {
      body.u16(description.linkType);
      body.u16(0);
      body.u32(0);
      if (description.tsresol !== undefined) body.option(9, Uint8Array.of(description.tsresol));
      if (description.tsoffset !== undefined) {
        const offset = new ByteWriter(body.bigEndian);
        offset.u64(description.tsoffset);
        body.option(14, offset.toBuffer());
      }
      body.u32(0);
    });
  }
  for (const packet of packets) {
    const interfaceId = packet.interfaceId ?? 0;
    const description = options.interfaces[interfaceId]!;
    const seconds = packet.timeMicros / 1_000_000 - (description.tsoffset ?? 0);
    const units = BigInt(Math.round(seconds * unitsPerSecond(description.tsresol ?? 6)));
    writer.block(6, (body) => {
      body.u32(interfaceId);
      body.u32(Number(units >> 32n));
      body.u32(Number(units & 0xffffffffn));
      body.u32(packet.data.length);
      body.u32(packet.originalLength ?? packet.data.length);
      body.bytes(packet.data);
      body.pad();
    });
  }
  return writer.toBuffer();
}

class ByteWriter {
  private readonly parts: Buffer[] = [];
  private length = 0;

  constructor(readonly bigEndian: boolean) {}

  u8(value: number): void {
    this.bytes(Uint8Array.of(value));
  }

  u16(value: number): void {
    const buffer = Buffer.alloc(2);
    if (this.bigEndian) buffer.writeUInt16BE(value);
    else buffer.writeUInt16LE(value);
    this.bytes(buffer);
  }

  u32(value: number): void {
    const buffer = Buffer.alloc(4);
    if (this.bigEndian) buffer.writeUInt32BE(value >>> 0);
    else buffer.writeUInt32LE(value >>> 0);
    this.bytes(buffer);
  }

  u64(value: number): void {
    const buffer = Buffer.alloc(8);
    if (this.bigEndian) buffer.writeBigInt64BE(BigInt(value));
    else buffer.writeBigInt64LE(BigInt(value));
    this.bytes(buffer);
  }

  bytes(data: Uint8Array): void {
    const buffer = Buffer.from(data);
    this.parts.push(buffer);
    this.length += buffer.length;
  }

  /** Pads to a multiple of 4 bytes, as pcapng requires for packet data and option values. */
  pad(): void {
    const padding = (4 - (this.length % 4)) % 4;
    if (padding > 0) this.bytes(new Uint8Array(padding));
  }

  option(code: number, value: Uint8Array): void {
    this.u16(code);
    this.u16(value.length);
    this.bytes(value);
    this.pad();
  }

  /** Appends a pcapng block: type, total length, the body `fill` writes, and the total length again. */
  block(type: number, fill: (body: ByteWriter) => void): void {
    const body = new ByteWriter(this.bigEndian);
    fill(body);
    body.pad();
    const content = body.toBuffer();
    this.u32(type);
    this.u32(content.length + 12);
    this.bytes(content);
    this.u32(content.length + 12);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }
}

// Link layers.

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;

export function ethertypeOf(ipPacket: Uint8Array): number {
  return ipPacket[0]! >> 4 === 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
}

/** Builds an Ethernet II frame, with 802.1Q or 802.1ad tags `[tpid, vlanId]` in order from the outside in. */
export function ethernet(ipPacket: Uint8Array, vlans: ReadonlyArray<readonly [number, number]> = []): Buffer {
  const header = Buffer.alloc(12, 0);
  header.set([0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02]);
  const tags = vlans.map(([tpid, id]) => {
    const tag = Buffer.alloc(4);
    tag.writeUInt16BE(tpid);
    tag.writeUInt16BE(id & 0x0fff, 2);
    return tag;
  });
  const type = Buffer.alloc(2);
  type.writeUInt16BE(ethertypeOf(ipPacket));
  const frame = Buffer.concat([header, ...tags, type, ipPacket]);
  // Ethernet pads short frames to 60 bytes; the reader must cut the padding by the IP length.
  return frame.length < 60 ? Buffer.concat([frame, Buffer.alloc(60 - frame.length, 0xee)]) : frame;
}

/** Builds a Linux cooked capture (SLL) frame with its 16-byte header. */
export function sll(ipPacket: Uint8Array): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt16BE(0, 0); // sent to us
  header.writeUInt16BE(1, 2); // ARPHRD_ETHER
  header.writeUInt16BE(6, 4);
  header.set([0x02, 0, 0, 0, 0, 0x01], 6);
  header.writeUInt16BE(ethertypeOf(ipPacket), 14);
  return Buffer.concat([header, ipPacket]);
}

/** Builds a Linux cooked capture v2 (SLL2) frame with its 20-byte header. */
export function sll2(ipPacket: Uint8Array): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt16BE(ethertypeOf(ipPacket), 0);
  header.writeUInt32BE(2, 4); // interface index
  header.writeUInt16BE(1, 8); // ARPHRD_ETHER
  header.writeUInt8(4, 10); // outgoing
  header.writeUInt8(6, 11);
  header.set([0x02, 0, 0, 0, 0, 0x01], 12);
  return Buffer.concat([header, ipPacket]);
}

/** Builds a BSD loopback (NULL) frame, with the address family in the capturing host's byte order. */
export function nullLoopback(ipPacket: Uint8Array, bigEndian = false): Buffer {
  const header = Buffer.alloc(4);
  const family = ipPacket[0]! >> 4 === 6 ? 30 : 2;
  if (bigEndian) header.writeUInt32BE(family);
  else header.writeUInt32LE(family);
  return Buffer.concat([header, ipPacket]);
}

// Network and transport layers.

export const PROTOCOL_TCP = 6;
export const PROTOCOL_UDP = 17;

export function parseAddress(text: string): Buffer {
  if (text.includes(':')) {
    const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
    const headGroups = head === '' || head === undefined ? [] : head.split(':');
    const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
    const zeros = new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
    const groups = tail === undefined ? headGroups : [...headGroups, ...zeros, ...tailGroups];
    const bytes = Buffer.alloc(16);
    groups.forEach((group, index) => bytes.writeUInt16BE(parseInt(group, 16), index * 2));
    return bytes;
  }
  return Buffer.from(text.split('.').map(Number));
}

export interface IpOptions {
  source: string;
  destination: string;
  protocol: number;
  payload: Uint8Array;
  /** IPv4 fragment offset in 8-byte units and the more-fragments flag. */
  fragmentOffset?: number;
  moreFragments?: boolean;
  /** IPv6 extension headers as [next-header-type, body] pairs, placed before the payload. */
  extensionHeaders?: ReadonlyArray<readonly [number, Uint8Array]>;
}

export function ipPacket(options: IpOptions): Buffer {
  return options.source.includes(':') ? ipv6(options) : ipv4(options);
}

function ipv4(options: IpOptions): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt8(0x45, 0);
  header.writeUInt16BE(20 + options.payload.length, 2);
  const flags = (options.moreFragments ? 0x2000 : 0) | (options.fragmentOffset ?? 0);
  header.writeUInt16BE(flags, 6);
  header.writeUInt8(64, 8);
  header.writeUInt8(options.protocol, 9);
  parseAddress(options.source).copy(header, 12);
  parseAddress(options.destination).copy(header, 16);
  return Buffer.concat([header, options.payload]);
}

function ipv6(options: IpOptions): Buffer {
  const extensions = options.extensionHeaders ?? [];
  // Each extension header names the header after it; the last names the transport protocol.
  const types = [...extensions.map(([type]) => type), options.protocol];
  const encoded = extensions.map(([, body], index) => {
    const header = Buffer.concat([Uint8Array.of(types[index + 1]!, 0), body]);
    if (types[index] !== 44) header.writeUInt8(header.length / 8 - 1, 1);
    return header;
  });
  const payload = Buffer.concat([...encoded, options.payload]);
  const header = Buffer.alloc(40);
  header.writeUInt32BE(0x60000000, 0);
  header.writeUInt16BE(payload.length, 4);
  header.writeUInt8(types[0]!, 6);
  header.writeUInt8(64, 7);
  parseAddress(options.source).copy(header, 8);
  parseAddress(options.destination).copy(header, 24);
  return Buffer.concat([header, payload]);
}

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

export interface TcpOptions {
  sourcePort: number;
  destinationPort: number;
  sequence: number;
  acknowledgment?: number;
  flags: number;
  payload?: Uint8Array;
}

export function tcpSegment(options: TcpOptions): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt16BE(options.sourcePort, 0);
  header.writeUInt16BE(options.destinationPort, 2);
  header.writeUInt32BE(options.sequence >>> 0, 4);
  header.writeUInt32BE((options.acknowledgment ?? 0) >>> 0, 8);
  header.writeUInt8(5 << 4, 12);
  header.writeUInt8(options.flags, 13);
  header.writeUInt16BE(65535, 14);
  return Buffer.concat([header, options.payload ?? new Uint8Array(0)]);
}

export function udpDatagram(sourcePort: number, destinationPort: number, payload: Uint8Array): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16BE(sourcePort, 0);
  header.writeUInt16BE(destinationPort, 2);
  header.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([header, payload]);
}

export function udpPacket(
  source: string,
  sourcePort: number,
  destination: string,
  destinationPort: number,
  payload: Uint8Array,
): Buffer {
  return ipPacket({
    source,
    destination,
    protocol: PROTOCOL_UDP,
    payload: udpDatagram(sourcePort, destinationPort, payload),
  });
}

export interface TimedPacket {
  timeMicros: number;
  /** An IP packet, to be wrapped in a link layer. */
  ip: Buffer;
}

/**
 * A TCP connection between a client and a server, written packet by packet with consistent sequence
 * numbers. Each step advances the clock by `stepMicros`.
 */
export class TcpConversation {
  readonly packets: TimedPacket[] = [];
  private clientSequence: number;
  private serverSequence: number;
  private timeMicros: number;

  constructor(
    readonly client: string,
    readonly clientPort: number,
    readonly server: string,
    readonly serverPort: number,
    startMicros: number,
    private readonly stepMicros = 1000,
    initialSequences: readonly [number, number] = [1000, 5000],
  ) {
    this.timeMicros = startMicros;
    [this.clientSequence, this.serverSequence] = initialSequences;
  }

  /** SYN, SYN-ACK, ACK. */
  handshake(): this {
    return this.syn().synAck().clientAck();
  }

  syn(): this {
    this.send(true, SYN, new Uint8Array(0), false);
    this.clientSequence += 1;
    return this;
  }

  synAck(): this {
    this.send(false, SYN | ACK, new Uint8Array(0));
    this.serverSequence += 1;
    return this;
  }

  clientAck(): this {
    return this.send(true, ACK, new Uint8Array(0));
  }

  /** Sends `payload` from the client, cut into segments of at most `segmentSize` bytes. */
  clientSends(payload: Uint8Array, segmentSize = 1460): this {
    return this.sendData(true, payload, segmentSize);
  }

  serverSends(payload: Uint8Array, segmentSize = 1460): this {
    return this.sendData(false, payload, segmentSize);
  }

  /** FIN from the client, FIN-ACK from the server, final ACK. */
  close(): this {
    this.send(true, FIN | ACK, new Uint8Array(0));
    this.clientSequence += 1;
    this.send(false, FIN | ACK, new Uint8Array(0));
    this.serverSequence += 1;
    return this.clientAck();
  }

  reset(fromClient: boolean): this {
    return this.send(fromClient, RST | ACK, new Uint8Array(0));
  }

  wait(micros: number): this {
    this.timeMicros += micros;
    return this;
  }

  private sendData(fromClient: boolean, payload: Uint8Array, segmentSize: number): this {
    for (let offset = 0; offset < payload.length; offset += segmentSize) {
      const segment = payload.subarray(offset, offset + segmentSize);
      this.send(fromClient, PSH | ACK, segment);
      if (fromClient) this.clientSequence += segment.length;
      else this.serverSequence += segment.length;
    }
    return this;
  }

  private send(fromClient: boolean, flags: number, payload: Uint8Array, acknowledges = true): this {
    let acknowledgment = 0;
    if (acknowledges) acknowledgment = fromClient ? this.serverSequence : this.clientSequence;
    const segment = tcpSegment({
      sourcePort: fromClient ? this.clientPort : this.serverPort,
      destinationPort: fromClient ? this.serverPort : this.clientPort,
      sequence: fromClient ? this.clientSequence : this.serverSequence,
      acknowledgment,
      flags,
      payload,
    });
    this.packets.push({
      timeMicros: this.timeMicros,
      ip: ipPacket({
        source: fromClient ? this.client : this.server,
        destination: fromClient ? this.server : this.client,
        protocol: PROTOCOL_TCP,
        payload: segment,
      }),
    });
    this.timeMicros += this.stepMicros;
    return this;
  }
}

// Application payloads.

/** Builds a ClientHello record in TLS 1.2 framing with a server_name extension. */
export function tlsClientHello(serverName: string, padding = 0): Buffer {
  const name = Buffer.from(serverName, 'ascii');
  const serverNameList = Buffer.alloc(5);
  serverNameList.writeUInt16BE(name.length + 3, 0);
  serverNameList.writeUInt8(0, 2);
  serverNameList.writeUInt16BE(name.length, 3);
  const sniData = Buffer.concat([serverNameList, name]);
  const sniExtension = Buffer.concat([u16(0), u16(sniData.length), sniData]);
  // A padding extension (RFC 7685) makes the hello long enough to span segments.
  const paddingExtension =
    padding > 0 ? Buffer.concat([u16(21), u16(padding), Buffer.alloc(padding)]) : Buffer.alloc(0);
  const extensions = Buffer.concat([sniExtension, paddingExtension]);
  const body = Buffer.concat([
    Uint8Array.of(3, 3),
    Buffer.alloc(32, 0xab),
    Uint8Array.of(0),
    u16(2),
    Uint8Array.of(0x13, 0x01),
    Uint8Array.of(1, 0),
    u16(extensions.length),
    extensions,
  ]);
  const handshake = Buffer.concat([Uint8Array.of(1), u24(body.length), body]);
  return Buffer.concat([Uint8Array.of(22, 3, 1), u16(handshake.length), handshake]);
}

/** Builds a DNS query of type A for `name`. */
export function dnsQuery(name: string, id = 0x1234): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  const labels = name
    .split('.')
    .map((label) => Buffer.concat([Uint8Array.of(label.length), Buffer.from(label)]));
  return Buffer.concat([header, ...labels, Uint8Array.of(0), u16(1), u16(1)]);
}

export function httpRequest(method: string, uri: string, headers: Record<string, string>, body = ''): Buffer {
  const lines = [
    `${method} ${uri} HTTP/1.1`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'utf8');
}

function u16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(value);
  return buffer;
}

function u24(value: number): Buffer {
  return Buffer.from([(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff]);
}
