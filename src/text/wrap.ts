/** Wraps lines of terminal text to a width, for `explain` and the list of suppressed findings. */

/**
 * Wraps a line at spaces to `width` characters. Continuation lines start under the value of a
 * "label   value" line (a label of up to three words), or two spaces past the line's own indent
 * otherwise. A word longer than the width is cut into pieces.
 */
export function wrapLine(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  // A number keeps its unit: the space between them is held as a placeholder of the same length.
  const joined = line.replace(NUMBER_AND_UNIT, `$1${UNIT_SPACE}$2`);
  return wrapWords(joined, width).map((wrapped) => wrapped.replaceAll(UNIT_SPACE, ' '));
}

/** A number, a space and a unit of time, size or share, as explain and the reasons write them. */
const NUMBER_AND_UNIT = /(\d) (µs|ms|s|min|h|d|days|B|KiB|MiB|GiB|%)(?=$|[\s;,.)])/g;
/** Stands for a space that must not break a line; a control character never left in wrapped text. */
const UNIT_SPACE = '\u0000';

function wrapWords(line: string, width: number): string[] {
  const labelled = /^\s*\S+(?: \S+){0,2} {2,}/.exec(line)?.[0].length;
  const leading = /^\s*/.exec(line)?.[0].length ?? 0;
  const valueColumn = labelled !== undefined && labelled < width / 2 ? labelled : leading;
  const indent = ' '.repeat(labelled !== undefined && labelled < width / 2 ? labelled : leading + 2);
  const words = line.slice(valueColumn).split(' ');
  const wrapped: string[] = [];
  let current = line.slice(0, valueColumn);
  for (const word of words.flatMap((word) => splitLongWord(word, width - indent.length))) {
    const candidate = current.endsWith(' ') || current === '' ? `${current}${word}` : `${current} ${word}`;
    if (candidate.length > width && current.trim() !== '') {
      wrapped.push(current.trimEnd());
      current = `${indent}${word}`;
    } else {
      current = candidate;
    }
  }
  wrapped.push(current.trimEnd());
  return wrapped;
}

/** Splits a word longer than `width` into pieces of `width` characters, so that no line overflows. */
function splitLongWord(word: string, width: number): string[] {
  if (word.length <= width || width < 1) return [word];
  const pieces: string[] = [];
  for (let start = 0; start < word.length; start += width) pieces.push(word.slice(start, start + width));
  return pieces;
}
