/**
 * Helpers for line-oriented formats read by DuckDB: a table expression that yields each physical line
 * with its 1-based number, and the bookkeeping that moves rejected lines into the report.
 */
import type { DuckDbStore } from '../store/duckdb.js';
import { sqlString } from '../store/duckdb.js';
import { REJECTS_TABLE } from '../store/schema.js';
import type { IngestReport, SkippedLine } from './report.js';
import type { FileSample } from './sniff.js';
import { SAMPLES_PER_REASON } from './report.js';

/** Longest line accepted, in bytes; DuckDB's default of 2 MB is too small for some JSON exports. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/**
 * A DuckDB table expression with columns (line_no BIGINT, line VARCHAR): every line of the file in order,
 * blank lines as NULL. The CSV reader is set up so that no byte is special: no quote, no escape, and a NUL
 * delimiter, which text logs never contain. row_number() OVER () numbers rows in file order because DuckDB
 * preserves insertion order for a streaming window.
 */
export function linesTableSql(sample: FileSample): string {
  const options = [
    "columns={'line': 'VARCHAR'}",
    'header=false',
    'delim=chr(0)',
    "quote=''",
    "escape=''",
    'auto_detect=false',
    // '\r\n' with strict_mode off accepts both LF and CRLF endings and strips the CR.
    "new_line='\\r\\n'",
    'strict_mode=false',
    `max_line_size=${MAX_LINE_BYTES}`,
    `compression='${sample.compression === 'gzip' ? 'gzip' : 'none'}'`,
  ].join(', ');
  return `(SELECT row_number() OVER () AS line_no, line FROM read_csv(${sqlString(sample.readPath)}, ${options}))`;
}

/** Characters of a rejected line kept as its excerpt. */
const EXCERPT_CHARS = 160;

/** Builds SQL for the start of a rejected line. A blank line (NULL) gives ''. */
export function excerptSql(column: string): string {
  return `left(coalesce(${column}, ''), ${EXCERPT_CHARS})`;
}

/**
 * Moves the rejects recorded for `file` into the report, grouped by reason, and returns how many there were.
 * Loaders insert their bad lines into the rejects table first so the counting happens in SQL.
 */
export async function reportRejects(store: DuckDbStore, report: IngestReport, file: string): Promise<number> {
  const groups = await store.all<{ reason: string; total: number; samples: SkippedLine[] }>(
    `SELECT reason, count(*) AS total,
            list({'file': sourcefile, 'line': sourceline, 'reason': reason, 'excerpt': excerpt}
                 ORDER BY sourceline)[1:${SAMPLES_PER_REASON}] AS samples
       FROM ${REJECTS_TABLE} WHERE sourcefile = ? GROUP BY reason ORDER BY min(sourceline)`,
    [file],
  );
  let total = 0;
  for (const group of groups) {
    total += group.total;
    report.addSkipped(
      group.reason,
      group.total,
      group.samples.map((sample) => ({ ...sample, line: Number(sample.line) })),
    );
  }
  return total;
}
