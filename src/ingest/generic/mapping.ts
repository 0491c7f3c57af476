/**
 * The field mapping for logs that no built-in format reads: `--map starttime=ts,sourceip=src,…` names,
 * for each event column, the CSV header cell or JSON key that holds it, and `--time-format` says how the
 * start time is written.
 */
import { UsageError } from '../../errors.js';
import { EVENT_COLUMN_NAMES, type EventColumnName } from '../../model/event.js';
import { MAX_EPOCH_MS, startTimeMsSql } from '../time.js';

export type FieldMapping = Partial<Record<EventColumnName, string>>;

/** Columns every mapped record needs. */
export const REQUIRED_COLUMNS: readonly EventColumnName[] = ['starttime', 'sourceip', 'destinationip'];

/** Columns filled by the import itself, which a mapping may not set. */
const DERIVED_COLUMNS: ReadonlySet<EventColumnName> = new Set(['sourcefile', 'sourceline', 'logsource']);

/**
 * Parses `column=field` pairs, comma-separated, from one or more `--map` values. A field name may not
 * contain a comma or an equals sign.
 */
export function parseMapping(values: readonly string[]): FieldMapping {
  const mapping: FieldMapping = {};
  for (const pair of values.flatMap((value) => value.split(','))) {
    const [column, field, ...rest] = pair.split('=').map((part) => part.trim());
    if (!column || !field || rest.length > 0) {
      throw new UsageError(`invalid --map entry "${pair}": write column=field, such as starttime=ts`);
    }
    if (
      !(EVENT_COLUMN_NAMES as readonly string[]).includes(column) ||
      DERIVED_COLUMNS.has(column as EventColumnName)
    ) {
      const allowed = EVENT_COLUMN_NAMES.filter((name) => !DERIVED_COLUMNS.has(name)).join(', ');
      throw new UsageError(`invalid --map column "${column}": use one of ${allowed}`);
    }
    mapping[column as EventColumnName] = field;
  }
  return mapping;
}

/** Throws unless the mapping names the columns every event needs. */
export function requireCompleteMapping(mapping: FieldMapping): void {
  const missing = REQUIRED_COLUMNS.filter((column) => mapping[column] === undefined);
  if (missing.length > 0) {
    throw new UsageError(
      `--map is missing ${missing.join(', ')}; for example --map starttime=ts,sourceip=src,destinationip=dst`,
    );
  }
}

/** Notation of the mapped start time. */
export type TimeFormat = 'auto' | 'epoch-s' | 'epoch-ms' | 'epoch-us' | 'iso' | { pattern: string };

export const TIME_FORMAT_NAMES = ['auto', 'epoch-s', 'epoch-ms', 'epoch-us', 'iso'] as const;

/** Parses `--time-format`: a name from TIME_FORMAT_NAMES, or a strptime pattern containing `%`. */
export function parseTimeFormat(text: string): TimeFormat {
  if ((TIME_FORMAT_NAMES as readonly string[]).includes(text)) return text as TimeFormat;
  if (text.includes('%')) return { pattern: text };
  throw new UsageError(
    `invalid --time-format "${text}": use ${TIME_FORMAT_NAMES.join(', ')}, or a strptime pattern such as "%d/%m/%Y %H:%M:%S"`,
  );
}

/**
 * Builds SQL for the start time in epoch milliseconds from the text `value`, NULL when it does not parse
 * or falls outside 1970–9999. Times without a zone are read as UTC.
 */
export function mappedTimeMsSql(value: string, format: TimeFormat): string {
  if (format === 'auto') return startTimeMsSql(value);
  const parsed = timeMsSql(value, format);
  return `(CASE WHEN ${parsed} BETWEEN 1 AND ${MAX_EPOCH_MS} THEN ${parsed} END)`;
}

function timeMsSql(value: string, format: Exclude<TimeFormat, 'auto'>): string {
  if (format === 'epoch-s') return `TRY_CAST(round(TRY_CAST(${value} AS DOUBLE) * 1000) AS BIGINT)`;
  if (format === 'epoch-ms') return `TRY_CAST(round(TRY_CAST(${value} AS DOUBLE)) AS BIGINT)`;
  if (format === 'epoch-us') return `TRY_CAST(round(TRY_CAST(${value} AS DOUBLE) / 1000) AS BIGINT)`;
  if (format === 'iso') return startTimeMsSql(value);
  const pattern = format.pattern.replaceAll("'", "''");
  return `epoch_ms(try_strptime(${value}, '${pattern}'))`;
}
