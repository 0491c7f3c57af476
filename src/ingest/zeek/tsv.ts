/**
 * Zeek's ASCII log format: `#`-prefixed header lines (separator, unset and empty markers, path, fields),
 * then one record per line. Columns are found by name from `#fields`, so any field order and extra
 * columns (`_node_name`, Stratosphere's `label`) work.
 */
import { createFlowSideTables, DNS_QUERIES_TABLE, EVENTS_TABLE, REJECTS_TABLE } from '../../store/schema.js';
import { countOf } from '../../text/plural.js';
import type { InputFormat, LoadContext, LoadResult } from '../format.js';
import type { FileSample } from '../sniff.js';
import { quotedFirstLine, wrongFormatError } from '../wrong-format.js';
import {
  kindOfLogName,
  loadStagedZeekRecords,
  type StagedZeekFile,
  zeekLoadResult,
  type ZeekLogKind,
} from './staged.js';
import {
  firstReadStageSql,
  groupLayouts,
  LATER_HEADER_CHECK,
  layoutsStageSql,
  otherLogChecks,
  readHeaderBlocks,
  sqlLiteral,
} from './tsv-layouts.js';

const FORMAT_ID = 'zeek-tsv';

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

export const zeekTsvFormat: InputFormat = {
  id: FORMAT_ID,
  description:
    'Zeek ASCII logs (conn and open_conn, with ssl and http joined by uid, and dns to name connections), any #fields order',
  recognisedBy: 'a first line "#separator" and a "#fields" header line; the log type comes from "#path"',
  example: [
    '#separator \\x09',
    '#path\tconn',
    '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state',
    '1713693597.163487\tClTRDb3l7ge6oiiYsg\t10.0.0.5\t53396\t203.0.113.7\t443\ttcp\tssl\t0.10\t517\t4120\tSF',
  ].join('\n'),
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
        FORMAT_ID,
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

    // The first header's #fields line as written, which later header blocks are compared with.
    const firstFieldsLine = `#fields${header.separator}${header.fields.join(header.separator)}`;
    const mark = context.report.markSkipped();
    const counts = await loadStagedZeekRecords(context, {
      ...firstHeaderReading(header),
      kind,
      formatId: FORMAT_ID,
      stageSql: firstReadStageSql(sample, header.separator, firstFieldsLine),
      leadingChecks: [LATER_HEADER_CHECK],
    });
    if (counts.ignored === 0) return zeekLoadResult(kind, counts);
    // Records under a later #fields line with another field order were passed over, so the file is read
    // again with the header above each record. The first read's rows and skipped lines are dropped first.
    context.report.restoreSkipped(mark);
    await forgetFirstRead(context, kind);
    return loadParts(context, header, kind);
  },
};

/** Returns the parts of a load that read records with one header: field access, field count, blank lines. */
function firstHeaderReading(
  header: ZeekTsvHeader,
): Pick<StagedZeekFile, 'field' | 'vectorSql' | 'fieldCountCheck' | 'parseFailure'> {
  const unset = sqlLiteral(header.unset);
  const empty = sqlLiteral(header.empty);
  const setSeparator = sqlLiteral(header.setSeparator);
  return {
    field: (name: string): string => {
      const index = header.fields.indexOf(name);
      if (index < 0) return 'NULL';
      return `nullif(nullif(f[${index + 1}], ${unset}), ${empty})`;
    },
    vectorSql: (raw) => `string_split(${raw}, ${setSeparator})`,
    fieldCountCheck: `len(f) <> ${header.fields.length}`,
    // trim() runs only on lines with the wrong field count: on every line it made loading a 1M-line conn.log
    // about three times slower.
    parseFailure: {
      condition: `line IS NULL OR (len(f) <> ${header.fields.length} AND trim(line) = '')`,
      reason: 'blank line',
    },
  };
}

/**
 * Deletes what the first read of a file stored in the table of `kind`, and its skipped lines.
 * NOTE: ssl and http rows carry no file name and stay, so the second read adds a copy of each. The joins
 * take one value per uid, so the copies do not change any event.
 */
async function forgetFirstRead(context: LoadContext, kind: ZeekLogKind): Promise<void> {
  const { store, sample } = context;
  if (kind === 'conn') await store.run(`DELETE FROM ${EVENTS_TABLE} WHERE sourcefile = ?`, [sample.path]);
  if (kind === 'dns') await store.run(`DELETE FROM ${DNS_QUERIES_TABLE} WHERE sourcefile = ?`, [sample.path]);
  await store.run(`DELETE FROM ${REJECTS_TABLE} WHERE sourcefile = ?`, [sample.path]);
}

/** Reads a file of several Zeek logs one after another, each record with the header block above it. */
async function loadParts(context: LoadContext, first: ZeekTsvHeader, kind: ZeekLogKind): Promise<LoadResult> {
  const blocks = await readHeaderBlocks(context.store, context.sample);
  const parts = blocks.flatMap((block) => {
    const header = parseZeekTsvHeader(block.lines);
    if (header === null) return [];
    return [{ fieldsLine: block.fieldsLine, header, kind: zeekLogKind(header.path, header.fields) }];
  });
  // The first header block was parsed from the sample, so parts is not empty. The fallback keeps
  // layoutsStageSql from ever getting an empty list.
  if (parts.length === 0) parts.push({ fieldsLine: 0, header: first, kind });
  const layouts = groupLayouts(parts);
  const stage = layoutsStageSql(context.sample, layouts);
  const counts = await loadStagedZeekRecords(context, {
    kind,
    formatId: FORMAT_ID,
    stageSql: stage.stageSql,
    field: stage.field,
    vectorSql: stage.vectorSql,
    fieldCountCheck: stage.fieldCountCheck,
    parseFailure: { condition: stage.blankLineCondition, reason: 'blank line' },
    leadingChecks: otherLogChecks(layouts, kind),
  });
  const result = zeekLoadResult(kind, counts);
  const notes = [`${countOf(parts.length, '#fields header')}, each applied to the records below it`];
  if (counts.ignored > 0)
    notes.push(`${countOf(counts.ignored, 'record')} of Zeek logs that are not used ignored`);
  if (result.message !== undefined) notes.unshift(result.message);
  return { ...result, message: notes.join('; ') };
}

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
