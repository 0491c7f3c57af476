/**
 * Space-separated key=value pairs whose values may contain spaces, as in a CEF extension
 * ("src=10.0.0.1 msg=two words dst=192.0.2.1"). A value ends where whitespace, a key and an unescaped "="
 * follow. So an "=" that is not preceded by whitespace and a key stays in the value, and a value can
 * contain " word=" only when its "=" is escaped.
 *
 * Keys start with a letter, digit or "_" and go on with those and ".", ",", "[" or "]". CEF defines only
 * letters and digits, and the other characters let non-conforming keys such as "ad.name" through, as
 * Elastic's decode_cef processor does.
 */

/** Receives each pair in order, with its value as written: escapes are not yet resolved. */
export interface PairVisitor {
  pair(key: string, rawValue: string): void;
}

export type PairsStatus = 'ok' | 'text before the first key' | 'unterminated escape';

function isKeyStart(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) || // a-z
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x30 && code <= 0x39) || // 0-9
    code === 0x5f // _
  );
}

function isKeyCharacter(code: number): boolean {
  return isKeyStart(code) || code === 0x2e || code === 0x2c || code === 0x5b || code === 0x5d;
}

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** Returns the index of the next "=" at or after `from` that no backslash escapes, or -1. */
function nextEquals(text: string, from: number, escapes: boolean): number {
  let index = text.indexOf('=', from);
  while (escapes && index > 0 && text.charCodeAt(index - 1) === 0x5c) {
    // An odd run of backslashes escapes the "=", while an even run is escaped backslashes.
    let run = 1;
    while (index - run - 1 >= 0 && text.charCodeAt(index - run - 1) === 0x5c) run += 1;
    if (run % 2 === 0) break;
    index = text.indexOf('=', index + 1);
  }
  return index;
}

/** Returns the end of `text` between `start` and `end` without trailing spaces and tabs. */
function trimEnd(text: string, start: number, end: number): number {
  let index = end;
  while (index > start && isBlank(text.charCodeAt(index - 1))) index -= 1;
  return index;
}

/**
 * Scans the pairs of `text` from `start` and passes each to `visitor`. Trailing spaces and tabs end no
 * value, leading ones are kept. With `escapes`, a backslash escapes the next character, so "\=" is no
 * pair boundary, and an odd run of backslashes at the very end is reported as an unterminated escape.
 * Text before the first key, such as "junk a=1", is reported and nothing is visited.
 */
export function scanPairs(text: string, start: number, visitor: PairVisitor, escapes: boolean): PairsStatus {
  let keyStart = start;
  while (keyStart < text.length && isBlank(text.charCodeAt(keyStart))) keyStart += 1;
  if (keyStart >= text.length) return 'ok';
  if (escapes && endsInEscape(text)) return 'unterminated escape';

  let equals = nextEquals(text, keyStart, escapes);
  if (equals <= keyStart || !isWholeKey(text, keyStart, equals)) return 'text before the first key';

  let key = text.slice(keyStart, equals);
  let valueStart = equals + 1;
  for (;;) {
    equals = nextEquals(text, equals + 1, escapes);
    if (equals < 0) break;
    // Walk back over key characters. A key that follows whitespace inside the value starts a new pair.
    let candidate = equals;
    while (candidate > valueStart && isKeyCharacter(text.charCodeAt(candidate - 1))) candidate -= 1;
    if (
      candidate < equals &&
      candidate > valueStart &&
      isBlank(text.charCodeAt(candidate - 1)) &&
      isKeyStart(text.charCodeAt(candidate))
    ) {
      visitor.pair(key, text.slice(valueStart, trimEnd(text, valueStart, candidate - 1)));
      key = text.slice(candidate, equals);
      valueStart = equals + 1;
    }
  }
  visitor.pair(key, text.slice(valueStart, trimEnd(text, valueStart, text.length)));
  return 'ok';
}

function isWholeKey(text: string, start: number, end: number): boolean {
  if (!isKeyStart(text.charCodeAt(start))) return false;
  for (let index = start + 1; index < end; index += 1) {
    if (!isKeyCharacter(text.charCodeAt(index))) return false;
  }
  return true;
}

/** Returns true when `text` ends in an odd run of backslashes, an escape with nothing to escape. */
function endsInEscape(text: string): boolean {
  let run = 0;
  while (run < text.length && text.charCodeAt(text.length - 1 - run) === 0x5c) run += 1;
  return run % 2 === 1;
}
