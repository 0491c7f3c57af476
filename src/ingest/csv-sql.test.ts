import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { DuckDbStore } from '../store/duckdb.js';
import { csvFieldsSql, splitCsvFields } from './csv-sql.js';

const cell = fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', ',', '"', ':', '\\') });

function quote(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

describe('splitCsvFields', () => {
  test('splits quoted and empty fields', () => {
    expect(splitCsvFields('a,"b,c",,"d ""e""",')).toEqual(['a', 'b,c', '', 'd "e"', '']);
    expect(splitCsvFields('')).toEqual(['']);
  });

  test('rejects unbalanced quotes', () => {
    expect(splitCsvFields('a,"b')).toBeNull();
    expect(splitCsvFields('a,"b"c')).toBeNull();
  });

  test('round-trips quoted fields', () => {
    fc.assert(
      fc.property(fc.array(cell, { minLength: 1, maxLength: 8 }), (cells) => {
        expect(splitCsvFields(cells.map(quote).join(','))).toEqual(cells);
      }),
    );
  });
});

describe('csvFieldsSql', () => {
  let store: DuckDbStore;

  beforeAll(async () => {
    store = await DuckDbStore.open();
  });

  afterAll(async () => {
    await store.close();
  });

  test('splits as splitCsvFields does', async () => {
    const lines = fc
      .sample(
        fc.array(
          fc.oneof(
            cell.map(quote),
            cell.filter((value) => !value.includes('"') && !value.includes(',')),
          ),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        { numRuns: 200, seed: 42 },
      )
      .map((cells) => cells.join(','));
    lines.push('a,"b', 'x"y,z', '"a""b",c');
    await store.run('CREATE TEMP TABLE csv_lines (line VARCHAR)');
    const appender = await store.connection.createAppender('csv_lines');
    for (const line of lines) {
      appender.appendVarchar(line);
      appender.endRow();
    }
    appender.closeSync();

    const rows = await store.all<{ line: string; f: string[] | null }>(
      `SELECT line, ${csvFieldsSql('line')} AS f FROM csv_lines`,
    );
    for (const row of rows) expect(row.f, row.line).toEqual(splitCsvFields(row.line));
  });
});
