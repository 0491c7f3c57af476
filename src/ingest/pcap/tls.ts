/**
 * The server name (SNI) of a TLS ClientHello, read from the start of the client's byte stream. The hello
 * may span TCP segments and TLS records, so the caller keeps the bytes until the hello is complete, up to
 * MAX_CLIENT_HELLO_BYTES. Format reference: RFC 8446 (sections 4.1.2 and 5.1) and RFC 6066 (section 3).
 */

/**
 * Client bytes kept while a ClientHello is incomplete. One TLS record carries at most 16 KiB, and browsers'
 * hellos with post-quantum key shares are below 4 KiB, so 32 KiB covers a hello spread over two records.
 */
export const MAX_CLIENT_HELLO_BYTES = 32 * 1024;

const CONTENT_TYPE_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXTENSION_SERVER_NAME = 0;
const NAME_TYPE_HOST_NAME = 0;
/** Largest record payload RFC 8446 allows (2^14 plus expansion); anything longer is not TLS. */
const MAX_RECORD_LENGTH = 18_432;

export type ClientHelloResult =
  { status: 'incomplete' } | { status: 'not-tls' } | { status: 'hello'; serverName: string | null };

/** Returns true when `start`, the first bytes of a stream, can begin a TLS handshake record. */
export function looksLikeTlsRecord(start: Buffer): boolean {
  return (
    start.length >= 3 &&
    start.readUInt8(0) === CONTENT_TYPE_HANDSHAKE &&
    start.readUInt8(1) === 3 &&
    start.readUInt8(2) <= 4
  );
}

/** Reads handshake records from the start of `stream` and parses the ClientHello they carry. */
export function parseClientHello(stream: Buffer): ClientHelloResult {
  const fragments: Buffer[] = [];
  let collected = 0;
  let offset = 0;
  while (offset + 5 <= stream.length) {
    const length = stream.readUInt16BE(offset + 3);
    if (
      !looksLikeTlsRecord(stream.subarray(offset, offset + 3)) ||
      length === 0 ||
      length > MAX_RECORD_LENGTH
    ) {
      return { status: 'not-tls' };
    }
    const available = Math.min(length, stream.length - offset - 5);
    fragments.push(stream.subarray(offset + 5, offset + 5 + available));
    collected += available;

    const handshake = fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments, collected);
    if (handshake.length >= 1 && handshake.readUInt8(0) !== HANDSHAKE_CLIENT_HELLO)
      return { status: 'not-tls' };
    if (handshake.length >= 4) {
      const messageEnd = 4 + handshake.readUIntBE(1, 3);
      if (handshake.length >= messageEnd) {
        return { status: 'hello', serverName: serverNameOf(handshake.subarray(4, messageEnd)) };
      }
    }
    if (available < length) break;
    offset += 5 + length;
  }
  return { status: 'incomplete' };
}

/** Finds the host_name of the server_name extension in a ClientHello body, or null when it has none. */
function serverNameOf(hello: Buffer): string | null {
  // legacy_version (2), random (32), then session id, cipher suites and compression methods.
  let offset = 34;
  if (offset + 1 > hello.length) return null;
  offset += 1 + hello.readUInt8(offset);
  if (offset + 2 > hello.length) return null;
  offset += 2 + hello.readUInt16BE(offset);
  if (offset + 1 > hello.length) return null;
  offset += 1 + hello.readUInt8(offset);
  if (offset + 2 > hello.length) return null;
  const extensionsEnd = Math.min(hello.length, offset + 2 + hello.readUInt16BE(offset));
  offset += 2;

  while (offset + 4 <= extensionsEnd) {
    const type = hello.readUInt16BE(offset);
    const length = hello.readUInt16BE(offset + 2);
    const data = offset + 4;
    if (data + length > extensionsEnd) return null;
    if (type === EXTENSION_SERVER_NAME) return hostNameOf(hello.subarray(data, data + length));
    offset = data + length;
  }
  return null;
}

/** Reads the first host_name entry of a ServerNameList. */
function hostNameOf(list: Buffer): string | null {
  if (list.length < 2) return null;
  const end = Math.min(list.length, 2 + list.readUInt16BE(0));
  let offset = 2;
  while (offset + 3 <= end) {
    const type = list.readUInt8(offset);
    const length = list.readUInt16BE(offset + 1);
    const name = list.subarray(offset + 3, offset + 3 + length);
    if (offset + 3 + length > end) return null;
    if (type === NAME_TYPE_HOST_NAME) return isPrintableAscii(name) ? name.toString('latin1') : null;
    offset += 3 + length;
  }
  return null;
}

/** Host names are ASCII (RFC 6066 requires A-labels), so other bytes mean a malformed name. */
function isPrintableAscii(bytes: Buffer): boolean {
  if (bytes.length === 0) return false;
  for (const byte of bytes) if (byte <= 0x20 || byte >= 0x7f) return false;
  return true;
}
