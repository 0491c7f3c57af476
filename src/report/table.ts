/**
 * Renders findings as a terminal table that fits the terminal width, wrapping long cells and moving the
 * last column to a full-width row under each finding when it would otherwise get too narrow.
 */
import Table from 'cli-table3';
import picocolors from 'picocolors';

import type { TableColumn } from '../detect/detector.js';

/**
 * Width, in characters, above which a column's values may be broken before any header word is: an
 * IPv4 address wraps at a dot into two lines of up to 7 characters.
 */
const BREAKABLE_WIDTH = 7;

/** Width when stdout is not a terminal and COLUMNS is unset or invalid. */
const DEFAULT_WIDTH = 80;
/**
 * Narrowest width of the wrapped last column (the beacon "why" text) in the one-row layout, in
 * characters, chosen for readable prose. Below it the last column gets a row of its own. At 80 columns
 * the other beacon columns of samples/zeek leave it 3.
 */
const MIN_INLINE_LAST_COLUMN = 50;

/**
 * Column or word width, in characters, up to which the layout keeps text whole while longer text can be
 * wrapped or broken: an IPv4 address such as 255.255.255.255 is 15 characters.
 */
const SHORT_WIDTH = 15;

/**
 * Table layout: content widths of the columns on the finding's row, and how many trailing columns move
 * to a full-width row under it, each as "header: value".
 */
interface Layout {
  widths: number[];
  spanned: number;
}

/**
 * Renders findings as a table whose lines are at most `width` characters wide. Every cell goes through
 * escapeControlCharacters, so only this function's own colours reach the terminal.
 */
export function renderTable<F>(
  findings: readonly F[],
  columns: readonly TableColumn<F>[],
  width = tableWidth(),
  color = colorEnabled(),
): string {
  const colors = picocolors.createColors(color);
  const headers = columns.map((column) => escapeControlCharacters(column.header));
  const cells = findings.map((finding) =>
    columns.map((column) => escapeControlCharacters(column.value(finding))),
  );
  const layout = chooseLayout(headers, cells, width);
  const rowColumns = columns.length - layout.spanned;

  const table = new Table({
    head: headers
      .slice(0, rowColumns)
      .map((header, index) => wrapCell(header, layout.widths[index] ?? 1, colors.cyan)),
    colWidths: layout.widths.map((columnWidth) => columnWidth + 2),
    colAligns: columns.slice(0, rowColumns).map((column) => column.align ?? 'left'),
    // The cells arrive wrapped, and cli-table3's own colours follow @colors/colors' terminal detection
    // rather than NO_COLOR, so both stay off. With empty style arrays cli-table3 0.6.5 writes no escapes.
    wordWrap: false,
    style: { head: [], border: [] },
  });

  findings.forEach((finding, rowIndex) => {
    const row = cells[rowIndex] ?? [];
    table.push(
      row.slice(0, rowColumns).map((text, index) => {
        const alert = columns[index]?.alert?.(finding) === true;
        const paint = alert ? (line: string) => colors.bold(colors.red(line)) : undefined;
        return wrapCell(text, layout.widths[index] ?? 1, paint);
      }),
    );
    // A spanning cell is as wide as the row minus its two borders and two spaces of padding.
    const spanWidth = tableLineWidth(layout.widths) - 4;
    const moved = row
      .slice(rowColumns)
      .map((text, index) => ({ text, header: headers[rowColumns + index] ?? '' }))
      .filter(({ text }) => text !== '')
      .map(({ text, header }) => wrapCell(`${header}: ${text}`, spanWidth));
    if (moved.length > 0) table.push([{ content: moved.join('\n'), colSpan: rowColumns, hAlign: 'left' }]);
  });

  // Box-drawing characters (U+2500 to U+257F) are the borders. Any inside a cell turn grey as well.
  const text = table.toString();
  return color ? text.replace(/[\u2500-\u257f]+/g, (border) => colors.gray(border)) : text;
}

/**
 * Returns the table width: the terminal's on a TTY, else the COLUMNS environment variable when it is a
 * positive integer, else 80.
 */
export function tableWidth(
  stream: { isTTY?: boolean; columns?: number } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): number {
  if (stream.isTTY === true && stream.columns !== undefined && stream.columns > 0) return stream.columns;
  const columns = env.COLUMNS?.trim() ?? '';
  if (/^[1-9][0-9]*$/.test(columns)) return Number(columns);
  return DEFAULT_WIDTH;
}

/**
 * Decides whether the table uses colour. A non-empty NO_COLOR turns it off (https://no-color.org), a
 * non-empty FORCE_COLOR other than "0" or "false" turns it on, and otherwise colour needs a terminal
 * whose TERM is not "dumb". picocolors 1.1.1 also colours output to a pipe when CI is set or on Windows,
 * so its own check is not used.
 */
export function colorEnabled(
  stream: { isTTY?: boolean } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR ?? '';
  if (force !== '') return force !== '0' && force !== 'false';
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** Widths of one column's text, in characters. */
interface ColumnMeasure {
  /** Widest header or cell. */
  natural: number;
  /** Maximum word width of the header and cells: a narrower column must break a word. */
  word: number;
  /** Maximum word width of the cells alone. */
  valueWord: number;
  /** Maximum word width of the header alone. */
  headerWord: number;
}

/**
 * Chooses column widths for `width`. The one-row layout is kept while the last column gets its full
 * width or at least MIN_INLINE_LAST_COLUMN without breaking words. Otherwise the last column moves to a
 * spanning row, and so do the long columns before it (such as timestamps and example names) while the
 * rest would still have to break words. Short columns (up to SHORT_WIDTH) stay on the row.
 */
function chooseLayout(headers: readonly string[], cells: readonly string[][], width: number): Layout {
  const measures = headers.map((header, index) =>
    measureColumn(
      header,
      cells.map((row) => row[index] ?? ''),
    ),
  );

  const inline = fitColumns(measures, width, false);
  const lastNatural = measures.at(-1)?.natural ?? 0;
  const lastWidth = inline?.at(-1) ?? 0;
  if (inline !== null && lastWidth >= Math.min(lastNatural, MIN_INLINE_LAST_COLUMN)) {
    return { widths: inline, spanned: 0 };
  }

  if (measures.length < 2) return { widths: fitColumns(measures, width, true) ?? [], spanned: 0 };
  let spanned = 1;
  while (spanned < measures.length - 1) {
    if (fitColumns(measures.slice(0, -spanned), width, false) !== null) break;
    const next = measures[measures.length - spanned - 1] as ColumnMeasure;
    if (next.natural <= SHORT_WIDTH) break;
    spanned += 1;
  }
  return { widths: fitColumns(measures.slice(0, -spanned), width, true) ?? [], spanned };
}

function measureColumn(header: string, values: readonly string[]): ColumnMeasure {
  const valueWord = Math.max(1, ...values.map(longestWord));
  return {
    natural: Math.max(1, displayWidth(header), ...values.map(displayWidth)),
    word: Math.max(valueWord, longestWord(header)),
    valueWord,
    headerWord: longestWord(header),
  };
}

/**
 * Returns content widths for columns in a table at most `width` wide. Without `breakWords` it returns
 * null when that needs a word broken.
 */
function fitColumns(measures: readonly ColumnMeasure[], width: number, breakWords: boolean): number[] | null {
  const space = width - frameWidth(measures.length);
  const natural = measures.map((measure) => measure.natural);
  const short = (size: number): number => (size <= SHORT_WIDTH ? size : 1);
  // Floor sets go from the most to the least generous, and the first that fits wins. The first breaks
  // no word, and the second narrows no column of up to SHORT_WIDTH. The third breaks no short word and
  // keeps long columns at SHORT_WIDTH or more. The fourth breaks no header word and no word of a column
  // up to BREAKABLE_WIDTH wide, so addresses and names wrap before "conns" or "score" do. The fifth
  // and sixth break long words only, header words before cell words, and the last breaks anything.
  const floorSets = [measures.map((measure) => measure.word)];
  if (breakWords) {
    floorSets.push(
      measures.map((measure) => Math.min(measure.natural, SHORT_WIDTH)),
      measures.map((measure) => Math.min(measure.word, SHORT_WIDTH)),
      measures.map((measure) =>
        measure.natural <= BREAKABLE_WIDTH
          ? measure.word
          : Math.max(measure.headerWord, Math.min(measure.valueWord, BREAKABLE_WIDTH)),
      ),
      measures.map((measure) => short(measure.word)),
      measures.map((measure) => short(measure.valueWord)),
      measures.map(() => 1),
    );
  }
  for (const floors of floorSets) {
    const widths = fitWidths(natural, floors, space);
    if (widths !== null) return widths;
  }
  // NOTE: a width under four characters per column plus one leaves the table wider than `width`.
  return breakWords ? measures.map(() => 1) : null;
}

/**
 * Returns content widths that fit in `space` characters. Columns wider than a common cap are cut to it,
 * so the widest columns wrap first, and no column goes below its floor. Returns null when the floors
 * alone do not fit.
 */
function fitWidths(natural: readonly number[], floors: readonly number[], space: number): number[] | null {
  const widthsAt = (cap: number): number[] =>
    natural.map((naturalWidth, index) => Math.min(naturalWidth, Math.max(floors[index] ?? 1, cap)));
  let cap = Math.max(...natural);
  while (sum(widthsAt(cap)) > space) {
    if (cap === 0) return null;
    cap -= 1;
  }

  // One more character each for the cut columns, left to right, fills what the cap left over.
  const widths = widthsAt(cap);
  let leftover = space - sum(widths);
  for (let index = 0; index < widths.length && leftover > 0; index += 1) {
    if ((widths[index] ?? 0) < (natural[index] ?? 0)) {
      widths[index] = (widths[index] ?? 0) + 1;
      leftover -= 1;
    }
  }
  return widths;
}

/** Returns the width of a table line: each column adds a border and a space of padding on each side. */
function tableLineWidth(widths: readonly number[]): number {
  return sum(widths) + frameWidth(widths.length);
}

function frameWidth(columnCount: number): number {
  return 3 * columnCount + 1;
}

/**
 * Wraps text at spaces into lines of at most `width` characters, breaking a word that is longer than
 * `width` (an IPv6 address or a long server name). `paint` colours each line.
 */
function wrapCell(text: string, width: number, paint?: (line: string) => string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (displayWidth(candidate) <= width) {
      line = candidate;
      continue;
    }
    if (line !== '') lines.push(line);
    const pieces = breakWord(word, width);
    lines.push(...pieces.slice(0, -1));
    line = pieces.at(-1) ?? '';
  }
  lines.push(line);
  return lines.map((wrapped) => (paint === undefined ? wrapped : paint(wrapped))).join('\n');
}

/** Characters after which a broken word preferably ends: the separators of names and addresses. */
const BREAK_AFTER = new Set(['.', ':', '-', '/', '_', '\\']);

/**
 * Splits a word into pieces of at most `width` characters, ending a piece after a separator when one
 * falls in the piece's second half, so that "updates.example.com" breaks as "updates." and "example.com".
 */
function breakWord(word: string, width: number): string[] {
  const pieces: string[] = [];
  let rest = [...word];
  while (displayWidth(rest.join('')) > width) {
    let end = 0;
    let used = 0;
    while (end < rest.length && used + displayWidth(rest[end] ?? '') <= width) {
      used += displayWidth(rest[end] ?? '');
      end += 1;
    }
    // A character wider than the column still goes on a line of its own, which cli-table3 then cuts.
    end = Math.max(end, 1);
    for (let index = end - 1; index >= Math.ceil(end / 2); index -= 1) {
      if (BREAK_AFTER.has(rest[index] ?? '')) {
        end = index + 1;
        break;
      }
    }
    pieces.push(rest.slice(0, end).join(''));
    rest = rest.slice(end);
  }
  pieces.push(rest.join(''));
  return pieces;
}

function longestWord(text: string): number {
  return Math.max(0, ...text.split(' ').map(displayWidth));
}

/**
 * Returns the number of terminal cells that text takes, counted as string-width 4.2.3 (which cli-table3
 * 0.6.5 uses) counts them: 2 for East Asian wide and fullwidth characters, 0 for combining diacritical
 * marks (U+0300 to U+036F), 1 otherwise.
 * NOTE: string-width also counts an emoji as 2, and this counts it as 1. A line that cli-table3 finds too
 * wide is cut with "…", so the table keeps its width but loses the end of that line.
 */
function displayWidth(text: string): number {
  let width = 0;
  for (const character of text) {
    const codePoint = character.codePointAt(0) ?? 0;
    if (codePoint >= 0x300 && codePoint <= 0x36f) continue;
    width += isWide(codePoint) ? 2 : 1;
  }
  return width;
}

/** Code point ranges of East Asian wide and fullwidth characters, as in is-fullwidth-code-point 3.0.0. */
function isWide(codePoint: number): boolean {
  return (
    codePoint >= 0x1100 &&
    (codePoint <= 0x115f ||
      codePoint === 0x2329 ||
      codePoint === 0x232a ||
      (codePoint >= 0x2e80 && codePoint <= 0x3247 && codePoint !== 0x303f) ||
      (codePoint >= 0x3250 && codePoint <= 0x4dbf) ||
      (codePoint >= 0x4e00 && codePoint <= 0xa4c6) ||
      (codePoint >= 0xa960 && codePoint <= 0xa97c) ||
      (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
      (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
      (codePoint >= 0xfe10 && codePoint <= 0xfe19) ||
      (codePoint >= 0xfe30 && codePoint <= 0xfe6b) ||
      (codePoint >= 0xff01 && codePoint <= 0xff60) ||
      (codePoint >= 0xffe0 && codePoint <= 0xffe6) ||
      (codePoint >= 0x1b000 && codePoint <= 0x1b001) ||
      (codePoint >= 0x1f200 && codePoint <= 0x1f251) ||
      (codePoint >= 0x20000 && codePoint <= 0x3fffd))
  );
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/**
 * Replaces control characters with visible escapes (`\x1b`, `\u202e`). Server names, URIs and user
 * agents come from the network, so an attacker could otherwise send ANSI sequences that recolour or
 * retitle the analyst's terminal, or bidirectional overrides that make text read backwards.
 */
export function escapeControlCharacters(text: string): string {
  // C0 controls, DEL and C1 controls; tab and newline too, because they would break the table's layout.
  // Then the Unicode bidirectional marks, embeddings, overrides and isolates (U+200E, U+200F,
  // U+202A to U+202E, U+2066 to U+2069) and the line and paragraph separators (U+2028, U+2029).
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069]/g, (character) => {
    const code = character.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
  });
}
