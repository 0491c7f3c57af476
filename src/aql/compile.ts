/**
 * Compiles an AQL syntax tree into one DuckDB query over the events table. The compiler writes every
 * piece of SQL itself. Field names become the constant expressions of fields.ts, and functions become
 * the engine functions listed here. Strings from the query are bound as numbered parameters ($1, $2, …),
 * and numbers are emitted only in the digits-and-dot form the lexer accepted. So a query cannot reach
 * another table, a file or an engine function.
 */
import ipaddr from 'ipaddr.js';

import { EVENT_COLUMN_NAMES } from '../model/event.js';
import type { SqlValue } from '../store/store.js';
import type { Expression, FunctionCall, Query, SelectItem, Span, TimeClause } from './ast.js';
import { AqlError } from './errors.js';
import { fieldSql, knownFieldNames, PROTOCOL_NAMES } from './fields.js';
import { translateDateFormat } from './date-format.js';

export interface CompileOptions {
  /** The query's now in epoch milliseconds: NOW(), the end of LAST n, and the newest event it can see. */
  now: number;
}

export interface CompiledQuery {
  sql: string;
  /** Values of $1, $2, … in order. */
  params: SqlValue[];
  /** Output column names in order: the alias, the field name as written, or the expression's text. */
  columns: string[];
  /** The 1-based number of the parameter that contains now, or null when the SQL does not use it. */
  nowParameter: number | null;
}

/** The clause an expression sits in, which decides whether aggregates and SELECT aliases are allowed. */
type Clause = 'select' | 'where' | 'group' | 'having' | 'order';

const MS_PER_UNIT = { MINUTES: 60_000, HOURS: 3_600_000, DAYS: 86_400_000 } as const;

/** QRadar functions that beaconhunt does not run, reported as unsupported rather than unknown. */
const UNSUPPORTED_FUNCTIONS = new Set([
  'APPLICATIONNAME',
  'ASSETHOSTNAME',
  'ASSETPROPERTY',
  'ASSETUSER',
  'BASE64',
  'CATEGORYNAME',
  'COALESCE',
  'DATEFORMAT_TZ',
  'DOMAINNAME',
  'GLOBALVIEW',
  'HOSTNAME',
  'LEN',
  'LOGSOURCEGROUPNAME',
  'LOGSOURCETYPENAME',
  'MATCHESASSETSEARCH',
  'NETWORKNAME',
  'PARSEDATETIME',
  'PARSETIMESTAMP',
  'QIDDESCRIPTION',
  'QIDNAME',
  'REFERENCEMAP',
  'REFERENCEMAPSETCONTAINS',
  'REFERENCESETCONTAINS',
  'REFERENCETABLE',
  'REPLACEALL',
  'REPLACEFIRST',
  'RULENAME',
  'STRLEN',
  'STRPOS',
  'SUBSTRING',
  'TEXT',
  'UTF8',
  'DATEADD',
  'DATEDIFF',
]);

const AGGREGATES = new Set(['COUNT', 'MIN', 'MAX', 'SUM', 'AVG', 'STDEV', 'UNIQUECOUNT', 'FIRST', 'LAST']);

/** IPv4 in dotted decimal, each octet 0–255 without leading zeros. */
const IPV4_PATTERN =
  '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}';
/** IPv6 in lower-case hex: eight groups, or fewer with one "::". */
const IPV6_PATTERN =
  '(([0-9a-f]{1,4}:){7}[0-9a-f]{1,4})|(([0-9a-f]{1,4}(:[0-9a-f]{1,4}){0,6})?::([0-9a-f]{1,4}(:[0-9a-f]{1,4}){0,6})?)';

export function compileAql(query: Query, text: string, options: CompileOptions): CompiledQuery {
  if (!Number.isSafeInteger(options.now)) {
    throw new RangeError(`now must be whole epoch milliseconds, got ${options.now}`);
  }
  return new Compiler(query, text, options.now).compile();
}

class Compiler {
  private readonly params: SqlValue[] = [];
  /** SELECT aliases by lower-cased name, for HAVING, ORDER BY and GROUP BY. */
  private readonly aliases = new Map<string, Expression>();
  private nowParam: string | null = null;

  constructor(
    private readonly query: Query,
    private readonly text: string,
    private readonly now: number,
  ) {}

  compile(): CompiledQuery {
    const query = this.query;
    const items: readonly SelectItem[] =
      query.select ??
      EVENT_COLUMN_NAMES.map((name) => ({
        expression: { kind: 'field', name, quoted: false, start: query.start, end: query.start },
        alias: null,
        start: query.start,
        end: query.start,
      }));
    for (const item of items) {
      if (item.alias !== null) this.aliases.set(item.alias.toLowerCase(), item.expression);
    }

    const columns = uniqueNames(items.map((item) => this.outputName(item)));
    const selectList = items
      .map((item, index) => `${this.expression(item.expression, 'select')} AS c${index + 1}`)
      .join(',\n  ');

    // The query reads only events up to its now, because QRadar has no events after NOW().
    const conditions = [`starttime <= ${this.nowSql()}`];
    if (query.time !== null) conditions.push(this.timeCondition(query.time));
    if (query.where !== null) conditions.push(this.expression(query.where, 'where'));

    let sql = `SELECT\n  ${selectList}\nFROM events\nWHERE ${conditions.join('\n  AND ')}`;
    if (query.groupBy.length > 0) {
      sql += `\nGROUP BY ${query.groupBy.map((expression) => this.expression(expression, 'group')).join(', ')}`;
    }
    if (query.having !== null) sql += `\nHAVING ${this.expression(query.having, 'having')}`;

    // Rows that tie on the query's ORDER BY are ordered by every output column in turn, so that the
    // output is the same on every run.
    const order = query.orderBy.map(
      (item) => `${this.expression(item.expression, 'order')} ${item.descending ? 'DESC' : 'ASC'} NULLS LAST`,
    );
    order.push(...items.map((_, index) => `${index + 1} ASC NULLS LAST`));
    sql += `\nORDER BY ${order.join(', ')}`;
    if (query.limit !== null) sql += `\nLIMIT ${query.limit}`;
    const nowParameter = this.nowParam === null ? null : Number(this.nowParam.slice(1));
    return { sql, params: this.params, columns, nowParameter };
  }

  private outputName(item: SelectItem): string {
    if (item.alias !== null) return item.alias;
    if (item.expression.kind === 'field') return item.expression.name;
    return this.text.slice(item.expression.start.offset, item.expression.end.offset).replace(/\s+/g, ' ');
  }

  /**
   * Binds a value as a numbered parameter, reusing the number of an equal value of the same type. An
   * alias expanded again in GROUP BY or ORDER BY must compile to the same expression as in SELECT, but
   * DuckDB treats `'a'` bound as $1 and as $3 as two different expressions.
   */
  private bind(value: SqlValue): string {
    const existing = this.params.findIndex((bound) => bound === value && typeof bound === typeof value);
    if (existing >= 0) return `$${existing + 1}`;
    this.params.push(value);
    return `$${this.params.length}`;
  }

  private nowSql(): string {
    this.nowParam ??= this.bind(this.now);
    return `CAST(${this.nowParam} AS BIGINT)`;
  }

  private timeCondition(time: TimeClause): string {
    if (time.kind === 'last') {
      const windowMs = time.amount * MS_PER_UNIT[time.unit];
      if (!Number.isSafeInteger(windowMs)) {
        throw new AqlError('invalid', `LAST ${time.amount} ${time.unit} is too long`, time.start);
      }
      return `starttime > ${this.nowSql()} - ${windowMs}`;
    }
    // NOTE: QRadar reads START and STOP in the console's time zone; beaconhunt reads them as UTC, and
    // treats both ends as inclusive.
    return `starttime BETWEEN CAST(${this.bind(time.startMs)} AS BIGINT) AND CAST(${this.bind(time.stopMs)} AS BIGINT)`;
  }

  private expression(node: Expression, clause: Clause, inAggregate = false): string {
    const sub = (child: Expression): string => this.expression(child, clause, inAggregate);
    switch (node.kind) {
      case 'number':
        return node.text;
      case 'string':
        return this.bind(node.value);
      case 'null':
        return 'NULL';
      case 'boolean':
        return node.value ? 'TRUE' : 'FALSE';
      case 'field':
        return this.field(node.name, node, clause, inAggregate);
      case 'star':
        throw new AqlError('syntax', '"*" is allowed only as SELECT * or COUNT(*)', node.start);
      case 'negate':
        return `(- ${sub(node.operand)})`;
      case 'not':
        return `(NOT ${sub(node.operand)})`;
      case 'arithmetic':
        return `(${sub(node.left)} ${node.operator} ${sub(node.right)})`;
      case 'comparison':
        return `(${sub(node.left)} ${node.operator === '!=' ? '<>' : node.operator} ${sub(node.right)})`;
      case 'logical':
        return `(${sub(node.left)} ${node.operator} ${sub(node.right)})`;
      case 'between':
        return `(${sub(node.operand)} ${node.negated ? 'NOT ' : ''}BETWEEN ${sub(node.low)} AND ${sub(node.high)})`;
      case 'in':
        return `(${sub(node.operand)} ${node.negated ? 'NOT ' : ''}IN (${node.values.map(sub).join(', ')}))`;
      case 'isNull':
        return `(${sub(node.operand)} IS ${node.negated ? 'NOT ' : ''}NULL)`;
      case 'like':
        // DuckDB's LIKE has no escape character unless ESCAPE is given, so % and _ are the only
        // wildcards, as in AQL.
        return `(CAST(${sub(node.operand)} AS VARCHAR) ${node.negated ? 'NOT ' : ''}${node.operator} ${sub(node.pattern)})`;
      case 'matches': {
        // NOTE: MATCHES is read as "the regular expression matches somewhere in the value". DuckDB uses
        // RE2 syntax, and QRadar Java's, so look-arounds and back-references fail here.
        const flags = node.operator === 'IMATCHES' ? ", 'i'" : '';
        const test = `regexp_matches(CAST(${sub(node.operand)} AS VARCHAR), ${sub(node.pattern)}${flags})`;
        return node.negated ? `(NOT ${test})` : test;
      }
      case 'incidr':
        return this.inCidr(node.network, sub(node.address));
      case 'call':
        return this.call(node, clause, inAggregate);
      case 'case': {
        const operand = node.operand === null ? '' : ` ${sub(node.operand)}`;
        const branches = node.branches.map((branch) => ` WHEN ${sub(branch.when)} THEN ${sub(branch.then)}`);
        const otherwise = node.otherwise === null ? '' : ` ELSE ${sub(node.otherwise)}`;
        return `(CASE${operand}${branches.join('')}${otherwise} END)`;
      }
      case 'if':
        return `(CASE WHEN ${sub(node.condition)} THEN ${sub(node.then)} ELSE ${sub(node.otherwise)} END)`;
    }
  }

  /**
   * Resolves a name. In HAVING and ORDER BY a SELECT alias comes first, so that a condition such as
   * HAVING AvgIntervalMs > 1000 reads the aliased expression. In GROUP BY a field comes first, and WHERE
   * and SELECT read fields only.
   */
  private field(name: string, node: Span, clause: Clause, inAggregate: boolean): string {
    const alias = this.aliases.get(name.toLowerCase());
    const column = fieldSql(name);
    const aliasFirst = clause === 'having' || clause === 'order';
    if (alias !== undefined && (aliasFirst || (clause === 'group' && column === undefined))) {
      // Aliases are expanded in SELECT context, where an alias cannot name another, so this ends.
      return this.expression(alias, 'select', inAggregate);
    }
    if (column !== undefined) return column;
    const hint =
      alias !== undefined ? `; the alias ${name} can be used in GROUP BY, HAVING and ORDER BY` : '';
    throw new AqlError(
      'invalid',
      `unknown field "${name}"${hint}; known fields: ${knownFieldNames().join(', ')}`,
      node.start,
    );
  }

  private call(node: FunctionCall, clause: Clause, inAggregate: boolean): string {
    const name = node.name;
    const isAggregate = AGGREGATES.has(name);
    if (isAggregate) {
      if (clause === 'where' || clause === 'group') {
        throw new AqlError(
          'invalid',
          `aggregate ${name} is not allowed in ${clause === 'where' ? 'WHERE; move the condition to HAVING' : 'GROUP BY'}`,
          node.start,
        );
      }
      if (inAggregate)
        throw new AqlError(
          'invalid',
          `aggregate ${name} cannot be nested inside another aggregate`,
          node.start,
        );
    }
    const argument = (index: number): string => {
      const arg = node.args[index] as Expression;
      if (arg.kind === 'star') {
        throw new AqlError('syntax', `"*" is allowed only in COUNT(*), not in ${name}`, arg.start);
      }
      return this.expression(arg, clause, inAggregate || isAggregate);
    };
    const arity = (min: number, max = min): void => {
      if (node.args.length < min || node.args.length > max) {
        let count = `${min} to ${max}`;
        if (min === max) count = `${min}`;
        else if (max === Infinity) count = `at least ${min}`;
        throw new AqlError(
          'invalid',
          `${name} takes ${count} argument${min === 1 && max === 1 ? '' : 's'}, got ${node.args.length}`,
          node.start,
        );
      }
    };

    switch (name) {
      case 'COUNT':
        arity(1);
        return node.args[0]?.kind === 'star' ? 'count(*)' : `count(${argument(0)})`;
      case 'MIN':
      case 'MAX':
      case 'SUM':
      case 'AVG':
        arity(1);
        return `${name.toLowerCase()}(${argument(0)})`;
      case 'STDEV':
        // NOTE: unverified whether QRadar's STDEV is the sample or the population standard deviation.
        // This is the sample one, with n - 1 in the denominator.
        arity(1);
        return `stddev_samp(${argument(0)})`;
      case 'UNIQUECOUNT':
        arity(1);
        return `count(DISTINCT ${argument(0)})`;
      case 'FIRST':
      case 'LAST':
        // The value of the earliest or latest event of the group by start time.
        arity(1);
        return `${name === 'FIRST' ? 'arg_min' : 'arg_max'}(${argument(0)}, starttime)`;
      case 'LONG':
        // NOTE: a fraction is rounded to the nearest whole number (DuckDB's cast); Java's, and so
        // perhaps QRadar's, truncates toward zero.
        arity(1);
        return `TRY_CAST(${argument(0)} AS BIGINT)`;
      case 'DOUBLE':
        arity(1);
        return `TRY_CAST(${argument(0)} AS DOUBLE)`;
      case 'STR':
        arity(1);
        return `CAST(${argument(0)} AS VARCHAR)`;
      case 'LOWER':
      case 'UPPER':
        arity(1);
        return `${name.toLowerCase()}(CAST(${argument(0)} AS VARCHAR))`;
      case 'CONCAT':
        arity(1, Infinity);
        return `concat(${node.args.map((_, index) => argument(index)).join(', ')})`;
      case 'NOW':
        arity(0);
        return this.nowSql();
      case 'DATEFORMAT': {
        arity(2);
        const pattern = node.args[1] as Expression;
        if (pattern.kind !== 'string') {
          throw new AqlError(
            'invalid',
            "DATEFORMAT takes its pattern as a string, such as 'yyyy-MM-dd HH:mm:ss'",
            pattern.start,
          );
        }
        const format = translateDateFormat(pattern.value, pattern.start);
        return `strftime(epoch_ms(CAST(${argument(0)} AS BIGINT)), ${this.bind(format)})`;
      }
      case 'LOGSOURCENAME':
        arity(1);
        return `CAST(${argument(0)} AS VARCHAR)`;
      case 'PROTOCOLNAME': {
        arity(1);
        const cases = Object.entries(PROTOCOL_NAMES)
          .map(([number, protocol]) => ` WHEN ${number} THEN '${protocol}'`)
          .join('');
        return `(CASE TRY_CAST(${argument(0)} AS INTEGER)${cases} END)`;
      }
      default:
        if (UNSUPPORTED_FUNCTIONS.has(name)) {
          throw new AqlError('unsupported', `function ${name} is not supported`, node.start);
        }
        throw new AqlError('invalid', `unknown function ${name}`, node.start);
    }
  }

  /**
   * Compiles INCIDR over the address text. The network is parsed here, and the address is tested in SQL
   * by ipv4InRange or ipv6InRange. Text that is not an address of the network's family is never inside.
   */
  private inCidr(network: Expression, address: string): string {
    if (network.kind !== 'string') {
      throw new AqlError(
        'invalid',
        "INCIDR takes the network as a string, such as INCIDR('10.0.0.0/8', sourceip)",
        network.start,
      );
    }
    let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
    try {
      parsed = ipaddr.parseCIDR(network.value.trim());
    } catch {
      throw new AqlError(
        'invalid',
        `invalid network '${network.value}' in INCIDR: use a CIDR such as '10.0.0.0/8' or '2001:db8::/32'`,
        network.start,
      );
    }

    const [base, prefix] = parsed;
    const { low, high } = networkBounds(base.toByteArray(), prefix);
    const text = `CAST(${address} AS VARCHAR)`;
    return base.kind() === 'ipv4' ? ipv4InRange(text, low, high) : ipv6InRange(text, low, high);
  }
}

/** Returns the first and last address of a network as bytes, clearing or setting the host bits. */
function networkBounds(bytes: readonly number[], prefix: number): { low: number[]; high: number[] } {
  const low = [...bytes];
  const high = [...bytes];
  for (let bit = prefix; bit < bytes.length * 8; bit += 1) {
    const byte = Math.floor(bit / 8);
    const mask = 0x80 >> (bit % 8);
    low[byte] = (low[byte] as number) & ~mask;
    high[byte] = (high[byte] as number) | mask;
  }
  return { low, high };
}

/** Tests dotted-decimal IPv4 text as a 32-bit number against the range. */
function ipv4InRange(text: string, low: readonly number[], high: readonly number[]): string {
  const toNumber = (octets: readonly number[]): number => octets.reduce((sum, octet) => sum * 256 + octet, 0);
  const parts = [1, 2, 3, 4].map((index) => `CAST(split_part(${text}, '.', ${index}) AS BIGINT)`);
  const value = `((${parts[0]} * 16777216) + (${parts[1]} * 65536) + (${parts[2]} * 256) + ${parts[3]})`;
  return (
    `(CASE WHEN regexp_full_match(${text}, '${IPV4_PATTERN}') ` +
    `THEN ${value} BETWEEN ${toNumber(low)} AND ${toNumber(high)} ELSE FALSE END)`
  );
}

/**
 * Tests IPv6 text against the range. The text is expanded to 32 lower-case hex digits, whose text order
 * is their numeric order, so one BETWEEN tests the range.
 */
function ipv6InRange(text: string, low: readonly number[], high: readonly number[]): string {
  const hex = (values: readonly number[]): string =>
    values.map((byte) => byte.toString(16).padStart(2, '0')).join('');
  const lower = `lower(${text})`;

  // The groups before and after "::", and as many zero groups as "::" stands for.
  const left = `split_part(${lower}, '::', 1)`;
  const right = `split_part(${lower}, '::', 2)`;
  const leftGroups = `(CASE WHEN ${left} = '' THEN []::VARCHAR[] ELSE string_split(${left}, ':') END)`;
  const rightGroups = `(CASE WHEN ${right} = '' THEN []::VARCHAR[] ELSE string_split(${right}, ':') END)`;
  const compressed = `contains(${lower}, '::')`;
  const fill = `(CASE WHEN ${compressed} THEN greatest(8 - len(${leftGroups}) - len(${rightGroups}), 0) ELSE 0 END)`;
  const groups = `list_concat(${leftGroups}, list_resize([]::VARCHAR[], ${fill}, '0'), ${rightGroups})`;
  const digits = `array_to_string(list_transform(${groups}, lambda g: lpad(g, 4, '0')), '')`;

  // NOTE: addresses with an embedded IPv4 part (::ffff:192.0.2.1) or a zone (%eth0) are never inside.
  const valid =
    `regexp_full_match(${lower}, '${IPV6_PATTERN}') ` +
    `AND (NOT ${compressed} OR len(${leftGroups}) + len(${rightGroups}) <= 7)`;
  return `(CASE WHEN ${valid} THEN ${digits} BETWEEN '${hex(low)}' AND '${hex(high)}' ELSE FALSE END)`;
}

/** Makes output names unique by adding _2, _3, … to repeats, compared case-sensitively. */
function uniqueNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return count === 1 ? name : `${name}_${count}`;
  });
}
