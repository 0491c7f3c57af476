/**
 * Zeek logs written as JSON lines (LogAscii::use_json). Field names come in two spellings: Zeek's own
 * `id.orig_h`, and `id_orig_h` from pipelines that cannot store dots in keys (Logstash, Security-Datasets).
 * Such pipelines may merge several logs into one file, so a record that names its log in `_path` or
 * `@stream` is typed by that name rather than by the file's name or its first record.
 */
import { basename } from 'node:path';

import { sqlString } from '../../store/duckdb.js';
import { createFlowSideTables, EVENTS_TABLE } from '../../store/schema.js';
import type { InputFormat, LoadContext, LoadResult } from '../format.js';
import { countOf } from '../../text/plural.js';
import { objectValuesSql } from '../json-sql.js';
import { linesTableSql } from '../lines.js';
import { loadStagedRecords, type RecordCheck } from '../staged.js';
import type { FileSample } from '../sniff.js';
import { quotedFirstLine, wrongFormatError } from '../wrong-format.js';
import { type FieldSql, projectZeekFieldsSql, zeekFieldsFor } from './columns.js';
import {
  kindOfLogName,
  loadStagedZeekFile,
  sideMessage,
  ZEEK_KIND_TARGETS,
  ZEEK_LOG_KINDS,
  type ZeekLogKind,
} from './staged.js';

const FORMAT_ID = 'zeek-json';

/** Keys that name a record's log: Zeek's `_path`, then Security-Datasets' `@stream`. */
const LOG_NAME_KEYS = ['_path', '@stream'] as const;

/** Log kinds in the order their records are loaded and their counts are listed. */
const USED_KINDS: readonly ZeekLogKind[] = ['conn', 'ssl', 'http', 'dns'];

/** The label for records without a log name, in the count of ignored records. */
const UNNAMED_LOG = 'without _path or @stream';

interface SampleRecords {
  /** JSON objects parsed from the sample's lines, in order. Lines that are not JSON objects are left out. */
  records: Record<string, unknown>[];
  /** True for Zeek's `id.orig_h` spelling, false for `id_orig_h`. */
  dotted: boolean;
}

/**
 * Parses the sample's records. Returns null unless the first non-blank line is a JSON object that either
 * has an id.orig_h (or id_orig_h) field or names its log, and some record of the sample has that field.
 */
function sampleRecords(sample: FileSample): SampleRecords | null {
  const records: Record<string, unknown>[] = [];
  for (const line of sample.lines) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    const record = parseObject(trimmed);
    if (record === null && records.length === 0) return null;
    if (record !== null) records.push(record);
  }
  const first = records[0];
  if (first === undefined) return null;
  if (!hasIdField(first) && logName(first) === null) return null;
  const withId = records.find(hasIdField);
  if (withId === undefined) return null;
  return { records, dotted: 'id.orig_h' in withId };
}

function parseObject(text: string): Record<string, unknown> | null {
  if (!text.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
    return value as Record<string, unknown>;
  } catch {
    return null;
  }
}

function hasIdField(record: Record<string, unknown>): boolean {
  return 'id.orig_h' in record || 'id_orig_h' in record;
}

/** Returns the log a record names in `_path` or `@stream`, or null when it names none. */
function logName(record: Record<string, unknown>): string | null {
  for (const key of LOG_NAME_KEYS) {
    const name = record[key];
    if (typeof name === 'string') return name;
  }
  return null;
}

/** Finds the log type from `_path`, Security-Datasets' `@stream`, the file name, then the fields present. */
export function zeekJsonLogKind(record: Record<string, unknown>, path: string): ZeekLogKind | 'other' {
  const name = logName(record);
  if (name !== null) return kindOfLogName(name) ?? 'other';
  const file = basename(path).toLowerCase();
  for (const kind of USED_KINDS) {
    if (new RegExp(`(^|[_.-])${kind}([_.-]|$)`).test(file)) return kind;
  }
  if ('conn_state' in record) return 'conn';
  if ('server_name' in record || 'cipher' in record) return 'ssl';
  if ('user_agent' in record || 'method' in record) return 'http';
  if ('query' in record && ('qtype' in record || 'qtype_name' in record)) return 'dns';
  return 'other';
}

function jsonPath(field: string, dotted: boolean): string {
  const key = dotted ? field : field.replaceAll('.', '_');
  return `$."${key}"`;
}

/** Selects the lines read as records, dropping blank lines and lines of spaces. */
function recordLinesSql(sample: FileSample): string {
  return `FROM ${linesTableSql(sample)}
          WHERE line IS NOT NULL AND (starts_with(line, '{') OR trim(line) <> '')`;
}

/** Builds SQL that is the JSON paths' values as a list for a valid JSON object line, and NULL otherwise. */
function extractSql(paths: readonly string[]): string {
  return objectValuesSql(
    'line',
    paths.map((path) => sqlString(path)),
  );
}

/** Builds SQL that maps a log name onto the kind it is loaded as, and any other name onto 'other'. */
function logKindSql(name: string): string {
  const cases = Object.entries(ZEEK_LOG_KINDS).map(([log, kind]) => `WHEN ${sqlString(log)} THEN '${kind}'`);
  return `(CASE ${name} ${cases.join(' ')} ELSE 'other' END)`;
}

/**
 * Builds the stage over every record line: line_no, line, and the list `f` of the values of `fields`.
 * With `unnamedKind`, the log names are extracted in the same json_extract_string call as the fields.
 * The column `log_kind` is then the kind each record's log name is loaded as ('other' for a log that is
 * not used), or `unnamedKind` for a record that names no log.
 */
function stageSql(
  sample: FileSample,
  fields: readonly string[],
  dotted: boolean,
  unnamedKind: string | null,
): string {
  const keys: string[] = unnamedKind === null ? [...fields] : [...fields, ...LOG_NAME_KEYS];
  const paths = keys.map((key) => jsonPath(key, dotted));
  const records = `SELECT line_no, line, ${extractSql(paths)} AS f ${recordLinesSql(sample)}`;
  if (unnamedKind === null) return records;

  // The log names follow the fields in `f`. DuckDB lists count from 1.
  const names = LOG_NAME_KEYS.map((_key, index) => `f[${fields.length + index + 1}]`).join(', ');
  return `SELECT *, CASE WHEN f IS NULL THEN NULL
                         WHEN coalesce(${names}) IS NULL THEN ${sqlString(unnamedKind)}
                         ELSE ${logKindSql(`coalesce(${names})`)} END AS log_kind
            FROM (${records})`;
}

/** Returns a FieldSql for the raw text of each of `fields` in the stage's list `f`. */
function fieldSqlFor(fields: readonly string[]): FieldSql {
  return (name) => {
    const index = fields.indexOf(name);
    return index < 0 ? 'NULL' : `f[${index + 1}]`;
  };
}

/**
 * Builds SQL for a Zeek vector field as VARCHAR[]. Zeek writes a JSON array, which json_extract_string
 * returns as JSON text. A pipeline that flattened the array to comma-separated text is split on commas.
 */
function jsonVectorSql(raw: string): string {
  return `CASE WHEN starts_with(${raw}, '[') AND json_valid(${raw}) THEN json_extract_string(${raw}, '$[*]')
               ELSE string_split(${raw}, ',') END`;
}

/**
 * Counts the records of each log in one pass over the file, reading only the log names. Records that name
 * no log count under null. Lines that are not valid JSON are not counted.
 */
async function countLogNames(context: LoadContext): Promise<Map<string | null, number>> {
  const paths = LOG_NAME_KEYS.map((key) => jsonPath(key, true));
  const rows = await context.store.all<{ name: string | null; records: number }>(
    `SELECT coalesce(names[1], names[2]) AS name, count(*) AS records
       FROM (SELECT ${extractSql(paths)} AS names ${recordLinesSql(context.sample)})
      WHERE names IS NOT NULL
      GROUP BY name ORDER BY name NULLS LAST`,
  );
  return new Map(rows.map((row) => [row.name, row.records]));
}

/** Loads a file whose records are all of one log, typed as a whole. */
function loadOneKind(context: LoadContext, kind: ZeekLogKind, dotted: boolean): Promise<LoadResult> {
  const fields = zeekFieldsFor([kind]);
  return loadStagedZeekFile(context, {
    kind,
    formatId: FORMAT_ID,
    stageSql: stageSql(context.sample, fields, dotted, null),
    field: fieldSqlFor(fields),
    vectorSql: jsonVectorSql,
    fieldCountCheck: null,
    parseFailure: { condition: 'f IS NULL', reason: 'invalid JSON' },
  });
}

/**
 * Loads a file that contains records of several logs. One checked pass loads the conn records into events
 * and rejects every bad line, including ssl and http records that fail their checks, so each bad line is
 * reported once. Then one plain insert per protocol log present copies its good records into its side
 * table. Records of other logs are filtered out of every pass and only counted.
 */
async function loadMixedKinds(
  context: LoadContext,
  options: { dotted: boolean; unnamedKind: string; kinds: readonly ZeekLogKind[] },
): Promise<{ events: number; skipped: number; sideMessages: string[] }> {
  const fields = zeekFieldsFor(options.kinds);
  const projected = projectZeekFieldsSql(
    stageSql(context.sample, fields, options.dotted, options.unnamedKind),
    fieldSqlFor(fields),
    fields,
  );
  // NOTE: DuckDB 1.5.6 pushes a WHERE on log_kind down through the projections and copies the
  // json_extract_string call into it several times. That made a 300,000-line mixed file load in 15 s
  // rather than 3 s on a 2-core machine. A filter is not pushed below a window without PARTITION BY, so
  // this row number keeps the filters above the extracted columns.
  const stageWithBarrier = `SELECT *, row_number() OVER () AS filter_barrier FROM (${projected})`;
  const sideKinds = options.kinds.filter((kind): kind is Exclude<ZeekLogKind, 'conn'> => kind !== 'conn');
  // A condition that is NULL does not match a check, so it must not count as rejected here either.
  const rejectedSql = (kind: ZeekLogKind): string =>
    ZEEK_KIND_TARGETS[kind].checks.map((check) => `coalesce(${check.when}, false)`).join(' OR ') || 'false';

  const checks: RecordCheck[] = [
    { when: 'f IS NULL', reject: 'invalid JSON' },
    ...sideKinds.flatMap((kind) =>
      ZEEK_KIND_TARGETS[kind].checks.map((check) => ({
        ...check,
        when: `log_kind = ${sqlString(kind)} AND (${check.when})`,
      })),
    ),
    ...ZEEK_KIND_TARGETS.conn.checks,
  ];
  const rejectedSide = sideKinds
    .map((kind) => ` OR (log_kind = ${sqlString(kind)} AND (${rejectedSql(kind)}))`)
    .join('');
  const file = sqlString(context.sample.path);
  const counts = await loadStagedRecords(context, {
    stageSql: `SELECT * FROM (${stageWithBarrier}) WHERE log_kind IS NULL OR log_kind = 'conn'${rejectedSide}`,
    checks,
    target: EVENTS_TABLE,
    selectSql: ZEEK_KIND_TARGETS.conn.selectSql(file, FORMAT_ID, jsonVectorSql),
  });

  const sideMessages: string[] = [];
  for (const kind of sideKinds) {
    const target = ZEEK_KIND_TARGETS[kind];
    const inserted = await context.store.run(
      `INSERT INTO ${target.table} SELECT ${target.selectSql(file, FORMAT_ID, jsonVectorSql)}
         FROM (${stageWithBarrier}) WHERE log_kind = ${sqlString(kind)} AND NOT (${rejectedSql(kind)})`,
    );
    sideMessages.push(sideMessage(kind, inserted));
  }
  return { events: counts.events, skipped: counts.skipped, sideMessages };
}

/** Lists log names for a message: `dns`, `dns and weird`, `dns, files and weird`. */
function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/**
 * Loads a file whose sampled records name their logs. A scan counts the records of each log in the whole
 * file, so that a log that first appears after the sample is still loaded, or counted as ignored.
 */
async function loadNamedLogs(
  context: LoadContext,
  sampled: SampleRecords,
  unnamedKind: ZeekLogKind | 'other',
): Promise<LoadResult> {
  const counts = await countLogNames(context);
  const kindOf = (name: string | null): ZeekLogKind | 'other' =>
    name === null ? unnamedKind : (kindOfLogName(name) ?? 'other');
  const names = [...counts.keys()];
  const kinds = USED_KINDS.filter((kind) => names.some((name) => kindOf(name) === kind));
  const otherNames = names.filter((name) => kindOf(name) === 'other');
  const otherLabels = otherNames.map((name) => name ?? UNNAMED_LOG);
  const otherRecords = otherNames.reduce((sum, name) => sum + (counts.get(name) ?? 0), 0);

  const [firstKind] = kinds;
  if (firstKind === undefined) {
    const labels = otherLabels.length > 0 ? otherLabels : ['unknown'];
    const message = `Zeek ${listNames(labels)} ${labels.length === 1 ? 'log' : 'logs'}, not used`;
    return { status: 'ignored', events: 0, skipped: 0, message };
  }
  await createFlowSideTables(context.store);
  if (kinds.length === 1 && otherRecords === 0) return loadOneKind(context, firstKind, sampled.dotted);

  const loaded = await loadMixedKinds(context, { dotted: sampled.dotted, unnamedKind, kinds });
  const messages = [...loaded.sideMessages];
  if (otherRecords > 0) {
    const records = countOf(otherRecords, 'record');
    messages.push(`${records} of other Zeek logs (${otherLabels.join(', ')}) ignored`);
  }
  return { status: 'loaded', events: loaded.events, skipped: loaded.skipped, message: messages.join('; ') };
}

/**
 * Returns the result for a sample without a record that detection accepts, which only --format brings
 * here. A first record that names a Zeek log that is not used (such as x509, whose records have no
 * id.orig_h) makes the file ignored. Anything else throws a WrongFormatError.
 */
function unusedLogOrWrongFormat(sample: FileSample): LoadResult {
  const firstLine = sample.lines.find((line) => line.trim() !== '');
  const first = firstLine === undefined ? null : parseObject(firstLine.trim());
  const name = first === null ? null : logName(first);
  if (name !== null && kindOfLogName(name) === null) {
    return { status: 'ignored', events: 0, skipped: 0, message: `Zeek ${name} log, not used` };
  }
  const quoted = quotedFirstLine(sample);
  const problem =
    first === null
      ? `the first line is not a JSON object (first line ${quoted})`
      : `no record with an id.orig_h or id_orig_h field in the first 64 KB (first line ${quoted})`;
  throw wrongFormatError(
    sample,
    FORMAT_ID,
    problem,
    'Zeek logs as JSON lines, one object per line with id.orig_h or id_orig_h fields',
  );
}

export const zeekJsonFormat: InputFormat = {
  id: FORMAT_ID,
  description: 'Zeek logs as JSON lines, with id.orig_h or id_orig_h field names',
  recognisedBy:
    'a first non-blank line that is a JSON object with "id.orig_h" or "id_orig_h", or with "_path" or "@stream" naming its log, and a record in the first 64 KB with one of those id fields',
  example:
    '{"_path":"conn","ts":1713693597.163487,"uid":"ClTRDb3l7ge6oiiYsg","id.orig_h":"10.0.0.5","id.orig_p":53396,"id.resp_h":"203.0.113.7","id.resp_p":443,"proto":"tcp","service":"ssl","duration":0.10,"orig_bytes":517,"resp_bytes":4120,"conn_state":"SF"}',
  providesDirection: false,

  detect(sample: FileSample): boolean {
    return sampleRecords(sample) !== null;
  },

  async load(context: LoadContext): Promise<LoadResult> {
    const sampled = sampleRecords(context.sample);
    if (sampled === null) return unusedLogOrWrongFormat(context.sample);
    // A record that names no log is typed as whole files were before records were typed one by one: by
    // the file name, then by the fields of the first such record.
    const firstUnnamed = sampled.records.find((record) => logName(record) === null) ?? {};
    const unnamedKind = zeekJsonLogKind(firstUnnamed, context.sample.path);
    if (sampled.records.some((record) => logName(record) !== null)) {
      return loadNamedLogs(context, sampled, unnamedKind);
    }

    // NOTE: when no sampled record names its log, the file is typed as a whole without scanning the rest,
    // so a record after the sample that names another log is loaded as this one.
    if (unnamedKind === 'other') {
      return { status: 'ignored', events: 0, skipped: 0, message: 'Zeek unknown log, not used' };
    }
    await createFlowSideTables(context.store);
    return loadOneKind(context, unnamedKind, sampled.dotted);
  },
};
