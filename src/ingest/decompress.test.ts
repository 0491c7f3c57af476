import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, test } from 'vitest';

import { decompressFile } from './decompress.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'containers');

const folders: string[] = [];

afterEach(async () => {
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function tempFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-decompress-'));
  folders.push(folder);
  return folder;
}

/** Decompresses `compressed` and returns the result with the text written. */
async function decompress(compressed: Buffer, compression: 'bzip2' | 'zstd') {
  const folder = await tempFolder();
  const source = join(folder, 'input');
  const target = join(folder, 'output');
  await writeFile(source, compressed);
  const result = await decompressFile(source, target, compression);
  return { ...result, text: await readFile(target, 'utf8') };
}

describe('decompressFile', () => {
  test.each([
    ['conn.log.bz2', 'bzip2'],
    ['conn.log.zst', 'zstd'],
  ] as const)('%s decompresses whole', async (name, compression) => {
    const result = await decompress(await readFile(join(FIXTURES, name)), compression);

    expect(result.damage).toBeNull();
    expect(result.text.startsWith('#separator')).toBe(true);
    expect(result.bytes).toBe(Buffer.byteLength(result.text));
  });

  test.each([
    ['conn.log.bz2', 'bzip2'],
    ['conn.log.zst', 'zstd'],
  ] as const)('%s cut short keeps the first stream', async (name, compression) => {
    const whole = await readFile(join(FIXTURES, name));
    const intact = await decompress(whole, compression);

    const result = await decompress(
      Buffer.concat([whole, whole.subarray(0, whole.length - 10)]),
      compression,
    );

    expect(result.damage).toEqual({ compression, reason: 'unexpected end of file' });
    expect(result.text.startsWith(intact.text)).toBe(true);
  });

  test('bzip2 with a flipped byte fails its CRC', async () => {
    const damaged = Buffer.from(await readFile(join(FIXTURES, 'conn.log.bz2')));
    const middle = damaged.length >> 1;
    damaged[middle] = (damaged[middle] ?? 0) ^ 0xff;

    const result = await decompress(damaged, 'bzip2');

    expect(result).toMatchObject({ bytes: 0, damage: { compression: 'bzip2', reason: 'CRC check failed' } });
  });

  test('bzip2 without its header is invalid data', async () => {
    const result = await decompress(Buffer.from('BZh9 and then text'), 'bzip2');

    expect(result).toMatchObject({
      bytes: 0,
      damage: { compression: 'bzip2', reason: 'invalid bzip2 data' },
    });
  });
});
