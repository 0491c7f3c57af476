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
  const cells = findings.map((finding) => columns.map((column) => column.value(finding)));
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
