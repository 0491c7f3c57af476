/** Renders findings as a terminal table, sized to the terminal and wrapping the last column. */
import Table from 'cli-table3';

import type { TableColumn } from '../detect/detector.js';

/** Width assumed when output is not a terminal (a file or a pipe). */
const DEFAULT_WIDTH = 160;
/** Narrowest the wrapped last column may get before the table simply grows wider. */
const MIN_LAST_COLUMN = 24;
/** cli-table3 spends one border character per column plus one, and one space of padding each side. */
const BORDER_PER_COLUMN = 3;

export function renderTable<F>(
  findings: readonly F[],
  columns: readonly TableColumn<F>[],
  width = process.stdout.columns ?? DEFAULT_WIDTH,
): string {
  const cells = findings.map((finding) =>
    columns.map((column) => escapeControlCharacters(column.value(finding))),
  );
  const natural = columns.map((column, index) =>
    Math.max(column.header.length, ...cells.map((row) => (row[index] ?? '').length)),
  );
  const fixed = natural.slice(0, -1).reduce((sum, columnWidth) => sum + columnWidth + BORDER_PER_COLUMN, 1);
  const lastNatural = natural.at(-1) ?? 0;
  const available = width - fixed - BORDER_PER_COLUMN;
  const last = lastNatural <= available ? lastNatural : Math.max(MIN_LAST_COLUMN, available);
  const colWidths = [...natural.slice(0, -1), last].map((columnWidth) => columnWidth + 2);

  const table = new Table({
    head: columns.map((column) => column.header),
    colWidths,
    colAligns: columns.map((column) => column.align ?? 'left'),
    wordWrap: true,
    style: { head: process.stdout.isTTY ? ['cyan'] : [], border: process.stdout.isTTY ? ['grey'] : [] },
  });
  for (const row of cells) table.push(row);
  return table.toString();
}

/**
 * Replaces control characters with visible escapes (`\x1b`). Server names, URIs and user agents come
 * from the network, so an attacker could otherwise send ANSI sequences that recolour or retitle the
 * analyst's terminal.
 */
export function escapeControlCharacters(text: string): string {
  // C0 controls, DEL and C1 controls; tab and newline too, because they would break the table's layout.
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (character) => {
    return `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}
