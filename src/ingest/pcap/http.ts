/**
 * HTTP/1.x requests in the client's byte stream of a TCP connection: the request line, Host and
 * User-Agent of each request of a keep-alive connection. Bodies are skipped by Content-Length or chunked
 * framing. After lost bytes (a gap in the stream), parsing resumes at the next segment that starts a request.
 */

/** Maximum size of a request head (request line and headers). A longer one ends the parsing of the connection. */
export const MAX_REQUEST_HEAD_BYTES = 64 * 1024;

/** Maximum length of a chunk-size or trailer line of a chunked body. */
const MAX_LINE_BYTES = 8 * 1024;

/** A request method token followed by a space and the start of a target, as a request line begins. */
const REQUEST_START = /^[A-Z][A-Z_-]{2,19} [^\s]/;
const REQUEST_START_BYTES = 22;
const REQUEST_LINE = /^([A-Z][A-Z_-]{2,19}) (\S+) HTTP\/\d\.\d$/;

export interface HttpRequest {
  /** Capture time of the packet that carried the first byte of the request, epoch microseconds. */
  timeMicros: number;
  /** Packet record of that packet. */
  index: number;
  method: string;
  uri: string;
  /** The Host header without a :port suffix, or null when absent. */
  host: string | null;
  userAgent: string | null;
  /** Bytes of the request head plus the Content-Length it declares. */
  bytes: number;
}

export type StreamStart = 'http' | 'other' | 'undecided';

/** Decides from the first bytes of a client stream whether it starts with an HTTP request line. */
export function classifyHttpStart(start: Buffer): StreamStart {
  const text = start.toString('latin1', 0, Math.min(start.length, REQUEST_START_BYTES));
  if (REQUEST_START.test(text)) return 'http';
  // An incomplete method token may still become a request line with more bytes.
  if (text.length < REQUEST_START_BYTES && /^[A-Z][A-Z_-]*( )?$/.test(text)) return 'undecided';
  return 'other';
}

type Mode =
  'idle' | 'head' | 'body' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailer' | 'resync' | 'done';

export class HttpRequestParser {
  /** Requests parsed so far. */
  requests = 0;
  private mode: Mode = 'idle';
  private head = '';
  private line = '';
  private remaining = 0;
  private requestTime = 0;
  private requestIndex = 0;

  constructor(private readonly onRequest: (request: HttpRequest) => void) {}

  /** True once the stream has stopped looking like HTTP requests; later bytes are ignored. */
  get done(): boolean {
    return this.mode === 'done';
  }

  /** Bytes lost in the stream: the request or body in progress cannot be followed. */
  gap(): void {
    if (this.mode !== 'done') this.mode = 'resync';
  }

  /** Consumes the next in-order bytes of the stream, which arrived in the packet `index` at `timeMicros`. */
  data(bytes: Buffer, timeMicros: number, index: number): void {
    if (this.mode === 'resync') {
      if (classifyHttpStart(bytes) !== 'http') return;
      this.mode = 'idle';
    }
    let position = 0;
    while (position < bytes.length && this.mode !== 'done') {
      switch (this.mode) {
        case 'idle':
          position = this.skipLineBreaks(bytes, position);
          if (position < bytes.length) {
            this.mode = 'head';
            this.head = '';
            this.requestTime = timeMicros;
            this.requestIndex = index;
          }
          break;
        case 'head':
          position = this.readHead(bytes, position);
          break;
        case 'body':
        case 'chunk-data':
          position = this.skipBody(bytes, position);
          break;
        case 'chunk-size':
        case 'chunk-end':
        case 'trailer':
          position = this.readChunkLine(bytes, position);
          break;
        default:
          return;
      }
    }
  }

  private skipLineBreaks(bytes: Buffer, position: number): number {
    let next = position;
    while (next < bytes.length && (bytes.readUInt8(next) === 0x0d || bytes.readUInt8(next) === 0x0a))
      next += 1;
    return next;
  }

  /** Appends bytes to the request head until the blank line that ends it, then parses the head. */
  private readHead(bytes: Buffer, position: number): number {
    const before = this.head.length;
    const take = Math.min(bytes.length - position, MAX_REQUEST_HEAD_BYTES - before + 4);
    this.head += bytes.toString('latin1', position, position + take);
    // Give up early on bytes that cannot start a request line, such as a protocol switched to after an
    // Upgrade or CONNECT, instead of buffering them while looking for a blank line.
    if (before < REQUEST_START_BYTES && classifyHttpStart(Buffer.from(this.head, 'latin1')) === 'other') {
      this.mode = 'done';
      return bytes.length;
    }
    const end = headEnd(this.head, Math.max(0, before - 3));
    if (end === null) {
      if (this.head.length >= MAX_REQUEST_HEAD_BYTES) this.mode = 'done';
      return position + take;
    }
    const headText = this.head.slice(0, end.index);
    const headBytes = end.index + end.length;
    this.head = '';
    this.finishHead(headText, headBytes);
    return position + headBytes - before;
  }

  private finishHead(text: string, headBytes: number): void {
    const lines = text.split(/\r?\n/);
    const requestLine = REQUEST_LINE.exec(lines[0] ?? '');
    if (requestLine === null) {
      this.mode = 'done';
      return;
    }
    let host: string | null = null;
    let userAgent: string | null = null;
    let contentLength = 0;
    let chunked = false;
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = decodeUtf8(line.slice(colon + 1).trim());
      if (name === 'host' && host === null) host = stripPort(value);
      else if (name === 'user-agent' && userAgent === null) userAgent = value === '' ? null : value;
      else if (name === 'content-length' && /^\d+$/.test(value)) contentLength = Number(value);
      else if (name === 'transfer-encoding' && /chunked/i.test(value)) chunked = true;
    }

    this.requests += 1;
    this.onRequest({
      timeMicros: this.requestTime,
      index: this.requestIndex,
      method: requestLine[1]!,
      uri: decodeUtf8(requestLine[2]!),
      host,
      userAgent,
      bytes: headBytes + (chunked ? 0 : contentLength),
    });
    // Chunked framing wins over Content-Length (RFC 9112, section 6.3).
    if (chunked) {
      this.mode = 'chunk-size';
      this.line = '';
    } else if (contentLength > 0) {
      this.mode = 'body';
      this.remaining = contentLength;
    } else {
      this.mode = 'idle';
    }
  }

  private skipBody(bytes: Buffer, position: number): number {
    const skipped = Math.min(this.remaining, bytes.length - position);
    this.remaining -= skipped;
    if (this.remaining === 0) {
      this.mode = this.mode === 'body' ? 'idle' : 'chunk-end';
      this.line = '';
    }
    return position + skipped;
  }

  /** Reads one line of chunked framing: a chunk size, the line break after chunk data, or a trailer. */
  private readChunkLine(bytes: Buffer, position: number): number {
    const newline = bytes.indexOf(0x0a, position);
    const end = newline === -1 ? bytes.length : newline;
    this.line += bytes.toString('latin1', position, end);
    if (this.line.length > MAX_LINE_BYTES) {
      this.mode = 'done';
      return bytes.length;
    }
    if (newline === -1) return bytes.length;

    const line = this.line.replace(/\r$/, '');
    this.line = '';
    if (this.mode === 'chunk-end') {
      this.mode = 'chunk-size';
    } else if (this.mode === 'trailer') {
      if (line === '') this.mode = 'idle';
    } else {
      const size = /^[0-9A-Fa-f]{1,12}/.exec(line);
      if (size === null) {
        this.mode = 'done';
      } else {
        this.remaining = parseInt(size[0], 16);
        this.mode = this.remaining === 0 ? 'trailer' : 'chunk-data';
      }
    }
    return newline + 1;
  }
}

/** Finds the blank line that ends a request head: CRLF CRLF, or LF LF from lenient clients. */
function headEnd(text: string, from: number): { index: number; length: number } | null {
  const crlf = text.indexOf('\r\n\r\n', from);
  const lf = text.indexOf('\n\n', from);
  if (crlf === -1 && lf === -1) return null;
  if (lf === -1 || (crlf !== -1 && crlf < lf)) return { index: crlf, length: 4 };
  return { index: lf, length: 2 };
}

/** Removes a :port suffix from a Host value; IPv6 literals keep their brackets. Empty becomes null. */
export function stripPort(host: string): string | null {
  const stripped = host.replace(/^([^:]*|\[.*\]):[0-9]+$/, '$1');
  return stripped === '' ? null : stripped;
}

/** Header text is read as Latin-1 to find its boundaries; values that are UTF-8 are decoded as such. */
function decodeUtf8(latin1: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(latin1)) return latin1;
  return Buffer.from(latin1, 'latin1').toString('utf8');
}
