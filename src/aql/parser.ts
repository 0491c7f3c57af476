/**
 * A recursive-descent parser for the AQL subset that detection searches use. It builds the typed tree
 * of ast.ts and raises AqlError with the line and column of the first token it cannot accept.
 *
 * Operator precedence, loosest first: OR, AND, NOT, comparisons and predicates (BETWEEN, IN, IS NULL,
 * LIKE, ILIKE, MATCHES, IMATCHES), + and -, then *, / and %, then unary minus.
 */
import type {
  ArithmeticOperator,
  ComparisonOperator,
  Expression,
  OrderItem,
  Query,
  SelectItem,
  Span,
  TimeClause,
} from './ast.js';
import { AqlError } from './errors.js';
import { tokenize, type Token } from './lexer.js';

/** Words that end an expression or start a clause, so they cannot be bare field names. */
const RESERVED = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'GROUP',
  'BY',
  'HAVING',
  'ORDER',
  'LIMIT',
  'LAST',
  'START',
  'STOP',
  'AND',
  'OR',
  'NOT',
  'BETWEEN',
  'IN',
  'IS',
  'NULL',
  'LIKE',
  'ILIKE',
  'MATCHES',
  'IMATCHES',
  'CASE',
  'WHEN',
  'THEN',
  'ELSE',
  'END',
  'IF',
  'AS',
  'ASC',
  'DESC',
  'TRUE',
  'FALSE',
]);

/** Deepest nesting of parentheses, NOT, unary signs and sub-expressions that the parser accepts. */
const MAX_NESTING = 200;

/** SQL and AQL constructs that beaconhunt recognises but does not run, with what to write instead. */
const UNSUPPORTED_WORDS: Readonly<Record<string, string>> = {
  JOIN: 'JOIN is not supported: a query reads one table, events or flows',
  UNION: 'UNION is not supported: run each query on its own',
  DISTINCT: 'DISTINCT is not supported: use GROUP BY, or UNIQUECOUNT(field) to count distinct values',
  WITH: 'WITH is not supported: a query reads one table, events or flows',
  OVER: 'window functions (OVER) are not supported: AQL has none',
  INTO: 'SELECT … INTO is not supported: beaconhunt writes results to stdout only',
  PARAMETERS: 'the PARAMETERS clause is not supported',
  TIMEZONE: 'the TIMEZONE clause is not supported: times are UTC',
  EXISTS: 'EXISTS is not supported: a query cannot contain a subquery',
};

const COMPARISONS: Readonly<Record<string, ComparisonOperator>> = {
  '=': '=',
  '!=': '!=',
  '<>': '!=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};

const TIME_UNITS: Readonly<Record<string, 'MINUTES' | 'HOURS' | 'DAYS'>> = {
  MINUTE: 'MINUTES',
  MINUTES: 'MINUTES',
  HOUR: 'HOURS',
  HOURS: 'HOURS',
  DAY: 'DAYS',
  DAYS: 'DAYS',
};

/** Parses one query; a trailing semicolon is allowed. */
export function parseAql(text: string): Query {
  return new Parser(tokenize(text)).parseQuery();
}

class Parser {
  private index = 0;
  private depth = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parseQuery(): Query {
    const first = this.peek();
    this.expectKeyword('SELECT');
    const select = this.parseSelectList();
    this.expectKeyword('FROM');
    const from = this.parseTable();

    let time: TimeClause | null = null;
    // QRadar places LAST or START … STOP after the other clauses. Accepting it at any clause boundary
    // also runs queries that put it straight after FROM.
    const maybeTime = (): void => {
      const clause = this.parseTimeClause();
      if (clause === null) return;
      if (time !== null)
        throw new AqlError('syntax', 'a query takes one time clause (LAST or START … STOP)', clause.start);
      time = clause;
    };

    maybeTime();
    const where = this.acceptKeyword('WHERE') ? this.parseExpression() : null;
    maybeTime();
    let groupBy: Expression[] = [];
    if (this.acceptKeyword('GROUP')) {
      this.expectKeyword('BY');
      groupBy = this.parseList(() => this.parseExpression());
    }
    const having = this.acceptKeyword('HAVING') ? this.parseExpression() : null;
    maybeTime();
    let orderBy: OrderItem[] = [];
    if (this.acceptKeyword('ORDER')) {
      this.expectKeyword('BY');
      orderBy = this.parseList(() => this.parseOrderItem());
    }
    maybeTime();
    const limit = this.acceptKeyword('LIMIT') ? this.parseLimit() : null;
    maybeTime();
    this.acceptSymbol(';');

    const last = this.peek();
    if (last.type !== 'end') {
      this.rejectUnsupported(last);
      throw this.expected(
        time === null
          ? 'WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, LAST, START or the end of the query'
          : 'the end of the query',
      );
    }
    return {
      kind: 'query',
      select,
      from,
      where,
      groupBy,
      having,
      orderBy,
      limit,
      time,
      start: first.start,
      end: last.start,
    };
  }

  private parseSelectList(): SelectItem[] | null {
    if (this.peek().type === 'symbol' && this.peek().text === '*') {
      this.next();
      return null;
    }
    return this.parseList(() => this.parseSelectItem());
  }

  private parseSelectItem(): SelectItem {
    const expression = this.parseExpression();
    let alias: string | null = null;
    if (this.acceptKeyword('AS')) {
      const token = this.next();
      // Any word after AS is unambiguous, so keywords such as LAST are allowed as aliases.
      if (token.type === 'string' || token.type === 'quoted' || token.type === 'word') {
        alias = token.text;
      } else {
        this.index -= 1;
        throw this.expected('an alias after AS');
      }
      if (alias === '') throw new AqlError('syntax', 'an alias cannot be empty', token.start);
    }
    return { expression, alias, start: expression.start, end: this.previous().end };
  }

  private parseTable(): 'events' | 'flows' {
    const token = this.peek();
    if (token.type === 'symbol' && token.text === '(') {
      throw new AqlError(
        'unsupported',
        'a subquery in FROM is not supported: query events or flows',
        token.start,
      );
    }
    if (token.type !== 'word' && token.type !== 'quoted') throw this.expected('events or flows after FROM');
    const name = token.text.toLowerCase();
    if (name !== 'events' && name !== 'flows') {
      throw new AqlError(
        'unsupported',
        `table "${token.text}" is not supported: a query can read only events or flows`,
        token.start,
      );
    }
    this.next();
    const after = this.peek();
    if (after.type === 'symbol' && (after.text === ',' || after.text === '.')) {
      throw new AqlError('unsupported', 'a query can read only one table, events or flows', after.start);
    }
    return name;
  }

  private parseTimeClause(): TimeClause | null {
    const token = this.peek();
    if (this.acceptKeyword('LAST')) {
      const amount = this.next();
      if (amount.type !== 'number' || !/^[0-9]+$/.test(amount.text) || Number(amount.text) === 0) {
        this.index -= 1;
        throw this.expected('a whole number of MINUTES, HOURS or DAYS after LAST');
      }
      const unitToken = this.next();
      const unit = unitToken.type === 'word' ? TIME_UNITS[unitToken.text.toUpperCase()] : undefined;
      if (unit === undefined) {
        this.index -= 1;
        throw this.expected('MINUTES, HOURS or DAYS');
      }
      const value = Number(amount.text);
      if (!Number.isSafeInteger(value))
        throw new AqlError('syntax', `LAST ${amount.text} is too large`, amount.start);
      return { kind: 'last', amount: value, unit, start: token.start, end: unitToken.end };
    }
    if (this.acceptKeyword('START')) {
      const start = this.parseTimeValue('START');
      this.expectKeyword('STOP');
      const stop = this.parseTimeValue('STOP');
      if (stop.value < start.value) {
        throw new AqlError('invalid', 'STOP is before START: swap the two times', stop.token.start);
      }
      return {
        kind: 'range',
        startMs: start.value,
        stopMs: stop.value,
        start: token.start,
        end: stop.token.end,
      };
    }
    return null;
  }

  /** Reads the time after START or STOP: epoch milliseconds, or a 'yyyy-MM-dd HH:mm[:ss]' date read as UTC. */
  private parseTimeValue(keyword: string): { value: number; token: Token } {
    const token = this.next();
    if (token.type === 'number' && /^[0-9]+$/.test(token.text) && Number.isSafeInteger(Number(token.text))) {
      return { value: Number(token.text), token };
    }
    if (token.type === 'string') {
      const value = parseDateTime(token.text);
      if (value !== null) return { value, token };
      throw new AqlError(
        'syntax',
        `invalid ${keyword} time '${token.text}': use 'yyyy-MM-dd HH:mm', 'yyyy-MM-dd HH:mm:ss' or epoch milliseconds`,
        token.start,
      );
    }
    this.index -= 1;
    throw this.expected(`a time after ${keyword}, such as '2024-01-02 00:00' or epoch milliseconds`);
  }

  private parseOrderItem(): OrderItem {
    const expression = this.parseExpression();
    let descending = false;
    if (this.acceptKeyword('DESC')) descending = true;
    else this.acceptKeyword('ASC');
    return { expression, descending, start: expression.start, end: this.previous().end };
  }

  private parseLimit(): number {
    const token = this.next();
    if (
      token.type !== 'number' ||
      !/^[0-9]+$/.test(token.text) ||
      !Number.isSafeInteger(Number(token.text))
    ) {
      this.index -= 1;
      throw this.expected('a whole number after LIMIT');
    }
    return Number(token.text);
  }

  private parseList<T>(item: () => T): T[] {
    const items = [item()];
    while (this.acceptSymbol(',')) items.push(item());
    return items;
  }

  parseExpression(): Expression {
    return this.nested(() => this.parseOr());
  }

  /**
   * Runs a parse step one level deeper, so that deeply nested text raises AqlError rather than
   * overflowing the stack. DuckDB refuses expressions deeper than 1000 by default, so no runnable query
   * is lost at this limit.
   */
  private nested<T>(parse: () => T): T {
    this.depth += 1;
    try {
      if (this.depth > MAX_NESTING) {
        throw new AqlError(
          'unsupported',
          `expressions nested more than ${MAX_NESTING} levels deep are not supported`,
          this.peek().start,
        );
      }
      return parse();
    } finally {
      this.depth -= 1;
    }
  }

  private parseOr(): Expression {
    let left = this.parseAnd();
    while (this.acceptKeyword('OR')) {
      const right = this.parseAnd();
      left = { kind: 'logical', operator: 'OR', left, right, ...spanOf(left, right) };
    }
    return left;
  }

  private parseAnd(): Expression {
    let left = this.parseNot();
    while (this.acceptKeyword('AND')) {
      const right = this.parseNot();
      left = { kind: 'logical', operator: 'AND', left, right, ...spanOf(left, right) };
    }
    return left;
  }

  private parseNot(): Expression {
    const token = this.peek();
    if (this.acceptKeyword('NOT')) {
      const operand = this.nested(() => this.parseNot());
      return { kind: 'not', operand, start: token.start, end: operand.end };
    }
    return this.parsePredicate();
  }

  private parsePredicate(): Expression {
    const left = this.parseAdditive();
    const token = this.peek();

    if (token.type === 'symbol' && COMPARISONS[token.text] !== undefined) {
      this.next();
      const right = this.parseAdditive();
      return {
        kind: 'comparison',
        operator: COMPARISONS[token.text] as ComparisonOperator,
        left,
        right,
        ...spanOf(left, right),
      };
    }

    if (this.acceptKeyword('IS')) {
      const negated = this.acceptKeyword('NOT');
      this.expectKeyword('NULL');
      return { kind: 'isNull', negated, operand: left, start: left.start, end: this.previous().end };
    }

    const negated = this.acceptKeyword('NOT');
    if (this.acceptKeyword('BETWEEN')) {
      const low = this.parseAdditive();
      this.expectKeyword('AND');
      const high = this.parseAdditive();
      return { kind: 'between', negated, operand: left, low, high, ...spanOf(left, high) };
    }
    if (this.acceptKeyword('IN')) {
      this.expectSymbol('(');
      if (this.peekKeyword('SELECT')) {
        throw new AqlError(
          'unsupported',
          'a subquery in IN is not supported: list the values',
          this.peek().start,
        );
      }
      const values = this.parseList(() => this.parseAdditive());
      this.expectSymbol(')');
      return { kind: 'in', negated, operand: left, values, start: left.start, end: this.previous().end };
    }
    for (const operator of ['LIKE', 'ILIKE'] as const) {
      if (this.acceptKeyword(operator)) {
        const pattern = this.parseAdditive();
        return { kind: 'like', operator, negated, operand: left, pattern, ...spanOf(left, pattern) };
      }
    }
    for (const operator of ['MATCHES', 'IMATCHES'] as const) {
      if (this.acceptKeyword(operator)) {
        const pattern = this.parseAdditive();
        return { kind: 'matches', operator, negated, operand: left, pattern, ...spanOf(left, pattern) };
      }
    }
    if (negated) throw this.expected('BETWEEN, IN, LIKE, ILIKE, MATCHES or IMATCHES after NOT');
    return left;
  }

  private parseAdditive(): Expression {
    let left = this.parseMultiplicative();
    for (;;) {
      const token = this.peek();
      if (token.type !== 'symbol' || (token.text !== '+' && token.text !== '-')) break;
      this.next();
      const right = this.parseMultiplicative();
      left = {
        kind: 'arithmetic',
        operator: token.text as ArithmeticOperator,
        left,
        right,
        ...spanOf(left, right),
      };
    }
    const token = this.peek();
    if (token.type === 'symbol' && token.text === '||') {
      throw new AqlError('unsupported', 'the || operator is not supported: use CONCAT(a, b)', token.start);
    }
    return left;
  }

  private parseMultiplicative(): Expression {
    let left = this.parseUnary();
    for (;;) {
      const token = this.peek();
      if (token.type !== 'symbol' || (token.text !== '*' && token.text !== '/' && token.text !== '%')) break;
      this.next();
      const right = this.parseUnary();
      left = {
        kind: 'arithmetic',
        operator: token.text as ArithmeticOperator,
        left,
        right,
        ...spanOf(left, right),
      };
    }
    return left;
  }

  private parseUnary(): Expression {
    const token = this.peek();
    if (token.type === 'symbol' && token.text === '-') {
      this.next();
      const operand = this.nested(() => this.parseUnary());
      return { kind: 'negate', operand, start: token.start, end: operand.end };
    }
    if (token.type === 'symbol' && token.text === '+') {
      this.next();
      return this.nested(() => this.parseUnary());
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Expression {
    const token = this.peek();
    switch (token.type) {
      case 'number': {
        this.next();
        return {
          kind: 'number',
          text: token.text,
          value: Number(token.text),
          start: token.start,
          end: token.end,
        };
      }
      case 'string':
        this.next();
        return { kind: 'string', value: token.text, start: token.start, end: token.end };
      case 'quoted':
        this.next();
        return { kind: 'field', name: token.text, quoted: true, start: token.start, end: token.end };
      case 'symbol':
        if (token.text === '(') {
          this.next();
          if (this.peekKeyword('SELECT')) {
            throw new AqlError('unsupported', 'subqueries are not supported', this.peek().start);
          }
          const inner = this.parseExpression();
          this.expectSymbol(')');
          return { ...inner, start: token.start, end: this.previous().end };
        }
        throw this.expected('an expression');
      case 'word':
        return this.parseWordExpression(token);
      case 'end':
        throw this.expected('an expression');
    }
  }

  private parseWordExpression(token: Token): Expression {
    const upper = token.text.toUpperCase();
    if (upper === 'NULL' || upper === 'TRUE' || upper === 'FALSE') {
      this.next();
      if (upper === 'NULL') return { kind: 'null', start: token.start, end: token.end };
      return { kind: 'boolean', value: upper === 'TRUE', start: token.start, end: token.end };
    }
    if (upper === 'CASE') return this.parseCase();
    if (upper === 'IF') return this.parseIf();
    this.rejectUnsupported(token);
    const opensCall =
      this.tokens[this.index + 1]?.text === '(' && this.tokens[this.index + 1]?.type === 'symbol';
    // LAST is also the time clause's keyword; followed by "(" it is the aggregate.
    if (RESERVED.has(upper) && !(upper === 'LAST' && opensCall)) throw this.expected('an expression');

    this.next();
    const after = this.peek();
    if (after.type === 'symbol' && after.text === '(') {
      this.next();
      return this.parseCall(token, upper);
    }
    if (after.type === 'symbol' && (after.text === '.' || after.text === '::')) {
      throw new AqlError(
        'unsupported',
        `qualified name "${token.text}${after.text}…" is not supported: name event fields without a prefix`,
        token.start,
      );
    }
    return { kind: 'field', name: token.text, quoted: false, start: token.start, end: token.end };
  }

  /** Parses the arguments of NAME( … ); the opening parenthesis has been read. */
  private parseCall(token: Token, upper: string): Expression {
    const args: Expression[] = [];
    const close = this.peek();
    if (close.type === 'symbol' && close.text === ')') {
      this.next();
    } else {
      this.rejectUnsupported(close);
      args.push(this.parseArgument());
      while (this.acceptSymbol(',')) args.push(this.parseArgument());
      this.expectSymbol(')');
    }
    const end = this.previous().end;
    if (upper === 'INCIDR') {
      if (args.length !== 2) {
        throw new AqlError(
          'invalid',
          "INCIDR takes two arguments: INCIDR('10.0.0.0/8', sourceip)",
          token.start,
        );
      }
      return {
        kind: 'incidr',
        network: args[0] as Expression,
        address: args[1] as Expression,
        start: token.start,
        end,
      };
    }
    return { kind: 'call', name: upper, args, start: token.start, end };
  }

  /** A function argument: an expression, or the `*` of COUNT(*). */
  private parseArgument(): Expression {
    const token = this.peek();
    if (token.type === 'symbol' && token.text === '*') {
      this.next();
      return { kind: 'star', start: token.start, end: token.end };
    }
    return this.parseExpression();
  }

  private parseCase(): Expression {
    const start = this.next().start;
    const operand = this.peekKeyword('WHEN') ? null : this.parseExpression();
    const branches: { when: Expression; then: Expression }[] = [];
    while (this.acceptKeyword('WHEN')) {
      const when = this.parseExpression();
      this.expectKeyword('THEN');
      branches.push({ when, then: this.parseExpression() });
    }
    if (branches.length === 0) throw this.expected('WHEN');
    const otherwise = this.acceptKeyword('ELSE') ? this.parseExpression() : null;
    this.expectKeyword('END');
    return { kind: 'case', operand, branches, otherwise, start, end: this.previous().end };
  }

  private parseIf(): Expression {
    const start = this.next().start;
    const condition = this.parseExpression();
    this.expectKeyword('THEN');
    const then = this.parseExpression();
    this.expectKeyword('ELSE');
    const otherwise = this.parseExpression();
    return { kind: 'if', condition, then, otherwise, start, end: otherwise.end };
  }

  private rejectUnsupported(token: Token): void {
    if (token.type !== 'word') return;
    const message = UNSUPPORTED_WORDS[token.text.toUpperCase()];
    if (message !== undefined) throw new AqlError('unsupported', message, token.start);
  }

  private peek(): Token {
    return this.tokens[this.index] as Token;
  }

  private previous(): Token {
    return this.tokens[Math.max(0, this.index - 1)] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.type !== 'end') this.index += 1;
    return token;
  }

  private peekKeyword(keyword: string): boolean {
    const token = this.peek();
    return token.type === 'word' && token.text.toUpperCase() === keyword;
  }

  private acceptKeyword(keyword: string): boolean {
    if (!this.peekKeyword(keyword)) return false;
    this.index += 1;
    return true;
  }

  private expectKeyword(keyword: string): void {
    if (!this.acceptKeyword(keyword)) {
      this.rejectUnsupported(this.peek());
      throw this.expected(keyword);
    }
  }

  private acceptSymbol(symbol: string): boolean {
    const token = this.peek();
    if (token.type !== 'symbol' || token.text !== symbol) return false;
    this.index += 1;
    return true;
  }

  private expectSymbol(symbol: string): void {
    if (!this.acceptSymbol(symbol)) throw this.expected(`"${symbol}"`);
  }

  /** Builds the error for an unexpected token: what was expected and what was found instead. */
  private expected(expectation: string): AqlError {
    const token = this.peek();
    return new AqlError('syntax', `expected ${expectation}, found ${describe(token)}`, token.start);
  }
}

function describe(token: Token): string {
  switch (token.type) {
    case 'end':
      return 'the end of the query';
    case 'string':
      return `the string '${token.text}'`;
    case 'quoted':
      return `the name "${token.text}"`;
    default:
      return `"${token.text}"`;
  }
}

function spanOf(first: Span, last: Span): Span {
  return { start: first.start, end: last.end };
}

/**
 * Parses 'yyyy-MM-dd HH:mm' or 'yyyy-MM-dd HH:mm:ss' as UTC epoch milliseconds. Returns null for any
 * other text, and for a date that does not exist, such as February 30.
 */
export function parseDateTime(text: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (match === null) return null;
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (hour > 23 || minute > 59 || second > 59) return null;
  const value = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(value);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    return null;
  return value;
}
