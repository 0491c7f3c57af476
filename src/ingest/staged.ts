/**
 * The load step shared by the readers whose records DuckDB parses: Zeek TSV and JSON, QRadar JSON and
 * CSV, and Sysmon JSON. Each record gets an outcome from an ordered list of checks: loaded, rejected with
 * a reason, or ignored.
 *
 * The file is read twice rather than staged in a table: one pass inserts the loaded records, the other
 * keeps only the rejected and ignored ones, which are few. Staging every record first cost 13 s of a
 * 19 s import of a 5-million-line conn.log on a 2-core machine, and held the whole file in memory.
 */
import { EVENT_COLUMN_NAMES, type EventColumnName } from '../model/event.js';
import { sqlString } from '../store/duckdb.js';
import { EVENTS_TABLE, REJECTS_TABLE } from '../store/schema.js';
import type { LoadContext } from './format.js';
import { excerptSql, recordSkippedLines, reportRejects } from './lines.js';

/** One test on a staged record. Tests run in order, and the first that matches decides the outcome. */
export type RecordCheck =
  /** Rejects the record: it is counted and reported as a skipped line with `reason`. */
  | { when: string; reject: string }
  /** Passes over a record that is valid but of no use, such as a Sysmon event other than ID 3. */
  | { when: string; ignore: true };

export interface StagedRecords {
  /** SELECT yielding `line_no` (provenance), `line` (the text kept as excerpt) and the columns used below. */
  stageSql: string;
  checks: readonly RecordCheck[];
  /** Table that receives the loaded records. */
  target: string;
  /** SELECT list over the staged columns, in the target table's column order. */
  selectSql: string;
}

export interface StagedEvents {
  /** SELECT yielding `line_no` (provenance), `line` (the text kept as excerpt) and the columns used below. */
  stageSql: string;
  checks: readonly RecordCheck[];
  /** SQL per event column over the staged columns; a column left out is NULL, eventcount defaults to 1. */
  columns: Partial<Record<EventColumnName, string>>;
}

export interface StagedCounts {
  /** Records inserted into the target table. */
  events: number;
  skipped: number;
  ignored: number;
}

const OUTCOME_TABLE = 'record_outcomes';

/** Outcome of an ignored record; a reject reason never has this value because reasons are plain words. */
const IGNORED = '(ignored)';

/** Loads records into any table, such as Zeek's ssl.log rows into their side table. */
export async function loadStagedRecords(context: LoadContext, staged: StagedRecords): Promise<StagedCounts> {
  const { store, sample, report } = context;
  const file = sqlString(sample.path);
  const withOutcome = `SELECT *, ${outcomeSql(staged.checks)} AS outcome FROM (${staged.stageSql})`;

  // The records are counted on a second connection while the insert runs. When every record was
  // inserted, no record has an outcome and the pass that collects them is skipped.
  const counting = countRecordsBeside(context, staged.stageSql);
  const events = await store.run(
    `INSERT INTO ${staged.target} SELECT ${staged.selectSql} FROM (${withOutcome}) WHERE outcome IS NULL`,
  );
  const records = await counting;
  const outcomes =
    records === events
      ? `SELECT CAST(NULL AS BIGINT) AS line_no, CAST(NULL AS VARCHAR) AS outcome, CAST(NULL AS VARCHAR) AS excerpt LIMIT 0`
      : `SELECT line_no, outcome, ${excerptSql('line')} AS excerpt FROM (${withOutcome}) WHERE outcome IS NOT NULL`;
  await store.run(`CREATE OR REPLACE TEMP TABLE ${OUTCOME_TABLE} AS ${outcomes}`);
  try {
    // A first load that met lines DuckDB's reader skipped stops here, before anything is reported.
    await recordSkippedLines(store, sample);
    await store.run(
      `INSERT INTO ${REJECTS_TABLE}
         SELECT ${file}, line_no, outcome, excerpt FROM ${OUTCOME_TABLE} WHERE outcome <> '${IGNORED}'`,
    );
    const [counted] = await store.all<{ ignored: number }>(
      `SELECT count(*) AS ignored FROM ${OUTCOME_TABLE} WHERE outcome = '${IGNORED}'`,
    );
    const skipped = await reportRejects(store, report, sample.path);
    return { events, skipped, ignored: counted?.ignored ?? 0 };
  } finally {
    await store.run(`DROP TABLE IF EXISTS ${OUTCOME_TABLE}`);
  }
}

/**
 * Counts the staged records on the store's second connection, or returns null when that cannot be done:
 * the reload that renumbers lines joins a temporary table that only the main connection can read.
 */
async function countRecordsBeside(context: LoadContext, stageSql: string): Promise<number | null> {
  if (context.sample.renumberLines === true) return null;
  try {
    const [counted] = await context.store.allBeside<{ records: number }>(
      `SELECT count(*) AS records FROM (${stageSql})`,
    );
    return counted?.records ?? null;
  } catch {
    // Any failure here only costs the skipped shortcut: the outcome pass then runs as usual.
    return null;
  }
}

/** Loads records into the events table, one column expression per event column. */
export async function loadStagedEvents(context: LoadContext, staged: StagedEvents): Promise<StagedCounts> {
  return loadStagedRecords(context, {
    stageSql: staged.stageSql,
    checks: staged.checks,
    target: EVENTS_TABLE,
    selectSql: eventSelectSql(staged.columns, sqlString(context.sample.path)),
  });
}

function outcomeSql(checks: readonly RecordCheck[]): string {
  if (checks.length === 0) return 'CAST(NULL AS VARCHAR)';
  const branches = checks.map((check) => {
    const outcome = 'ignore' in check ? IGNORED : check.reject;
    return `WHEN ${check.when} THEN ${sqlString(outcome)}`;
  });
  return `(CASE ${branches.join(' ')} END)`;
}

/** SELECT list producing every event column, in table order. */
function eventSelectSql(columns: StagedEvents['columns'], file: string): string {
  const defaults: Partial<Record<EventColumnName, string>> = {
    eventcount: '1',
    sourcefile: file,
    sourceline: 'line_no',
  };
  return EVENT_COLUMN_NAMES.map((name) => `${columns[name] ?? defaults[name] ?? 'NULL'} AS ${name}`).join(
    ',\n  ',
  );
}
