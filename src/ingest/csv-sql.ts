/**
 * Splitting of one comma-separated line into fields, in SQL for the readers whose records DuckDB splits
 * (PAN-OS, nfdump, Defender CSV) and in TypeScript for detection. A field is RFC 4180 text: quoted, with ""
 * for a quote inside, or unquoted and not starting with a quote. A quoted value that spans lines is not
 * supported, because each physical line is split on its own so that line numbers stay exact.
 */
import { sqlString } from '../store/duckdb.js';

const QUOTED_FIELD = '"(?:[^"]|"")*"';
const UNQUOTED_FIELD = '[^,"][^,]*';
const FIELD = `(?:${QUOTED_FIELD}|${UNQUOTED_FIELD})?`;

/** A whole line of fields. A line that does not match has unbalanced or stray quotes. */
const LINE_PATTERN = `${FIELD}(?:,${FIELD})*`;

/** One field with the comma before it, matched over "," + line so that every field has one. */
const COMMA_FIELD_PATTERN = `,(${QUOTED_FIELD}|${UNQUOTED_FIELD}|)`;

const LINE_REGEX = new RegExp(`^${LINE_PATTERN}$`);
const COMMA_FIELD_REGEX = new RegExp(COMMA_FIELD_PATTERN, 'g');

/** Splits one CSV line into its unquoted fields, or returns null when the quotes are unbalanced. */
export function splitCsvFields(line: string): string[] | null {
  if (!line.includes('"')) return line.split(',');
  if (!LINE_REGEX.test(line)) return null;
  return [...`,${line}`.matchAll(COMMA_FIELD_REGEX)].map((match) => {
    const field = match[1] ?? '';
    return field.startsWith('"') ? field.slice(1, -1).replaceAll('""', '"') : field;
  });
}

/**
 * Builds SQL for the fields of the CSV line `line` as VARCHAR[], NULL when the quotes are unbalanced. A line
 * without quotes is split on commas, which is much faster than the regular expression and gives the same
 * fields.
 */
export function csvFieldsSql(line: string): string {
  const fields = `regexp_extract_all(',' || ${line}, ${sqlString(COMMA_FIELD_PATTERN)}, 1)`;
  const unquoted = `list_transform(${fields},
      lambda x: CASE WHEN starts_with(x, '"') THEN replace(x[2:-2], '""', '"') ELSE x END)`;
  return `(CASE WHEN NOT contains(${line}, '"') THEN string_split(${line}, ',')
               WHEN regexp_full_match(${line}, ${sqlString(LINE_PATTERN)}) THEN ${unquoted}
          END)`;
}
