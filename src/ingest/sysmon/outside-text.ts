/**
 * The text between the `<Event>` elements of a sysmon-xml file, read line by line as the element scanner
 * passes over it. Whitespace and the XML around the events (the XML declaration and other processing
 * instructions, comments, and the tags of an `<Events>` root) are passed over silently. A line with a
 * syslog header is a syslog line of another program and is ignored: Sysmon for Linux shares its log
 * with them. Any other text is a skipped line.
 */
import { parseSyslogLine } from '../syslog/header.js';

export const OUTSIDE_EVENT = 'text outside an <Event> element';

/** A line of outside text that is not passed over silently: ignored, or skipped with a reason. */
export type OutsideLine =
  { line: number; otherSyslogLine: true } | { line: number; reject: string; excerpt: string };

/**
 * Maximum characters of one line of outside text kept in memory. Non-blank text past it is not read,
 * and the line is skipped.
 */
const MAX_LINE_CHARS = 1_048_576;

/** Markup passed over between events: how it starts (a sticky pattern), how it ends, and its name. */
const MARKUP: ReadonlyArray<{ start: RegExp; end: string; name: string }> = [
  { start: /<!--/y, end: '-->', name: 'XML comment' },
  { start: /<\?/y, end: '?>', name: 'XML declaration or processing instruction' },
  { start: /<\/?Events(?=[\s>/]|$)/y, end: '>', name: '<Events> tag' },
];

const NON_WHITESPACE = /\S/g;

/** Markup that started on an earlier line and has not ended yet. */
interface OpenMarkup {
  end: string;
  name: string;
  line: number;
  excerpt: string;
}

/** The outside text of one file, fed in order as the scanner passes over it. */
export class OutsideText {
  private line = 1;
  /** False while the current line's text began right after an element's `</Event>`. */
  private atLineStart = true;
  private text = '';
  /** True when non-blank text past MAX_LINE_CHARS was dropped from the current line. */
  private overflow = false;
  private markup: OpenMarkup | null = null;

  /** Starts the outside text that follows an element, at `line`, the line on which the element ends. */
  resume(line: number): void {
    this.line = line;
    this.atLineStart = false;
    this.text = '';
    this.overflow = false;
  }

  /** Adds outside text and returns the lines it completes that are ignored or skipped. */
  add(text: string): OutsideLine[] {
    const results: OutsideLine[] = [];
    let from = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', from)) {
      this.append(text.slice(from, newline));
      this.finishLine(false, results);
      this.line += 1;
      this.atLineStart = true;
      from = newline + 1;
    }
    this.append(text.slice(from));
    return results;
  }

  /**
   * Ends the outside text where an `<Event` start tag begins, and returns what it completes. The text
   * before the tag on its line may be a syslog header, which Sysmon for Linux writes before each event.
   */
  endBeforeEvent(): OutsideLine[] {
    const results: OutsideLine[] = [];
    this.finishLine(true, results);
    this.closeMarkup(results);
    return results;
  }

  /** Ends the outside text at the end of the file, and returns what it completes. */
  end(): OutsideLine[] {
    const results: OutsideLine[] = [];
    this.finishLine(false, results);
    this.closeMarkup(results);
    return results;
  }

  private append(text: string): void {
    const room = MAX_LINE_CHARS - this.text.length;
    if (text.length <= room) {
      this.text += text;
      return;
    }
    this.text += text.slice(0, room);
    NON_WHITESPACE.lastIndex = room;
    if (NON_WHITESPACE.test(text)) this.overflow = true;
  }

  /** Classifies the current line's text, which ends at a newline or, with `beforeEvent`, at an `<Event`. */
  private finishLine(beforeEvent: boolean, results: OutsideLine[]): void {
    const text = this.text.endsWith('\r') ? this.text.slice(0, -1) : this.text;
    const { line, overflow, atLineStart } = this;
    this.text = '';
    this.overflow = false;
    this.atLineStart = false;
    if (text === '') return;

    if (atLineStart && this.markup === null && isSyslogLine(text)) {
      // A header before an event is part of that event's line; a whole syslog line is another program's.
      if (!beforeEvent) results.push({ line, otherSyslogLine: true });
      return;
    }
    if (overflow) {
      // The end of open markup may be in the dropped text, so none is assumed to be open after this line.
      this.markup = null;
      results.push({ line, reject: OUTSIDE_EVENT, excerpt: text });
      return;
    }
    if (this.hasTextOutsideMarkup(text, line)) results.push({ line, reject: OUTSIDE_EVENT, excerpt: text });
  }

  /**
   * Returns true when `text` contains anything but whitespace and markup. Markup that does not end on this
   * line stays open for the next.
   */
  private hasTextOutsideMarkup(text: string, line: number): boolean {
    let index = 0;
    for (;;) {
      if (this.markup !== null) {
        const end = text.indexOf(this.markup.end, index);
        if (end === -1) return false;
        index = end + this.markup.end.length;
        this.markup = null;
      }
      NON_WHITESPACE.lastIndex = index;
      if (!NON_WHITESPACE.test(text)) return false;
      index = NON_WHITESPACE.lastIndex - 1;

      const markup = MARKUP.find((candidate) => {
        candidate.start.lastIndex = index;
        return candidate.start.test(text);
      });
      if (markup === undefined) return true;
      this.markup = { end: markup.end, name: markup.name, line, excerpt: text };
      index = markup.start.lastIndex;
    }
  }

  /** Skips markup left open where the outside text ends, at the line where the markup started. */
  private closeMarkup(results: OutsideLine[]): void {
    if (this.markup === null) return;
    const { name, line, excerpt } = this.markup;
    this.markup = null;
    results.push({ line, reject: `unterminated ${name}`, excerpt });
  }
}

/** Returns true when `text` starts with a syslog header (RFC 3164, RFC 5424, or RFC 3339 timestamps). */
function isSyslogLine(text: string): boolean {
  // The reference time only sets the year of an RFC 3164 timestamp, which does not matter here.
  return text.trim() !== '' && parseSyslogLine(text, Date.now()) !== null;
}
