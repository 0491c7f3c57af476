/**
 * Decompression of bzip2 and Zstandard files into a plain file, keeping what decompressed before any
 * damage. A half-copied .bz2 or .zst then loads up to the damage with a warning, as a truncated .gz does.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { Decompress } from 'fzstd';
import bz2 from 'unbzip2-stream';

export type UnpackedCompression = 'bzip2' | 'zstd';

/** Damage found in a compressed file's data. */
export interface CompressionDamage {
  compression: 'gzip' | UnpackedCompression;
  /** The decompressor's description of the damage, such as "unexpected end of file". */
  reason: string;
}

export interface DecompressedFile {
  /** Bytes written to the target, all of them from before any damage. */
  bytes: number;
  /** Null when the whole file decompressed. */
  damage: CompressionDamage | null;
}

/** A push-based decompressor: `push` passes output to the callback it was created with, and throws on damage. */
interface Decoder {
  push(chunk: Uint8Array, final: boolean): void;
}

/** zlib's wording for gzip data that ends early, used for every compression so that messages agree. */
const END_OF_FILE = 'unexpected end of file';

/**
 * Decompresses `source` into `target`. Damaged data does not reject the promise: the output from before the
 * damage stays in `target` and `damage` describes it. Read and write errors, and an aborted `signal`, do
 * reject it.
 */
export async function decompressFile(
  source: string,
  target: string,
  compression: UnpackedCompression,
  signal?: AbortSignal,
): Promise<DecompressedFile> {
  let bytes = 0;
  let reason: string | null = null;
  const output = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      feed(chunk, false);
      callback();
    },
    flush(callback) {
      feed(new Uint8Array(0), true);
      callback();
    },
  });
  const onData = (data: Uint8Array): void => {
    if (data.length === 0) return;
    bytes += data.length;
    // Buffer.from copies, because fzstd may reuse the memory behind `data`.
    output.push(Buffer.from(data));
  };
  const decoder = compression === 'bzip2' ? bzip2Decoder(onData) : zstdDecoder(onData);
  const feed = (chunk: Uint8Array, final: boolean): void => {
    // After damage the rest of the input is read and dropped.
    if (reason !== null) return;
    try {
      decoder.push(chunk, final);
    } catch (error) {
      reason = compression === 'bzip2' ? bzip2DamageReason(error) : zstdDamageReason(error);
    }
  };
  await pipeline(createReadStream(source), output, createWriteStream(target), signal ? { signal } : {});
  return { bytes, damage: reason === null ? null : { compression, reason } };
}

/**
 * Wraps unbzip2-stream, a synchronous `through` stream, as a Decoder: its 'data' and 'error' events fire
 * inside write() and end(), so an error can be thrown from push.
 */
function bzip2Decoder(onData: (data: Uint8Array) => void): Decoder {
  const stream = bz2();
  let failure: { error: unknown } | null = null;
  stream.on('data', (data: Buffer) => onData(data));
  stream.on('error', (error: unknown) => {
    failure ??= { error };
  });
  return {
    push(chunk, final) {
      if (final) stream.end();
      else stream.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      if (failure !== null) throw failure.error;
    },
  };
}

// NOTE: fzstd 0.1.1 skips each frame's content checksum, so corrupt data that still decodes is loaded
// without a warning. Only data that cannot be decoded, or that ends early, is reported as damage.
function zstdDecoder(onData: (data: Uint8Array) => void): Decoder {
  const decompressor = new Decompress((data) => onData(data));
  return { push: (chunk, final) => decompressor.push(chunk, final) };
}

/**
 * Describes a bzip2 decoding error in plain words. unbzip2-stream 1.4 reads past its input with a
 * TypeError ("Cannot read properties of undefined") when the data ends inside a block, and its other
 * messages, such as "meow i'm a kitty, that's an error", do not describe the damage.
 */
function bzip2DamageReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof TypeError || message === 'input stream ended prematurely') return END_OF_FILE;
  if (/crc32 do not match/.test(message)) return 'CRC check failed';
  return 'invalid bzip2 data';
}

/** Describes a Zstandard decoding error; fzstd's messages are plain ("invalid zstd data") except for EOF. */
function zstdDamageReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message === 'unexpected EOF' ? END_OF_FILE : message;
}
