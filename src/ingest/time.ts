/**
 * QRadar start times in the forms an export carries them: epoch milliseconds (Ariel API, AQL CSV), ISO 8601,
 * and the console's display form "Apr 19, 2024, 10:00:00 AM". Parsed in SQL so the per-row work stays in
 * DuckDB.
 */

/** Epoch milliseconds; QRadar never writes seconds, so a 10-digit value is read as a time in 1970. */
const EPOCH_MS_PATTERN = '[0-9]{1,15}(\\.[0-9]*)?';

/** ISO 8601 with an explicit offset or Z: the offset is applied. */
const ISO_ZONED_PATTERN =
  '[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)? ?(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)';

/** ISO 8601 without an offset, and a bare date. */
const ISO_LOCAL_PATTERN = '[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?)?';

/**
 * The console's display forms, as strptime formats: "Apr 19, 2024, 10:00:00 AM" and variants without the
 * second comma, without seconds, or on a 24-hour clock. Month names are English abbreviations.
 */
export const CONSOLE_TIME_FORMATS = [
  '%b %d, %Y, %I:%M:%S %p',
  '%b %d, %Y %I:%M:%S %p',
  '%b %d, %Y, %I:%M %p',
  '%b %d, %Y %I:%M %p',
  '%b %d, %Y, %H:%M:%S',
  '%b %d, %Y %H:%M:%S',
];

/** Latest accepted time, 9999-12-31T23:59:59.999Z, so that later arithmetic cannot overflow. */
export const MAX_EPOCH_MS = 253_402_300_799_999;

/**
 * SQL for a start time as epoch milliseconds (BIGINT), NULL when the text is in none of the accepted forms,
 * not after 1970-01-01 or after MAX_EPOCH_MS. `text` must already be trimmed.
 *
 * NOTE: text without an offset, including the console form, is read as UTC. The console writes times in
 * the exporting user's time zone, so such exports are off by that zone's offset. The session's TimeZone
 * setting plays no part because only TIMESTAMP (not TIMESTAMPTZ) casts see offset-free text.
 */
export function startTimeMsSql(text: string): string {
  const formats = CONSOLE_TIME_FORMATS.map((format) => `'${format}'`).join(', ');
  const parsed = `(CASE
    WHEN regexp_full_match(${text}, '${EPOCH_MS_PATTERN}') THEN TRY_CAST(round(TRY_CAST(${text} AS DOUBLE)) AS BIGINT)
    WHEN regexp_full_match(${text}, '${ISO_ZONED_PATTERN}') THEN epoch_ms(TRY_CAST(${text} AS TIMESTAMPTZ))
    WHEN regexp_full_match(${text}, '${ISO_LOCAL_PATTERN}') THEN epoch_ms(TRY_CAST(${text} AS TIMESTAMP))
    ELSE epoch_ms(try_strptime(${text}, [${formats}]))
  END)`;
  return `(CASE WHEN ${parsed} BETWEEN 1 AND ${MAX_EPOCH_MS} THEN ${parsed} END)`;
}
