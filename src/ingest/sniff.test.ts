import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterEach, describe, expect, test } from 'vitest';

import { InputError } from '../errors.js';
import { sniffFile } from './sniff.js';

const folders: string[] = [];

afterEach(async () => {
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function writeSample(name: string, content: Buffer | string): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-sniff-'));
  folders.push(folder);
  const path = join(folder, name);
  await writeFile(path, content);
  return path;
}

const BYTE_ORDER_MARK = Buffer.from([0xef, 0xbb, 0xbf]);

describe('sniffFile byte order mark', () => {
  test('is removed from text and first line', async () => {
    const path = await writeSample(
      'conn.log',
      Buffer.concat([BYTE_ORDER_MARK, Buffer.from('#separator \\x09\nb\n')]),
    );

    const sample = await sniffFile(path);

    expect(sample.text).toBe('#separator \\x09\nb\n');
    expect(sample.lines[0]).toBe('#separator \\x09');
  });

  test('is removed after gunzip', async () => {
    const content = Buffer.concat([BYTE_ORDER_MARK, Buffer.from('{"a": 1}\n')]);
    const path = await writeSample('events.jsonl.gz', gzipSync(content));

    const sample = await sniffFile(path);

    expect(sample.compression).toBe('gzip');
    expect(sample.lines[0]).toBe('{"a": 1}');
  });

  test('only at the start is removed', async () => {
    const path = await writeSample('notes.txt', 'a\n\uFEFFb\n');

    const sample = await sniffFile(path);

    expect(sample.lines).toEqual(['a', '\uFEFFb', '']);
  });
});

describe('sniffFile sample length', () => {
  test('reads past 64 KB for a long first line', async () => {
    const first = `{"pad": "${'x'.repeat(100 * 1024)}"}`;
    const path = await writeSample('big-first.jsonl', `${first}\n{"b": 2}\n`);

    const sample = await sniffFile(path);

    expect(sample.lines[0]).toBe(first);
  });

  test('reads past 64 KB for a long line after blank lines', async () => {
    const first = 'y'.repeat(200 * 1024);
    const path = await writeSample('blank-start.log', `\n  \n${first}\nshort\n`);

    const sample = await sniffFile(path);

    expect(sample.lines.slice(0, 3)).toEqual(['', '  ', first]);
  });

  test('stops near 64 KB when lines are short', async () => {
    const line = 'z'.repeat(99);
    const path = await writeSample('short-lines.log', `${line}\n`.repeat(20_000));

    const sample = await sniffFile(path);

    expect(sample.text.length).toBe(64 * 1024);
    expect(sample.lines.length).toBe(Math.floor((64 * 1024) / 100));
    for (const sampled of sample.lines) expect(sampled).toBe(line);
  });

  test('stops at 16 MB without a line break', async () => {
    const path = await writeSample('one-line.xml', 'w'.repeat(17 * 1024 * 1024));

    const sample = await sniffFile(path);

    expect(sample.text.length).toBe(16 * 1024 * 1024);
    expect(sample.lines).toEqual([]);
  });

  test('keeps the last line of a whole file', async () => {
    const path = await writeSample('no-final-newline.log', 'first\nlast');

    const sample = await sniffFile(path);

    expect(sample.lines).toEqual(['first', 'last']);
  });
});

describe('sniffFile EVTX', () => {
  test('an EVTX file gets the export command', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-evtx-'));
    const path = join(folder, 'Sysmon.evtx');
    await writeFile(path, Buffer.concat([Buffer.from('ElfFile\0', 'latin1'), Buffer.alloc(4088, 0)]));

    const error = await sniffFile(path).catch((caught: unknown) => caught);
    await rm(folder, { recursive: true, force: true });

    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toContain('a Windows event log (EVTX)');
    expect((error as Error).message).toContain('wevtutil qe FILE.evtx /lf:true /f:xml > events.xml');
  });
});
