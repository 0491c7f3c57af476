/**
 * Ctrl-C (SIGINT) and SIGTERM during `scan` and `import`. The first signal aborts the run: the library
 * interrupts the running DuckDB statement, undoes an unfinished import and closes the dataset, and the
 * command then exits 130 or 143. A second signal exits at once, without waiting for the undo.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EXIT_SIGINT, EXIT_SIGTERM, InterruptedError } from '../errors.js';

const HANDLED_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
type HandledSignal = (typeof HANDLED_SIGNALS)[number];

export interface InterruptibleRun {
  /** Aborted on the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** The first signal received, or null. */
  readonly received: HandledSignal | null;
  /** Removes the signal handlers and this run's temporary folder; safe to call more than once. */
  end(): void;
}

export interface InterruptHooks {
  /** Runs on the first signal, before the run is aborted, such as to stop a progress bar. */
  onFirst: () => void;
  /** The line written when a second signal ends the process at once. */
  secondMessage: string;
}

/** Returns the exit code of a run stopped by `signal`: 128 plus the signal number, as a shell reports it. */
export function exitCodeFor(signal: HandledSignal): number {
  return signal === 'SIGINT' ? EXIT_SIGINT : EXIT_SIGTERM;
}

/**
 * Installs the signal handlers and gives the run a private temporary folder, which TMPDIR points to until
 * `end`. Every temporary file of the run is created inside it, including the staging files of worker
 * threads, because a worker copies the environment when it starts. Removing that one folder removes them
 * all, after a normal end and on a second signal.
 */
export function startInterruptibleRun(hooks: InterruptHooks): InterruptibleRun {
  const controller = new AbortController();
  const temporary = createRunFolder();
  let received: HandledSignal | null = null;

  const onSignal = (signal: HandledSignal): void => {
    if (received === null) {
      received = signal;
      hooks.onFirst();
      controller.abort();
      return;
    }
    hooks.onFirst();
    temporary.remove();
    process.stderr.write(`beaconhunt: ${hooks.secondMessage}\n`);
    process.exit(exitCodeFor(signal));
  };
  for (const signal of HANDLED_SIGNALS) process.on(signal, onSignal);

  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    end() {
      for (const signal of HANDLED_SIGNALS) process.off(signal, onSignal);
      temporary.remove();
    },
  };
}

interface RunFolder {
  remove(): void;
}

/**
 * Creates the run's temporary folder and points TMPDIR at it. When the folder cannot be created, TMPDIR
 * is left alone and the code that needs a temporary file reports the failure itself.
 */
function createRunFolder(): RunFolder {
  const previous = process.env.TMPDIR;
  let folder: string | null;
  try {
    folder = mkdtempSync(join(tmpdir(), 'beaconhunt-run-'));
  } catch {
    return { remove: () => {} };
  }
  process.env.TMPDIR = folder;
  return {
    remove() {
      if (folder === null) return;
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      rmSync(folder, { recursive: true, force: true });
      folder = null;
    },
  };
}

/**
 * Starts a command that stops on SIGINT or SIGTERM. `onFirst` runs on the first signal, such as to stop
 * a progress bar. `db` names the dataset the run writes to: a second signal exits before the import is
 * undone, and its message names the dataset.
 */
export function startRun(onFirst: () => void, db: string | undefined): InterruptibleRun {
  return startInterruptibleRun({
    onFirst,
    secondMessage:
      db === undefined
        ? 'interrupted again; stopped at once'
        : `interrupted again; stopped before undoing this run, so ${db} may keep some of its files`,
  });
}

/** A run that a signal stopped; the exit code is the signal's (130 or 143). */
export class StoppedBySignalError extends InterruptedError {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Turns the error of a run that a signal stopped into StoppedBySignalError; other errors pass through. */
export function stoppedBySignal(run: InterruptibleRun, error: unknown): unknown {
  if (run.received === null) return error;
  const message = error instanceof InterruptedError ? error.message : 'interrupted';
  return new StoppedBySignalError(message, exitCodeFor(run.received));
}
