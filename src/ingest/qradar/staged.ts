/**
 * The load step shared by the readers whose records DuckDB parses: QRadar JSON and CSV, and Sysmon JSON.
 * It stages the records in a temporary table with the outcome of each, moves the rejected ones to the
 * rejects table with their reason, and inserts the rest into the events table.
 */
import { EVENT_COLUMN_NAMES, type EventColumnName } from '../../model/event.js';
import { sqlString } from '../../store/duckdb.js';
import { EVENTS_TABLE, REJECTS_TABLE } from '../../store/schema.js';
import type { LoadContext } from '../format.js';
import { excerptSql, reportRejects } from '../lines.js';

/** One test on a staged record. Tests run in order, and the first that matches decides the outcome. */
export type RecordCheck =
  /** Rejects the record: it is counted and reported as a skipped line with `reason`. */
  | { when: string; reject: string }
  /** Passes over a record that is valid but of no use, such as a Sysmon event other than ID 3. */
  | { when: string; ignore: true };

export interface StagedEvents {
  /** SELECT yielding `line_no` (provenance), `line` (the text kept as excerpt) and the columns used below. */
  stageSql: string;
  checks: readonly RecordCheck[];
  /** SQL per event column over the staged columns; a column left out is NULL, eventcount defaults to 1. */
  columns: Partial<Record<EventColumnName, string>>;
}

export interface StagedCounts {
  events: number;
  skipped: number;
  ignored: number;
}

const STAGE_TABLE = 'event_stage';

/** Outcome of an ignored record; a reject reason never has this value because reasons are plain words. */
const IGNORED = '(ignored)';

export async function loadStagedEvents(context: LoadContext, staged: StagedEvents): Promise<StagedCounts> {
  const { store, sample, report } = context;
  const file = sqlString(sample.path);

  await store.run(
    `CREATE OR REPLACE TEMP TABLE ${STAGE_TABLE} AS
       SELECT *, ${outcomeSql(staged.checks)} AS outcome FROM (${staged.stageSql})`,
  );
  try {
    await store.run(
      `INSERT INTO ${REJECTS_TABLE}
         SELECT ${file}, line_no, outcome, ${excerptSql('line')} FROM ${STAGE_TABLE}
         WHERE outcome IS NOT NULL AND outcome <> '${IGNORED}'`,
    );
    const [counted] = await store.all<{ events: number; ignored: number }>(
      `SELECT count(*) FILTER (WHERE outcome IS NULL) AS events,
              count(*) FILTER (WHERE outcome = '${IGNORED}') AS ignored
         FROM ${STAGE_TABLE}`,
    );
    await store.run(
      `INSERT INTO ${EVENTS_TABLE} SELECT ${eventSelectSql(staged.columns, file)}
         FROM ${STAGE_TABLE} WHERE outcome IS NULL`,
    );
    const skipped = await reportRejects(store, report, sample.path);
    return { events: counted?.events ?? 0, skipped, ignored: counted?.ignored ?? 0 };
  } finally {
    await store.run(`DROP TABLE IF EXISTS ${STAGE_TABLE}`);
  }
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
