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
): string {
  if (format === 'json') return `${JSON.stringify(findings, null, 2)}\n`;
  if (format === 'ndjson') return findings.map((finding) => `${JSON.stringify(finding)}\n`).join('');
  const records = findings.map(flatten);
  if (records.length === 0) return '';
  return stringify(records, { header: true, cast: { boolean: (value) => String(value) } });
}
