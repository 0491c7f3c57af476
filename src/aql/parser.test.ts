import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { AqlError } from './errors.js';
import { tokenize } from './lexer.js';
import { parseAql, parseDateTime } from './parser.js';

/** Returns the AqlError that parsing `text` raises, failing the test when it parses. */
function parseError(text: string): AqlError {
  try {
    parseAql(text);
  } catch (error) {
    if (error instanceof AqlError) return error;
    throw error;
  }
  throw new Error(`expected an AqlError for: ${text}`);
}

describe('tokenize', () => {
  it('reads quoted names, strings and numbers', () => {
    const tokens = tokenize(`"user""Name" 'it''s' 1.5e3 <= <>`);
    expect(tokens.map((token) => [token.type, token.text])).toEqual([
      ['quoted', 'user"Name'],
      ['string', "it's"],
      ['number', '1.5e3'],
      ['symbol', '<='],
      ['symbol', '<>'],
      ['end', ''],
    ]);
  });

  it('counts lines and columns from 1', () => {
    const tokens = tokenize('SELECT\n  x');
    expect(tokens[1]?.start).toEqual({ line: 2, column: 3, offset: 9 });
  });

  it('skips line comments', () => {
    expect(tokenize('a -- note\nb').map((token) => token.text)).toEqual(['a', 'b', '']);
  });
});

describe('parseAql', () => {
  it('reads keywords in any case', () => {
    const query = parseAql('select SourceIP from EVENTS where destinationport = 443 last 2 hours');
    expect(query.from).toBe('events');
    expect(query.select?.[0]?.expression).toMatchObject({ kind: 'field', name: 'SourceIP', quoted: false });
    expect(query.time).toMatchObject({ kind: 'last', amount: 2, unit: 'HOURS' });
  });

  it('reads aliases with AS in three forms', () => {
    const query = parseAql(`SELECT a AS one, b AS 'two words', c AS "three" FROM flows`);
    expect(query.select?.map((item) => item.alias)).toEqual(['one', 'two words', 'three']);
    expect(query.from).toBe('flows');
  });

  it('reads SELECT * as a null list', () => {
    expect(parseAql('SELECT * FROM events').select).toBeNull();
  });

  it('binds AND tighter than OR', () => {
    const query = parseAql('SELECT a FROM events WHERE a = 1 OR b = 2 AND c = 3');
    expect(query.where).toMatchObject({
      kind: 'logical',
      operator: 'OR',
      right: { kind: 'logical', operator: 'AND' },
    });
  });

  it('binds * tighter than -', () => {
    const query = parseAql('SELECT a - b * 2 FROM events');
    expect(query.select?.[0]?.expression).toMatchObject({
      kind: 'arithmetic',
      operator: '-',
      right: { kind: 'arithmetic', operator: '*' },
    });
  });

  it('reads negated predicates', () => {
    const where = parseAql(
      "SELECT a FROM events WHERE a NOT IN (1, 2) AND b NOT BETWEEN 1 AND 2 AND c IS NOT NULL AND d NOT ILIKE 'x%' AND e NOT IMATCHES 'y'",
    ).where;
    expect(JSON.stringify(where)).toContain('"kind":"in","negated":true');
    expect(JSON.stringify(where)).toContain('"kind":"between","negated":true');
    expect(JSON.stringify(where)).toContain('"kind":"isNull","negated":true');
    expect(JSON.stringify(where)).toContain('"kind":"like","operator":"ILIKE","negated":true');
    expect(JSON.stringify(where)).toContain('"kind":"matches","operator":"IMATCHES","negated":true');
  });

  it('reads IF THEN ELSE without END', () => {
    const query = parseAql("SELECT IF username = 'root' THEN 'ADMIN' ELSE username AS who FROM events");
    expect(query.select?.[0]).toMatchObject({ alias: 'who', expression: { kind: 'if' } });
  });

  it('reads both CASE forms', () => {
    const query = parseAql(
      "SELECT CASE a WHEN 1 THEN 'x' END, CASE WHEN a > 1 THEN 'y' ELSE 'z' END FROM events",
    );
    expect(query.select?.[0]?.expression).toMatchObject({
      kind: 'case',
      operand: { kind: 'field' },
      otherwise: null,
    });
    expect(query.select?.[1]?.expression).toMatchObject({
      kind: 'case',
      operand: null,
      otherwise: { kind: 'string' },
    });
  });

  it('reads LAST( as the aggregate', () => {
    const query = parseAql('SELECT LAST(username) FROM events GROUP BY sourceip LAST 1 DAYS');
    expect(query.select?.[0]?.expression).toMatchObject({ kind: 'call', name: 'LAST' });
    expect(query.time).toMatchObject({ kind: 'last', amount: 1, unit: 'DAYS' });
  });

  it('reads START and STOP as UTC', () => {
    const query = parseAql("SELECT a FROM events START '2024-01-01 00:00' STOP 1704153600000");
    expect(query.time).toMatchObject({ kind: 'range', startMs: 1704067200000, stopMs: 1704153600000 });
  });

  it('reads ORDER BY, LIMIT and a semicolon', () => {
    const query = parseAql('SELECT a FROM events ORDER BY a DESC, b LIMIT 5;');
    expect(query.orderBy.map((item) => item.descending)).toEqual([true, false]);
    expect(query.limit).toBe(5);
  });
});

describe('parseAql errors', () => {
  it.each([
    ['SELECT a events', 1, 10, 'syntax', 'expected FROM, found "events"'],
    [
      'SELECT a\nFROM events\nWHERE a =',
      3,
      10,
      'syntax',
      'expected an expression, found the end of the query',
    ],
    ["SELECT a FROM events WHERE b = 'x", 1, 32, 'syntax', "unterminated string: add the closing '"],
    ['SELECT a FROM events LIMIT x', 1, 28, 'syntax', 'expected a whole number after LIMIT, found "x"'],
    ['SELECT a FROM events LAST 5 WEEKS', 1, 29, 'syntax', 'expected MINUTES, HOURS or DAYS, found "WEEKS"'],
    [
      'SELECT a FROM events LAST 1 DAYS LAST 2 DAYS',
      1,
      34,
      'syntax',
      'a query takes one time clause (LAST or START … STOP)',
    ],
    [
      'SELECT 12ab FROM events',
      1,
      8,
      'syntax',
      'invalid number "12a": put a space or an operator after a number',
    ],
    ['SELECT a FROM events WHERE a # 1', 1, 30, 'syntax', 'unexpected character "#"'],
    [
      'SELECT a FROM assets',
      1,
      15,
      'unsupported',
      'table "assets" is not supported: a query can read only events or flows',
    ],
    [
      "SELECT a FROM read_csv('/etc/passwd')",
      1,
      15,
      'unsupported',
      'table "read_csv" is not supported: a query can read only events or flows',
    ],
    ['SELECT a FROM events, flows', 1, 21, 'unsupported', 'a query can read only one table, events or flows'],
    [
      'SELECT a FROM events JOIN flows',
      1,
      22,
      'unsupported',
      'JOIN is not supported: a query reads one table, events or flows',
    ],
    [
      'SELECT DISTINCT a FROM events',
      1,
      8,
      'unsupported',
      'DISTINCT is not supported: use GROUP BY, or UNIQUECOUNT(field) to count distinct values',
    ],
    [
      'SELECT a FROM events WHERE a IN (SELECT b FROM events)',
      1,
      34,
      'unsupported',
      'a subquery in IN is not supported: list the values',
    ],
    [
      "SELECT a || 'x' FROM events",
      1,
      10,
      'unsupported',
      'the || operator is not supported: use CONCAT(a, b)',
    ],
    [
      'SELECT main.events FROM events',
      1,
      8,
      'unsupported',
      'qualified name "main.…" is not supported: name event fields without a prefix',
    ],
    [
      "SELECT a FROM events START '2024-02-30 00:00' STOP '2024-03-01 00:00'",
      1,
      28,
      'syntax',
      "invalid START time '2024-02-30 00:00': use 'yyyy-MM-dd HH:mm', 'yyyy-MM-dd HH:mm:ss' or epoch milliseconds",
    ],
    [
      'SELECT a FROM events START 2000 STOP 1000',
      1,
      38,
      'invalid',
      'STOP is before START: swap the two times',
    ],
  ])('%j fails at its line and column', (text, line, column, kind, detail) => {
    const error = parseError(text);
    expect(error.detail).toBe(detail);
    expect(error.kind).toBe(kind);
    expect([error.line, error.column]).toEqual([line, column]);
    expect(error.message).toBe(`line ${line}, column ${column}: ${detail}`);
  });

  it.each([
    ['parentheses', `SELECT ${'('.repeat(5000)}1${')'.repeat(5000)} FROM events`],
    ['NOT', `SELECT ${'NOT '.repeat(5000)}1 FROM events`],
    ['unary minus', `SELECT ${'- '.repeat(5000)}1 FROM events`],
  ])('rejects 5000 nested %s', (_name, text) => {
    const error = parseError(text);
    expect(error.kind).toBe('unsupported');
    expect(error.detail).toBe('expressions nested more than 200 levels deep are not supported');
  });

  it('accepts 150 nested parentheses', () => {
    expect(parseAql(`SELECT ${'('.repeat(150)}1${')'.repeat(150)} FROM events`).select).toHaveLength(1);
  });

  it('throws only AqlError on random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        try {
          parseAql(text);
        } catch (error) {
          if (!(error instanceof AqlError)) throw error;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('throws only AqlError on random AQL tokens', () => {
    const words = [
      'SELECT',
      'FROM',
      'events',
      'WHERE',
      'a',
      '"b"',
      "'c'",
      '1',
      '(',
      ')',
      ',',
      '*',
      'AND',
      'NOT',
      'IN',
      'BETWEEN',
      'CASE',
      'WHEN',
      'THEN',
      'ELSE',
      'END',
      'IF',
      'LAST',
      'START',
      'STOP',
      'GROUP',
      'BY',
      'ORDER',
      'LIMIT',
      'HAVING',
      'IS',
      'NULL',
      'LIKE',
      'INCIDR',
      'COUNT',
      'AS',
      '=',
      '-',
      '/',
      ';',
      'DAYS',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...words), { maxLength: 30 }), (parts) => {
        try {
          parseAql(`SELECT ${parts.join(' ')}`);
        } catch (error) {
          if (!(error instanceof AqlError)) throw error;
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('parseDateTime', () => {
  it.each([
    ['2024-01-02 03:04', Date.UTC(2024, 0, 2, 3, 4)],
    ['2024-01-02 03:04:05', Date.UTC(2024, 0, 2, 3, 4, 5)],
    ['2024-02-29 00:00', Date.UTC(2024, 1, 29)],
    ['2023-02-29 00:00', null],
    ['2024-01-02 24:00', null],
    ['2024-01-02', null],
  ])('reads %s', (text, expected) => {
    expect(parseDateTime(text)).toBe(expected);
  });
});
