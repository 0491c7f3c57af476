/**
 * Reads the start of an input file, through gzip when the file is compressed, so a format can be chosen
 * from its content rather than its name (Stratosphere's `conn.log.labeled`, rotated Zeek names).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

import { InputError } from '../errors.js';
import { captureKind, type CaptureKind } from './pcap/magic.js';

/** Bytes of (decompressed) content read to choose a format when the lines are short. */
const SAMPLE_BYTES = 64 * 1024;

/**
 * Maximum bytes read while the sample still lacks a complete non-blank line, as when a JSON export's
 * first record is larger than SAMPLE_BYTES. Records that large are rare, and the cap keeps a file
 * without line breaks (such as a one-line XML export) from being read whole just to choose a format.
 */
const MAX_SAMPLE_BYTES = 16 * 1024 * 1024;

/** The UTF-8 byte order mark, which Windows tools write at the start of text files. */
const BYTE_ORDER_MARK = [0xef, 0xbb, 0xbf];

export type Compression = 'none' | 'gzip';

export interface FileSample {
  /** The file as the user named it, recorded as each event's sourcefile. */
  path: string;
  /** The path DuckDB's readers are given: `path`, or a link to it when `path` contains glob characters. */
  readPath: string;
  bytes: number;
  compression: Compression;
  /**
   * The start of the content as UTF-8, without a byte order mark: SAMPLE_BYTES, or more when the first
   * non-blank line is longer, up to MAX_SAMPLE_BYTES. It may end inside a line when the file is longer.
   */
  text: string;
  /** Complete lines of `text`, without line terminators. */
  lines: string[];
  /**
   * Set for the second load of a file whose first load met lines that DuckDB's CSV reader skipped. Line
   * numbers then count the skipped lines, which are recorded as rejects. See linesTableSql.
   */
  renumberLines?: boolean;
  /** Set when the content starts with a packet capture's magic number; such files are binary by design. */
  binaryFormat?: CaptureKind;
}

/** An EVTX file starts with the file header signature "ElfFile" and a NUL. */
const EVTX_MAGIC = Buffer.from('ElfFile\0', 'latin1');

const GZIP_MAGIC = [0x1f, 0x8b];

export async function sniffFile(path: string): Promise<FileSample> {
  const info = await stat(path);
  if (info.size === 0) {
    throw new InputError(
      `${path}: file is empty; check that the export finished, or remove it from the input`,
      path,
    );
  }
  const magic = await readRawBytes(path, 2);
  const compression: Compression = magic[0] === GZIP_MAGIC[0] && magic[1] === GZIP_MAGIC[1] ? 'gzip' : 'none';
  const { head, complete } = await readHead(path, compression);
  // Packet captures are the one binary input: their magic number lets them past the text check.
  const binaryFormat = captureKind(head);
  if (head.subarray(0, EVTX_MAGIC.length).equals(EVTX_MAGIC)) {
    throw new InputError(
      `${path}: a Windows event log (EVTX), which beaconhunt does not read; export it as XML with ` +
        '`wevtutil qe FILE.evtx /lf:true /f:xml > events.xml` and scan that',
      path,
    );
  }
  if (binaryFormat === null && looksBinary(head)) {
    throw new InputError(
      `${path}: binary content that is not a packet capture or an archive; check that this is a log, or run \`beaconhunt formats\` to see what is read`,
      path,
    );
  }
  // Buffer.toString keeps a byte order mark, but every format's detection expects the text to start
  // with its first line. DuckDB's CSV reader skips the mark itself (checked with 1.5.6, plain and gzip).
  const text = head.toString('utf8', startsWithByteOrderMark(head) ? BYTE_ORDER_MARK.length : 0);
  const lines = text.split(/\r?\n/);
  // The sample may end mid-line, so its partial last line is dropped unless the whole file was read.
  if (!complete) lines.pop();
  const sample: FileSample = { path, readPath: path, bytes: info.size, compression, text, lines };
  if (binaryFormat !== null) sample.binaryFormat = binaryFormat;
  return sample;
}

async function readRawBytes(path: string, count: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of createReadStream(path, { start: 0, end: count - 1 }))
    chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface Head {
  head: Buffer;
  /** True when `head` is the whole (decompressed) content. */
  complete: boolean;
}

/**
 * Reads SAMPLE_BYTES of content, and goes on reading while no complete non-blank line has been seen,
 * up to MAX_SAMPLE_BYTES.
 */
async function readHead(path: string, compression: Compression): Promise<Head> {
  const raw = createReadStream(path);
  const stream = compression === 'gzip' ? raw.pipe(createGunzip()) : raw;
  const chunks: Buffer[] = [];
  const firstLine = new FirstLineScanner();
  let length = 0;
  let stoppedEarly = false;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      firstLine.scan(chunk as Buffer);
      if (length >= (firstLine.found ? SAMPLE_BYTES : MAX_SAMPLE_BYTES)) {
        stoppedEarly = true;
        break;
      }
    }
  } catch (error) {
    if (compression === 'gzip' && length === 0) {
      throw new InputError(
        `${path}: corrupt or truncated gzip data (${(error as Error).message}); copy the file again or gunzip what is left`,
        path,
      );
    }
    // A truncated stream after some content: the loader reports where it stops.
  } finally {
    raw.destroy();
  }
  const head = Buffer.concat(chunks);
  if (!stoppedEarly) return { head, complete: true };
  const limit = firstLine.found ? Math.max(SAMPLE_BYTES, firstLine.end) : MAX_SAMPLE_BYTES;
  return { head: head.subarray(0, limit), complete: false };
}

/**
 * Finds, across chunks, the end of the first line that contains something other than whitespace and a
 * leading byte order mark.
 */
class FirstLineScanner {
  /** Offset just past the newline that ends the first non-blank line, or 0 while none has been seen. */
  end = 0;
  private offset = 0;
  private sawContent = false;

  get found(): boolean {
    return this.end > 0;
  }

  scan(chunk: Buffer): void {
    if (this.found) return;
    for (let index = 0; index < chunk.length; index += 1) {
      const byte = chunk[index] as number;
      const position = this.offset + index;
      if (byte === 0x0a) {
        if (this.sawContent) {
          this.end = position + 1;
          return;
        }
      } else if (!isWhitespace(byte) && !isByteOrderMarkAt(position, byte)) {
        this.sawContent = true;
      }
    }
    this.offset += chunk.length;
  }
}

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
}

function isByteOrderMarkAt(position: number, byte: number): boolean {
  return position < BYTE_ORDER_MARK.length && byte === BYTE_ORDER_MARK[position];
}

function startsWithByteOrderMark(head: Buffer): boolean {
  return BYTE_ORDER_MARK.every((byte, index) => head[index] === byte);
}

/** Text logs have no NUL bytes and few control characters other than tab, CR and LF. */
function looksBinary(head: Buffer): boolean {
  if (head.length === 0) return false;
  let control = 0;
  for (const byte of head) {
    if (byte === 0) return true;
    if (byte < 0x09 || (byte > 0x0d && byte < 0x20)) control += 1;
  }
  return control / head.length > 0.01;
}
