/**
 * A progress bar for imports, drawn on stderr only when stderr is a terminal and only once an import
 * has run long enough for a bar to help. It counts files and the engine's progress within each file.
 */
import { SingleBar } from 'cli-progress';

import type { ImportProgress } from '../ingest/import.js';

/** Imports that finish sooner than this never show a bar. */
const SHOW_AFTER_MS = 1000;
/** Steps per file, so that progress within one large file moves the bar. */
const STEPS_PER_FILE = 100;

export interface Progress {
  update: (progress: ImportProgress) => void;
  /** Names a stage after reading, such as scoring, in place of the file count. */
  stage: (name: string) => void;
  /**
   * Removes the bar and shows the cursor and line wrapping again, which the bar turns off. Later updates
   * draw nothing; safe to call more than once.
   */
  stop: () => void;
}

export function createProgress(enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return { update: () => {}, stage: () => {}, stop: () => {} };
  const started = Date.now();
  let bar: SingleBar | null = null;
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    process.off('exit', stop);
    bar?.stop();
    bar = null;
  };
  return {
    update(progress) {
      if (stopped || (bar === null && Date.now() - started < SHOW_AFTER_MS)) return;
      const total = progress.filesTotal * STEPS_PER_FILE;
      const value = Math.round((progress.filesDone + progress.currentFraction) * STEPS_PER_FILE);
      const file = `${Math.min(progress.filesDone + 1, progress.filesTotal)}/${progress.filesTotal}`;
      if (bar === null) {
        bar = new SingleBar({
          stream: process.stderr,
          format: '{stage} {bar} {percentage}% | file {file} | {eta_formatted} left',
          hideCursor: true,
          clearOnComplete: true,
        });
        // The terminal is restored even when the process ends without reaching stop().
        process.on('exit', stop);
        bar.start(total, value, { file, stage: 'reading' });
      } else {
        bar.update(value, { file, stage: 'reading' });
      }
    },
    stage(name) {
      bar?.update({ stage: name });
    },
    stop,
  };
}
