/**
 * Zeek logs written as JSON lines (LogAscii::use_json). Field names come in two spellings: Zeek's own
 * `id.orig_h`, and `id_orig_h` from pipelines that cannot store dots in keys (Logstash, Security-Datasets).
 */
import { basename } from 'node:path';

import type { InputFormat, LoadContext, LoadResult } from '../format.js';
import { linesTableSql } from '../lines.js';
import type { FileSample } from '../sniff.js';
import { ZEEK_FIELDS } from './columns.js';
import { createZeekSideTables, loadStagedZeekFile, type ZeekLogKind } from './staged.js';

interface SampleRecord {
  record: Record<string, unknown>;
  dotted: boolean;
}

function firstRecord(sample: FileSample): SampleRecord | null {
  for (const line of sample.lines) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (!trimmed.startsWith('{')) return null;
    try {
      const record = JSON.parse(trimmed) as Record<string, unknown>;
      if (typeof record !== 'object' || record === null || Array.isArray(record)) return null;
      if ('id.orig_h' in record) return { record, dotted: true };
      if ('id_orig_h' in record) return { record, dotted: false };
      return null;
    } catch {
      return null;
    }
  }
  return null;
}

/** Finds the log type from `_path`, Security-Datasets' `@stream`, the file name, then the fields present. */
export function zeekJsonLogKind(record: Record<string, unknown>, path: string): ZeekLogKind | 'other' {
  const declared = record['_path'] ?? record['@stream'];
  const name = typeof declared === 'string' ? declared : null;
  if (name === 'conn' || name === 'ssl' || name === 'http') return name;
  if (name !== null) return 'other';
  const file = basename(path).toLowerCase();
  for (const kind of ['conn', 'ssl', 'http'] as const) {
    if (new RegExp(`(^|[_.-])${kind}([_.-]|$)`).test(file)) return kind;
  }
  if ('conn_state' in record) return 'conn';
  if ('server_name' in record || 'cipher' in record) return 'ssl';
  if ('user_agent' in record || 'method' in record) return 'http';
  return 'other';
}

function jsonPath(field: string, dotted: boolean): string {
  const key = dotted ? field : field.replaceAll('.', '_');
  return `$."${key}"`;
}

export const zeekJsonFormat: InputFormat = {
  id: 'zeek-json',
  description: 'Zeek logs as JSON lines, with id.orig_h or id_orig_h field names',
  providesDirection: false,

  detect(sample: FileSample): boolean {
    return firstRecord(sample) !== null;
  },

  async load(context: LoadContext): Promise<LoadResult> {
    const first = firstRecord(context.sample);
    if (first === null) return { status: 'ignored', events: 0, skipped: 0, message: 'no Zeek JSON record' };
    const kind = zeekJsonLogKind(first.record, context.sample.path);
    if (kind === 'other') {
      const name = String(first.record['_path'] ?? first.record['@stream'] ?? 'unknown');
      return { status: 'ignored', events: 0, skipped: 0, message: `Zeek ${name} log, not used` };
    }
    await createZeekSideTables(context);

    const paths = ZEEK_FIELDS.map((field) => `'${jsonPath(field, first.dotted)}'`).join(', ');
    const field = (name: string): string => {
      const index = (ZEEK_FIELDS as readonly string[]).indexOf(name);
      return index < 0 ? 'NULL' : `f[${index + 1}]`;
    };
    const stageSql = `SELECT line_no, line,
                             CASE WHEN starts_with(ltrim(line), '{') AND json_valid(line)
                                  THEN json_extract_string(line, [${paths}]) END AS f
                        FROM ${linesTableSql(context.sample)}
                        WHERE line IS NOT NULL AND (starts_with(line, '{') OR trim(line) <> '')`;
    return loadStagedZeekFile(context, {
      kind,
      formatId: 'zeek-json',
      stageSql,
      field,
      fieldCountCheck: null,
      parseFailure: { condition: 'f IS NULL', reason: 'invalid JSON' },
    });
  },
};
