import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { lintAql, type LintWarning } from './lint.js';
import { parseAql } from './parser.js';

const RULE_QUERY = readFileSync(new URL('./testdata/qradar-t1071.aql', import.meta.url), 'utf8');

function lint(text: string): LintWarning[] {
  return lintAql(parseAql(text));
}

function rules(text: string): string[] {
  return lint(text).map((warning) => warning.rule);
}

describe('lintAql', () => {
  it('finds all five pitfalls in the T1071 rule', () => {
    const warnings = lint(RULE_QUERY);
    expect(warnings.map((warning) => [warning.rule, warning.line, warning.column])).toEqual([
      ['no-time-clause', 1, 1],
      ['like-on-address', 17, 10],
      ['incomplete-private-ranges', 17, 10],
      ['receipt-time', 6, 5],
      ['count-coalesced', 5, 1],
    ]);
  });

  it('lists the private ranges the rule leaves out', () => {
    const warning = lint(RULE_QUERY).find((entry) => entry.rule === 'incomplete-private-ranges');
    expect(warning?.message).toBe(
      'the private-address tests leave out 169.254.0.0/16, 100.64.0.0/10, ::1/128, fc00::/7, fe80::/10; ' +
        'add an INCIDR test for each',
    );
  });

  it('accepts a query with every fix', () => {
    const text = `SELECT sourceip, SUM(eventcount) AS n, MIN(devicetime) AS first FROM events
      WHERE NOT (INCIDR('10.0.0.0/8', destinationip) OR INCIDR('172.16.0.0/12', destinationip)
        OR INCIDR('192.168.0.0/16', destinationip) OR INCIDR('127.0.0.0/8', destinationip)
        OR INCIDR('169.254.0.0/16', destinationip) OR INCIDR('100.64.0.0/10', destinationip)
        OR INCIDR('::1/128', destinationip) OR INCIDR('fc00::/7', destinationip) OR INCIDR('fe80::/10', destinationip))
      GROUP BY sourceip LAST 24 HOURS`;
    expect(lint(text)).toEqual([]);
  });

  it('counts partial prefixes as not covering', () => {
    // 172.16.% covers only 172.16.0.0/16, so 172.16.0.0/12 stays uncovered.
    const warning = lint(
      "SELECT sourceip FROM events WHERE NOT (destinationip LIKE '10.%' OR destinationip LIKE '172.16.%') LAST 1 HOURS",
    ).find((entry) => entry.rule === 'incomplete-private-ranges');
    expect(warning?.message).toContain('172.16.0.0/12, 192.168.0.0/16');
  });

  it('ignores LIKE on other fields', () => {
    expect(rules("SELECT sourceip FROM events WHERE username LIKE 'adm%' LAST 1 HOURS")).toEqual([]);
  });

  it('ignores queries without private tests', () => {
    expect(
      rules("SELECT sourceip FROM events WHERE INCIDR('203.0.113.0/24', destinationip) LAST 1 DAYS"),
    ).toEqual([]);
  });

  it('flags COUNT(*) but not COUNT(field)', () => {
    expect(rules('SELECT COUNT(sourceip) FROM events LAST 1 HOURS')).toEqual([]);
    expect(rules('SELECT COUNT(*) FROM events LAST 1 HOURS')).toEqual(['count-coalesced']);
  });

  it('flags starttime anywhere', () => {
    expect(rules('SELECT sourceip FROM events ORDER BY StartTime LAST 1 HOURS')).toEqual(['receipt-time']);
  });
});
