/**
 * The load step shared by Zeek's TSV and JSON readers: stage the file's records in a temporary table,
 * move the rejected ones to the rejects table with their reason, and insert the rest into the target.
 */
import { sqlString } from '../../store/duckdb.js';
import { EVENTS_TABLE, REJECTS_TABLE } from '../../store/schema.js';
import type { LoadContext, LoadResult } from '../format.js';
import { excerptSql, reportRejects } from '../lines.js';
import {
  connEventSelectSql,
  connRejectReasonSql,
  CREATE_ZEEK_SIDE_TABLES_SQL,
  type FieldSql,
  httpSelectSql,
  sideRejectReasonSql,
  sslSelectSql,
} from './columns.js';

export type ZeekLogKind = 'conn' | 'ssl' | 'http';

export interface StagedZeekFile {
  kind: ZeekLogKind;
  /** The input format's id, stored as the events' logsource. */
  formatId: string;
  /** SELECT producing (line_no, line, …) with whatever columns `field` refers to. */
  stageSql: string;
  field: FieldSql;
  /** A condition that is true when the record is structurally broken (TSV field count), if any. */
  fieldCountCheck: string | null;
  /** A first reject check that precedes all others, such as invalid JSON. */
  parseFailure?: { condition: string; reason: string };
}

const STAGE_TABLE = 'zeek_stage';

export async function loadStagedZeekFile(context: LoadContext, staged: StagedZeekFile): Promise<LoadResult> {
  const { store, sample, report } = context;
  const file = sqlString(sample.path);
  const reason = withParseFailure(
    staged.kind === 'conn'
      ? connRejectReasonSql(staged.field, staged.fieldCountCheck)
      : sideRejectReasonSql(staged.field, staged.fieldCountCheck),
    staged.parseFailure,
  );

  await store.run(
    `CREATE OR REPLACE TEMP TABLE ${STAGE_TABLE} AS SELECT *, ${reason} AS reject_reason FROM (${staged.stageSql})`,
  );
  try {
    await store.run(
      `INSERT INTO ${REJECTS_TABLE}
         SELECT ${file}, line_no, reject_reason, ${excerptSql('line')} FROM ${STAGE_TABLE}
         WHERE reject_reason IS NOT NULL`,
    );
    const [counted] = await store.all<{ events: number }>(
      `SELECT count(*) AS events FROM ${STAGE_TABLE} WHERE reject_reason IS NULL`,
    );
    await store.run(`INSERT INTO ${targetTable(staged.kind)} SELECT ${targetSelect(staged, file)}
                       FROM ${STAGE_TABLE} WHERE reject_reason IS NULL`);
    const skipped = await reportRejects(store, report, sample.path);
    const records = counted?.events ?? 0;
    if (staged.kind === 'conn') return { status: 'loaded', events: records, skipped };
    return {
      status: 'loaded',
      events: 0,
      skipped,
      message: `${records} ${staged.kind} records to join by uid`,
    };
  } finally {
    await store.run(`DROP TABLE IF EXISTS ${STAGE_TABLE}`);
  }
}

export async function createZeekSideTables(context: LoadContext): Promise<void> {
  for (const sql of CREATE_ZEEK_SIDE_TABLES_SQL) await context.store.run(sql);
}

function withParseFailure(reasonSql: string, failure: StagedZeekFile['parseFailure']): string {
  if (!failure) return reasonSql;
  return `CASE WHEN ${failure.condition} THEN '${failure.reason}' ELSE ${reasonSql} END`;
}

function targetTable(kind: ZeekLogKind): string {
  if (kind === 'conn') return EVENTS_TABLE;
  return kind === 'ssl' ? 'zeek_ssl' : 'zeek_http';
}

function targetSelect(staged: StagedZeekFile, file: string): string {
  if (staged.kind === 'conn') return connEventSelectSql(staged.field, file, 'line_no', staged.formatId);
  return staged.kind === 'ssl' ? sslSelectSql(staged.field) : httpSelectSql(staged.field);
}
