/**
 * Helpers for line-oriented formats read by DuckDB: a table expression that yields each physical line
 * with its 1-based number, the handling of lines DuckDB's reader cannot read, and the bookkeeping that
 * moves rejected lines into the report.
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
 * DuckDB's tables of the lines its CSV reader skipped (store_rejects). Every scan appends one row per
 * skipped line, with the 1-based physical line number in `line`. Both are temporary tables.
 */
const READER_REJECTS_TABLE = 'csv_reader_rejects';
const READER_SCANS_TABLE = 'csv_reader_scans';

/** The current file's skipped lines, one row each with its reject reason and excerpt. */
const SKIPPED_LINES_TABLE = 'csv_skipped_lines';

/**
 * For each run of rows read after the same skipped lines: the row number where the run starts and how
 * many lines were skipped before it.
 */
const LINE_SHIFTS_TABLE = 'csv_line_shifts';

/**
 * Builds a DuckDB table expression with columns (line_no BIGINT, line VARCHAR): every line of the file in
 * order, blank lines as NULL. The CSV reader is set up so that no byte is special: no quote, no escape, and
 * a NUL delimiter, which text logs never contain. row_number() OVER () numbers rows in file order because
 * DuckDB preserves insertion order for a streaming window.
 *
 * Lines the reader cannot read (invalid UTF-8, longer than MAX_LINE_BYTES) are skipped instead of failing
 * the query, because in DuckDB 1.5 a failed statement aborts the import's transaction and there are no
 * savepoints to retry from. row_number() then counts only the lines kept, so a loader must call
 * recordSkippedLines after its passes over the file. It throws ReaderSkippedLinesError when lines were
 * skipped, and the import loads the file again with `sample.renumberLines` set. In that mode each row
 * number is shifted by the number of skipped lines before it, which costs a join, so the first load runs
 * without it.
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
    // DuckDB 1.5.6's parallel reader with these options dropped one line, without a reject, of a
    // 296 MB file (default max_line_size) and of a 400 MB JSON-lines file (just past 256 MiB). The
    // serial reader kept every line, and row_number() OVER () runs in one thread anyway.
    'parallel=false',
    `max_line_size=${MAX_LINE_BYTES}`,
    // DuckDB sizes the read buffer at 16 × max_line_size (1 GiB here) and allocates it whole, even for a
    // small file. One line's worth is enough, so a scan can run under a memory limit of a few hundred MB.
    `buffer_size=${MAX_LINE_BYTES}`,
    `compression='${sample.compression === 'gzip' ? 'gzip' : 'none'}'`,
    'ignore_errors=true',
    'store_rejects=true',
    `rejects_table='${READER_REJECTS_TABLE}'`,
    `rejects_scan='${READER_SCANS_TABLE}'`,
  ].join(', ');
  const reader = `read_csv(${sqlString(sample.readPath)}, ${options})`;
  if (sample.renumberLines !== true) return `(SELECT row_number() OVER () AS line_no, line FROM ${reader})`;
  // Kept row r is physical line r + (lines skipped before it). The ASOF join takes, for each row, the
  // shift of the last run that starts at or before it.
  return `(SELECT kept.row_no + coalesce(shift.skipped_before, 0) AS line_no, kept.line
             FROM (SELECT row_number() OVER () AS row_no, line FROM ${reader}) AS kept
             ASOF LEFT JOIN ${LINE_SHIFTS_TABLE} AS shift ON kept.row_no >= shift.first_row)`;
}

/**
 * Signals that DuckDB's CSV reader skipped lines, so the rows of this load have wrong line numbers. The
 * load stops before it reports anything, and the import loads the file again with `renumberLines`.
 */
export class ReaderSkippedLinesError extends Error {
  override readonly name: string = 'ReaderSkippedLinesError';
  constructor(
    readonly file: string,
    readonly skipped: number,
  ) {
    super(
      `${file}: DuckDB's CSV reader skipped ${skipped} lines, so the load must run again with renumberLines`,
    );
  }
}

/** Drops the skipped lines recorded for an earlier file, before a new file is loaded. */
export async function resetSkippedLines(store: DuckDbStore): Promise<void> {
  for (const table of [READER_REJECTS_TABLE, READER_SCANS_TABLE, SKIPPED_LINES_TABLE, LINE_SHIFTS_TABLE]) {
    await store.run(`DROP TABLE IF EXISTS ${table}`);
  }
  // Queries that count records on the second connection (staged.ts) fill its own reject tables.
  for (const table of [READER_REJECTS_TABLE, READER_SCANS_TABLE]) {
    await store.allBeside(`DROP TABLE IF EXISTS ${table}`);
  }
}

/**
 * Checks the lines DuckDB's reader skipped in the passes over `sample`. On a first load, throws
 * ReaderSkippedLinesError if there were any. On the reload with `renumberLines`, inserts them into the
 * rejects table, so that reportRejects counts them with the loader's own rejects.
 */
export async function recordSkippedLines(store: DuckDbStore, sample: FileSample): Promise<void> {
  if (sample.renumberLines === true) {
    await store.run(
      `INSERT INTO ${REJECTS_TABLE}
         SELECT ${sqlString(sample.path)}, line, reason, excerpt FROM ${SKIPPED_LINES_TABLE}`,
    );
    return;
  }
  // A format read by other means (read_json) creates no reject table.
  const [table] = await store.all<{ found: number }>(
    'SELECT count(*) AS found FROM duckdb_tables() WHERE temporary AND table_name = ?',
    [READER_REJECTS_TABLE],
  );
  if ((table?.found ?? 0) === 0) return;
  const [counted] = await store.all<{ skipped: number }>(
    `SELECT count(DISTINCT line) AS skipped FROM ${READER_REJECTS_TABLE}`,
  );
  const skipped = counted?.skipped ?? 0;
  if (skipped > 0) throw new ReaderSkippedLinesError(sample.path, skipped);
}

/**
 * Prepares the reload after a ReaderSkippedLinesError: keeps one row per skipped line and computes the
 * line number shifts that linesTableSql applies with `renumberLines`.
 */
export async function prepareLineRenumbering(store: DuckDbStore): Promise<void> {
  // Each pass of the first load scanned the file, so every line is listed once per scan.
  await store.run(
    `CREATE OR REPLACE TEMP TABLE ${SKIPPED_LINES_TABLE} AS
       SELECT line, min(${skippedLineReasonSql('CAST(error_type AS VARCHAR)')}) AS reason,
              min(${excerptSql('trim(csv_line, chr(13) || chr(10))')}) AS excerpt
         FROM ${READER_REJECTS_TABLE} GROUP BY line`,
  );
  // With skipped physical lines R_1 < R_2 < ..., the first kept row after R_i is row R_i - (i - 1), and
  // i lines were skipped before it. Consecutive skipped lines share that row, so the largest i counts.
  await store.run(
    `CREATE OR REPLACE TEMP TABLE ${LINE_SHIFTS_TABLE} AS
       SELECT line - (skipped - 1) AS first_row, max(skipped) AS skipped_before
         FROM (SELECT line, row_number() OVER (ORDER BY line) AS skipped FROM ${SKIPPED_LINES_TABLE})
        GROUP BY first_row`,
  );
}

/** Builds SQL for the reject reason of a line that DuckDB's CSV reader skipped with `errorType`. */
function skippedLineReasonSql(errorType: string): string {
  return `(CASE ${errorType}
             WHEN 'INVALID ENCODING' THEN 'invalid UTF-8'
             WHEN 'LINE SIZE OVER MAXIMUM' THEN 'line longer than ${MAX_LINE_BYTES / (1024 * 1024)} MB'
             ELSE 'unreadable line: ' || lower(${errorType})
           END)`;
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
