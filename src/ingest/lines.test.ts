import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';

import { DuckDbStore } from '../store/duckdb.js';
import {
  linesTableSql,
  prepareLineRenumbering,
  ReaderSkippedLinesError,
  recordSkippedLines,
  resetSkippedLines,
} from './lines.js';
import type { FileSample } from './sniff.js';

let store: DuckDbStore;
const folders: string[] = [];

beforeAll(async () => {
  store = await DuckDbStore.open();
});

afterAll(async () => {
  await store.close();
});

afterEach(async () => {
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

/** A byte sequence that is not UTF-8: a lone continuation byte and a byte UTF-8 never uses. */
const INVALID_BYTES = Buffer.from([0x80, 0xff]);

type LineKind = 'text' | 'invalid' | 'blank';

/** Builds a file whose text lines read `L<physical line number>`, and invalid lines carry INVALID_BYTES. */
function buildLines(kinds: readonly LineKind[], newline: string, finalNewline = true): Buffer {
  const parts = kinds.map((kind, index) => {
    const number = `L${index + 1}`;
    if (kind === 'blank') return Buffer.alloc(0);
    if (kind === 'invalid') return Buffer.concat([Buffer.from(`${number} `), INVALID_BYTES]);
    return Buffer.from(number);
  });
  const joined: Buffer[] = [];
  parts.forEach((part, index) => {
    joined.push(part);
    if (index < parts.length - 1 || finalNewline) joined.push(Buffer.from(newline));
  });
  return Buffer.concat(joined);
}

async function writeSample(name: string, content: Buffer, gzip = false): Promise<FileSample> {
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-lines-'));
  folders.push(folder);
  const path = join(folder, name);
  await writeFile(path, gzip ? gzipSync(content) : content);
  return {
    path,
    readPath: path,
    bytes: content.length,
    compression: gzip ? 'gzip' : 'none',
    text: '',
    lines: [],
  };
}

interface ReadLines {
  rows: Array<{ line_no: number; line: string | null }>;
  rejects: Array<{ sourceline: number; reason: string; excerpt: string }>;
}

/** Reads the sample as a loader does: a first pass, then the renumbered pass if the reader skipped lines. */
async function readLines(sample: FileSample): Promise<ReadLines> {
  await store.run('DELETE FROM rejects');
  await resetSkippedLines(store);
  const first = await store.all<{ line_no: number; line: string | null }>(
    `SELECT line_no, line FROM ${linesTableSql(sample)} ORDER BY line_no`,
  );
  try {
    await recordSkippedLines(store, sample);
    return { rows: first, rejects: [] };
  } catch (error) {
    if (!(error instanceof ReaderSkippedLinesError)) throw error;
  }
  await prepareLineRenumbering(store);
  const renumbered = { ...sample, renumberLines: true };
  const rows = await store.all<{ line_no: number; line: string | null }>(
    `SELECT line_no, line FROM ${linesTableSql(renumbered)} ORDER BY line_no`,
  );
  await recordSkippedLines(store, renumbered);
  const rejects = await store.all<{ sourceline: number; reason: string; excerpt: string }>(
    'SELECT sourceline, reason, excerpt FROM rejects ORDER BY sourceline',
  );
  return { rows, rejects };
}

/** Physical line numbers (1-based) of the lines of `kind`. */
function linesOf(kinds: readonly LineKind[], kind: LineKind): number[] {
  return kinds.flatMap((each, index) => (each === kind ? [index + 1] : []));
}

/** Checks that every kept line has its physical number and every invalid line is a reject. */
function expectPhysicalNumbers(kinds: readonly LineKind[], read: ReadLines): void {
  const kept = kinds.flatMap((kind, index) => (kind === 'invalid' ? [] : [index + 1]));
  expect(read.rows.map((row) => row.line_no)).toEqual(kept);
  for (const row of read.rows) {
    if (row.line !== null) expect(row.line).toBe(`L${row.line_no}`);
  }
  for (const blank of linesOf(kinds, 'blank')) {
    expect(read.rows.find((row) => row.line_no === blank)?.line).toBeNull();
  }
  expect(read.rejects.map((reject) => reject.sourceline)).toEqual(linesOf(kinds, 'invalid'));
  for (const reject of read.rejects) expect(reject.reason).toBe('invalid UTF-8');
}

const CASES: ReadonlyArray<{ name: string; kinds: LineKind[] }> = [
  { name: 'first line', kinds: ['invalid', 'text', 'text', 'text'] },
  { name: 'middle line', kinds: ['text', 'text', 'invalid', 'text', 'text'] },
  { name: 'last line', kinds: ['text', 'text', 'text', 'invalid'] },
  { name: 'consecutive lines', kinds: ['text', 'invalid', 'invalid', 'invalid', 'text', 'invalid', 'text'] },
  {
    name: 'lines among blanks',
    kinds: ['text', 'blank', 'invalid', 'blank', 'blank', 'invalid', 'blank', 'text'],
  },
  { name: 'every line', kinds: ['invalid', 'invalid'] },
];

describe('linesTableSql invalid UTF-8', () => {
  for (const { name, kinds } of CASES) {
    for (const newline of ['\n', '\r\n']) {
      for (const gzip of [false, true]) {
        const label = `${name}, ${newline === '\n' ? 'LF' : 'CRLF'}${gzip ? ', gzip' : ''}`;
        test(`keeps physical numbers: ${label}`, async () => {
          const sample = await writeSample(`lines.log${gzip ? '.gz' : ''}`, buildLines(kinds, newline), gzip);

          const read = await readLines(sample);

          expectPhysicalNumbers(kinds, read);
        });
      }
    }
  }

  test('keeps physical numbers: last line without newline', async () => {
    const kinds: LineKind[] = ['text', 'invalid', 'text', 'invalid'];
    const sample = await writeSample('lines.log', buildLines(kinds, '\n', false));

    const read = await readLines(sample);

    expectPhysicalNumbers(kinds, read);
  });

  test('keeps physical numbers across a large file', async () => {
    // About 40 MB with invalid lines spread through it, a file DuckDB can scan in parallel. Each line is
    // "L<number> " and padding. The checks run in SQL because 500,000 rows are slow to compare in JavaScript.
    const padding = 'p'.repeat(70);
    const invalid = new Set([1, 2, 250_000, 250_001, 499_999, 500_000]);
    for (let line = 7; line < 500_000; line += 9_973) invalid.add(line);
    const parts: Buffer[] = [];
    for (let line = 1; line <= 500_000; line += 1) {
      parts.push(Buffer.from(`L${line} ${padding}`));
      if (invalid.has(line)) parts.push(INVALID_BYTES);
      parts.push(Buffer.from('\n'));
    }
    const content = Buffer.concat(parts);
    for (const gzip of [false, true]) {
      const sample = await writeSample(`large.log${gzip ? '.gz' : ''}`, content, gzip);
      await resetSkippedLines(store);
      await store.run(`SELECT count(*) FROM ${linesTableSql(sample)}`);
      await expect(recordSkippedLines(store, sample)).rejects.toBeInstanceOf(ReaderSkippedLinesError);
      await prepareLineRenumbering(store);
      const renumbered = { ...sample, renumberLines: true };

      const [counted] = await store.all<{ rows: number; misnumbered: number }>(
        `SELECT count(*) AS rows,
                count(*) FILTER (WHERE split_part(line, ' ', 1) <> 'L' || line_no) AS misnumbered
           FROM ${linesTableSql(renumbered)}`,
      );
      await store.run('DELETE FROM rejects');
      await recordSkippedLines(store, renumbered);
      const rejects = await store.all<{ sourceline: number }>(
        'SELECT sourceline FROM rejects ORDER BY sourceline',
      );

      const label = gzip ? 'gzip' : 'plain';
      expect(counted?.rows, label).toBe(500_000 - invalid.size);
      expect(counted?.misnumbered, label).toBe(0);
      expect(
        rejects.map((reject) => reject.sourceline),
        label,
      ).toEqual([...invalid].sort((a, b) => a - b));
    }
  });

  test('excerpt shows the line without its newline', async () => {
    const sample = await writeSample('lines.log', buildLines(['text', 'invalid', 'text'], '\r\n'));

    const read = await readLines(sample);

    expect(read.rejects).toHaveLength(1);
    expect(read.rejects[0]?.excerpt).toMatch(/^L2 \S+$/);
  });

  test('valid file keeps every line', async () => {
    const sample = await writeSample('lines.log', buildLines(['text', 'blank', 'text'], '\n'));

    const read = await readLines(sample);

    expect(read.rows).toEqual([
      { line_no: 1, line: 'L1' },
      { line_no: 2, line: null },
      { line_no: 3, line: 'L3' },
    ]);
    expect(read.rejects).toEqual([]);
  });
});

describe('linesTableSql byte order mark', () => {
  test('DuckDB drops it from line 1', async () => {
    const content = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('#fields\ta\nb\n')]);
    for (const gzip of [false, true]) {
      const sample = await writeSample(`bom.log${gzip ? '.gz' : ''}`, content, gzip);

      const read = await readLines(sample);

      expect(read.rows, gzip ? 'gzip' : 'plain').toEqual([
        { line_no: 1, line: '#fields\ta' },
        { line_no: 2, line: 'b' },
      ]);
    }
  });
});
