/**
 * The first question name of a DNS message (RFC 1035, section 4.1), the only part of DNS loaded for now.
 */

/** Ports where UDP payloads are read as DNS: DNS, multicast DNS (RFC 6762) and LLMNR (RFC 4795). */
export const DNS_PORTS: ReadonlySet<number> = new Set([53, 5353, 5355]);

const HEADER_BYTES = 12;
const MAX_NAME_LENGTH = 255;
/** Compression pointers followed before a name is treated as a loop. */
const MAX_POINTERS = 16;

/**
 * Returns the name of the first question in `message`, or null when it is not a DNS message with a
 * question. Bytes outside printable ASCII, and the dot and backslash inside a label, are written as
 * `\xHH`. The root name is returned as null.
 */
export function firstQuestionName(message: Buffer): string | null {
  if (message.length < HEADER_BYTES) return null;
  const flags = message.readUInt16BE(2);
  const opcode = (flags >> 11) & 0x0f;
  // Opcodes 3 and above 6 are unassigned (IANA DNS parameters).
  if (opcode === 3 || opcode > 6) return null;
  if (message.readUInt16BE(4) === 0) return null;

  const labels: string[] = [];
  let length = 0;
  let offset = HEADER_BYTES;
  let end = -1;
  let pointers = 0;
  for (;;) {
    if (offset >= message.length) return null;
    const size = message.readUInt8(offset);
    if (size === 0) {
      if (end < 0) end = offset + 1;
      break;
    }
    if ((size & 0xc0) === 0xc0) {
      if (offset + 2 > message.length || pointers >= MAX_POINTERS) return null;
      if (end < 0) end = offset + 2;
      offset = message.readUInt16BE(offset) & 0x3fff;
      pointers += 1;
      continue;
    }
    if ((size & 0xc0) !== 0) return null;
    if (offset + 1 + size > message.length) return null;
    length += size + 1;
    if (length > MAX_NAME_LENGTH) return null;
    labels.push(labelText(message.subarray(offset + 1, offset + 1 + size)));
    offset += 1 + size;
  }
  // QTYPE and QCLASS follow the name.
  if (end + 4 > message.length) return null;
  return labels.length === 0 ? null : labels.join('.');
}

function labelText(label: Buffer): string {
  let text = '';
  for (const byte of label) {
    const printable = byte > 0x20 && byte < 0x7f && byte !== 0x2e && byte !== 0x5c;
    text += printable ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return text;
}
