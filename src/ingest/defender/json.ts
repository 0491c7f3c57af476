/**
 * DeviceNetworkEvents as JSON, in the shapes Defender's exports and APIs produce:
 * - JSON lines, one record per line, with the schema's columns as keys;
 * - a JSON array of such records, or an object with a `Results` array (the advanced hunting API's reply)
 *   or a `records` array (an Event Hub message from the streaming API);
 * - streaming API records, `{"time": ..., "category": "AdvancedHunting-DeviceNetworkEvents",
 *   "properties": {...columns...}}`, in any of the shapes above. Records of another category, such as
 *   AdvancedHunting-DeviceProcessEvents on the same stream, are counted and passed over.
 *
 * JSON lines are read line by line, so a skipped record points at its line. In the array shapes the
 * whole document is parsed first and `sourceline` is the record's 1-based position.
 */
import { sqlString } from '../../store/duckdb.js';
import type { InputFormat, LoadContext, LoadResult } from '../format.js';
import { readJsonDocument, requireJsonStart } from '../json-document.js';
import { countOf } from '../../text/plural.js';
import { quoteForMessage, wrongFormatError } from '../wrong-format.js';
import { linesTableSql } from '../lines.js';
import { loadStagedEvents } from '../staged.js';
import type { FileSample } from '../sniff.js';
import {
  DEFENDER_CHECKS,
  DEFENDER_COLUMNS,
  defenderEventColumns,
  defenderLoadResult,
  defenderProjectionLayers,
  type DefenderColumn,
} from './fields.js';
import { projectLayersSql } from '../projection.js';
import { jsonObjectLimit } from '../json-object-size.js';

const FORMAT_ID = 'defender-json';
const RECORDS_TABLE = 'defender_records';
const STREAM_CATEGORY = 'AdvancedHunting-DeviceNetworkEvents';

/** Description of the accepted shapes, for error messages. */
const SHAPES =
  'DeviceNetworkEvents as JSON lines, a JSON array, or an object with a "Results" or "records" array';

/** Maximum number of top-level keys quoted in the message about a document without records. */
const MAX_KEYS_QUOTED = 5;

/** JSON paths read per record: each column at the top level, then under `properties`. */
const PATHS: readonly string[] = [
  ...DEFENDER_COLUMNS.flatMap((column) => [`$.${column}`, `$.properties.${column}`]),
  '$.time',
  '$.category',
];

function pathValueSql(path: string): string {
  return `nullif(trim(f[${PATHS.indexOf(path) + 1}]), '')`;
}

/** SQL for a column: the top-level key, else the streaming shape's `properties`, else `time` for Timestamp. */
function field(column: DefenderColumn): string {
  const values = [pathValueSql(`$.${column}`), pathValueSql(`$.properties.${column}`)];
  if (column === 'Timestamp') values.push(pathValueSql('$.time'));
  return `coalesce(${values.join(', ')})`;
}

type JsonShape = 'lines' | 'array' | 'wrapped';

/** Tells JSON lines from a document that spans lines: an array, or an object holding the records. */
function jsonShape(sample: FileSample): JsonShape {
  const text = sample.text.trimStart();
  if (text.startsWith('[')) return 'array';
  const first = sample.lines.find((line) => line.trim() !== '')?.trim() ?? '';
  try {
    const parsed: unknown = JSON.parse(first);
    const wrapper =
      parsed !== null &&
      typeof parsed === 'object' &&
      (Array.isArray((parsed as Record<string, unknown>)['records']) ||
        Array.isArray((parsed as Record<string, unknown>)['Results']));
    return wrapper ? 'wrapped' : 'lines';
  } catch {
    // The first line is not a whole JSON value, so the document spans lines.
    return 'wrapped';
  }
}

/** SQL that is true when the JSON value `json` has a `records` or `Results` array. */
const WRAPPER_ARRAY_SQL = `coalesce(json_type(json->'records') = 'ARRAY' OR json_type(json->'Results') = 'ARRAY', false)`;

/**
 * Creates RECORDS_TABLE (line_no, record) from an array or wrapped document. Throws a WrongFormatError when
 * the document is not valid JSON, or when a top-level value has no `records` or `Results` array, whose
 * records would otherwise be lost without a word.
 */
async function stageDocumentRecords(context: LoadContext, shape: Exclude<JsonShape, 'lines'>): Promise<void> {
  const { store, sample } = context;
  const compression = sample.compression === 'gzip' ? 'gzip' : 'uncompressed';
  const options = `maximum_object_size=${await jsonObjectLimit(sample)}, compression='${compression}'`;
  const documents = `read_json_objects(${sqlString(sample.readPath)}, format='unstructured', ${options})`;
  if (shape === 'wrapped') {
    await readJsonDocument(sample, FORMAT_ID, SHAPES, () => requireWrapperArrays(context, documents));
  }
  const records =
    shape === 'array'
      ? `SELECT json AS record FROM read_json_objects(${sqlString(sample.readPath)}, format='array', ${options})`
      : `SELECT unnest(CAST(CASE WHEN json_type(json->'records') = 'ARRAY' THEN json->'records' ELSE json->'Results' END
                              AS JSON[])) AS record
           FROM ${documents}`;
  await readJsonDocument(sample, FORMAT_ID, SHAPES, () =>
    store.run(`CREATE OR REPLACE TEMP TABLE ${RECORDS_TABLE} AS
      SELECT row_number() OVER () AS line_no, CAST(record AS VARCHAR) AS line FROM (${records})`),
  );
}

/**
 * Throws a WrongFormatError unless every top-level JSON value in `documents` (a read_json_objects table
 * expression) has a `records` or `Results` array. The message names the keys of a value without one, such
 * as QRadar's "events".
 */
async function requireWrapperArrays(context: LoadContext, documents: string): Promise<void> {
  const [counted] = await context.store.all<{ documents: number; unwrapped: number; keys: string[] | null }>(
    `SELECT count(*) AS documents,
            count(*) FILTER (WHERE NOT ${WRAPPER_ARRAY_SQL}) AS unwrapped,
            first(json_keys(json)) FILTER (WHERE NOT ${WRAPPER_ARRAY_SQL}) AS keys
       FROM ${documents}`,
  );
  const documentCount = Number(counted?.documents ?? 0);
  const unwrapped = Number(counted?.unwrapped ?? 0);
  if (documentCount > 0 && unwrapped === 0) return;
  const keys = counted?.keys ?? [];
  const quotedKeys = keys.slice(0, MAX_KEYS_QUOTED).map((key) => quoteForMessage(key));
  if (keys.length > MAX_KEYS_QUOTED) quotedKeys.push('…');
  const keyText = keys.length === 0 ? 'no keys' : `the keys ${quotedKeys.join(', ')}`;
  const problem =
    documentCount <= 1
      ? `a JSON document with ${keyText} and no "Results" or "records" array`
      : `${countOf(unwrapped, 'JSON document')} of ${documentCount.toLocaleString('en-US')} with no ` +
        `"Results" or "records" array (one has ${keyText})`;
  throw wrongFormatError(context.sample, FORMAT_ID, problem, SHAPES);
}

export const defenderJsonFormat: InputFormat = {
  id: FORMAT_ID,
  description:
    'Microsoft Defender for Endpoint DeviceNetworkEvents as JSON lines, an array or streaming API records',
  recognisedBy:
    'JSON whose first 64 KB has the keys ActionType and RemoteIP, or the DeviceNetworkEvents stream category',
  example:
    '{"Timestamp": "2024-04-19T10:00:02.2502154Z", "DeviceName": "ws01.example.local", "ActionType": "ConnectionSuccess", "RemoteIP": "203.0.113.7", "RemotePort": 443, "RemoteUrl": "c2.example.net", "LocalIP": "10.1.2.3", "LocalPort": 50100, "Protocol": "Tcp"}',
  providesDirection: false,

  detect(sample: FileSample): boolean {
    const text = sample.text.trimStart();
    if (!text.startsWith('{') && !text.startsWith('[')) return false;
    const hasColumns = /"ActionType"\s*:/.test(text) && /"RemoteIP"\s*:/.test(text);
    return hasColumns || text.includes(`"${STREAM_CATEGORY}"`);
  },

  async load(context: LoadContext): Promise<LoadResult> {
    const { store, sample } = context;
    // Only --format brings a file here that does not start as JSON, since detection requires it.
    requireJsonStart(sample, FORMAT_ID, '{[', SHAPES);
    const shape = jsonShape(sample);
    const paths = PATHS.map((path) => sqlString(path)).join(', ');
    const extract = `CASE WHEN json_type(line) = 'OBJECT' THEN json_extract_string(line, [${paths}]) END`;
    let extractSql: string;
    if (shape === 'lines') {
      extractSql = `SELECT line_no, line, json_valid(line) AS valid, CASE WHEN json_valid(line) THEN ${extract} END AS f
                      FROM ${linesTableSql(sample)}
                      WHERE line IS NOT NULL AND trim(line) <> ''`;
    } else {
      await stageDocumentRecords(context, shape);
      extractSql = `SELECT line_no, line, json_valid(line) AS valid, ${extract} AS f FROM ${RECORDS_TABLE}`;
    }
    const stageSql = projectLayersSql(extractSql, [
      { category: pathValueSql('$.category') },
      ...defenderProjectionLayers(field),
    ]);
    try {
      const counts = await loadStagedEvents(context, {
        stageSql,
        checks: [
          { when: 'NOT valid', reject: 'invalid JSON' },
          { when: 'f IS NULL', reject: 'record is not a JSON object' },
          { when: `category IS NOT NULL AND category <> '${STREAM_CATEGORY}'`, ignore: true },
          ...DEFENDER_CHECKS,
        ],
        columns: defenderEventColumns(FORMAT_ID),
      });
      return defenderLoadResult(counts);
    } finally {
      await store.run(`DROP TABLE IF EXISTS ${RECORDS_TABLE}`);
    }
  },
};
