/**
 * Reads the start of an input file, through gzip when the file is compressed, so a format can be chosen
 * from its content rather than its name (Stratosphere's `conn.log.labeled`, rotated Zeek names).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

import { InputError } from '../errors.js';

/** Bytes of (decompressed) content read to choose a format. */
const SAMPLE_BYTES = 64 * 1024;

export type Compression = 'none' | 'gzip';

export interface FileSample {
  /** The file as the user named it, recorded as each event's sourcefile. */
  path: string;
  /** The path DuckDB's readers are given: `path`, or a link to it when `path` contains glob characters. */
  readPath: string;
  bytes: number;
  compression: Compression;
  /** The first SAMPLE_BYTES of content as UTF-8. It may end inside a line when the file is longer. */
  text: string;
  /** Complete lines of `text`, without line terminators. */
  lines: string[];
}

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
  const head = await readHead(path, compression);
  if (looksBinary(head)) {
    throw new InputError(
      `${path}: binary content, not a text log; export it as text (Zeek TSV or JSON, QRadar JSON or CSV, Sysmon JSON or XML)`,
      path,
    );
  }
  const text = head.toString('utf8');
  const lines = text.split(/\r?\n/);
  // The sample may end mid-line; drop the partial last line unless the whole file fit.
  if (head.length >= SAMPLE_BYTES && lines.length > 1) lines.pop();
  return { path, readPath: path, bytes: info.size, compression, text, lines };
}

async function readRawBytes(path: string, count: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of createReadStream(path, { start: 0, end: count - 1 }))
    chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function readHead(path: string, compression: Compression): Promise<Buffer> {
  const raw = createReadStream(path);
  const stream = compression === 'gzip' ? raw.pipe(createGunzip()) : raw;
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      if (length >= SAMPLE_BYTES) break;
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
  return Buffer.concat(chunks).subarray(0, SAMPLE_BYTES);
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
