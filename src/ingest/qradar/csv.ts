/**
 * CSV exported from QRadar: AQL results with Ariel column names (`starttime`, `sourceip`, ...) or the Log
 * Activity console's "Export to CSV" with display names ("Start Time", "Source IP", ...). Columns are found by
 * name from the header on line 1, in any order. DuckDB's CSV reader yields every physical line with its
 * number and the fields are split in SQL, so a skipped record points at its real line.
 *
 * NOTE: a quoted value that spans several lines is not supported: its first line is rejected for unbalanced
 * quotes and the lines after it by field count. Splitting physical lines is what keeps line numbers exact,
 * because DuckDB's read_csv numbers records, not lines, and drops blank lines.
 */
import { sqlString } from '../../store/duckdb.js';
import type { InputFormat, LoadContext, LoadResult } from '../format.js';
import { linesTableSql } from '../lines.js';
import type { FileSample } from '../sniff.js';
import {
  assertEventExport,
  isRuleResultExport,
  locateQRadarFields,
  normaliseFieldName,
  projectQRadarFieldsSql,
  qradarEventColumns,
  qradarRecordChecks,
  type QRadarField,
} from './fields.js';
import { csvFieldsSql, splitCsvFields } from '../csv-sql.js';
import { loadStagedEvents } from '../staged.js';
import { quotedFirstLine, wrongFormatError } from '../wrong-format.js';

const FORMAT_ID = 'qradar-csv';

/** The start time and address fields. A header that names none of them is not a QRadar event export. */
const CORE_FIELDS: readonly QRadarField[] = [
  'starttime',
  'devicetime',
  'sourceip',
  'sourcev6',
  'destinationip',
  'destinationv6',
];

/** Returns the header cells of a sample without a byte order mark, or null when line 1 is not CSV. */
function headerCells(sample: FileSample): string[] | null {
  const first = sample.lines[0]?.replace(/^\uFEFF/, '');
  if (first === undefined) return null;
  return splitCsvFields(first);
}

export const qradarCsvFormat: InputFormat = {
  id: FORMAT_ID,
  description: 'QRadar CSV export, with AQL column names or console display names ("Source IP")',
  recognisedBy: 'a CSV header naming a start time, a source IP and a destination IP column',
  example:
    'sourceip,destinationip,destinationport,userName,starttime\n10.1.2.3,203.0.113.7,443,alice,1713520800000',
  providesDirection: true,

  detect(sample: FileSample): boolean {
    const cells = headerCells(sample);
    if (cells === null) return false;
    const names = new Set(cells.map(normaliseFieldName));
    const hasAddresses = names.has('sourceip') && names.has('destinationip');
    const hasTime = names.has('starttime') || names.has('devicetime');
    // Beaconing-search results are claimed too, so that load raises an error that explains them.
    return hasAddresses && (hasTime || isRuleResultExport(cells));
  },

  async load(context: LoadContext): Promise<LoadResult> {
    const { sample } = context;
    const header = headerCells(sample) ?? [];
    const located = locateQRadarFields(header);
    // Only --format brings a file here whose header names none of these columns, since detection requires
    // them. A header that names some is taken for an export that lacks the others, and assertEventExport
    // names those.
    if (!isRuleResultExport(header) && !CORE_FIELDS.some((field) => located[field].length > 0)) {
      throw wrongFormatError(
        sample,
        FORMAT_ID,
        `the header has no starttime, sourceip or destinationip column (first line ${quotedFirstLine(sample)})`,
        'a QRadar event export with AQL column names or console display names ("Source IP") on its first line',
      );
    }
    assertEventExport(sample.path, header, located);

    const field = (name: QRadarField): string => {
      const values = located[name].map((index) => `nullif(trim(f[${index + 1}]), '')`).join(', ');
      return values === '' ? 'CAST(NULL AS VARCHAR)' : `coalesce(${values})`;
    };
    const headerLine = sqlString(sample.lines[0]?.replace(/^\uFEFF/, '') ?? '');
    // A header repeated further down comes from concatenated exports and is passed over.
    const stageSql = `SELECT line_no, line, ${csvFieldsSql('line')} AS f
                        FROM ${linesTableSql(sample)}
                        WHERE line_no > 1 AND line IS NOT NULL AND trim(line) <> '' AND line <> ${headerLine}`;

    const counts = await loadStagedEvents(context, {
      stageSql: projectQRadarFieldsSql(stageSql, field),
      checks: [
        { when: 'f IS NULL', reject: 'unbalanced quotes' },
        { when: `len(f) <> ${header.length}`, reject: 'wrong field count' },
        ...qradarRecordChecks(),
      ],
      columns: qradarEventColumns(FORMAT_ID),
    });
    return { status: 'loaded', events: counts.events, skipped: counts.skipped };
  },
};
