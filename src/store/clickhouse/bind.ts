/**
 * Binds positional `?` parameters into ClickHouse SQL text. ClickHouse 18.16 has no server-side query
 * parameters (they arrived in 19.x), so values are written as literals here: strings quoted with
 * backslash escapes, numbers only when finite, booleans as 1 and 0. A `?` inside a string literal, a
 * quoted identifier or a comment is left alone.
 */
import type { SqlValue } from '../store.js';

/** Quotes text as a ClickHouse string literal; ClickHouse reads backslash escapes inside quotes. */
export function clickhouseLiteral(value: SqlValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`cannot bind ${value} as a ClickHouse literal`);
    // String() gives the shortest text that reads back as the same double, such as 0.1 or 1e-7.
    return String(value);
  }
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Returns the index after a quoted run that starts at `start` with `quote`, honouring backslash escapes. */
function skipQuoted(sql: string, start: number, quote: string): number {
  let index = start + 1;
  while (index < sql.length) {
    const character = sql[index]!;
    if (character === '\\') index += 2;
    else if (character === quote) return index + 1;
    else index += 1;
  }
  return sql.length;
}

/** Replaces each placeholder with the next value; the counts must agree. */
export function bindParameters(sql: string, params: readonly SqlValue[] = []): string {
  let output = '';
  let used = 0;
  let index = 0;
  while (index < sql.length) {
    const character = sql[index]!;
    let end = index + 1;
    if (character === "'" || character === '"' || character === '`') end = skipQuoted(sql, index, character);
    else if (character === '-' && sql[index + 1] === '-') {
      const newline = sql.indexOf('\n', index);
      end = newline < 0 ? sql.length : newline;
    } else if (character === '/' && sql[index + 1] === '*') {
      const close = sql.indexOf('*/', index + 2);
      end = close < 0 ? sql.length : close + 2;
    } else if (character === '?') {
      if (used >= params.length)
        throw new RangeError(`the query has more placeholders than the ${params.length} values`);
      output += clickhouseLiteral(params[used]!);
      used += 1;
      index += 1;
      continue;
    }
    output += sql.slice(index, end);
    index = end;
  }
  if (used !== params.length) {
    throw new RangeError(`the query has ${used} placeholders but ${params.length} values were given`);
  }
  return output;
}
