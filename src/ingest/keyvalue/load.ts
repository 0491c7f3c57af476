/** The load step that the LEEF and CEF readers share: one pass over the lines in TypeScript. */
import { stat } from 'node:fs/promises';

import type { LoadContext, LoadResult } from '../format.js';
import { loadTextLines } from '../text-stream.js';
import { isEventLine } from '../syslog/header.js';
import type { FileSample } from '../sniff.js';
import { countOf } from '../../text/plural.js';

/** Returns true when the sample's first non-blank line is an event with `marker`, after an optional syslog header. */
export function firstLineIsEvent(sample: FileSample, marker: string): boolean {
  const first = sample.lines.find((line) => line.trim() !== '');
  return first !== undefined && isEventLine(first, marker);
}

/**
 * Loads a file of `formatName` events line by line. The file's modification time gives year-less times
 * their year. A file whose events all lack addresses is reported as ignored.
 */
export async function loadEventLines(
  context: LoadContext,
  formatName: string,
  formatId: 'cef' | 'leef',
): Promise<LoadResult> {
  // readPath: standard input and zip members have no file at `path`.
  const referenceMs = (await stat(context.sample.readPath)).mtimeMs;
  const counts = await loadTextLines(context, { formatId, sourcefile: context.sample.path, referenceMs });
  if (counts.events === 0 && counts.skipped === 0 && counts.ignored > 0) {
    return {
      status: 'ignored',
      events: 0,
      skipped: 0,
      message: `no connection events (with source and destination addresses) among ${counts.ignored} ${formatName} events`,
    };
  }
  const result: LoadResult = { status: 'loaded', events: counts.events, skipped: counts.skipped };
  if (counts.ignored > 0)
    result.message = `${countOf(counts.ignored, `${formatName} event`)} without addresses ignored`;
  return result;
}
