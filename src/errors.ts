/**
 * Error classes that map onto the documented exit codes: a UsageError or InputError is the user's to
 * fix (exit 1) and carries a one-line message that names the fix; anything else is a bug (exit 2).
 */

export const EXIT_OK = 0;
export const EXIT_USAGE_OR_INPUT = 1;
export const EXIT_INTERNAL = 2;
/** 128 + the signal number, as shells report a process that a signal stopped. */
export const EXIT_SIGINT = 130;
export const EXIT_SIGTERM = 143;

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

/**
 * A run stopped by its abort signal, such as the CLI's on Ctrl-C. The message describes what became of
 * the dataset, because an import that had not finished was undone but a finished one is kept.
 */
export class InterruptedError extends Error {
  override readonly name: string = 'InterruptedError';
}

/** Returns the first line of an error's message, for one-line error output. */
export function firstLineOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
