/**
 * Worker thread that parses one part of a line-oriented file: the bytes from `start` to `end`, which
 * begin and end at line boundaries. Events go to a staging file of the worker's own, rejected lines to the
 * main thread in batches. Line numbers count from 1 at `start`; the main thread adds the lines of the
 * parts before.
 */
import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

import { EventFileWriter, type StagedEventFile } from '../store/event-file.js';
import { LineClassifier, type RejectedLine } from './line-classifier.js';
import { makeLineParser, type LineParserSpec } from './line-parsers.js';
import { LineSplitter } from './line-splitter.js';

export interface LineRangeTask {
  spec: LineParserSpec;
  readPath: string;
  /** First byte of the part. */
  start: number;
  /** Byte after the part. */
  end: number;
}

export interface LineRangeResult {
  /** Lines in the part, counting blank ones. */
  lines: number;
  ignored: number;
  file: StagedEventFile;
}

export type LineRangeMessage =
  { kind: 'rejects'; rejects: RejectedLine[] } | { kind: 'done'; result: LineRangeResult };

/** Rejected lines sent to the main thread per message. */
const REJECTS_PER_MESSAGE = 10_000;

async function parseRange(task: LineRangeTask, post: (message: LineRangeMessage) => void): Promise<void> {
  const writer = new EventFileWriter(task.spec.sourcefile);
  const classifier = new LineClassifier(makeLineParser(task.spec), (event) => writer.add(event));
  const splitter = new LineSplitter();
  let lineNumber = 0;
  const stream = createReadStream(task.readPath, { start: task.start, end: task.end - 1 });
  for await (const chunk of stream.setEncoding('utf8')) {
    for (const line of splitter.push(chunk as string)) classifier.take(line, ++lineNumber);
    if (classifier.pendingRejects >= REJECTS_PER_MESSAGE)
      post({ kind: 'rejects', rejects: classifier.takeRejects() });
  }
  const last = splitter.end();
  if (last !== null) classifier.take(last, ++lineNumber);
  post({ kind: 'rejects', rejects: classifier.takeRejects() });
  post({ kind: 'done', result: { lines: lineNumber, ignored: classifier.ignored, file: writer.staged() } });
}

if (parentPort !== null) {
  const port = parentPort;
  await parseRange(workerData as LineRangeTask, (message) => port.postMessage(message));
}
