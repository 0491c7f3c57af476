import { UsageError } from '../errors.js';
import type { Position } from './ast.js';

/**
 * The class of a query error. `syntax` is text the grammar does not accept, and `unsupported` is AQL
 * that QRadar runs but beaconhunt does not. `invalid` is a query that parses but names an unknown field
 * or function, or gives a function the wrong arguments.
 */
export type AqlErrorKind = 'syntax' | 'unsupported' | 'invalid';

/**
 * An error in an AQL query, at a line and column of its text. It is a UsageError, so the CLI reports it
 * as the user's to fix (exit code 1).
 */
export class AqlError extends UsageError {
  override readonly name: string = 'AqlError';
  readonly line: number;
  readonly column: number;

  constructor(
    readonly kind: AqlErrorKind,
    /** The message without the position, such as "expected FROM, found WHERE". */
    readonly detail: string,
    position: Position,
  ) {
    super(`line ${position.line}, column ${position.column}: ${detail}`);
    this.line = position.line;
    this.column = position.column;
  }
}
