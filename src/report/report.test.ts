import { describe, expect, test } from 'vitest';

import { renderMachine } from './machine.js';
import { escapeControlCharacters, renderTable } from './table.js';

interface Row {
  name: string;
  count: number;
}

const flatten = (row: Row) => ({ name: row.name, count: row.count });

describe('escapeControlCharacters', () => {
  test('ANSI sequences become visible escapes', () => {
    expect(escapeControlCharacters('\u001b[31mred\u001b]0;title\u0007')).toBe(
      '\\x1b[31mred\\x1b]0;title\\x07',
    );
  });

  test('tabs, newlines and C1 controls are escaped', () => {
    expect(escapeControlCharacters('a\tb\nc\u009bd')).toBe('a\\x09b\\x0ac\\x9bd');
  });

  test('bidirectional overrides are escaped', () => {
    expect(escapeControlCharacters('evil\u202egnp.exe')).toBe('evil\\u202egnp.exe');
    expect(escapeControlCharacters('\u200e\u200f\u2066x\u2069\u2028\u2029')).toBe(
      '\\u200e\\u200f\\u2066x\\u2069\\u2028\\u2029',
    );
  });

  test('ordinary text is unchanged', () => {
    expect(escapeControlCharacters('update.example.com ünïcode')).toBe('update.example.com ünïcode');
  });
});

describe('renderTable', () => {
  test('escapes values from the network', () => {
    const table = renderTable<Row>(
      [{ name: '\u001b[2Jevil', count: 1 }],
      [
        { header: 'name', value: (row) => row.name },
        { header: 'count', value: (row) => String(row.count) },
      ],
    );

    expect(table).not.toContain('\u001b[2J');
    expect(table).toContain('\\x1b[2Jevil');
  });
});

describe('renderMachine csv', () => {
  test('formula-like text cells get an apostrophe', () => {
    const csv = renderMachine('csv', [{ name: '=HYPERLINK("http://x")', count: -3 }], flatten, [
      'name',
      'count',
    ]);

    expect(csv).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(csv).toContain(',-3');
  });

  test.each(['+1', '-x', '@sum', '\tx'])('%j is neutralised', (value) => {
    const csv = renderMachine('csv', [{ name: value, count: 1 }], flatten, ['name', 'count']);

    expect(csv.split('\n')[1]).toMatch(/^"?'/);
  });

  test('header is written when there are no findings', () => {
    expect(renderMachine('csv', [], flatten, ['name', 'count'])).toBe('name,count\n');
  });

  test('json of no findings is an empty array', () => {
    expect(renderMachine('json', [], flatten)).toBe('[]\n');
  });

  test('ndjson writes one object per line', () => {
    const lines = renderMachine(
      'ndjson',
      [
        { name: 'a', count: 1 },
        { name: 'b', count: 2 },
      ],
      flatten,
    )
      .trim()
      .split('\n');

    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1]!)).toEqual({ name: 'b', count: 2 });
  });
});
