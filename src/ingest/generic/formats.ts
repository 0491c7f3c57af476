/**
 * CSV files with a header row, and JSON lines, whose fields a `--map` names. These formats are never
 * detected on their own: the import tries them for files that no built-in format claims when a mapping
 * is given, and `--format generic-csv` or `--format generic-jsonl` selects them.
 */
import { EVENT_COLUMNS, type EventColumnName } from '../../model/event.js';
import { sqlString } from '../../store/duckdb.js';
import { InputError } from '../../errors.js';
import { invalidPortSql, portSql, validIpAddressSql } from '../address.js';
import { csvFieldsSql, splitCsvFields } from '../csv-sql.js';
import type { InputFormat, LoadContext, LoadResult } from '../format.js';
import { objectValuesSql } from '../json-sql.js';
import { linesTableSql } from '../lines.js';
import { loadStagedEvents, type RecordCheck } from '../staged.js';
import { mappedTimeMsSql, requireCompleteMapping, type FieldMapping, type TimeFormat } from './mapping.js';

const DIRECTIONS = ['L2R', 'L2L', 'R2L', 'R2R'];

/** SQL per event column from the raw text of each mapped field, as event column expressions. */
function mappedColumns(
  mapping: FieldMapping,
  raw: (column: EventColumnName) => string,
  timeFormat: TimeFormat,
  formatId: string,
): Partial<Record<EventColumnName, string>> {
  const columns: Partial<Record<EventColumnName, string>> = { logsource: sqlString(formatId) };
  for (const column of EVENT_COLUMNS) {
    if (mapping[column.name] === undefined) continue;
    const value = raw(column.name);
    if (column.name === 'starttime') columns.starttime = mappedTimeMsSql(value, timeFormat);
    else if (column.name === 'sourceport' || column.name === 'destinationport')
      columns[column.name] = portSql(value);
    else if (column.name === 'eventdirection') {
      columns.eventdirection = `(CASE WHEN upper(${value}) IN (${DIRECTIONS.map(sqlString).join(', ')}) THEN upper(${value}) END)`;
    } else if (column.name === 'protocol') columns.protocol = `lower(${value})`;
    else if (column.type === 'VARCHAR') columns[column.name] = value;
    else columns[column.name] = `TRY_CAST(${value} AS ${column.type})`;
  }
  return columns;
}

function mappedChecks(
  mapping: FieldMapping,
  raw: (column: EventColumnName) => string,
  timeFormat: TimeFormat,
): RecordCheck[] {
  const checks: RecordCheck[] = [
    {
      when: `${mappedTimeMsSql(raw('starttime'), timeFormat)} IS NULL`,
      reject: `invalid or missing start time (${mapping.starttime})`,
    },
    {
      when: `${raw('sourceip')} IS NULL OR NOT ${validIpAddressSql(raw('sourceip'))}`,
      reject: `invalid or missing source address (${mapping.sourceip})`,
    },
    {
      when: `${raw('destinationip')} IS NULL OR NOT ${validIpAddressSql(raw('destinationip'))}`,
      reject: `invalid or missing destination address (${mapping.destinationip})`,
    },
  ];
  for (const port of ['sourceport', 'destinationport'] as const) {
    if (mapping[port] !== undefined) {
      checks.push({ when: invalidPortSql(raw(port)), reject: `invalid port (${mapping[port]})` });
    }
  }
  return checks;
}

function mappingOf(context: LoadContext): { mapping: FieldMapping; timeFormat: TimeFormat } {
  const mapping = context.mapping;
  if (mapping === undefined) {
    throw new InputError(
      `${context.sample.path}: a generic format needs --map, such as --map starttime=ts,sourceip=src,destinationip=dst`,
      context.sample.path,
    );
  }
  requireCompleteMapping(mapping);
  return { mapping, timeFormat: context.timeFormat ?? 'auto' };
}

function loaded(counts: { events: number; skipped: number }): LoadResult {
  return { status: 'loaded', events: counts.events, skipped: counts.skipped };
}

export const genericCsvFormat: InputFormat = {
  id: 'generic-csv',
  description: 'Any CSV file with a header row, read through --map (column=header cell)',
  recognisedBy: 'never by content: used for files no other format claims when --map is given',
  example: 'time,src,dst,dport,user\n2024-04-19T10:00:00Z,10.1.2.3,203.0.113.7,443,alice',
  providesDirection: false,

  detect(): boolean {
    return false;
  },

  async load(context: LoadContext): Promise<LoadResult> {
    const { mapping, timeFormat } = mappingOf(context);
    const headerLine = context.sample.lines[0] ?? '';
    const header = splitCsvFields(headerLine) ?? [];
    const indexOf = (column: EventColumnName): number => {
      const name = mapping[column] ?? '';
      const exact = header.indexOf(name);
      return exact >= 0 ? exact : header.findIndex((cell) => cell.toLowerCase() === name.toLowerCase());
    };
    for (const column of Object.keys(mapping) as EventColumnName[]) {
      if (indexOf(column) < 0) {
        throw new InputError(
          `${context.sample.path}: the header has no column "${mapping[column]}" named in --map ${column}=${mapping[column]}; the header is: ${headerLine.slice(0, 200)}`,
          context.sample.path,
        );
      }
    }
    const raw = (column: EventColumnName): string => `nullif(trim(f[${indexOf(column) + 1}]), '')`;
    const stageSql = `SELECT line_no, line, ${csvFieldsSql('line')} AS f
                        FROM ${linesTableSql(context.sample)}
                        WHERE line_no > 1 AND line IS NOT NULL AND line <> ${sqlString(headerLine)}`;
    const counts = await loadStagedEvents(context, {
      stageSql,
      checks: [
        { when: 'f IS NULL', reject: 'unbalanced quotes' },
        { when: `len(f) <> ${header.length}`, reject: 'wrong field count' },
        ...mappedChecks(mapping, raw, timeFormat),
      ],
      columns: mappedColumns(mapping, raw, timeFormat, 'generic-csv'),
    });
    return loaded(counts);
  },
};

/** Returns the JSON path for a mapped field: `$…` is used as written, anything else is one top-level key. */
function jsonPath(field: string): string {
  return field.startsWith('$') ? field : `$."${field.replaceAll('"', '\\"')}"`;
}

export const genericJsonLinesFormat: InputFormat = {
  id: 'generic-jsonl',
  description: 'Any JSON lines file, read through --map (column=key, or a JSON path starting with $)',
  recognisedBy: 'never by content: used for JSON files no other format claims when --map is given',
  example: '{"time": 1713520800, "src": "10.1.2.3", "dst": "203.0.113.7", "dport": 443}',
  providesDirection: false,

  detect(): boolean {
    return false;
  },

  async load(context: LoadContext): Promise<LoadResult> {
    const { mapping, timeFormat } = mappingOf(context);
    const columns = Object.keys(mapping) as EventColumnName[];
    const paths = columns.map((column) => sqlString(jsonPath(mapping[column] ?? '')));
    const raw = (column: EventColumnName): string => `nullif(trim(f[${columns.indexOf(column) + 1}]), '')`;
    const stageSql = `SELECT line_no, line,
                             ${objectValuesSql('line', paths)} AS f
                        FROM ${linesTableSql(context.sample)}
                        WHERE line IS NOT NULL AND (starts_with(line, '{') OR trim(line) <> '')`;
    const counts = await loadStagedEvents(context, {
      stageSql,
      checks: [{ when: 'f IS NULL', reject: 'invalid JSON' }, ...mappedChecks(mapping, raw, timeFormat)],
      columns: mappedColumns(mapping, raw, timeFormat, 'generic-jsonl'),
    });
    return loaded(counts);
  },
};
