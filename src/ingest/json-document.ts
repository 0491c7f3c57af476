/**
 * Checks for the formats that read a whole file as one JSON document with DuckDB's JSON readers. A file of
 * another kind, named with --format or cut short, makes DuckDB fail with its own wording ("Malformed JSON in
 * file ..., at byte 1 in record/value 2"), so these checks give an error that names the file and the fix.
 */
import type { FileSample } from './sniff.js';
import { quotedFirstLine, WrongFormatError, wrongFormatError } from './wrong-format.js';

/**
 * Throws a WrongFormatError unless the content starts, after a byte order mark and whitespace, with one of
 * the characters in `openers` ("{", "[" or both). `expected` describes the input the format reads, for the
 * message.
 */
export function requireJsonStart(
  sample: FileSample,
  formatId: string,
  openers: string,
  expected: string,
): void {
  const text = sample.text.replace(/^\uFEFF/, '').trimStart();
  if (text !== '' && openers.includes(text.charAt(0))) return;
  throw wrongFormatError(sample, formatId, `not JSON (first line ${quotedFirstLine(sample)})`, expected);
}

/** Returns true for an error of DuckDB's JSON readers about the JSON text itself. */
function isJsonContentError(error: unknown): boolean {
  return error instanceof Error && /Malformed JSON|JSON transform error/.test(error.message);
}

/**
 * Runs `read`, which parses the file with a DuckDB JSON reader, and turns DuckDB's error about invalid JSON
 * or JSON of another shape into a WrongFormatError that names the file. Other errors pass unchanged.
 */
export async function readJsonDocument<T>(
  sample: FileSample,
  formatId: string,
  expected: string,
  read: () => Promise<T>,
): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!isJsonContentError(error)) throw error;
    throw new WrongFormatError(
      `${sample.path}: invalid JSON, or JSON of another shape (first line ${quotedFirstLine(sample)}); ` +
        `${formatId} reads ${expected}; check that the file is complete and of this format`,
      sample.path,
    );
  }
}
