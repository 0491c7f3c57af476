/**
 * The maximum_object_size to give DuckDB's JSON readers for one file. DuckDB allocates read buffers of
 * about twice that size up front. The largest value its readers accept (a 32-bit count of bytes) thus
 * needs 8 GiB and fails under any memory limit below it. A JSON value cannot be larger than the file's
 * content, so that size (plus one byte) is enough.
 */
import { open, stat } from 'node:fs/promises';

import type { FileSample } from './sniff.js';

/** The largest maximum_object_size DuckDB accepts: a 32-bit count of bytes. */
export const MAX_JSON_OBJECT_BYTES = 4_294_967_295;

/** The smallest size given, so that a small file does not get a tiny buffer. */
const MIN_JSON_OBJECT_BYTES = 1 << 20;

/**
 * Reads the uncompressed size from a gzip file's trailer (ISIZE, RFC 1952 §2.3.1: the size modulo 2^32,
 * little-endian, in the last four bytes). For a file of several gzip members it is the last member's
 * size only, so the stored size times a generous ratio is taken as well.
 */
async function gzipContentBytes(path: string, storedBytes: number): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const trailer = Buffer.alloc(4);
    await handle.read(trailer, 0, 4, Math.max(0, storedBytes - 4));
    return trailer.readUInt32LE(0);
  } finally {
    await handle.close();
  }
}

/** Returns the maximum_object_size for the file DuckDB reads, from its content size. */
export async function jsonObjectLimit(sample: FileSample): Promise<number> {
  const stored = (await stat(sample.readPath)).size;
  const content = sample.compression === 'gzip' ? await gzipContentBytes(sample.readPath, stored) : stored;
  // A multi-member gzip file's trailer gives its last member only; JSON compresses about tenfold or less.
  const bound = sample.compression === 'gzip' ? Math.max(content, stored * 16) : content;
  return Math.min(MAX_JSON_OBJECT_BYTES, Math.max(MIN_JSON_OBJECT_BYTES, bound + 1));
}
