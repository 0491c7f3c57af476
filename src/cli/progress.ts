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
  stop: () => void;
}

export function createProgress(enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return { update: () => {}, stage: () => {}, stop: () => {} };
  const started = Date.now();
  let bar: SingleBar | null = null;
  return {
    update(progress) {
      if (bar === null && Date.now() - started < SHOW_AFTER_MS) return;
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
        bar.start(total, value, { file, stage: 'reading' });
      } else {
        bar.update(value, { file, stage: 'reading' });
      }
    },
    stage(name) {
      bar?.update({ stage: name });
    },
    stop() {
      bar?.stop();
    },
  };
}
