/**
 * Translates the Java SimpleDateFormat patterns that AQL's DATEFORMAT takes into DuckDB strftime
 * formats. Only the letters below are translated; any other letter is rejected, because a silent
 * mistranslation would show wrong times.
 */
import type { Position } from './ast.js';
import { AqlError } from './errors.js';

export function translateDateFormat(pattern: string, position: Position): string {
  let format = '';
  let index = 0;
  while (index < pattern.length) {
    const character = pattern[index] as string;
    if (character === "'") {
      // Quoted literal text; '' is one apostrophe.
      if (pattern[index + 1] === "'") {
        format += "'";
        index += 2;
        continue;
      }
      const close = pattern.indexOf("'", index + 1);
      if (close === -1)
        throw new AqlError('invalid', `unterminated quote in DATEFORMAT pattern '${pattern}'`, position);
      format += escapePercent(pattern.slice(index + 1, close));
      index = close + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(character)) {
      format += escapePercent(character);
      index += 1;
      continue;
    }
    let run = 1;
    while (pattern[index + run] === character) run += 1;
    format += letterFormat(character, run, pattern, position);
    index += run;
  }
  return format;
}

function letterFormat(letter: string, count: number, pattern: string, position: Position): string {
  switch (letter) {
    case 'y':
      return count === 2 ? '%y' : '%Y';
    case 'M':
      if (count >= 4) return '%B';
      if (count === 3) return '%b';
      return count === 2 ? '%m' : '%-m';
    case 'd':
      return count === 2 ? '%d' : '%-d';
    case 'H':
      return count === 2 ? '%H' : '%-H';
    case 'h':
      return count === 2 ? '%I' : '%-I';
    case 'm':
      return count === 2 ? '%M' : '%-M';
    case 's':
      return count === 2 ? '%S' : '%-S';
    case 'S':
      // Milliseconds, three digits.
      return '%g';
    case 'a':
      return '%p';
    case 'E':
      return count >= 4 ? '%A' : '%a';
    case 'Z':
    case 'X':
      return '%z';
    case 'z':
      return '%Z';
    default:
      throw new AqlError(
        'unsupported',
        `DATEFORMAT pattern letter '${letter}' in '${pattern}' is not supported; use y, M, d, H, h, m, s, S, a, E, z or Z`,
        position,
      );
  }
}

function escapePercent(text: string): string {
  return text.replaceAll('%', '%%');
}
