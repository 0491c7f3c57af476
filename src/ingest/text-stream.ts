/**
 * Shared parts of the formats parsed in TypeScript rather than by DuckDB's readers: the file's text as a
 * stream (through gunzip when compressed), rejected records buffered in a temporary table, and a
 * line-by-line loader for line-oriented logs such as LEEF, CEF and syslog.
 */
import { createReadStream, existsSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createGunzip } from 'node:zlib';

import type { ConnectionEvent } from '../model/event.js';
import type { DuckDbStore } from '../store/duckdb.js';
import { sqlString } from '../store/duckdb.js';
import { disposeStagedFile } from '../store/event-file.js';
import { REJECTS_TABLE } from '../store/schema.js';
import type { EventSink } from '../store/store.js';
import type { LoadContext, LoadResult } from './format.js';
import { KEPT_EXCERPT_CHARS, LineClassifier, type RejectedLine } from './line-classifier.js';
import type { LineParserSpec } from './line-parsers.js';
import { LineSplitter } from './line-splitter.js';
import type { LineRangeMessage, LineRangeResult, LineRangeTask } from './line-worker.js';
import { countOf } from '../text/plural.js';
import { excerptSql, reportRejects } from './lines.js';
import type { FileSample } from './sniff.js';

export { KEPT_EXCERPT_CHARS };

/** Rejected records buffered before they are written to the store. */
const BATCH_SIZE = 10_000;

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

  /** Buffers a rejected record; a caller that cannot wait calls `flush` once `full` is true. */
  push(line: number, reason: string, excerpt: string): void {
    this.pending.push({ line, reason, excerpt: excerpt.slice(0, KEPT_EXCERPT_CHARS) });
  }

  get full(): boolean {
    return this.pending.length >= BATCH_SIZE;
  }

  async add(line: number, reason: string, excerpt: string): Promise<void> {
    this.push(line, reason, excerpt);
    if (this.full) await this.flush();
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

/**
 * Reads a line-oriented file in TypeScript, one line at a time with its 1-based number, and loads what the
 * spec's parser makes of each (see LineClassifier for blank lines and invalid UTF-8). A large uncompressed
 * file is cut at line boundaries into parts that worker threads parse at the same time.
 */
export async function loadTextLines(context: LoadContext, spec: LineParserSpec): Promise<TextLinesResult> {
  const { store, sample, report } = context;
  const rejects = new RejectBuffer(store);
  await rejects.open();
  const sink = store.openEventSink(spec.sourcefile);
  try {
    const parts = await parallelParts(context);
    const ignored =
      parts.length > 1
        ? await parseInWorkers(spec, context, parts, sink, rejects)
        : await parseHere(spec, context, sink, rejects);
    const events = await sink.finish();
    await rejects.moveToRejects(sample.path);
    const skipped = await reportRejects(store, report, sample.path);
    return { events, skipped, ignored };
  } finally {
    sink.discard();
    await rejects.close();
  }
}

/** Parses the file on the main thread; returns the number of ignored lines. */
async function parseHere(
  spec: LineParserSpec,
  { sample, store }: LoadContext,
  sink: EventSink,
  rejects: RejectBuffer,
): Promise<number> {
  // Imported when used: the parsers' modules import this one for loadTextLines.
  const { makeLineParser } = await import('./line-parsers.js');
  const classifier = new LineClassifier(makeLineParser(spec), (event) => sink.add(event));
  const splitter = new LineSplitter();
  let lineNumber = 0;
  try {
    for await (const chunk of textChunks(sample)) {
      store.throwIfInterrupted();
      for (const line of splitter.push(chunk)) classifier.take(line, ++lineNumber);
      for (const reject of classifier.takeRejects())
        await rejects.add(reject.line, reject.reason, reject.excerpt);
    }
  } catch (error) {
    // A gzip stream that breaks off ends the text; the import reports the damage itself.
    if (sample.compression !== 'gzip') throw error;
  }
  const last = splitter.end();
  if (last !== null) classifier.take(last, ++lineNumber);
  for (const reject of classifier.takeRejects())
    await rejects.add(reject.line, reject.reason, reject.excerpt);
  return classifier.ignored;
}

/**
 * Smallest file parsed by worker threads. An estimate: a worker takes tens of milliseconds to start and
 * load the parsers, which a file of a few megabytes would not repay.
 */
export const PARALLEL_MIN_BYTES = 32 * 1024 * 1024;

/** Maximum number of worker threads. Each gets at least half of the smallest file parsed in parallel. */
const MAX_WORKERS = 4;

/** The worker script, beside this module in the build. Tests that run the TypeScript sources have none. */
const WORKER_URL = new URL('./line-worker.js', import.meta.url);

/**
 * Returns byte ranges [start, end) that each begin at a line start, one per worker thread, or a single
 * range when the file is parsed on the main thread: compressed, small, on one core, or without the
 * worker script.
 */
async function parallelParts(context: LoadContext): Promise<Array<[number, number]>> {
  const { sample } = context;
  const minBytes = context.parallelMinBytes ?? PARALLEL_MIN_BYTES;
  const workers = Math.min(
    availableParallelism(),
    MAX_WORKERS,
    Math.ceil(sample.bytes / Math.max(1, minBytes / 2)),
  );
  if (sample.compression !== 'none' || sample.bytes < minBytes || workers < 2) return [[0, sample.bytes]];
  if (!existsSync(fileURLToPath(WORKER_URL))) return [[0, sample.bytes]];
  const cuts = [0];
  const handle = await open(sample.readPath, 'r');
  try {
    for (let part = 1; part < workers; part += 1) {
      const cut = await lineStartAfter(handle, Math.floor((sample.bytes * part) / workers));
      if (cut !== null && cut > (cuts.at(-1) ?? 0) && cut < sample.bytes) cuts.push(cut);
    }
  } finally {
    await handle.close();
  }
  return cuts.map((start, index) => [start, cuts[index + 1] ?? sample.bytes]);
}

/** Bytes searched for a line feed after a cut point; a longer line leaves the cut out. */
const CUT_SEARCH_BYTES = 1024 * 1024;

/** Returns the offset just after the first line feed at or after `offset`, or null when none is near. */
async function lineStartAfter(handle: FileHandle, offset: number): Promise<number | null> {
  const buffer = Buffer.alloc(CUT_SEARCH_BYTES);
  const { bytesRead } = await handle.read(buffer, 0, CUT_SEARCH_BYTES, offset);
  const index = buffer.subarray(0, bytesRead).indexOf(0x0a);
  return index < 0 ? null : offset + index + 1;
}

/**
 * Parses the parts in worker threads and hands their staging files to the sink. Each part's line numbers
 * are shifted by the lines of the parts before it. Returns the number of ignored lines.
 */
async function parseInWorkers(
  spec: LineParserSpec,
  { sample, store }: LoadContext,
  parts: ReadonlyArray<[number, number]>,
  sink: EventSink,
  rejects: RejectBuffer,
): Promise<number> {
  const partRejects = parts.map((): RejectedLine[] => []);
  const settled = await Promise.allSettled(
    parts.map(([start, end], index) =>
      runWorker({ spec, readPath: sample.readPath, start, end }, store.signal, (batch) =>
        partRejects[index]?.push(...batch),
      ),
    ),
  );
  const results = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const failed = settled.find((outcome) => outcome.status === 'rejected');
  if (failed !== undefined) {
    for (const result of results) disposeStagedFile(result.file);
    throw failed.reason;
  }
  let offset = 0;
  let ignored = 0;
  for (const [index, result] of results.entries()) {
    sink.addStagedFile(result.file, offset);
    for (const reject of partRejects[index] ?? [])
      await rejects.add(reject.line + offset, reject.reason, reject.excerpt);
    offset += result.lines;
    ignored += result.ignored;
  }
  return ignored;
}

/** Runs one worker thread; an abort of `signal` (an interrupted run) stops it at once. */
function runWorker(
  task: LineRangeTask,
  signal: AbortSignal | undefined,
  onRejects: (rejects: RejectedLine[]) => void,
): Promise<LineRangeResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_URL, { workerData: task });
    const stop = (): void => void worker.terminate();
    signal?.addEventListener('abort', stop, { once: true });
    worker.on('exit', () => signal?.removeEventListener('abort', stop));
    let result: LineRangeResult | null = null;
    worker.on('message', (message: LineRangeMessage) => {
      if (message.kind === 'rejects') onRejects(message.rejects);
      else result = message.result;
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (result !== null) resolve(result);
      else
        reject(
          new Error(
            `${task.readPath}: the worker thread parsing bytes ${task.start} to ${task.end} stopped with exit code ${code}`,
          ),
        );
    });
  });
}

/** Builds a LoadResult from line counts, noting the ignored lines when there were any. */
export function textLinesLoadResult(
  result: TextLinesResult,
  ignoredWhat: readonly [singular: string, plural: string] = ['line of another type', 'lines of other types'],
): LoadResult {
  const loaded: LoadResult = { status: 'loaded', events: result.events, skipped: result.skipped };
  if (result.ignored > 0) loaded.message = `${countOf(result.ignored, ...ignoredWhat)} ignored`;
  return loaded;
}
