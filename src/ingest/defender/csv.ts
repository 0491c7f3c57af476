/**
 * DeviceNetworkEvents exported as CSV from advanced hunting: a header naming the schema's columns on line
 * 1, in any order, with any other columns. Each physical line is split in SQL so that a skipped line points
 * at its real line; a quoted value spanning lines is not supported.
 */
import { sqlString } from '../../store/duckdb.js';
import { csvFieldsSql, splitCsvFields } from '../csv-sql.js';
import type { InputFormat, LoadContext, LoadResult } from '../format.js';
import { linesTableSql } from '../lines.js';
import { loadStagedEvents } from '../staged.js';
import type { FileSample } from '../sniff.js';
import { quotedFirstLine, wrongFormatError } from '../wrong-format.js';
import {
  DEFENDER_CHECKS,
  defenderEventColumns,
  defenderLoadResult,
  defenderProjectionLayers,
  type DefenderColumn,
} from './fields.js';
import { projectLayersSql } from '../projection.js';

const FORMAT_ID = 'defender-csv';

/** Columns a DeviceNetworkEvents export must have to be recognised. */
const REQUIRED_COLUMNS: readonly DefenderColumn[] = ['Timestamp', 'ActionType', 'RemoteIP', 'LocalIP'];

function headerOf(sample: FileSample): string[] | null {
  const first = sample.lines.find((line) => line.trim() !== '');
  return first === undefined ? null : splitCsvFields(first.trim());
}

export const defenderCsvFormat: InputFormat = {
  id: FORMAT_ID,
  description: 'Microsoft Defender for Endpoint DeviceNetworkEvents, advanced hunting CSV export',
  recognisedBy: 'a CSV header with Timestamp, ActionType, RemoteIP and LocalIP columns',
  example: [
    'Timestamp,DeviceId,DeviceName,ActionType,RemoteIP,RemotePort,RemoteUrl,LocalIP,LocalPort,Protocol,InitiatingProcessFileName,InitiatingProcessAccountName',
    '2024-04-19T10:00:02.2502154Z,3f1e0c,ws01.example.local,ConnectionSuccess,203.0.113.7,443,c2.example.net,10.1.2.3,50100,Tcp,agent.exe,alice',
  ].join('\n'),
  providesDirection: false,

  detect(sample: FileSample): boolean {
    const header = headerOf(sample);
    return header !== null && REQUIRED_COLUMNS.every((column) => header.includes(column));
  },

  async load(context: LoadContext): Promise<LoadResult> {
    const { sample } = context;
    const header = headerOf(sample) ?? [];
    // Only --format brings a file here without these columns, since detection requires them.
    const missing = REQUIRED_COLUMNS.filter((column) => !header.includes(column));
    if (missing.length > 0) {
      throw wrongFormatError(
        sample,
        FORMAT_ID,
        `the header has no ${missing.join(', ')} column (first line ${quotedFirstLine(sample)})`,
        'a DeviceNetworkEvents CSV export with the column names on its first line',
      );
    }
    const field = (column: DefenderColumn): string => {
      const position = header.indexOf(column);
      return position < 0 ? 'CAST(NULL AS VARCHAR)' : `nullif(trim(f[${position + 1}]), '')`;
    };
    const headerLine = sqlString(sample.lines.find((line) => line.trim() !== '') ?? '');
    // Blank lines are NULL, and a header repeated further down comes from concatenated exports. trim()
    // runs only on lines that fail the field count, because on every line it costs more than the split.
    const splitSql = `SELECT line_no, line, ${csvFieldsSql('line')} AS f
                        FROM ${linesTableSql(sample)} WHERE line IS NOT NULL AND line <> ${headerLine}`;
    const counts = await loadStagedEvents(context, {
      stageSql: projectLayersSql(splitSql, defenderProjectionLayers(field)),
      checks: [
        { when: 'f IS NULL', reject: 'unbalanced quotes' },
        { when: `len(f) <> ${header.length} AND trim(line) = ''`, ignore: true },
        { when: `len(f) <> ${header.length}`, reject: 'wrong field count' },
        ...DEFENDER_CHECKS,
      ],
      columns: defenderEventColumns(FORMAT_ID),
    });
    return defenderLoadResult(counts);
  },
};
