/**
 * Link-layer headers: finds where the IP packet starts inside a captured frame for the link types that
 * carry IP. Link type numbers are the LINKTYPE_ values of the tcpdump.org registry.
 */

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
/** DLT_RAW as most systems define it. pcap files should contain LINKTYPE_RAW (101), but some write 12. */
export const DLT_RAW = 12;
/** DLT_RAW as OpenBSD defines it. */
export const DLT_RAW_OPENBSD = 14;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

export const SUPPORTED_LINK_TYPES: ReadonlyMap<number, string> = new Map([
  [LINKTYPE_NULL, 'BSD loopback (NULL)'],
  [LINKTYPE_ETHERNET, 'Ethernet'],
  [DLT_RAW, 'raw IP (DLT_RAW 12)'],
  [DLT_RAW_OPENBSD, 'raw IP (DLT_RAW 14)'],
  [LINKTYPE_RAW, 'raw IP'],
  [LINKTYPE_LOOP, 'OpenBSD loopback (LOOP)'],
  [LINKTYPE_LINUX_SLL, 'Linux cooked capture (SLL)'],
  [LINKTYPE_IPV4, 'raw IPv4'],
  [LINKTYPE_IPV6, 'raw IPv6'],
  [LINKTYPE_LINUX_SLL2, 'Linux cooked capture v2 (SLL2)'],
]);

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
/** 802.1Q VLAN tag, 802.1ad service tag (QinQ), and the pre-standard QinQ tag. */
const VLAN_ETHERTYPES = new Set([0x8100, 0x88a8, 0x9100]);
const ETHERTYPE_PPPOE_SESSION = 0x8864;
const ETHERTYPE_MPLS_UNICAST = 0x8847;
const ETHERTYPE_MPLS_MULTICAST = 0x8848;
/** Ethernet type values below this are 802.3 frame lengths, whose payload is LLC (STP, NetBIOS, ...). */
const MIN_ETHERTYPE = 0x0600;

const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;

/** More stacked VLAN tags or MPLS labels than this mark a malformed frame. */
const MAX_STACKED_HEADERS = 8;

/** BSD address family values for IPv6 in NULL and LOOP headers: NetBSD/OpenBSD, FreeBSD, macOS. */
const AF_INET = 2;
const AF_INET6_VALUES = new Set([24, 28, 30]);

export type NetworkLayer =
  | { kind: 'ip'; version: 4 | 6; offset: number }
  /** A frame that carries something other than IP: counted as not used, not as malformed. */
  | { kind: 'other'; protocol: string }
  | { kind: 'invalid'; reason: string };

const OTHER_PROTOCOL_NAMES: ReadonlyMap<number, string> = new Map([
  [0x0806, 'ARP'],
  [0x88cc, 'LLDP'],
  [0x888e, 'EAPOL'],
  [0x8863, 'PPPoE discovery'],
]);

function other(protocol: string): NetworkLayer {
  return { kind: 'other', protocol };
}

function invalid(reason: string): NetworkLayer {
  return { kind: 'invalid', reason };
}

/** Locates the IP header in a frame of the given link type. */
export function decodeLinkLayer(linkType: number, data: Buffer): NetworkLayer {
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      if (data.length < 14) return invalid('truncated Ethernet header');
      return decodeEthertype(data, data.readUInt16BE(12), 14);
    case LINKTYPE_LINUX_SLL:
      if (data.length < 16) return invalid('truncated Linux cooked (SLL) header');
      return decodeEthertype(data, data.readUInt16BE(14), 16);
    case LINKTYPE_LINUX_SLL2:
      if (data.length < 20) return invalid('truncated Linux cooked (SLL2) header');
      return decodeEthertype(data, data.readUInt16BE(0), 20);
    case LINKTYPE_RAW:
    case DLT_RAW:
    case DLT_RAW_OPENBSD:
      return decodeRawIp(data, 0);
    case LINKTYPE_IPV4:
      return { kind: 'ip', version: 4, offset: 0 };
    case LINKTYPE_IPV6:
      return { kind: 'ip', version: 6, offset: 0 };
    case LINKTYPE_NULL:
      return decodeLoopback(data, false);
    case LINKTYPE_LOOP:
      return decodeLoopback(data, true);
    default:
      return invalid(`unsupported link type ${linkType}`);
  }
}

/**
 * Follows an Ethernet type through VLAN tags, a PPPoE session header or an MPLS label stack to the IP
 * header. `offset` is where the payload that `ethertype` describes starts.
 */
function decodeEthertype(data: Buffer, ethertype: number, offset: number): NetworkLayer {
  let type = ethertype;
  let position = offset;
  for (let depth = 0; depth <= MAX_STACKED_HEADERS; depth += 1) {
    if (type === ETHERTYPE_IPV4) return { kind: 'ip', version: 4, offset: position };
    if (type === ETHERTYPE_IPV6) return { kind: 'ip', version: 6, offset: position };
    if (VLAN_ETHERTYPES.has(type)) {
      if (position + 4 > data.length) return invalid('truncated VLAN tag');
      type = data.readUInt16BE(position + 2);
      position += 4;
      continue;
    }
    if (type === ETHERTYPE_PPPOE_SESSION) return decodePppoe(data, position);
    if (type === ETHERTYPE_MPLS_UNICAST || type === ETHERTYPE_MPLS_MULTICAST)
      return decodeMpls(data, position);
    if (type < MIN_ETHERTYPE) return other('802.3 LLC');
    return other(OTHER_PROTOCOL_NAMES.get(type) ?? `Ethernet type 0x${type.toString(16).padStart(4, '0')}`);
  }
  return invalid(`more than ${MAX_STACKED_HEADERS} VLAN tags`);
}

/** PPPoE session header (6 bytes), then the 2-byte PPP protocol number. */
function decodePppoe(data: Buffer, offset: number): NetworkLayer {
  if (offset + 8 > data.length) return invalid('truncated PPPoE header');
  const protocol = data.readUInt16BE(offset + 6);
  if (protocol === PPP_IPV4) return { kind: 'ip', version: 4, offset: offset + 8 };
  if (protocol === PPP_IPV6) return { kind: 'ip', version: 6, offset: offset + 8 };
  return other(`PPP protocol 0x${protocol.toString(16).padStart(4, '0')}`);
}

/** MPLS label stack entries of 4 bytes up to the one with the bottom-of-stack bit, then IP by its version. */
function decodeMpls(data: Buffer, offset: number): NetworkLayer {
  let position = offset;
  for (let depth = 0; depth < MAX_STACKED_HEADERS; depth += 1) {
    if (position + 4 > data.length) return invalid('truncated MPLS label');
    const bottom = (data.readUInt8(position + 2) & 0x01) === 1;
    position += 4;
    if (bottom) return decodeRawIp(data, position);
  }
  return invalid(`more than ${MAX_STACKED_HEADERS} MPLS labels`);
}

/** Reads IP without a link header, where the version nibble distinguishes IPv4 from IPv6. */
function decodeRawIp(data: Buffer, offset: number): NetworkLayer {
  if (offset >= data.length) return invalid('empty raw IP packet');
  const version = data.readUInt8(offset) >> 4;
  if (version === 4) return { kind: 'ip', version: 4, offset };
  if (version === 6) return { kind: 'ip', version: 6, offset };
  return invalid('raw packet that is neither IPv4 nor IPv6');
}

/**
 * Reads the 4-byte address family of BSD loopback captures. NULL writes it in the capturing host's byte
 * order, so either order is accepted, and LOOP in network byte order.
 */
function decodeLoopback(data: Buffer, networkOrder: boolean): NetworkLayer {
  if (data.length < 4) return invalid('truncated loopback header');
  let family = networkOrder ? data.readUInt32BE(0) : data.readUInt32LE(0);
  // A NULL header written on a big-endian host reads as a large number in little-endian order.
  if (!networkOrder && family > 0xffff) family = data.readUInt32BE(0);
  if (family === AF_INET) return { kind: 'ip', version: 4, offset: 4 };
  if (AF_INET6_VALUES.has(family)) return { kind: 'ip', version: 6, offset: 4 };
  return other(`loopback address family ${family}`);
}
