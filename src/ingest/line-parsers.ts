/**
 * The line parsers of the formats read line by line in TypeScript, by format id. A parser is rebuilt from
 * a LineParserSpec, which is plain data, so that worker threads can build the same parser as the main
 * thread (line-worker.ts).
 */
import { CEF_FORMAT_ID, cefLineParser } from './cef/fields.js';
import { filterlogLineParser } from './firewall/pfsense.js';
import { iptablesLineParser } from './firewall/iptables.js';
import { LEEF_FORMAT_ID, leefLineParser } from './leef/fields.js';
import { parseCommonLine, parseNativeLine } from './squid/access.js';
import type { ParsedLine } from './text-stream.js';

export type LineParser = (line: string, lineNumber: number) => ParsedLine;

export interface LineParserSpec {
  formatId: LineFormatId;
  /** The file as the user named it, recorded as each event's sourcefile. */
  sourcefile: string;
  /** Epoch milliseconds that give year-less syslog times their year: the file's modification time. */
  referenceMs: number;
}

const FACTORIES = {
  [CEF_FORMAT_ID]: (spec: LineParserSpec) => cefLineParser(spec.sourcefile, spec.referenceMs),
  [LEEF_FORMAT_ID]: (spec: LineParserSpec) => leefLineParser(spec.sourcefile, spec.referenceMs),
  iptables: (spec: LineParserSpec) => iptablesLineParser(spec.sourcefile, spec.referenceMs),
  'pfsense-filterlog': (spec: LineParserSpec) => filterlogLineParser(spec.sourcefile, spec.referenceMs),
  squid: (spec: LineParserSpec) => (line: string, lineNumber: number) =>
    parseNativeLine(line, spec.sourcefile, lineNumber),
  'squid-common': (spec: LineParserSpec) => (line: string, lineNumber: number) =>
    parseCommonLine(line, spec.sourcefile, lineNumber),
} satisfies Record<string, (spec: LineParserSpec) => LineParser>;

export type LineFormatId = keyof typeof FACTORIES;

export function makeLineParser(spec: LineParserSpec): LineParser {
  return FACTORIES[spec.formatId](spec);
}
