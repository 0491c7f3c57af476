/**
 * What an import did: per-file outcome, events loaded and every skipped line counted by reason, with a
 * few samples of each reason as file:line so a user can open the line.
 */
import { StrictModeError } from '../errors.js';

/** Samples kept per reason; the counts stay exact. */
export const SAMPLES_PER_REASON = 5;

export interface SkippedLine {
  file: string;
  line: number;
  reason: string;
  excerpt: string;
}

export type FileStatus = 'loaded' | 'ignored' | 'failed';

export interface FileOutcome {
  path: string;
  format: string;
  status: FileStatus;
  events: number;
  skipped: number;
  /** Reason an ignored or failed file was not loaded. */
  message?: string;
}

export interface IngestSummary {
  files: FileOutcome[];
  eventsRead: number;
  /** Events dropped because the same connection (same flow id, time and endpoints) was recorded before. */
  duplicatesDropped: number;
  linesSkipped: number;
  skippedByReason: Record<string, number>;
  samples: SkippedLine[];
}

/** The skipped lines a report had counted at one moment, taken by `markSkipped`. */
export interface SkippedMark {
  readonly counts: ReadonlyMap<string, number>;
  readonly sampleCounts: ReadonlyMap<string, number>;
}

export class IngestReport {
  readonly files: FileOutcome[] = [];
  duplicatesDropped = 0;
  private readonly reasonCounts = new Map<string, number>();
  private readonly samplesByReason = new Map<string, SkippedLine[]>();

  constructor(private readonly strict = false) {}

  /** Returns a mark of the skipped lines counted so far, for `restoreSkipped`. */
  markSkipped(): SkippedMark {
    const sampleCounts = new Map([...this.samplesByReason].map(([reason, kept]) => [reason, kept.length]));
    return { counts: new Map(this.reasonCounts), sampleCounts };
  }

  /** Forgets the skipped lines counted since `mark`, such as those of a file that was then passed over. */
  restoreSkipped(mark: SkippedMark): void {
    this.reasonCounts.clear();
    for (const [reason, count] of mark.counts) this.reasonCounts.set(reason, count);
    for (const [reason, kept] of [...this.samplesByReason]) {
      const keep = mark.sampleCounts.get(reason) ?? 0;
      if (keep === 0) this.samplesByReason.delete(reason);
      else kept.splice(keep);
    }
  }

  addFile(outcome: FileOutcome): void {
    this.files.push(outcome);
  }

  /**
   * Records `count` skipped lines of one reason with up to SAMPLES_PER_REASON examples. Under strict
   * mode the first skipped line fails the import.
   */
  addSkipped(reason: string, count: number, samples: readonly SkippedLine[]): void {
    if (count <= 0) return;
    const first = samples[0];
    if (this.strict) {
      const where = first ? `${first.file}:${first.line}` : 'unknown line';
      throw new StrictModeError(
        `${where}: ${reason} (--strict turns skipped lines into failures; drop --strict to skip and count them)`,
        first?.file,
      );
    }
    this.reasonCounts.set(reason, (this.reasonCounts.get(reason) ?? 0) + count);
    const kept = this.samplesByReason.get(reason) ?? [];
    for (const sample of samples) {
      if (kept.length >= SAMPLES_PER_REASON) break;
      kept.push(sample);
    }
    this.samplesByReason.set(reason, kept);
  }

  summary(): IngestSummary {
    const skippedByReason = Object.fromEntries(this.reasonCounts);
    return {
      files: this.files,
      eventsRead: this.files.reduce((sum, file) => sum + file.events, 0),
      duplicatesDropped: this.duplicatesDropped,
      linesSkipped: [...this.reasonCounts.values()].reduce((sum, count) => sum + count, 0),
      skippedByReason,
      samples: [...this.samplesByReason.values()].flat(),
    };
  }
}
