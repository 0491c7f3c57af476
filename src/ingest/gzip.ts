/**
 * Checks that a gzip file decompresses to its end. DuckDB's reader stops quietly at a truncated member,
 * so without this check a half-copied log would lose its tail without a word.
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';

import type { CompressionDamage } from './decompress.js';

/** Returns null when the file is intact, else the damage as zlib describes it. */
export async function verifyGzip(path: string): Promise<CompressionDamage | null> {
  const discard = new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
  try {
    await pipeline(createReadStream(path), createGunzip(), discard);
    return null;
  } catch (error) {
    return { compression: 'gzip', reason: (error as Error).message };
  }
}
