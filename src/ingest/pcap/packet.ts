/**
 * Decodes one captured frame down to its TCP or UDP header: link layer, IP, transport. Anything else (ARP,
 * ICMP, fragments after the first) is reported as not used, and a header that is cut off or inconsistent
 * as invalid with a reason.
 */
import { decodeIp } from './ip.js';
import { decodeLinkLayer } from './link.js';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

const PROTOCOL_TCP = 6;
const PROTOCOL_UDP = 17;

/** Names of the IP protocols most often met besides TCP and UDP, for the count of packets not used. */
const IP_PROTOCOL_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'ICMP'],
  [2, 'IGMP'],
  [4, 'IPv4 in IP'],
  [41, 'IPv6 in IP'],
  [47, 'GRE'],
  [50, 'ESP'],
  [58, 'ICMPv6'],
  [89, 'OSPF'],
  [103, 'PIM'],
  [112, 'VRRP'],
  [132, 'SCTP'],
]);

export interface TransportPacket {
  kind: 'transport';
  ipVersion: 4 | 6;
  source: Buffer;
  destination: Buffer;
  protocol: 'tcp' | 'udp';
  sourcePort: number;
  destinationPort: number;
  /** TCP flags (FIN, SYN, RST, ACK, ...); 0 for UDP. */
  flags: number;
  /** TCP sequence number; 0 for UDP. */
  sequence: number;
  /** TCP acknowledgment number; 0 for UDP. */
  acknowledgment: number;
  /** The captured part of the payload. */
  payload: Buffer;
  /** Payload length on the wire, from the IP and transport headers. */
  payloadLength: number;
}

export type DecodedPacket =
  TransportPacket | { kind: 'other'; protocol: string } | { kind: 'invalid'; reason: string };

export function decodePacket(linkType: number, data: Buffer): DecodedPacket {
  const link = decodeLinkLayer(linkType, data);
  if (link.kind !== 'ip') return link;
  const ip = decodeIp(data, link.offset, link.version);
  if (ip.kind !== 'ip') return ip;

  // The transport header and payload end where the IP packet ends, which drops Ethernet padding and
  // trailers. A snap length can end the capture earlier.
  const ipEnd = Math.min(data.length, ip.payloadOffset + ip.payloadLength);
  const start = ip.payloadOffset;
  if (ip.protocol === PROTOCOL_TCP) {
    if (start + 20 > ipEnd) return { kind: 'invalid', reason: 'truncated TCP header' };
    const headerLength = (data.readUInt8(start + 12) >> 4) * 4;
    if (headerLength < 20) return { kind: 'invalid', reason: 'invalid TCP header length' };
    if (headerLength > ip.payloadLength)
      return { kind: 'invalid', reason: 'TCP header longer than the IP payload' };
    if (start + headerLength > ipEnd) return { kind: 'invalid', reason: 'truncated TCP header' };
    return {
      kind: 'transport',
      ipVersion: ip.version,
      source: ip.source,
      destination: ip.destination,
      protocol: 'tcp',
      sourcePort: data.readUInt16BE(start),
      destinationPort: data.readUInt16BE(start + 2),
      flags: data.readUInt8(start + 13),
      sequence: data.readUInt32BE(start + 4),
      acknowledgment: data.readUInt32BE(start + 8),
      payload: data.subarray(start + headerLength, ipEnd),
      payloadLength: ip.payloadLength - headerLength,
    };
  }
  if (ip.protocol === PROTOCOL_UDP) {
    if (start + 8 > ipEnd) return { kind: 'invalid', reason: 'truncated UDP header' };
    const udpLength = data.readUInt16BE(start + 4);
    // The UDP length covers the whole datagram, which is longer than the first fragment. A length of 0
    // (IPv6 jumbograms) or one below the header size defers to the IP length.
    let payloadLength = ip.payloadLength - 8;
    if (udpLength >= 8 && (ip.firstFragment || udpLength < ip.payloadLength)) payloadLength = udpLength - 8;
    return {
      kind: 'transport',
      ipVersion: ip.version,
      source: ip.source,
      destination: ip.destination,
      protocol: 'udp',
      sourcePort: data.readUInt16BE(start),
      destinationPort: data.readUInt16BE(start + 2),
      flags: 0,
      sequence: 0,
      acknowledgment: 0,
      payload: data.subarray(start + 8, Math.min(ipEnd, start + 8 + Math.max(payloadLength, 0))),
      payloadLength,
    };
  }
  return { kind: 'other', protocol: IP_PROTOCOL_NAMES.get(ip.protocol) ?? `IP protocol ${ip.protocol}` };
}
