/**
 * Malformed lines in every line-oriented text format. For each format, a file is built from the format's
 * own example with one malformed line of each common kind between two good records. The file is loaded
 * with `format` forced to that format, and the test checks that each line is loaded, skipped or passed
 * over as the row of MATRIX expects. Then the file is loaded again under strict mode, which must reject it.
 *
 * Not covered: pcap (binary), zeek-conn-summary (a report of totals, not records), qradar-json and the
 * JSON-document shape of defender-json (documents, not lines).
 */
import { afterEach, describe, expect, test } from 'vitest';

import { cleanUpFormatTests, importForTest, writeTemp } from '../../test/format-helpers.js';
import { StrictModeError } from '../errors.js';
import { formatById } from './formats.js';
import type { ImportOptions } from './import.js';

afterEach(cleanUpFormatTests);

/** Kinds of line in a matrix file, in the order they are written. */
type LineKind =
  | 'header'
  | 'good'
  | 'truncated'
  | 'invalid UTF-8'
  | '10 MB'
  | 'other format'
  | 'bad timestamp'
  | 'good again';

interface MatrixRow {
  id: string;
  /** `--map` and `--time-format`, for the generic formats, which have no columns of their own. */
  options?: ImportOptions;
  /** Rewrites the good line's timestamp into an invalid one; absent when no timestamp can be rewritten. */
  breakTimestamp?: (line: string) => string;
  /** Skip reason expected for the bad-timestamp line. */
  timestampReason?: string;
  /** Malformed kinds that the format loads as an event, because the fields it needs are still there. */
  loaded?: LineKind[];
  /** Malformed kinds that the format passes over with a count in the file's message, not as skipped. */
  passedOver?: LineKind[];
}

/** Invalid UTF-8: two bytes that never occur in UTF-8, then a lead byte followed by a non-continuation. */
const INVALID_UTF8 = Buffer.from([0xff, 0xfe, 0xc3, 0x28]);

/** One line of 10 MB, allocated once and reused by every row. */
const LONG_LINE = Buffer.alloc(10 * 1024 * 1024, 'x');

const MATRIX: MatrixRow[] = [
  {
    id: 'zeek-tsv',
    breakTimestamp: (line) => line.replace(/^\d+\.\d+/, 'notatime'),
    timestampReason: 'invalid or missing timestamp (ts)',
  },
  {
    id: 'zeek-json',
    breakTimestamp: (line) => line.replace(/"ts":[\d.]+/, '"ts":"notatime"'),
    timestampReason: 'invalid or missing timestamp (ts)',
  },
  {
    id: 'suricata-eve',
    breakTimestamp: (line) => line.replace(/"start":"[^"]+"/, '"start":"notatime"'),
    timestampReason: 'invalid or missing timestamp (flow.start)',
  },
  {
    id: 'qradar-csv',
    breakTimestamp: (line) => line.replace(/\d+$/, 'notatime'),
    timestampReason: 'invalid starttime',
  },
  {
    id: 'sysmon-json',
    breakTimestamp: (line) => line.replace(/"UtcTime":"[^"]+"/, '"UtcTime":"notatime"'),
    timestampReason: 'invalid UtcTime',
  },
  {
    id: 'sysmon-xml',
    breakTimestamp: (line) => line.replace(/"UtcTime">[^<]+/, '"UtcTime">notatime'),
    timestampReason: 'invalid UtcTime',
    // The CEF line starts like a syslog line, which the reader counts as from another program.
    passedOver: ['other format'],
  },
  {
    id: 'paloalto-traffic',
    breakTimestamp: (line) => line.replaceAll('2024/04/19', '2024/99/99'),
    timestampReason: 'invalid Start Time and Receive Time',
  },
  {
    id: 'nfdump-csv',
    breakTimestamp: (line) => line.replace(/^[^,]+,[^,]+/, 'notatime,notatime'),
    timestampReason: 'invalid first-seen time',
  },
  {
    id: 'defender-csv',
    breakTimestamp: (line) => line.replace(/^[^,]+/, 'notatime'),
    timestampReason: 'missing or invalid Timestamp',
  },
  {
    id: 'defender-json',
    breakTimestamp: (line) => line.replace(/"Timestamp": "[^"]+"/, '"Timestamp": "notatime"'),
    timestampReason: 'missing or invalid Timestamp',
  },
  {
    id: 'pfsense-filterlog',
    breakTimestamp: (line) => line.replace(/^Apr 19/, 'Feb 30'),
    timestampReason: 'invalid syslog timestamp',
  },
  {
    id: 'iptables',
    breakTimestamp: (line) => line.replace(/^Apr 19/, 'Feb 30'),
    timestampReason: 'invalid syslog timestamp',
    // The first half of the example keeps SRC and DST, so the cut line loads with no destination port.
    loaded: ['truncated'],
  },
  {
    id: 'squid',
    breakTimestamp: (line) => line.replace(/^[\d.]+/, 'notatime'),
    timestampReason: 'invalid time',
  },
  {
    id: 'squid-common',
    breakTimestamp: (line) => line.replace(/\[[^\]]+\]/, '[31/Xyz/2024:10:00:02 +0000]'),
    timestampReason: 'invalid time',
  },
  {
    id: 'leef',
    breakTimestamp: (line) => line.replace(/devTime=\d+/, 'devTime=notatime'),
    timestampReason: 'invalid devTime',
  },
  {
    id: 'cef',
    breakTimestamp: (line) => line.replace(/rt=\d+/, 'rt=notatime'),
    timestampReason: 'invalid rt',
  },
  {
    id: 'generic-csv',
    options: {
      mapping: {
        starttime: 'time',
        sourceip: 'src',
        destinationip: 'dst',
        destinationport: 'dport',
        username: 'user',
      },
    },
    breakTimestamp: (line) => line.replace(/^[^,]+/, 'notatime'),
    timestampReason: 'invalid or missing start time (time)',
  },
  {
    id: 'generic-jsonl',
    options: {
      mapping: { starttime: 'time', sourceip: 'src', destinationip: 'dst', destinationport: 'dport' },
      timeFormat: 'epoch-s',
    },
    breakTimestamp: (line) => line.replace(/"time": \d+/, '"time": "notatime"'),
    timestampReason: 'invalid or missing start time (time)',
  },
];

interface MatrixLine {
  kind: LineKind;
  content: Buffer;
}

interface MatrixFile {
  path: string;
  lines: MatrixLine[];
  /** The 1-based line number of the first line of `kind`. */
  lineOf(kind: LineKind): number;
  /** The 1-based line numbers of every line whose kind is in `kinds`. */
  linesOf(kinds: readonly LineKind[]): number[];
}

function exampleOf(id: string): string {
  const example = formatById(id)?.example;
  if (example === undefined) throw new Error(`format ${id} has no example`);
  return example;
}

/** Writes the matrix file of `row`: its example, then one line of each malformed kind, then a good line. */
async function writeMatrixFile(row: MatrixRow): Promise<MatrixFile> {
  const exampleLines = exampleOf(row.id).split('\n');
  const good = exampleLines.at(-1) ?? '';
  const half = Math.floor(good.length / 2);
  const otherFormat = exampleOf(row.id === 'cef' ? 'leef' : 'cef');

  const lines: MatrixLine[] = [
    ...exampleLines.slice(0, -1).map((text) => ({ kind: 'header' as const, content: Buffer.from(text) })),
    { kind: 'good', content: Buffer.from(good) },
    { kind: 'truncated', content: Buffer.from(good.slice(0, half)) },
    {
      kind: 'invalid UTF-8',
      content: Buffer.concat([Buffer.from(good.slice(0, half)), INVALID_UTF8, Buffer.from(good.slice(half))]),
    },
    { kind: '10 MB', content: LONG_LINE },
    { kind: 'other format', content: Buffer.from(otherFormat) },
  ];
  if (row.breakTimestamp !== undefined) {
    const broken = row.breakTimestamp(good);
    expect(broken, `${row.id}: the timestamp rewrite changed nothing`).not.toBe(good);
    lines.push({ kind: 'bad timestamp', content: Buffer.from(broken) });
  }
  lines.push({ kind: 'good again', content: Buffer.from(good) });

  const newline = Buffer.from('\n');
  const path = await writeTemp(
    `${row.id}.log`,
    Buffer.concat(lines.flatMap((line) => [line.content, newline])),
  );
  const linesOf = (kinds: readonly LineKind[]) =>
    lines.flatMap((line, index) => (kinds.includes(line.kind) ? [index + 1] : []));
  return { path, lines, lineOf: (kind) => linesOf([kind])[0] ?? 0, linesOf };
}

/** Returns how many lines the file's message counts as passed over, as in "1 syslog line … ignored". */
function passedOverCount(message: string | undefined): number {
  const match = /(\d+) [^;,]*ignored/.exec(message ?? '');
  return match ? Number(match[1]) : 0;
}

describe('malformed line matrix', () => {
  test.each(MATRIX.map((row) => [row.id, row] as const))('%s skips malformed lines', async (id, row) => {
    const file = await writeMatrixFile(row);
    const loadedKinds: LineKind[] = ['good', 'good again', ...(row.loaded ?? [])];
    const notSkipped: LineKind[] = ['header', ...loadedKinds, ...(row.passedOver ?? [])];
    const expectedSkipped = file.lines.flatMap((line, index) =>
      notSkipped.includes(line.kind) ? [] : [index + 1],
    );

    const { summary, events } = await importForTest([file.path], { ...row.options, format: id });

    expect(summary.files).toHaveLength(1);
    const outcome = summary.files[0];
    expect(outcome?.status).toBe('loaded');

    // The samples cover every skipped line here, because no reason has more than SAMPLES_PER_REASON.
    const skippedLines = summary.samples.map((sample) => sample.line).sort((a, b) => a - b);
    expect(skippedLines).toEqual(expectedSkipped);
    expect(summary.linesSkipped).toBe(expectedSkipped.length);
    if (!(row.loaded ?? []).includes('invalid UTF-8')) {
      const invalid = summary.samples.find((sample) => sample.line === file.lineOf('invalid UTF-8'));
      expect(invalid?.reason).toBe('invalid UTF-8');
    }
    expect(skippedLines).toContain(file.lineOf('10 MB'));
    if (row.timestampReason !== undefined) {
      const badTime = summary.samples.find((sample) => sample.line === file.lineOf('bad timestamp'));
      expect(badTime?.reason).toBe(row.timestampReason);
    }

    for (const sample of summary.samples) {
      expect(sample.file).toBe(file.path);
      expect(sample.line).toBeGreaterThanOrEqual(1);
      expect(sample.line).toBeLessThanOrEqual(file.lines.length);
    }

    const eventLines = events.map((event) => Number(event.sourceline));
    expect(eventLines).toContain(file.lineOf('good'));
    for (const line of eventLines) expect(file.linesOf(loadedKinds)).toContain(line);
    // Formats with a flow id (Zeek uid, Suricata flow_id) keep the repeated good line once.
    expect(events).toHaveLength(summary.eventsRead - summary.duplicatesDropped);

    // Every non-blank line is a header, an event (before duplicates are dropped), skipped or passed over.
    const headers = file.linesOf(['header']).length;
    const passedOver = passedOverCount(outcome?.message);
    expect(passedOver).toBe((row.passedOver ?? []).length);
    expect(headers + (outcome?.events ?? 0) + summary.linesSkipped + passedOver).toBe(file.lines.length);
    expect(outcome?.events).toBe(file.linesOf(loadedKinds).length);
    expect(outcome?.skipped).toBe(summary.linesSkipped);
  });

  test.each(MATRIX.map((row) => [row.id, row] as const))(
    '%s strict mode rejects the first skipped line',
    async (id, row) => {
      const file = await writeMatrixFile(row);
      const notSkipped: LineKind[] = [
        'header',
        'good',
        'good again',
        ...(row.loaded ?? []),
        ...(row.passedOver ?? []),
      ];
      const firstSkipped = file.lines.findIndex((line) => !notSkipped.includes(line.kind)) + 1;

      const load = importForTest([file.path], { ...row.options, format: id, strict: true });

      await expect(load).rejects.toBeInstanceOf(StrictModeError);
      await expect(load).rejects.toThrow(`${file.path}:${firstSkipped}:`);
    },
  );
});
