/**
 * IPv4 and IPv6 headers: the addresses, the upper-layer protocol after any IPv6 extension headers, where
 * its header starts and how long it is on the wire. Fragments after the first carry no transport header,
 * so they are reported as such and not decoded further.
 */

export interface IpLayer {
  kind: 'ip';
  version: 4 | 6;
  source: Buffer;
  destination: Buffer;
  /** The upper-layer protocol number (6 TCP, 17 UDP, ...). */
  protocol: number;
  /** Offset of the upper-layer header in the frame. */
  payloadOffset: number;
  /** Length of the upper-layer header and data as the IP header states it, which may exceed what was captured. */
  payloadLength: number;
  /** True for the first fragment of a fragmented datagram, whose payload length covers that fragment only. */
  firstFragment: boolean;
}

export type IpResult = IpLayer | { kind: 'other'; protocol: string } | { kind: 'invalid'; reason: string };

const NON_FIRST_FRAGMENT: IpResult = { kind: 'other', protocol: 'IP fragment after the first' };

/** IPv6 extension headers whose length byte counts 8-octet units after the first 8 octets (RFC 8200). */
const OPTION_STYLE_HEADERS = new Set([
  0, // Hop-by-Hop Options
  43, // Routing
  60, // Destination Options
  135, // Mobility (RFC 6275)
  139, // Host Identity Protocol (RFC 7401)
  140, // Shim6 (RFC 5533)
]);
const IPV6_FRAGMENT = 44;
const IPV6_AUTHENTICATION = 51;
const IPV6_NO_NEXT_HEADER = 59;

/** More IPv6 extension headers than this mark a malformed packet. */
const MAX_EXTENSION_HEADERS = 16;

export function decodeIp(data: Buffer, offset: number, version: 4 | 6): IpResult {
  return version === 4 ? decodeIpv4(data, offset) : decodeIpv6(data, offset);
}

function decodeIpv4(data: Buffer, offset: number): IpResult {
  if (offset + 20 > data.length) return { kind: 'invalid', reason: 'truncated IPv4 header' };
  const first = data.readUInt8(offset);
  if (first >> 4 !== 4) return { kind: 'invalid', reason: 'IPv4 header with a wrong version' };
  const headerLength = (first & 0x0f) * 4;
  if (headerLength < 20) return { kind: 'invalid', reason: 'invalid IPv4 header length' };
  if (offset + headerLength > data.length) return { kind: 'invalid', reason: 'truncated IPv4 header' };
  let totalLength = data.readUInt16BE(offset + 2);
  // Captures taken on a host that offloads segmentation (TSO) show a total length of 0; the captured
  // length is then the only measure, as Wireshark also assumes.
  if (totalLength === 0) totalLength = data.length - offset;
  if (totalLength < headerLength)
    return { kind: 'invalid', reason: 'IPv4 total length shorter than its header' };

  const fragment = data.readUInt16BE(offset + 6);
  const fragmentOffset = fragment & 0x1fff;
  if (fragmentOffset !== 0) return NON_FIRST_FRAGMENT;
  const moreFragments = (fragment & 0x2000) !== 0;
  return {
    kind: 'ip',
    version: 4,
    source: data.subarray(offset + 12, offset + 16),
    destination: data.subarray(offset + 16, offset + 20),
    protocol: data.readUInt8(offset + 9),
    payloadOffset: offset + headerLength,
    payloadLength: totalLength - headerLength,
    firstFragment: moreFragments,
  };
}

function decodeIpv6(data: Buffer, offset: number): IpResult {
  if (offset + 40 > data.length) return { kind: 'invalid', reason: 'truncated IPv6 header' };
  if (data.readUInt8(offset) >> 4 !== 6)
    return { kind: 'invalid', reason: 'IPv6 header with a wrong version' };
  let remaining = data.readUInt16BE(offset + 4);
  let next = data.readUInt8(offset + 6);
  // A payload length of 0 with a Hop-by-Hop header is a jumbogram (RFC 2675) or a segmentation-offload
  // capture; the captured length is then the measure.
  if (remaining === 0 && next === 0) remaining = data.length - offset - 40;
  let position = offset + 40;
  let firstFragment = false;

  for (let count = 0; count <= MAX_EXTENSION_HEADERS; count += 1) {
    let length: number;
    if (OPTION_STYLE_HEADERS.has(next)) {
      if (position + 2 > data.length) return { kind: 'invalid', reason: 'truncated IPv6 extension header' };
      length = (data.readUInt8(position + 1) + 1) * 8;
    } else if (next === IPV6_AUTHENTICATION) {
      if (position + 2 > data.length) return { kind: 'invalid', reason: 'truncated IPv6 extension header' };
      length = (data.readUInt8(position + 1) + 2) * 4;
    } else if (next === IPV6_FRAGMENT) {
      if (position + 8 > data.length) return { kind: 'invalid', reason: 'truncated IPv6 extension header' };
      const fragment = data.readUInt16BE(position + 2);
      if (fragment >> 3 !== 0) return NON_FIRST_FRAGMENT;
      firstFragment = (fragment & 1) === 1;
      length = 8;
    } else if (next === IPV6_NO_NEXT_HEADER) {
      return { kind: 'other', protocol: 'IPv6 without a next header' };
    } else {
      return {
        kind: 'ip',
        version: 6,
        source: data.subarray(offset + 8, offset + 24),
        destination: data.subarray(offset + 24, offset + 40),
        protocol: next,
        payloadOffset: position,
        payloadLength: remaining,
        firstFragment,
      };
    }
    if (position + length > data.length)
      return { kind: 'invalid', reason: 'truncated IPv6 extension header' };
    if (length > remaining)
      return { kind: 'invalid', reason: 'IPv6 extension headers longer than the payload' };
    next = data.readUInt8(position);
    position += length;
    remaining -= length;
  }
  return { kind: 'invalid', reason: `more than ${MAX_EXTENSION_HEADERS} IPv6 extension headers` };
}

/** Formats an IPv4 or IPv6 address as text; IPv6 in the RFC 5952 form that Zeek and Wireshark print. */
export function formatAddress(bytes: Buffer): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  return formatIpv6(bytes);
}

function formatIpv6(bytes: Buffer): string {
  const groups: number[] = [];
  for (let index = 0; index < 16; index += 2) groups.push(bytes.readUInt16BE(index));
  // IPv4-mapped addresses keep the dotted quad (RFC 5952, section 5).
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }

  // The longest run of two or more zero groups becomes "::", and of equal runs the first one does.
  let bestStart = -1;
  let bestLength = 0;
  for (let start = 0; start < 8;) {
    if (groups[start] !== 0) {
      start += 1;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === 0) end += 1;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestLength < 2) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}
