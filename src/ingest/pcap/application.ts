/**
 * Recognises the application protocol of a TCP connection from the first bytes its initiator sends, and
 * reads what the events need: the TLS server name, or the HTTP requests. Other protocols are not parsed,
 * and their bytes are not kept.
 */
import { classifyHttpStart, HttpRequestParser, type HttpRequest } from './http.js';
import type { StreamConsumer } from './stream.js';
import { looksLikeTlsRecord, MAX_CLIENT_HELLO_BYTES, parseClientHello } from './tls.js';

/** Bytes needed to tell TLS and HTTP from other protocols. */
const DETECTION_BYTES = 24;

/** The first byte of a TLS handshake record (content type 22). */
const TLS_HANDSHAKE_RECORD = 0x16;

export interface ApplicationFindings {
  /** Zeek's service name: 'ssl' or 'http', or null when neither was recognised. */
  service: string | null;
  /** TLS SNI, set once the ClientHello is complete. */
  serverName: string | null;
}

type State = 'detect' | 'tls' | 'http' | 'done';

export class ClientStreamAnalyzer implements StreamConsumer {
  readonly findings: ApplicationFindings = { service: null, serverName: null };
  private state: State = 'detect';
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private firstTime = 0;
  private firstIndex = 0;
  private http: HttpRequestParser | null = null;

  private readonly onRequest: (request: HttpRequest) => void;

  constructor(onRequest: (request: HttpRequest) => void) {
    this.onRequest = (request) => {
      this.findings.service = 'http';
      onRequest(request);
    };
  }

  get done(): boolean {
    return this.state === 'done' || (this.state === 'http' && this.http?.done === true);
  }

  data(bytes: Buffer, timeMicros: number, index: number): void {
    if (bytes.length === 0) return;
    if (this.state === 'http') {
      this.http?.data(bytes, timeMicros, index);
      return;
    }
    if (this.state === 'done') return;
    if (this.bufferedBytes === 0) {
      this.firstTime = timeMicros;
      this.firstIndex = index;
    }
    this.buffered.push(Buffer.from(bytes));
    this.bufferedBytes += bytes.length;
    if (this.state === 'detect') this.detect();
    if (this.state === 'tls') this.readClientHello();
  }

  gap(): void {
    if (this.state === 'http') this.http?.gap();
    // A hello or the first bytes cannot be put together across lost bytes.
    else this.state = 'done';
  }

  private detect(): void {
    const start = this.joined();
    if (start.readUInt8(0) === TLS_HANDSHAKE_RECORD) {
      // The record type, then the version's two bytes tell a TLS record apart.
      if (start.length < 3) return;
      this.state = looksLikeTlsRecord(start) ? 'tls' : 'done';
      if (this.state === 'done') this.release();
      return;
    }
    const http = classifyHttpStart(start);
    if (http === 'http') {
      this.state = 'http';
      this.http = new HttpRequestParser(this.onRequest);
      this.http.data(start, this.firstTime, this.firstIndex);
      this.release();
    } else if (http === 'other' || start.length >= DETECTION_BYTES) {
      this.state = 'done';
      this.release();
    }
  }

  private readClientHello(): void {
    const result = parseClientHello(this.joined());
    if (result.status === 'incomplete' && this.bufferedBytes < MAX_CLIENT_HELLO_BYTES) return;
    if (result.status === 'hello') {
      this.findings.service = 'ssl';
      this.findings.serverName = result.serverName;
    }
    this.state = 'done';
    this.release();
  }

  private joined(): Buffer {
    if (this.buffered.length > 1) this.buffered = [Buffer.concat(this.buffered, this.bufferedBytes)];
    return this.buffered[0] ?? Buffer.alloc(0);
  }

  private release(): void {
    this.buffered = [];
    this.bufferedBytes = 0;
  }
}
