/**
 * ArcSight Common Event Format syntax, as Micro Focus's CEF specification (version 25) gives it and
 * Elastic's decode_cef processor reads it: "CEF:Version|Device Vendor|Device Product|Device Version|
 * Device Event Class ID|Name|Severity|Extension". In the seven header fields a backslash escapes "|" and "\". The extension is space-separated
 * key=value pairs (see scanPairs), whose values escape "=", "\", newline (\n) and carriage return (\r).
 */
import { scanPairs, type PairVisitor } from '../keyvalue/pairs.js';

export const CEF_MARKER = 'CEF:';

/** The header fields of one event, unescaped, and where its extension starts in the line. */
export interface CefHeader {
  version: string;
  deviceVendor: string;
  deviceProduct: string;
  deviceVersion: string;
  deviceEventClassId: string;
  name: string;
  severity: string;
  /** Index in the line of the extension's first character, or the line's length when it has none. */
  extensionStart: number;
}

/** Header fields after the version, up to and including Severity. */
const HEADER_FIELDS = 6;

/** Returns the index of the next "|" at or after `from` that no backslash escapes, or -1. */
function nextPipe(line: string, from: number): number {
  let index = line.indexOf('|', from);
  while (index > 0 && line.charCodeAt(index - 1) === 0x5c) {
    let run = 1;
    while (index - run - 1 >= from && line.charCodeAt(index - run - 1) === 0x5c) run += 1;
    if (run % 2 === 0) break;
    index = line.indexOf('|', index + 1);
  }
  return index;
}

/** Resolves the header escapes \| and \\. A backslash before any other character is kept as written. */
export function unescapeCefHeaderField(text: string): string {
  if (!text.includes('\\')) return text;
  let result = '';
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index] as string;
    const next = text[index + 1];
    if (character === '\\' && (next === '|' || next === '\\')) {
      result += next;
      index += 1;
    } else {
      result += character;
    }
  }
  return result;
}

/**
 * Parses the CEF header that starts at `start` (the "C" of "CEF:") in `line`. Returns the reason when the
 * version is not a number or a field is missing. An event that ends right after Severity, without the
 * "|" before the extension, has an empty extension.
 */
export function parseCefHeader(line: string, start: number): CefHeader | { reject: string } {
  const versionStart = start + CEF_MARKER.length;
  const versionEnd = line.indexOf('|', versionStart);
  if (versionEnd < 0) return { reject: 'incomplete CEF header' };
  const version = line.slice(versionStart, versionEnd);
  if (!/^\d{1,3}$/.test(version)) return { reject: 'invalid CEF version' };

  const fields: string[] = [];
  let fieldStart = versionEnd + 1;
  let extensionStart = line.length;
  for (let field = 0; field < HEADER_FIELDS; field += 1) {
    const end = nextPipe(line, fieldStart);
    if (end < 0) {
      // Only Severity may end the line, and only when it is not empty.
      if (field < HEADER_FIELDS - 1 || fieldStart >= line.length) return { reject: 'incomplete CEF header' };
      fields.push(line.slice(fieldStart));
      break;
    }
    fields.push(line.slice(fieldStart, end));
    fieldStart = end + 1;
    if (field === HEADER_FIELDS - 1) extensionStart = fieldStart;
  }
  const [deviceVendor, deviceProduct, deviceVersion, deviceEventClassId, name, severity] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return {
    version,
    deviceVendor: unescapeCefHeaderField(deviceVendor),
    deviceProduct: unescapeCefHeaderField(deviceProduct),
    deviceVersion: unescapeCefHeaderField(deviceVersion),
    deviceEventClassId: unescapeCefHeaderField(deviceEventClassId),
    name: unescapeCefHeaderField(name),
    severity: unescapeCefHeaderField(severity),
    extensionStart,
  };
}

/**
 * Resolves the extension escapes: \\, \=, \n and \r, and \| too, which the standard does not need but
 * some senders write. A backslash before any other character is kept as written, as Windows paths often
 * arrive unescaped.
 */
export function unescapeCefValue(text: string): string {
  if (!text.includes('\\')) return text;
  let result = '';
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index] as string;
    if (character !== '\\' || index + 1 >= text.length) {
      result += character;
      continue;
    }
    const next = text[index + 1] as string;
    if (next === '\\' || next === '=' || next === '|') {
      result += next;
    } else if (next === 'n') {
      result += '\n';
    } else if (next === 'r') {
      result += '\r';
    } else {
      result += character + next;
    }
    index += 1;
  }
  return result;
}

/** Escapes an extension value so that unescapeCefValue and the pair scanner return it unchanged. */
export function escapeCefValue(text: string): string {
  return text.replace(/[\\=\n\r]/g, (character) => {
    if (character === '\n') return '\\n';
    if (character === '\r') return '\\r';
    return `\\${character}`;
  });
}

/** Reject reasons of the extension's syntax, by scanPairs status. */
const EXTENSION_REJECTS = {
  'text before the first key': 'invalid CEF extension: text before the first key',
  'unterminated escape': 'unterminated escape in CEF extension',
} as const;

/**
 * Scans the extension from `start` and passes each key with its raw (still escaped) value to `visitor`.
 * Returns null, or the reject reason for text before the first key or a trailing lone backslash.
 */
export function scanCefExtension(line: string, start: number, visitor: PairVisitor): string | null {
  const status = scanPairs(line, start, visitor, true);
  return status === 'ok' ? null : EXTENSION_REJECTS[status];
}

/** Parses an extension into a map of unescaped values, where a repeated key keeps its last value. */
export function parseCefExtension(text: string): Map<string, string> | { reject: string } {
  const pairs = new Map<string, string>();
  const reject = scanCefExtension(text, 0, {
    pair: (key, rawValue) => pairs.set(key, unescapeCefValue(rawValue)),
  });
  return reject === null ? pairs : { reject };
}
