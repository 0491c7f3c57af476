/**
 * The typed syntax tree of an AQL query. The parser builds it and the compiler walks it; nothing in it
 * is SQL text, so the compiler decides every construct that reaches the engine.
 */

/** A place in the query text: 1-based line and column, and the 0-based offset of the character. */
export interface Position {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
}

/** The start of a node and the position after its last character, so its source text can name a column. */
export interface Span {
  readonly start: Position;
  readonly end: Position;
}

export type ComparisonOperator = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type ArithmeticOperator = '+' | '-' | '*' | '/' | '%';

export type Expression =
  | NumberLiteral
  | StringLiteral
  | NullLiteral
  | BooleanLiteral
  | FieldReference
  | Star
  | Negation
  | Not
  | Arithmetic
  | Comparison
  | Logical
  | Between
  | InList
  | IsNull
  | Like
  | Matches
  | InCidr
  | FunctionCall
  | Case
  | IfThenElse;

/** A number as written, digits kept as text so that 64-bit epoch milliseconds keep every digit. */
export interface NumberLiteral extends Span {
  readonly kind: 'number';
  readonly text: string;
  readonly value: number;
}

export interface StringLiteral extends Span {
  readonly kind: 'string';
  readonly value: string;
}

export interface NullLiteral extends Span {
  readonly kind: 'null';
}

export interface BooleanLiteral extends Span {
  readonly kind: 'boolean';
  readonly value: boolean;
}

/** A bare or "double-quoted" name: an event field, or a SELECT alias where the clause allows one. */
export interface FieldReference extends Span {
  readonly kind: 'field';
  /** The name as written, without quotes. */
  readonly name: string;
  readonly quoted: boolean;
}

/** The `*` of COUNT(*). */
export interface Star extends Span {
  readonly kind: 'star';
}

export interface Negation extends Span {
  readonly kind: 'negate';
  readonly operand: Expression;
}

export interface Not extends Span {
  readonly kind: 'not';
  readonly operand: Expression;
}

export interface Arithmetic extends Span {
  readonly kind: 'arithmetic';
  readonly operator: ArithmeticOperator;
  readonly left: Expression;
  readonly right: Expression;
}

export interface Comparison extends Span {
  readonly kind: 'comparison';
  readonly operator: ComparisonOperator;
  readonly left: Expression;
  readonly right: Expression;
}

export interface Logical extends Span {
  readonly kind: 'logical';
  readonly operator: 'AND' | 'OR';
  readonly left: Expression;
  readonly right: Expression;
}

export interface Between extends Span {
  readonly kind: 'between';
  readonly negated: boolean;
  readonly operand: Expression;
  readonly low: Expression;
  readonly high: Expression;
}

export interface InList extends Span {
  readonly kind: 'in';
  readonly negated: boolean;
  readonly operand: Expression;
  readonly values: readonly Expression[];
}

export interface IsNull extends Span {
  readonly kind: 'isNull';
  readonly negated: boolean;
  readonly operand: Expression;
}

/** LIKE (case-sensitive) or ILIKE (case-insensitive), with `%` and `_` as the only wildcards. */
export interface Like extends Span {
  readonly kind: 'like';
  readonly operator: 'LIKE' | 'ILIKE';
  readonly negated: boolean;
  readonly operand: Expression;
  readonly pattern: Expression;
}

/** MATCHES (case-sensitive) or IMATCHES (case-insensitive) against a regular expression. */
export interface Matches extends Span {
  readonly kind: 'matches';
  readonly operator: 'MATCHES' | 'IMATCHES';
  readonly negated: boolean;
  readonly operand: Expression;
  readonly pattern: Expression;
}

/** INCIDR('network/prefix', address): true when the address lies in the network. */
export interface InCidr extends Span {
  readonly kind: 'incidr';
  readonly network: Expression;
  readonly address: Expression;
}

/** A function or aggregate call; `name` is upper-cased. */
export interface FunctionCall extends Span {
  readonly kind: 'call';
  readonly name: string;
  readonly args: readonly Expression[];
}

/**
 * CASE WHEN condition THEN value … [ELSE value] END, or with `operand` the simple form
 * CASE operand WHEN value THEN value … END.
 */
export interface Case extends Span {
  readonly kind: 'case';
  readonly operand: Expression | null;
  readonly branches: readonly { readonly when: Expression; readonly then: Expression }[];
  readonly otherwise: Expression | null;
}

/** AQL's IF condition THEN value ELSE value, which has no END. */
export interface IfThenElse extends Span {
  readonly kind: 'if';
  readonly condition: Expression;
  readonly then: Expression;
  readonly otherwise: Expression;
}

export interface SelectItem extends Span {
  readonly expression: Expression;
  /** The name after AS, without quotes, or null. */
  readonly alias: string | null;
}

export interface OrderItem extends Span {
  readonly expression: Expression;
  readonly descending: boolean;
}

/**
 * The time range of a search. `last` is a duration ending at the query's now; `range` has its START
 * and STOP in epoch milliseconds, already parsed from date strings.
 */
export type TimeClause =
  | (Span & { readonly kind: 'last'; readonly amount: number; readonly unit: 'MINUTES' | 'HOURS' | 'DAYS' })
  | (Span & { readonly kind: 'range'; readonly startMs: number; readonly stopMs: number });

export interface Query extends Span {
  readonly kind: 'query';
  /** Null for SELECT *. */
  readonly select: readonly SelectItem[] | null;
  readonly from: 'events' | 'flows';
  readonly where: Expression | null;
  readonly groupBy: readonly Expression[];
  readonly having: Expression | null;
  readonly orderBy: readonly OrderItem[];
  readonly limit: number | null;
  readonly time: TimeClause | null;
}
