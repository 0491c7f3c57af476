/**
 * Splits AQL text into tokens with their line and column. The lexer does not separate keywords from
 * names, because the parser compares the upper-cased text of a bare word. So keywords are case-insensitive.
 */
import type { Position } from './ast.js';
import { AqlError } from './errors.js';

export type TokenType = 'word' | 'quoted' | 'string' | 'number' | 'symbol' | 'end';

export interface Token {
  readonly type: TokenType;
  /** For words, numbers and symbols the text as written; for quoted names and strings the unquoted value. */
  readonly text: string;
  readonly start: Position;
  readonly end: Position;
}

/** Operators and punctuation, longest first so that `<=` is not read as `<` then `=`. */
const SYMBOLS = [
  '<=',
  '>=',
  '<>',
  '!=',
  '||',
  '::',
  '(',
  ')',
  ',',
  '*',
  '+',
  '-',
  '/',
  '%',
  '=',
  '<',
  '>',
  ';',
  '.',
];

const WORD_START = /[A-Za-z_]/;
const WORD_PART = /[A-Za-z0-9_]/;
const DIGIT = /[0-9]/;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let offset = 0;
  let line = 1;
  let column = 1;

  const position = (): Position => ({ line, column, offset });
  const advance = (count: number): void => {
    for (let index = 0; index < count; index += 1) {
      if (text[offset] === '\n') {
        line += 1;
        column = 1;
      } else {
        column += 1;
      }
      offset += 1;
    }
  };

  while (offset < text.length) {
    const character = text[offset] as string;
    if (/\s/.test(character)) {
      advance(1);
      continue;
    }
    // SQL line comments, which saved searches often carry.
    if (text.startsWith('--', offset)) {
      while (offset < text.length && text[offset] !== '\n') advance(1);
      continue;
    }

    const start = position();
    if (WORD_START.test(character)) {
      let length = 1;
      while (offset + length < text.length && WORD_PART.test(text[offset + length] as string)) length += 1;
      const word = text.slice(offset, offset + length);
      advance(length);
      tokens.push({ type: 'word', text: word, start, end: position() });
      continue;
    }

    if (DIGIT.test(character)) {
      const match = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(offset)) as RegExpExecArray;
      const number = match[0];
      if (WORD_START.test(text[offset + number.length] ?? '')) {
        throw new AqlError(
          'syntax',
          `invalid number "${number}${text[offset + number.length]}": put a space or an operator after a number`,
          start,
        );
      }
      advance(number.length);
      tokens.push({ type: 'number', text: number, start, end: position() });
      continue;
    }

    if (character === "'" || character === '"') {
      const value = readQuoted(text, offset, character, start);
      advance(value.length);
      tokens.push({
        type: character === "'" ? 'string' : 'quoted',
        text: value.value,
        start,
        end: position(),
      });
      continue;
    }

    const symbol = SYMBOLS.find((candidate) => text.startsWith(candidate, offset));
    if (symbol === undefined) {
      throw new AqlError('syntax', `unexpected character ${JSON.stringify(character)}`, start);
    }
    advance(symbol.length);
    tokens.push({ type: 'symbol', text: symbol, start, end: position() });
  }

  tokens.push({ type: 'end', text: '', start: position(), end: position() });
  return tokens;
}

/**
 * Reads a quoted string or name starting at `offset`. A doubled quote stands for one quote character, as
 * in SQL. Returns the value and how many characters of the text it spans.
 */
function readQuoted(
  text: string,
  offset: number,
  quote: string,
  start: Position,
): { value: string; length: number } {
  let value = '';
  let index = offset + 1;
  for (;;) {
    const next = text.indexOf(quote, index);
    if (next === -1) {
      const construct = quote === "'" ? 'string' : 'quoted name';
      throw new AqlError('syntax', `unterminated ${construct}: add the closing ${quote}`, start);
    }
    value += text.slice(index, next);
    if (text[next + 1] === quote) {
      value += quote;
      index = next + 2;
      continue;
    }
    return { value, length: next + 1 - offset };
  }
}
