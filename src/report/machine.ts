/**
 * Machine-readable output: `--json` writes one array, `--ndjson` one finding per line, `--csv` the flat
 * record of each finding with a header row. Field names are part of the documented interface.
 */
import { stringify } from 'csv-stringify/sync';

import type { FlatValue } from '../detect/detector.js';

export type MachineFormat = 'json' | 'ndjson' | 'csv';

export function renderMachine<F extends object>(
  format: MachineFormat,
  findings: readonly F[],
  flatten: (finding: F) => Record<string, FlatValue>,
  columns: readonly string[] = [],
): string {
  if (format === 'json') return `${JSON.stringify(findings, null, 2)}\n`;
  if (format === 'ndjson') return findings.map((finding) => `${JSON.stringify(finding)}\n`).join('');
  const records = findings.map((finding) => neutraliseFormulas(flatten(finding)));
  if (records.length === 0) return columns.length > 0 ? `${stringify([columns])}` : '';
  return stringify(records, {
    header: true,
    ...(columns.length > 0 ? { columns: [...columns] } : {}),
    cast: { boolean: (value) => String(value) },
  });
}

/**
 * Prefixes text cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR)
 * with an apostrophe, as OWASP's CSV injection guidance advises: a server name such as
 * `=HYPERLINK(...)` comes from the network. Numbers are left alone, so negative values stay numbers.
 */
function neutraliseFormulas(record: Record<string, FlatValue>): Record<string, FlatValue> {
  const safe: Record<string, FlatValue> = {};
  for (const [key, value] of Object.entries(record)) {
    safe[key] = typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  }
  return safe;
}
