/**
 * The load step shared by Zeek's TSV and JSON readers: conn records go to the events table, ssl and
 * http records to side tables that are joined onto events by uid once every file is in.
 */
import { sqlString } from '../../store/duckdb.js';
import { EVENTS_TABLE } from '../../store/schema.js';
import type { LoadContext, LoadResult } from '../format.js';
import { loadStagedRecords, type RecordCheck } from '../staged.js';
import {
  connChecks,
  connEventSelectSql,
  CREATE_ZEEK_SIDE_TABLES_SQL,
  type FieldSql,
  httpSelectSql,
  projectedField,
  projectZeekFieldsSql,
  sideChecks,
  sslSelectSql,
} from './columns.js';

export type ZeekLogKind = 'conn' | 'ssl' | 'http';

export interface StagedZeekFile {
  kind: ZeekLogKind;
  /** The input format's id, stored as the events' logsource. */
  formatId: string;
  /** SELECT producing (line_no, line, …) with whatever columns `field` refers to. */
  stageSql: string;
  /** SQL for the raw text of one Zeek field over the stage's columns; NULL when absent or unset. */
  field: FieldSql;
  /** A condition that is true when the record is structurally broken (TSV field count), if any. */
  fieldCountCheck: string | null;
  /** A first reject check that precedes all others, such as invalid JSON. */
  parseFailure?: { condition: string; reason: string };
}

export async function loadStagedZeekFile(context: LoadContext, staged: StagedZeekFile): Promise<LoadResult> {
  const checks: RecordCheck[] = [];
  if (staged.parseFailure)
    checks.push({ when: staged.parseFailure.condition, reject: staged.parseFailure.reason });
  if (staged.fieldCountCheck) checks.push({ when: staged.fieldCountCheck, reject: 'wrong field count' });
  checks.push(...(staged.kind === 'conn' ? connChecks(projectedField) : sideChecks(projectedField)));

  const counts = await loadStagedRecords(context, {
    stageSql: projectZeekFieldsSql(staged.stageSql, staged.field),
    checks,
    target: targetTable(staged.kind),
    selectSql: targetSelect(staged.kind, staged.formatId, sqlString(context.sample.path)),
  });
  if (staged.kind === 'conn') return { status: 'loaded', events: counts.events, skipped: counts.skipped };
  return {
    status: 'loaded',
    events: 0,
    skipped: counts.skipped,
    message: `${counts.events} ${staged.kind} records to join by uid`,
  };
}

export async function createZeekSideTables(context: LoadContext): Promise<void> {
  for (const sql of CREATE_ZEEK_SIDE_TABLES_SQL) await context.store.run(sql);
}

function targetTable(kind: ZeekLogKind): string {
  if (kind === 'conn') return EVENTS_TABLE;
  return kind === 'ssl' ? 'zeek_ssl' : 'zeek_http';
}

function targetSelect(kind: ZeekLogKind, formatId: string, file: string): string {
  if (kind === 'conn') return connEventSelectSql(projectedField, file, 'line_no', formatId);
  return kind === 'ssl' ? sslSelectSql(projectedField) : httpSelectSql(projectedField);
}
