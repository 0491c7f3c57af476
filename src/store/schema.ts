/** DDL shared by every store: the event table, the skipped-line table and the file catalogue. */
import { EVENT_COLUMNS } from '../model/event.js';

export const EVENTS_TABLE = 'events';
export const REJECTS_TABLE = 'rejects';
export const FILES_TABLE = 'files';

export function createEventsTableSql(table = EVENTS_TABLE): string {
  const columns = EVENT_COLUMNS.map((column) => `  ${column.name} ${column.type}`).join(',\n');
  return `CREATE TABLE IF NOT EXISTS ${table} (\n${columns}\n)`;
}

/** Lines that an input format could not turn into an event, with the reason and the start of the line. */
export const CREATE_REJECTS_TABLE_SQL = `CREATE TABLE IF NOT EXISTS ${REJECTS_TABLE} (
  sourcefile VARCHAR,
  sourceline BIGINT,
  reason VARCHAR,
  excerpt VARCHAR
)`;

/** One row per imported file, so a persistent dataset can say what it was built from. */
export const CREATE_FILES_TABLE_SQL = `CREATE TABLE IF NOT EXISTS ${FILES_TABLE} (
  path VARCHAR,
  format VARCHAR,
  bytes BIGINT,
  events BIGINT,
  skipped BIGINT,
  importedat BIGINT
)`;
