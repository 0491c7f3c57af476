/** Text for `--show-suppressed`: each hidden finding with the rule that hid it, its reason and the match. */
import { wrapLine } from '../text/wrap.js';
import type { Suppression } from './subject.js';

export interface SuppressedRow {
  /** The finding in words with its rank, such as "#7 10.1.2.3 → 91.228.167.171:8883/tcp". */
  finding: string;
  suppression: Suppression;
}

/**
 * Renders one block per hidden finding, in the order given, for stderr or a terminal, with lines
 * wrapped to `width` characters.
 */
export function renderSuppressed(rows: readonly SuppressedRow[], width = Number.POSITIVE_INFINITY): string {
  if (rows.length === 0) return 'No findings suppressed.\n';
  const lines = [`Suppressed findings (${rows.length}):`];
  for (const { finding, suppression } of rows) {
    lines.push(`  ${finding}`);
    lines.push(`    rule:    ${suppression.rule}`);
    lines.push(`    reason:  ${suppression.reason}`);
    lines.push(`    matched: ${suppression.matched}`);
  }
  return `${lines.flatMap((line) => wrapLine(line, width)).join('\n')}\n`;
}
