/** A progress bar over input files, drawn on stderr only when stderr is a terminal. */
import { SingleBar } from 'cli-progress';

import type { FileOutcome } from '../ingest/report.js';

/** Inputs with fewer files finish too quickly for a bar to help. */
const MIN_FILES_FOR_BAR = 5;

export interface Progress {
  update: (done: number, total: number, outcome: FileOutcome) => void;
  stop: () => void;
}

export function createProgress(enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  let bar: SingleBar | null = null;
  return {
    update(done, total) {
      if (total < MIN_FILES_FOR_BAR) return;
      if (bar === null) {
        bar = new SingleBar({
          stream: process.stderr,
          format: 'reading {bar} {value}/{total} files | {eta_formatted} left',
          hideCursor: true,
          clearOnComplete: true,
        });
        bar.start(total, 0);
      }
      bar.update(done);
    },
    stop() {
      bar?.stop();
    },
  };
}
