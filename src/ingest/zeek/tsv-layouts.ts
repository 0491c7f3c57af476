/**
 * Zeek TSV files that hold several logs one after another, as `cat a.log b.log > all.log` makes. Each
 * part starts with its own header block, and its `#fields` line may list the fields in another order (a
 * Zeek upgrade, a package that adds a field) or be of another log.
 *
 * The first read of a file parses every record with the first header and passes over the records under
 * a later `#fields` line that differs from the first one. Finding those lines costs a running count in
 * the same pass, so an ordinary file is read as fast as before. Only when such records exist is the file
 * read again, with each record parsed by the header block above it.
 */
import type { DuckDbStore } from '../../store/duckdb.js';
import { linesTableSql } from '../lines.js';
import type { RecordCheck } from '../staged.js';
import type { FileSample } from '../sniff.js';
import type { ZeekLogKind } from './staged.js';
import type { ZeekTsvHeader } from './tsv.js';

/** Stage column: how many `#fields` lines other than the first header's precede the record. */
export const LATER_HEADERS_COLUMN = 'later_fields_headers';

/** Stage column of the second read: the index, in the list of layouts, of the record's header. */
const LAYOUT_COLUMN = 'fields_layout';

/**
 * One distinct header of a file, with the log it is for and the lines of every `#fields` line that has it.
 * Parts with the same header share a layout, so the second read's SQL grows with the number of distinct
 * headers rather than the number of files joined.
 */
export interface TsvLayout {
  header: ZeekTsvHeader;
  kind: ZeekLogKind | null;
  fieldsLines: number[];
}

/** One block of consecutive `#` lines, with the line number of its `#fields` line. */
export interface HeaderBlock {
  fieldsLine: number;
  lines: string[];
}

/** Groups parts (each a header and the line of its `#fields`) by header, in order of first appearance. */
export function groupLayouts(
  parts: ReadonlyArray<{ fieldsLine: number; header: ZeekTsvHeader; kind: ZeekLogKind | null }>,
): TsvLayout[] {
  const byKey = new Map<string, TsvLayout>();
  for (const part of parts) {
    const key = JSON.stringify(part.header);
    const layout = byKey.get(key);
    if (layout === undefined) {
      byKey.set(key, { header: part.header, kind: part.kind, fieldsLines: [part.fieldsLine] });
    } else {
      layout.fieldsLines.push(part.fieldsLine);
    }
  }
  return [...byKey.values()];
}

/** Returns SQL for a string literal. */
export function sqlLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * Builds the first read's stage: every line of the file that is not a `#` line, with `f` split by the
 * first header's separator and LATER_HEADERS_COLUMN. `firstFieldsLine` is the first header's `#fields`
 * line as written.
 */
export function firstReadStageSql(sample: FileSample, separator: string, firstFieldsLine: string): string {
  // A running count without ORDER BY runs as DuckDB's streaming window, in file order like the
  // row_number() of linesTableSql. The reload that renumbers lines joins, so there the order is explicit.
  const order = sample.renumberLines === true ? 'ORDER BY line_no ' : '';
  const laterHeaders =
    `count(*) FILTER (WHERE starts_with(line, '#fields') AND line <> ${sqlLiteral(firstFieldsLine)}) ` +
    `OVER (${order}ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)`;
  // Zeek writes no blank lines, so one inside the file is damage and is counted rather than dropped.
  // The reader gives no row for the newline at the end of the file.
  return `SELECT line_no, line, ${LATER_HEADERS_COLUMN}, string_split(line, ${sqlLiteral(separator)}) AS f
            FROM (SELECT line_no, line, ${laterHeaders} AS ${LATER_HEADERS_COLUMN} FROM ${linesTableSql(sample)})
           WHERE line IS NULL OR NOT starts_with(line, '#')`;
}

/** The first read's check that passes over the records under a later, different `#fields` line. */
export const LATER_HEADER_CHECK: RecordCheck = { when: `${LATER_HEADERS_COLUMN} > 0`, ignore: true };

/** Reads every block of consecutive `#` lines that has a `#fields` line, in file order. */
export async function readHeaderBlocks(store: DuckDbStore, sample: FileSample): Promise<HeaderBlock[]> {
  const rows = await store.all<{ line_no: number; line: string }>(
    `SELECT line_no, line FROM ${linesTableSql(sample)} WHERE starts_with(line, '#') ORDER BY line_no`,
  );
  const blocks: HeaderBlock[] = [];
  let lines: string[] = [];
  let fieldsLine: number | null = null;
  let previous = -1;
  const close = (): void => {
    if (fieldsLine !== null) blocks.push({ fieldsLine, lines });
    lines = [];
    fieldsLine = null;
  };
  for (const row of rows) {
    const lineNo = Number(row.line_no);
    if (lineNo !== previous + 1) close();
    previous = lineNo;
    lines.push(row.line);
    if (row.line.startsWith('#fields')) fieldsLine = lineNo;
  }
  close();
  return blocks;
}

/** SQL pieces of the second read, over the records of every layout. */
export interface PartsStage {
  stageSql: string;
  /** SQL for the raw text of a Zeek field in the record's own layout; NULL when its layout lacks it. */
  field(name: string): string;
  vectorSql(raw: string): string;
  fieldCountCheck: string;
  blankLineCondition: string;
}

/**
 * Builds the second read's stage: each record is joined to the last `#fields` line above it, and split
 * and read with that header's layout. Records above the first `#fields` line take the first layout.
 */
export function layoutsStageSql(sample: FileSample, layouts: readonly TsvLayout[]): PartsStage {
  const starts = layouts
    .flatMap((layout, index) => layout.fieldsLines.map((line) => `(${line}, ${index})`))
    .join(', ');
  const byLayout = (value: (header: ZeekTsvHeader) => string): string => {
    const values = layouts.map((layout) => value(layout.header));
    if (values.every((text) => text === values[0])) return values[0] ?? 'NULL';
    return `CASE ${LAYOUT_COLUMN} ${values.map((text, index) => `WHEN ${index} THEN ${text}`).join(' ')} END`;
  };
  const separator = byLayout((header) => sqlLiteral(header.separator));
  const fieldCount = byLayout((header) => String(header.fields.length));
  const stageSql = `SELECT line_no, line, ${LAYOUT_COLUMN}, string_split(line, ${separator}) AS f
                      FROM (SELECT lines.line_no, lines.line, coalesce(starts.layout, 0) AS ${LAYOUT_COLUMN}
                              FROM ${linesTableSql(sample)} AS lines
                              ASOF LEFT JOIN (VALUES ${starts}) AS starts(fields_line, layout)
                                ON lines.line_no >= starts.fields_line)
                     WHERE line IS NULL OR NOT starts_with(line, '#')`;
  const field = (name: string): string => {
    const branches = layouts.flatMap((layout, index) => {
      const position = layout.header.fields.indexOf(name);
      if (position < 0) return [];
      const { unset, empty } = layout.header;
      return [
        `WHEN ${index} THEN nullif(nullif(f[${position + 1}], ${sqlLiteral(unset)}), ${sqlLiteral(empty)})`,
      ];
    });
    return branches.length === 0 ? 'NULL' : `CASE ${LAYOUT_COLUMN} ${branches.join(' ')} END`;
  };
  return {
    stageSql,
    field,
    vectorSql: (raw) => `string_split(${raw}, ${byLayout((header) => sqlLiteral(header.setSeparator))})`,
    fieldCountCheck: `len(f) <> ${fieldCount}`,
    blankLineCondition: `line IS NULL OR (len(f) <> ${fieldCount} AND trim(line) = '')`,
  };
}

/**
 * Returns the checks that come first in the second read. Records of a log that is not used are passed
 * over. One load fills the table of one log, so records of another used log are rejected, with a reason
 * that gives the lines of its `#fields` headers, where to split the file.
 */
export function otherLogChecks(layouts: readonly TsvLayout[], kind: ZeekLogKind): RecordCheck[] {
  const checks: RecordCheck[] = [];
  const firstName = layouts[0]?.header.path ?? kind;
  for (const [index, layout] of layouts.entries()) {
    if (layout.kind === kind) continue;
    const when = `${LAYOUT_COLUMN} = ${index}`;
    if (layout.kind === null) {
      checks.push({ when, ignore: true });
      continue;
    }
    const name = layout.header.path ?? layout.kind;
    const lines = layout.fieldsLines;
    const where = lines.length === 1 ? `line ${lines[0]}` : `lines ${lines.join(', ')}`;
    checks.push({
      when,
      reject:
        `Zeek ${name} log after the ${firstName} log in one file (#fields at ${where}); ` +
        'split the file at its #fields lines and load each part',
    });
  }
  return checks;
}
