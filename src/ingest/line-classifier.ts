/**
 * The outcome of each line of a file read line by line in TypeScript, on the main thread and in the worker
 * threads (line-worker.ts). Blank lines are passed over. A line with bytes that are not valid UTF-8 is
 * rejected before it reaches the parser. The parser makes every other line an event, a reject or an
 * ignored line.
 */
import type { ConnectionEvent } from '../model/event.js';
import type { LineParser } from './line-parsers.js';

/** U+FFFD, which the UTF-8 decoder puts in place of bytes that are not valid UTF-8. */
const REPLACEMENT_CHARACTER = '\uFFFD';

/** Characters of a rejected line kept; the rejects table keeps fewer (excerptSql). */
export const KEPT_EXCERPT_CHARS = 1_000;

export interface RejectedLine {
  line: number;
  reason: string;
  excerpt: string;
}

export class LineClassifier {
  /** Lines the parser passed over as valid but of no use (other event types, comments). */
  ignored = 0;
  /** Rejected lines not yet taken by `takeRejects`. */
  private rejects: RejectedLine[] = [];

  constructor(
    private readonly parse: LineParser,
    private readonly onEvent: (event: ConnectionEvent) => void,
  ) {}

  take(line: string, lineNumber: number): void {
    if (line.length === 0 || line.trim() === '') return;
    if (line.includes(REPLACEMENT_CHARACTER)) {
      this.reject(lineNumber, 'invalid UTF-8', line);
      return;
    }
    const parsed = this.parse(line, lineNumber);
    if (parsed === null) this.ignored += 1;
    else if ('reject' in parsed) this.reject(lineNumber, parsed.reject, line);
    else this.onEvent(parsed);
  }

  get pendingRejects(): number {
    return this.rejects.length;
  }

  /** Returns the rejected lines collected since the last call. */
  takeRejects(): RejectedLine[] {
    const collected = this.rejects;
    this.rejects = [];
    return collected;
  }

  private reject(line: number, reason: string, text: string): void {
    this.rejects.push({ line, reason, excerpt: text.slice(0, KEPT_EXCERPT_CHARS) });
  }
}
