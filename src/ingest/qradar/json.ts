/**
 * QRadar Ariel API search results: `{"events": [{...}, ...]}` as returned by
 * GET /api/ariel/searches/{search_id}/results, or `{"flows": [...]}` for a flow search. DuckDB's read_json
 * parses the file and every record is mapped in SQL. A record's provenance line is its 1-based position in
 * the array, counted on across arrays when several result pages were concatenated into one file.
 */
import { sqlString } from '../../store/duckdb.js';
import type { InputFormat, LoadContext, LoadResult } from '../format.js';
import { readJsonDocument, requireJsonStart } from '../json-document.js';
import type { FileSample } from '../sniff.js';
import { wrongFormatError } from '../wrong-format.js';
import {
  assertEventExport,
  locateQRadarFields,
  projectQRadarFieldsSql,
  qradarEventColumns,
  qradarRecordChecks,
  type QRadarField,
} from './fields.js';
import { loadStagedEvents } from '../staged.js';
import { jsonObjectLimit } from '../json-object-size.js';

const FORMAT_ID = 'qradar-json';
const RECORDS_TABLE = 'qradar_records';

/** `{"events": [` or `{"flows": [` at the start of the file. The group matches an empty array. */
const OPENING = /^\uFEFF?\s*\{\s*"(?:events|flows)"\s*:\s*\[\s*(\])?/;
const ADDRESS_KEY = /"(?:sourceip|destinationip|sourcev6|destinationv6)"\s*:/i;

/** An "events" or "flows" array anywhere in the sample, for a file named with --format. */
const RESULTS_KEY = /"(?:events|flows)"\s*:\s*\[/;

/** Description of the accepted document, for error messages. */
const SHAPE = 'an Ariel search result, {"events": [...]} or {"flows": [...]}';

export const qradarJsonFormat: InputFormat = {
  id: FORMAT_ID,
  description: 'QRadar Ariel API search results, {"events": [...]} or {"flows": [...]}',
  recognisedBy: 'a file starting {"events": [ or {"flows": [ with sourceip or destinationip keys',
  example:
    '{"events": [{"starttime": 1713520800000, "sourceip": "10.1.2.3", "destinationip": "203.0.113.7", "destinationport": 443, "username": "alice", "eventdirection": "L2R"}]}',
  providesDirection: true,

  detect(sample: FileSample): boolean {
    const opening = OPENING.exec(sample.text);
    if (opening === null) return false;
    return opening[1] === ']' || ADDRESS_KEY.test(sample.text);
  },

  async load(context: LoadContext): Promise<LoadResult> {
    const { store, sample } = context;
    // Only --format brings a file here that does not start as a search result, since detection requires it.
    requireJsonStart(sample, FORMAT_ID, '{', SHAPE);
    if (!RESULTS_KEY.test(sample.text)) {
      throw wrongFormatError(sample, FORMAT_ID, 'no "events" or "flows" array in the first 64 KB', SHAPE);
    }
    const compression = sample.compression === 'gzip' ? 'gzip' : 'uncompressed';
    const reader = `read_json(${sqlString(sample.readPath)},
        columns={'events': 'JSON[]', 'flows': 'JSON[]'},
        maximum_object_size=${await jsonObjectLimit(sample)}, compression='${compression}')`;
    // One result page is one JSON object, so the whole array is parsed as a single value before unnest.
    await readJsonDocument(sample, FORMAT_ID, SHAPE, () =>
      store.run(`CREATE OR REPLACE TEMP TABLE ${RECORDS_TABLE} AS
        SELECT row_number() OVER () AS line_no, record
          FROM (SELECT unnest(coalesce(events, flows)) AS record FROM ${reader})`),
    );
    try {
      const [counted] = await store.all<{ records: number }>(
        `SELECT count(*) AS records FROM ${RECORDS_TABLE}`,
      );
      if ((counted?.records ?? 0) === 0) {
        return { status: 'loaded', events: 0, skipped: 0, message: 'no records in the QRadar export' };
      }

      // Keys are matched case-insensitively, so find the spellings this export uses first.
      const keyRows = await store.all<{ key: string }>(
        `SELECT DISTINCT unnest(json_keys(record)) AS key FROM ${RECORDS_TABLE}
          WHERE json_type(record) = 'OBJECT' ORDER BY key`,
      );
      // A key holding a double quote cannot be written as a DuckDB JSON path, and no Ariel field has one.
      const keys = keyRows.map((row) => row.key).filter((key) => !key.includes('"'));
      const located = locateQRadarFields(keys);
      assertEventExport(sample.path, keys, located);

      const usedIndexes = [...new Set(Object.values(located).flat())];
      const paths = usedIndexes.map((index) => sqlString(`$."${keys[index]}"`)).join(', ');
      const field = (name: QRadarField): string => {
        const values = located[name]
          .map((index) => `nullif(trim(f[${usedIndexes.indexOf(index) + 1}]), '')`)
          .join(', ');
        return values === '' ? 'CAST(NULL AS VARCHAR)' : `coalesce(${values})`;
      };

      const counts = await loadStagedEvents(context, {
        stageSql: projectQRadarFieldsSql(
          `SELECT line_no, CAST(record AS VARCHAR) AS line, json_type(record) AS record_type,
                  json_extract_string(record, [${paths}]) AS f
             FROM ${RECORDS_TABLE}`,
          field,
        ),
        checks: [
          { when: `record_type <> 'OBJECT'`, reject: 'record is not a JSON object' },
          ...qradarRecordChecks(),
        ],
        columns: qradarEventColumns(FORMAT_ID),
      });
      return { status: 'loaded', events: counts.events, skipped: counts.skipped };
    } finally {
      await store.run(`DROP TABLE IF EXISTS ${RECORDS_TABLE}`);
    }
  },
};
