/**
 * The check for a file read with `--format` whose every line was skipped. Such a file is almost always of
 * another kind, and without the check it would count as loaded with no events: a scan of it would then
 * report "No findings" as if the logs had been searched.
 */
import type { DuckDbStore } from '../store/duckdb.js';
import { REJECTS_TABLE } from '../store/schema.js';
import { countOf } from '../text/plural.js';
import type { InputFormat, LoadResult } from './format.js';
import { linesTableSql } from './lines.js';
import type { FileSample } from './sniff.js';
import { WrongFormatError, wrongFormatError } from './wrong-format.js';

/**
 * Throws a WrongFormatError when `result`, the load of `sample` as the forced `format`, has no events and
 * as many skipped lines as the file has non-blank lines. The message names the first skipped line and its
 * reason. Call it before the rejects of the load are removed, and while `sample.readPath` can be read.
 */
export async function rejectFileWithEveryLineSkipped(
  store: DuckDbStore,
  sample: FileSample,
  format: InputFormat,
  result: LoadResult,
): Promise<void> {
  // A packet capture has packets rather than lines, and the pcap reader checks its own input.
  if (format.id === 'pcap') return;
  if (result.status !== 'loaded' || result.events > 0 || result.skipped === 0) return;

  // Lines that DuckDB's reader could not read (invalid UTF-8) are missing from this count but are among
  // the skipped lines, so the skipped count may exceed it.
  const [counted] = await store.all<{ lines: number }>(
    `SELECT count(*) AS lines FROM ${linesTableSql(sample)} WHERE line IS NOT NULL AND trim(line) <> ''`,
  );
  const lines = Number(counted?.lines ?? 0);
  if (result.skipped < lines) return;

  const [first] = await store.all<{ line: number; reason: string }>(
    `SELECT sourceline AS line, reason FROM ${REJECTS_TABLE} WHERE sourcefile = ? ORDER BY sourceline LIMIT 1`,
    [sample.path],
  );
  const firstSkipped = first === undefined ? '' : ` (line ${Number(first.line)}: ${first.reason})`;
  if (sample.binaryFormat !== undefined) {
    throw wrongFormatError(sample, format.id, '', format.description);
  }
  throw new WrongFormatError(
    `${sample.path}: ${everyLineText(result.skipped)} skipped as ${format.id}${firstSkipped}; ` +
      'check the --format value, or leave --format out to recognise the format from the content',
    sample.path,
  );
}

function everyLineText(skipped: number): string {
  return skipped === 1 ? 'its only line was' : `all ${countOf(skipped, 'line')} were`;
}
