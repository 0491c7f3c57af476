/**
 * Magic numbers of packet capture files, checked on the first bytes of the (decompressed) content so that
 * captures pass the sniffer's text check and reach the pcap format.
 */

export type CaptureKind = 'pcap' | 'pcapng';

/** Classic pcap magic numbers as the file's first four bytes, for both byte orders. */
const PCAP_MAGICS = [
  [0xa1, 0xb2, 0xc3, 0xd4], // microsecond timestamps, big-endian
  [0xd4, 0xc3, 0xb2, 0xa1], // microsecond timestamps, little-endian
  [0xa1, 0xb2, 0x3c, 0x4d], // nanosecond timestamps, big-endian
  [0x4d, 0x3c, 0xb2, 0xa1], // nanosecond timestamps, little-endian
];

/** The pcapng Section Header Block type, the same in both byte orders. */
const PCAPNG_BLOCK_TYPE = [0x0a, 0x0d, 0x0d, 0x0a];

/** The pcapng byte-order magic 0x1A2B3C4D at offset 8 of the Section Header Block. */
const PCAPNG_BYTE_ORDER_MAGICS = [
  [0x1a, 0x2b, 0x3c, 0x4d],
  [0x4d, 0x3c, 0x2b, 0x1a],
];

function startsWith(head: Uint8Array, bytes: readonly number[], offset = 0): boolean {
  return bytes.every((byte, index) => head[offset + index] === byte);
}

/**
 * Returns the kind of capture whose magic number starts `head`, or null. A pcapng file must also carry the
 * byte-order magic, because its block type alone (CR LF CR LF after a LF) could start a text file.
 */
export function captureKind(head: Uint8Array): CaptureKind | null {
  if (PCAP_MAGICS.some((magic) => startsWith(head, magic))) return 'pcap';
  if (
    startsWith(head, PCAPNG_BLOCK_TYPE) &&
    PCAPNG_BYTE_ORDER_MAGICS.some((magic) => startsWith(head, magic, 8))
  ) {
    return 'pcapng';
  }
  return null;
}
