/**
 * Error classes that map onto the documented exit codes: a UsageError or InputError is the user's to
 * fix (exit 1) and carries a one-line message that names the fix; anything else is a bug (exit 2).
 */

export const EXIT_OK = 0;
export const EXIT_USAGE_OR_INPUT = 1;
export const EXIT_INTERNAL = 2;

/** A wrong flag, value or combination of options. */
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
}

/** An input file that cannot be read or used: missing, empty, binary, truncated or of unknown format. */
export class InputError extends Error {
  override readonly name: string = 'InputError';
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}

/** A skipped line under `--strict`, which turns any skipped line into a failure. */
export class StrictModeError extends InputError {
  override readonly name: string = 'StrictModeError';
}
