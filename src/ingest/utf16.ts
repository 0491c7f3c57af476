/**
 * UTF-16 text files, which Windows PowerShell 5.1 writes by default (Out-File and `>`). They are
 * recognised by their byte order mark and turned into UTF-8 in the run's workspace before any reader sees
 * them, with the same lines in the same order.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export type Utf16Encoding = 'utf-16le' | 'utf-16be';

/**
 * Returns the encoding a byte order mark names: FF FE for little-endian, FE FF for big-endian. FF FE 00 00
 * is UTF-32's mark and is not taken for UTF-16.
 */
export function utf16Encoding(head: Uint8Array): Utf16Encoding | null {
  if (head[0] === 0xff && head[1] === 0xfe) return head[2] === 0 && head[3] === 0 ? null : 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return null;
}

/**
 * Writes `source`, UTF-16 text with a byte order mark, to `target` as UTF-8 without the mark. A code unit
 * that is not valid UTF-16 (a lone surrogate, an odd last byte) becomes U+FFFD. The readers written in
 * TypeScript skip such a line as invalid UTF-8.
 * NOTE: the readers in DuckDB load the U+FFFD as text, so the damage shows only in the values.
 */
export async function transcodeUtf16File(
  source: string,
  target: string,
  encoding: Utf16Encoding,
  signal?: AbortSignal,
): Promise<void> {
  // TextDecoder drops the byte order mark, and with `stream` keeps a code unit split across chunks.
  const decoder = new TextDecoder(encoding);
  const toUtf8 = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      callback(null, Buffer.from(decoder.decode(chunk, { stream: true }), 'utf8'));
    },
    flush(callback) {
      callback(null, Buffer.from(decoder.decode(), 'utf8'));
    },
  });
  await pipeline(createReadStream(source), toUtf8, createWriteStream(target), signal ? { signal } : {});
}
