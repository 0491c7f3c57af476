/**
 * The load step shared by Zeek's TSV and JSON readers. Conn records go to the events table, and dns
 * records to the dns_queries table. Ssl and http records go to side tables that are joined onto events by
 * uid once every file is in.
 */
import { sqlString } from '../../store/duckdb.js';
import { DNS_QUERIES_TABLE, EVENTS_TABLE, FLOW_HTTP_TABLE, FLOW_TLS_TABLE } from '../../store/schema.js';
import type { LoadContext, LoadResult } from '../format.js';
import { loadStagedRecords, type RecordCheck, type StagedCounts } from '../staged.js';
import {
  connChecks,
  connEventSelectSql,
  dnsChecks,
  dnsSelectSql,
  type FieldSql,
  httpSelectSql,
  projectedField,
  projectZeekFieldsSql,
  sideChecks,
  sslSelectSql,
  zeekFieldsFor,
} from './columns.js';

export type ZeekLogKind = 'conn' | 'ssl' | 'http' | 'dns';

/**
 * Names (`#path`, `_path`) of the logs that are loaded, and the kind each is loaded as. The open_ logs come
 * from the zeek-open-connections package, which writes connections that are still open with conn.log's,
 * ssl.log's and http.log's fields. Every other Zeek log (weird, x509, files, …) is recognised and ignored.
 */
export const ZEEK_LOG_KINDS: Readonly<Record<string, ZeekLogKind>> = {
  conn: 'conn',
  open_conn: 'conn',
  ssl: 'ssl',
  open_ssl: 'ssl',
  http: 'http',
  open_http: 'http',
  dns: 'dns',
};

/** Returns the kind a log name (`#path`, `_path`) is loaded as, or null for a log that is not used. */
export function kindOfLogName(name: string): ZeekLogKind | null {
  return Object.hasOwn(ZEEK_LOG_KINDS, name) ? (ZEEK_LOG_KINDS[name] ?? null) : null;
}

/** Turns the raw text of a Zeek vector field (dns.log `answers`) into SQL for a VARCHAR[]. */
export type VectorSql = (raw: string) => string;

/** Target table, checks and SELECT list of the records of one log kind. */
export interface ZeekKindTarget {
  table: string;
  checks: RecordCheck[];
  selectSql(file: string, formatId: string, vectorSql: VectorSql): string;
}

/** Targets of each log kind, over the columns that projectZeekFieldsSql adds. */
export const ZEEK_KIND_TARGETS: Record<ZeekLogKind, ZeekKindTarget> = {
  conn: {
    table: EVENTS_TABLE,
    checks: connChecks(projectedField),
    selectSql: (file, formatId) => connEventSelectSql(projectedField, file, 'line_no', formatId),
  },
  ssl: {
    table: FLOW_TLS_TABLE,
    checks: sideChecks(projectedField),
    selectSql: () => sslSelectSql(projectedField),
  },
  http: {
    table: FLOW_HTTP_TABLE,
    checks: sideChecks(projectedField),
    selectSql: () => httpSelectSql(projectedField),
  },
  dns: {
    table: DNS_QUERIES_TABLE,
    checks: dnsChecks(projectedField),
    selectSql: (file, _formatId, vectorSql) => dnsSelectSql(projectedField, vectorSql, file),
  },
};

export interface StagedZeekFile {
  kind: ZeekLogKind;
  /** The input format's id, stored as the events' logsource. */
  formatId: string;
  /** SELECT producing (line_no, line, …) with whatever columns `field` refers to. */
  stageSql: string;
  /** SQL for the raw text of one Zeek field over the stage's columns; NULL when absent or unset. */
  field: FieldSql;
  vectorSql: VectorSql;
  /** A condition that is true when the record is structurally broken (TSV field count), if any. */
  fieldCountCheck: string | null;
  /** A first reject check that precedes all others but `leadingChecks`, such as invalid JSON. */
  parseFailure?: { condition: string; reason: string };
  /** Checks that precede all others, such as those for TSV lines under a later `#fields` header. */
  leadingChecks?: readonly RecordCheck[];
}

export async function loadStagedZeekFile(context: LoadContext, staged: StagedZeekFile): Promise<LoadResult> {
  return zeekLoadResult(staged.kind, await loadStagedZeekRecords(context, staged));
}

/** Loads the records of one log kind and returns the counts, which zeekLoadResult turns into a LoadResult. */
export async function loadStagedZeekRecords(
  context: LoadContext,
  staged: StagedZeekFile,
): Promise<StagedCounts> {
  const target = ZEEK_KIND_TARGETS[staged.kind];
  const checks: RecordCheck[] = [...(staged.leadingChecks ?? [])];
  if (staged.parseFailure)
    checks.push({ when: staged.parseFailure.condition, reject: staged.parseFailure.reason });
  if (staged.fieldCountCheck) checks.push({ when: staged.fieldCountCheck, reject: 'wrong field count' });
  checks.push(...target.checks);

  return loadStagedRecords(context, {
    stageSql: projectZeekFieldsSql(staged.stageSql, staged.field, zeekFieldsFor([staged.kind])),
    checks,
    target: target.table,
    selectSql: target.selectSql(sqlString(context.sample.path), staged.formatId, staged.vectorSql),
  });
}

/** Returns the outcome of a file whose records are of `kind`: events for conn, a message for the others. */
export function zeekLoadResult(kind: ZeekLogKind, counts: StagedCounts): LoadResult {
  if (kind === 'conn') return { status: 'loaded', events: counts.events, skipped: counts.skipped };
  return {
    status: 'loaded',
    events: 0,
    skipped: counts.skipped,
    message: sideMessage(kind, counts.events),
  };
}

/** Describes what a file's records of a kind other than conn became, for the file's message. */
export function sideMessage(kind: Exclude<ZeekLogKind, 'conn'>, records: number): string {
  if (kind === 'dns') return `${records} dns ${records === 1 ? 'query' : 'queries'} to name connections`;
  return `${records} ${kind} ${records === 1 ? 'record' : 'records'} to join by uid`;
}
