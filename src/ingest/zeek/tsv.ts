/**
 * Zeek's ASCII log format: `#`-prefixed header lines (separator, unset and empty markers, path, fields),
 * then one record per line. Columns are found by name from `#fields`, so any field order and extra
 * columns (`_node_name`, Stratosphere's `label`) work.
 */
import { createFlowSideTables } from '../../store/schema.js';
import type { InputFormat, LoadContext, LoadResult } from '../format.js';
import { linesTableSql } from '../lines.js';
import type { FileSample } from '../sniff.js';
import { quotedFirstLine, wrongFormatError } from '../wrong-format.js';
import { kindOfLogName, loadStagedZeekFile, type ZeekLogKind } from './staged.js';

export interface ZeekTsvHeader {
  separator: string;
  /** Separator between the elements of a set or vector field, such as dns.log's answers. */
  setSeparator: string;
  unset: string;
  empty: string;
  path: string | null;
  fields: string[];
}

/** Parses the header lines at the top of a Zeek TSV log; returns null when there is no `#fields` line. */
export function parseZeekTsvHeader(lines: readonly string[]): ZeekTsvHeader | null {
  const header: ZeekTsvHeader = {
    separator: '\t',
    setSeparator: ',',
    unset: '-',
    empty: '(empty)',
    path: null,
    fields: [],
  };
  for (const line of lines) {
    if (!line.startsWith('#')) break;
    if (line.startsWith('#separator ')) {
      header.separator = decodeEscapes(line.slice('#separator '.length));
      continue;
    }
    const [key, ...values] = line.split(header.separator);
    const value = values.join(header.separator);
    if (key === '#set_separator') header.setSeparator = value;
    else if (key === '#unset_field') header.unset = value;
    else if (key === '#empty_field') header.empty = value;
    else if (key === '#path') header.path = value;
    else if (key === '#fields') header.fields = values;
  }
  return header.fields.length > 0 ? header : null;
}

/** Zeek writes the separator as an escape such as `\x09`. */
function decodeEscapes(text: string): string {
  return text.replace(/\\x([0-9a-fA-F]{2})/g, (_match, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
}

/** Returns the kind of log from its `#path`, or from the fields present when there is no `#path`. */
export function zeekLogKind(path: string | null, fields: readonly string[]): ZeekLogKind | null {
  if (path !== null) return kindOfLogName(path);
  if (fields.includes('conn_state')) return 'conn';
  if (fields.includes('server_name') && fields.includes('cipher')) return 'ssl';
  if (fields.includes('user_agent') && fields.includes('uri')) return 'http';
  if (fields.includes('query') && fields.includes('qtype')) return 'dns';
  return null;
}

function sqlLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

export const zeekTsvFormat: InputFormat = {
  id: 'zeek-tsv',
  description:
    'Zeek ASCII logs (conn and open_conn, with ssl and http joined by uid, and dns to name connections), any #fields order',
  recognisedBy: 'a first line "#separator" and a "#fields" header line; the log type comes from "#path"',
  example:
    '1713693597.163487\tClTRDb3l7ge6oiiYsg\t10.0.0.5\t53396\t203.0.113.7\t443\ttcp\tssl\t0.10\t517\t4120\tSF',
  providesDirection: false,

  detect(sample: FileSample): boolean {
    return sample.lines[0]?.startsWith('#separator') === true && parseZeekTsvHeader(sample.lines) !== null;
  },

  async load(context: LoadContext): Promise<LoadResult> {
    const { sample } = context;
    const header = parseZeekTsvHeader(sample.lines);
    // Only --format brings a file here without a #fields line, since detection requires one.
    if (header === null) {
      throw wrongFormatError(
        sample,
        'zeek-tsv',
        `no #fields header line at the start (first line ${quotedFirstLine(sample)})`,
        'Zeek ASCII logs, which start with #separator and #fields header lines',
      );
    }
    const kind = zeekLogKind(header.path, header.fields);
    if (kind === null) {
      return {
        status: 'ignored',
        events: 0,
        skipped: 0,
        message: `Zeek ${header.path ?? 'unknown'} log, not used`,
      };
    }
    await createFlowSideTables(context.store);

    const unset = sqlLiteral(header.unset);
    const empty = sqlLiteral(header.empty);
    const field = (name: string): string => {
      const index = header.fields.indexOf(name);
      if (index < 0) return 'NULL';
      return `nullif(nullif(f[${index + 1}], ${unset}), ${empty})`;
    };
    // Zeek writes no blank lines, so one inside the file is damage and is counted rather than dropped.
    // The reader gives no row for the newline at the end of the file.
    const stageSql = `SELECT line_no, line, string_split(line, ${sqlLiteral(header.separator)}) AS f
                        FROM ${linesTableSql(sample)}
                        WHERE line IS NULL OR NOT starts_with(line, '#')`;
    const setSeparator = sqlLiteral(header.setSeparator);
    return loadStagedZeekFile(context, {
      kind,
      formatId: 'zeek-tsv',
      stageSql,
      field,
      vectorSql: (raw) => `string_split(${raw}, ${setSeparator})`,
      fieldCountCheck: `len(f) <> ${header.fields.length}`,
      // trim() runs only on lines with the wrong field count: on every line it made loading a 1M-line conn.log
      // about three times slower.
      parseFailure: {
        condition: `line IS NULL OR (len(f) <> ${header.fields.length} AND trim(line) = '')`,
        reason: 'blank line',
      },
    });
  },
};

/**
 * Zeek's trace-summary reports (conn-summary.log) sit beside the logs in rotated folders. They hold
 * totals, not connections, so they are recognised only to be passed over without an "unknown format".
 */
export const zeekSummaryFormat: InputFormat = {
  id: 'zeek-conn-summary',
  description: 'Zeek conn-summary reports (totals only; recognised and not used)',
  recognisedBy: 'a first non-blank line starting ">== Total ==="',
  example: '>== Total === 2024-04-19-00-00-07 - 2024-04-19-00-59-41',
  providesDirection: false,

  detect(sample: FileSample): boolean {
    // The report can open with a blank line.
    const first = sample.lines.find((line) => line.trim() !== '');
    return first?.startsWith('>== Total ===') === true;
  },

  async load(context: LoadContext): Promise<LoadResult> {
    const { sample } = context;
    // Only --format brings a file here that is not a report, since detection requires its first line.
    if (!zeekSummaryFormat.detect(sample)) {
      throw wrongFormatError(
        sample,
        'zeek-conn-summary',
        `no ">== Total ===" line at the start (first line ${quotedFirstLine(sample)})`,
        'the conn-summary reports of Zeek\'s trace-summary, which start with a ">== Total ===" line',
      );
    }
    return { status: 'ignored', events: 0, skipped: 0, message: 'Zeek conn-summary log, not used' };
  },
};
