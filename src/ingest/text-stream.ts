/**
 * Shared parts of the formats parsed in TypeScript rather than by DuckDB's readers: the file's text as a
 * stream (through gunzip when compressed), rejected records buffered in a temporary table, events
 * appended in batches, and a line-by-line loader for line-oriented logs such as LEEF, CEF and syslog.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

import type { ConnectionEvent } from '../model/event.js';
import type { DuckDbStore } from '../store/duckdb.js';
import { sqlString } from '../store/duckdb.js';
import { REJECTS_TABLE } from '../store/schema.js';
import type { LoadContext, LoadResult } from './format.js';
import { excerptSql, reportRejects } from './lines.js';
import type { FileSample } from './sniff.js';

/** Rejected records buffered before they are written to the store. */
export const BATCH_SIZE = 10_000;

/** Characters of a rejected record kept until the rejects table cuts them to its excerpt length. */
export const KEPT_EXCERPT_CHARS = 1_000;

/** Rejected records, staged in a temporary table and moved to the rejects table once the file is read. */
export class RejectBuffer {
  private pending: Array<{ line: number; reason: string; excerpt: string }> = [];

  constructor(
    private readonly store: DuckDbStore,
    private readonly table = 'text_rejects',
  ) {}

  async open(): Promise<void> {
    await this.store.run(
      `CREATE OR REPLACE TEMP TABLE ${this.table} (sourceline BIGINT, reason VARCHAR, excerpt VARCHAR)`,
    );
  }

  async add(line: number, reason: string, excerpt: string): Promise<void> {
    this.pending.push({ line, reason, excerpt: excerpt.slice(0, KEPT_EXCERPT_CHARS) });
    if (this.pending.length >= BATCH_SIZE) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const appender = await this.store.connection.createAppender(this.table);
    try {
      for (const reject of this.pending) {
        appender.appendBigInt(BigInt(reject.line));
        appender.appendVarchar(reject.reason);
        appender.appendVarchar(reject.excerpt);
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    this.pending = [];
  }

  async moveToRejects(file: string): Promise<void> {
    await this.flush();
    await this.store.run(
      `INSERT INTO ${REJECTS_TABLE}
         SELECT ${sqlString(file)}, sourceline, reason, ${excerptSql('excerpt')} FROM ${this.table}`,
    );
  }

  async close(): Promise<void> {
    await this.store.run(`DROP TABLE IF EXISTS ${this.table}`);
  }
}

/** Opens the file's text as a stream, through gunzip when the file is compressed. */
export function openText(sample: FileSample): Readable {
  const raw = createReadStream(sample.readPath);
  if (sample.compression !== 'gzip') return raw.setEncoding('utf8');
  const gunzip = createGunzip();
  raw.on('error', (error) => gunzip.destroy(error));
  return raw.pipe(gunzip).setEncoding('utf8');
}

/**
 * Yields the text chunks of the file. A gzip stream that breaks off ends the text without an error, because
 * the import checks the gzip data itself and reports the damage with the number of events read before it.
 */
export async function* textChunks(sample: FileSample): AsyncGenerator<string> {
  const stream = openText(sample);
  try {
    for await (const chunk of stream) yield chunk as string;
  } catch (error) {
    if (sample.compression !== 'gzip') throw error;
  } finally {
    stream.destroy();
  }
}

/** What a line parser makes of one line: an event, a reason to reject it, or null to pass over it. */
export type ParsedLine = ConnectionEvent | { reject: string } | null;

export interface TextLinesResult {
  events: number;
  skipped: number;
  /** Lines the parser passed over as valid but of no use (other event types, comments). */
  ignored: number;
}

/** U+FFFD, which the UTF-8 decoder puts in place of bytes that are not valid UTF-8. */
const REPLACEMENT_CHARACTER = '\uFFFD';

/**
 * Reads a line-oriented file in TypeScript, one line at a time with its 1-based number, and loads what
 * `parseLine` makes of each. Blank lines are passed over; a line with bytes that are not valid UTF-8 is
 * rejected before it reaches the parser.
 */
export async function loadTextLines(
  context: LoadContext,
  parseLine: (line: string, lineNumber: number) => ParsedLine,
): Promise<TextLinesResult> {
  const { store, sample, report } = context;
  const rejects = new RejectBuffer(store);
  await rejects.open();
  const lines = createInterface({ input: openText(sample), crlfDelay: Number.POSITIVE_INFINITY });
  const sink = store.openEventSink();
  let ignored = 0;
  let lineNumber = 0;
  try {
    try {
      for await (const line of lines) {
        lineNumber += 1;
        if (line.length === 0 || line.trim() === '') continue;
        if (line.includes(REPLACEMENT_CHARACTER)) {
          await rejects.add(lineNumber, 'invalid UTF-8', line);
          continue;
        }
        const parsed = parseLine(line, lineNumber);
        if (parsed === null) ignored += 1;
        else if ('reject' in parsed) await rejects.add(lineNumber, parsed.reject, line);
        else sink.add(parsed);
      }
    } catch (error) {
      // A gzip stream that breaks off ends the text; the import reports the damage itself.
      if (sample.compression !== 'gzip') throw error;
    }
    const events = await sink.finish();
    await rejects.moveToRejects(sample.path);
    const skipped = await reportRejects(store, report, sample.path);
    return { events, skipped, ignored };
  } finally {
    sink.discard();
    lines.close();
    await rejects.close();
  }
}

/** Builds a LoadResult from line counts, noting the ignored lines when there were any. */
export function textLinesLoadResult(
  result: TextLinesResult,
  ignoredWhat = 'lines of other types',
): LoadResult {
  const loaded: LoadResult = { status: 'loaded', events: result.events, skipped: result.skipped };
  if (result.ignored > 0) loaded.message = `${result.ignored} ${ignoredWhat} ignored`;
  return loaded;
}
