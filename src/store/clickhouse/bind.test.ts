import { describe, expect, it } from 'vitest';

import { bindParameters, clickhouseLiteral } from './bind.js';

describe('clickhouseLiteral', () => {
  it('writes each kind of value', () => {
    expect(clickhouseLiteral(null)).toBe('NULL');
    expect(clickhouseLiteral(true)).toBe('1');
    expect(clickhouseLiteral(false)).toBe('0');
    expect(clickhouseLiteral(-42)).toBe('-42');
    expect(clickhouseLiteral(0.1)).toBe('0.1');
    expect(clickhouseLiteral(1e-7)).toBe('1e-7');
    expect(clickhouseLiteral("O'Brien\\x")).toBe("'O\\'Brien\\\\x'");
  });

  it('refuses values with no literal', () => {
    expect(() => clickhouseLiteral(Number.NaN)).toThrow(RangeError);
    expect(() => clickhouseLiteral(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe('bindParameters', () => {
  it('replaces placeholders in order', () => {
    expect(bindParameters('SELECT ? + ?, ?', [1, 2, 'a'])).toBe("SELECT 1 + 2, 'a'");
  });

  it('leaves question marks in strings, quoted names and comments alone', () => {
    const sql = `SELECT '?', "a?", \`b?\`, 'it\\'s ?' -- why?\n, ? /* or ? */`;
    expect(bindParameters(sql, [7])).toBe(`SELECT '?', "a?", \`b?\`, 'it\\'s ?' -- why?\n, 7 /* or ? */`);
  });

  it('fails when placeholders and values disagree', () => {
    expect(() => bindParameters('SELECT ?, ?', [1])).toThrow(/more placeholders/);
    expect(() => bindParameters('SELECT ?', [1, 2])).toThrow(/1 placeholders but 2 values/);
  });

  it('keeps text with no placeholders', () => {
    expect(bindParameters('SELECT 1', [])).toBe('SELECT 1');
    expect(bindParameters('', [])).toBe('');
  });
});
