/** Text for `--show-suppressed`: each hidden finding with the rule that hid it, its reason and the match. */
import type { Suppression } from './subject.js';

export interface SuppressedRow {
  /** The finding in words, such as "10.1.2.3 → 91.228.167.171:8883/tcp". */
  finding: string;
  suppression: Suppression;
}

/** Renders one block per hidden finding, in the order given, for stderr or a terminal. */
export function renderSuppressed(rows: readonly SuppressedRow[]): string {
  if (rows.length === 0) return 'No findings suppressed.\n';
  const lines = [`Suppressed findings (${rows.length}):`];
  for (const { finding, suppression } of rows) {
    lines.push(`  ${finding}`);
    lines.push(`    rule:    ${suppression.rule}`);
    lines.push(`    reason:  ${suppression.reason}`);
    lines.push(`    matched: ${suppression.matched}`);
  }
  return `${lines.join('\n')}\n`;
}
