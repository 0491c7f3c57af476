/**
 * The error for a file that is not of the format it is read as. Detection never picks a format for such a
 * file, so it comes from --format naming the wrong format, or from a file of the right kind that is damaged
 * from its start.
 */
import { InputError } from '../errors.js';
import type { FileSample } from './sniff.js';

/**
 * A file whose content is not of the format it is read as: a file of another kind, or one damaged from its
 * start. Met inside a folder without --strict, it is listed as ignored, as a file of unknown format is.
 */
export class WrongFormatError extends InputError {
  override readonly name: string = 'WrongFormatError';
}

/** Characters of the first line quoted in an error message. */
const QUOTED_LINE_CHARS = 60;

/**
 * Returns `text` as a JSON string for a message. Beyond JSON's escapes of C0 control characters, DEL and
 * the C1 control characters are escaped too, so that no control character reaches a terminal.
 */
export function quoteForMessage(text: string): string {
  return JSON.stringify(text).replace(
    /[\u007f-\u009f]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Returns the sample's first non-blank line, cut to QUOTED_LINE_CHARS, quoted for a message. */
export function quotedFirstLine(sample: FileSample): string {
  const first = sample.lines.find((line) => line.trim() !== '') ?? sample.text.trimStart();
  return quoteForMessage(first.trim().slice(0, QUOTED_LINE_CHARS));
}

/**
 * Returns a WrongFormatError that names the file, what is wrong with it (`problem`), what the format reads
 * (`expected`), and the fix. A packet capture is named as one in place of `problem`, because its first
 * "line" is binary.
 */
export function wrongFormatError(
  sample: FileSample,
  formatId: string,
  problem: string,
  expected: string,
): WrongFormatError {
  const found =
    sample.binaryFormat === undefined
      ? problem
      : `a ${sample.binaryFormat} packet capture, which the pcap format reads`;
  return new WrongFormatError(
    `${sample.path}: ${found}; ${formatId} reads ${expected}; ` +
      'check the --format value, or leave --format out to recognise the format from the content',
    sample.path,
  );
}
