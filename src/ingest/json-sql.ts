/**
 * SQL over JSON text lines. DuckDB parses the text again for every JSON function it is given, and
 * json_valid and json_type each cost as much as an extraction: guarding an extraction with both made
 * Sysmon JSON lines load at half the speed. An extraction inside try() parses once and gives NULL for text
 * that is not valid JSON, and valid JSON that starts with `{` is an object.
 */

/** Builds SQL for the values at `paths` (JSON path literals) as a VARCHAR list, or NULL unless a JSON object. */
export function objectValuesSql(line: string, paths: readonly string[]): string {
  return `CASE WHEN starts_with(ltrim(${line}), '{') THEN try(json_extract_string(${line}, [${paths.join(', ')}])) END`;
}

/** Builds SQL for json_transform of a JSON object line, or NULL for any other line. */
export function objectTransformSql(line: string, structure: string): string {
  return `CASE WHEN starts_with(ltrim(${line}), '{') THEN try(json_transform(${line}, ${structure})) END`;
}

/**
 * Builds a condition that is true when `line` is not valid JSON, given `values`, the result of
 * objectValuesSql over it. json_valid runs only on the few lines whose values are NULL.
 */
export function invalidJsonSql(line: string, values: string): string {
  return `(CASE WHEN ${values} IS NOT NULL THEN false
                WHEN starts_with(ltrim(${line}), '{') THEN true
                ELSE NOT json_valid(${line}) END)`;
}
