/**
 * IBM's Log Event Extended Format syntax:
 *
 *   LEEF:1.0|Vendor|Product|Version|EventID|key=value<tab>key=value...
 *   LEEF:2.0|Vendor|Product|Version|EventID|DelimiterCharacter|key=value<delimiter>key=value...
 *
 * LEEF 1.0 separates attributes with a tab. LEEF 2.0's delimiter field is a single character, or its code
 * as 1 to 4 hex digits after "x" or "0x" (x09, 0x5E). The standard defines no escapes: a value runs to the
 * next delimiter, and the first "=" of an attribute ends its key.
 *
 * Senders depart from this in two ways that are read too. Some write LEEF 2.0 without the delimiter field,
 * so a field holding "=" is taken as the first attribute, with tab as the delimiter. Some separate LEEF 1.0
 * attributes with spaces: attributes delimited by tab that contain no tab but a space are split as CEF
 * extensions are (see scanPairs), without escapes.
 */
import { scanPairs, type PairVisitor } from '../keyvalue/pairs.js';

export const LEEF_MARKER = 'LEEF:';

export interface LeefHeader {
  version: '1.0' | '2.0';
  vendor: string;
  product: string;
  productVersion: string;
  eventId: string;
  /** The attribute delimiter: tab, or LEEF 2.0's DelimiterCharacter. */
  delimiter: string;
  /** Index in the line of the first attribute, or the line's length when there are none. */
  attributesStart: number;
}

export const LEEF_HEADER_REJECT = {
  incomplete: 'incomplete LEEF header',
  version: 'unsupported LEEF version (not 1.0 or 2.0)',
  delimiter: 'invalid LEEF 2.0 delimiter',
} as const;

/** Version texts as senders write them, to the version they are. */
const LEEF_VERSIONS = new Map<string, '1.0' | '2.0'>([
  ['1.0', '1.0'],
  ['1', '1.0'],
  ['2.0', '2.0'],
  ['2', '2.0'],
]);

const HEX_DELIMITER_REGEX = /^0?[xX]([0-9A-Fa-f]{1,4})$/;

/**
 * Returns LEEF 2.0's delimiter for the text of its DelimiterCharacter field: tab when it is empty, the
 * character itself, or the character of a hex code. Returns null for anything else, and for "=", which
 * separates keys from values.
 */
export function leefDelimiter(field: string): string | null {
  if (field === '') return '\t';
  if (field.length === 1) return field === '=' ? null : field;
  const hex = HEX_DELIMITER_REGEX.exec(field);
  const delimiter = hex === null ? field : String.fromCharCode(parseInt(hex[1] as string, 16));
  return delimiter.length === 1 && delimiter !== '=' ? delimiter : null;
}

/** Parses the LEEF header that starts at `start` (the "L" of "LEEF:") in `line`. */
export function parseLeefHeader(line: string, start: number): LeefHeader | { reject: string } {
  const versionStart = start + LEEF_MARKER.length;
  const versionEnd = line.indexOf('|', versionStart);
  if (versionEnd < 0) return { reject: LEEF_HEADER_REJECT.incomplete };
  const versionText = line.slice(versionStart, versionEnd);
  const version = LEEF_VERSIONS.get(versionText);
  if (version === undefined) return { reject: LEEF_HEADER_REJECT.version };

  // Vendor, Product and Version end with "|", but EventID may end the line.
  const fields: string[] = [];
  let position = versionEnd + 1;
  for (let field = 0; field < 4; field += 1) {
    const end = line.indexOf('|', position);
    if (end < 0) {
      if (field < 3) return { reject: LEEF_HEADER_REJECT.incomplete };
      fields.push(line.slice(position));
      position = line.length;
      break;
    }
    fields.push(line.slice(position, end));
    position = end + 1;
  }
  const [vendor, product, productVersion, eventId] = fields as [string, string, string, string];
  const header = {
    version,
    vendor,
    product,
    productVersion,
    eventId,
    delimiter: '\t',
    attributesStart: position,
  };
  if (version === '1.0' || position >= line.length) return header;
  return readDelimiterField(line, position, header);
}

/** Reads LEEF 2.0's DelimiterCharacter field at `position`, or finds that the attributes start there. */
function readDelimiterField(
  line: string,
  position: number,
  header: LeefHeader,
): LeefHeader | { reject: string } {
  // A "|" delimiter written as itself: "|||" after EventID's "|", so the field is the "|" between two "|".
  if (line.charCodeAt(position) === 0x7c && line.charCodeAt(position + 1) === 0x7c) {
    return { ...header, delimiter: '|', attributesStart: position + 2 };
  }
  const end = line.indexOf('|', position);
  const field = end < 0 ? line.slice(position) : line.slice(position, end);
  const delimiter = leefDelimiter(field);
  if (delimiter !== null) {
    return { ...header, delimiter, attributesStart: end < 0 ? line.length : end + 1 };
  }
  // A field with "=" is the first attribute of a sender that left the delimiter field out. But "=" alone
  // is a delimiter that cannot work.
  if (field !== '=' && field.includes('=')) return header;
  return { reject: LEEF_HEADER_REJECT.delimiter };
}

/**
 * Passes each attribute from `start` to `visitor`, with its key trimmed. Parts without "=" and empty
 * parts (a doubled or trailing delimiter) are skipped.
 */
export function scanLeefAttributes(
  line: string,
  start: number,
  delimiter: string,
  visitor: PairVisitor,
): void {
  if (delimiter === '\t' && line.indexOf('\t', start) < 0 && line.indexOf(' ', start) >= 0) {
    // Attributes separated by spaces instead of tabs. Text before the first key is passed over.
    scanPairs(line, start, visitor, false);
    return;
  }
  let position = start;
  // The next "=" is looked up again only once the scan has passed it, so parts without one cost no rescan.
  let equals = line.indexOf('=', position);
  while (position < line.length && equals >= 0) {
    let end = line.indexOf(delimiter, position);
    if (end < 0) end = line.length;
    if (equals < end) visitor.pair(trimmedKey(line, position, equals), line.slice(equals + 1, end));
    position = end + 1;
    if (equals < position) equals = line.indexOf('=', position);
  }
}

/** Returns the key between `start` and `end` without surrounding whitespace, slicing only once. */
function trimmedKey(line: string, start: number, end: number): string {
  let from = start;
  let to = end;
  while (from < to && line.charCodeAt(from) <= 0x20) from += 1;
  while (to > from && line.charCodeAt(to - 1) <= 0x20) to -= 1;
  return line.slice(from, to);
}

/** Parses attributes into a map, as scanLeefAttributes reads them. A repeated key keeps its last value. */
export function parseLeefAttributes(text: string, delimiter: string): Map<string, string> {
  const attributes = new Map<string, string>();
  scanLeefAttributes(text, 0, delimiter, { pair: (key, value) => attributes.set(key, value) });
  return attributes;
}
