/**
 * The AQL corpus: every query in corpus/ runs on corpus/fixture.csv and must return the rows in
 * corpus/expected/. Set BEACONHUNT_UPDATE_GOLDEN=1 to rewrite the expected files from the current
 * compiler, then check each changed row against the fixture by hand before keeping it.
 *
 * The fixture is a QRadar CSV export of 37 records, with now = 2024-04-19 12:00 UTC (the newest record):
 * - 10.1.1.10 (alice) beacons to 203.0.113.7:443 every 60 s from 11:00 to 11:07, one record with
 *   eventcount 3, plus one record three days earlier, exactly at the LAST 3 DAYS boundary;
 * - 10.1.1.20 (bob) scans ten TCP ports of 198.51.100.9 one a second from 10:00, then pings it (ICMP,
 *   ports 0), and reaches 10.1.1.5:445 (L2L) at 11:10;
 * - 10.1.1.30 (no user) queries the internal resolver 10.1.0.53 (L2L) and the outside 192.0.2.53 (L2R);
 * - 10.1.1.40 (dave) sends 750,000,000 bytes to 198.51.100.200:443, and 1,000 bytes 25 hours earlier;
 * - 10.1.1.50 (no user) reaches IRC (6667) and a Tor relay port (9001, eventcount 4);
 * - 198.51.100.66 tries SSH on 10.1.1.5 (R2L) as root three times with no reply, then as admin;
 * - fd12:3456::10 (carol) reaches 2001:db8:ffff::80:443 twice; ALICE and erin browse 192.0.2.80.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { format, resolveConfig } from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { importFiles } from '../ingest/import.js';
import { DEFAULT_LOCAL_NETWORKS, LocalNetworks } from '../net/locality.js';
import { DuckDbStore } from '../store/duckdb.js';
import type { Expression, Query } from './ast.js';
import { runCompiled, translateAql } from './run.js';
import { parseAql } from './parser.js';

const CORPUS_DIR = new URL('./corpus/', import.meta.url);
const EXPECTED_DIR = new URL('./corpus/expected/', import.meta.url);
const FIXTURE = new URL('./corpus/fixture.csv', import.meta.url).pathname;
const UPDATE = process.env.BEACONHUNT_UPDATE_GOLDEN === '1';

/** The fixture's newest event, 2024-04-19T12:00:00Z: the now of every corpus query. */
const NOW = Date.UTC(2024, 3, 19, 12, 0, 0);

const QUERY_FILES = readdirSync(CORPUS_DIR)
  .filter((name) => name.endsWith('.aql'))
  .sort();

interface FixtureRecord {
  starttime: number;
  sourceip: string;
  destinationip: string;
}

/** Reads the fixture's CSV by hand, which works because no value in it is quoted or contains a comma. */
function fixtureRecords(): FixtureRecord[] {
  const [header, ...lines] = readFileSync(FIXTURE, 'utf8').trim().split('\n');
  const names = (header ?? '').split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    const value = (name: string): string => cells[names.indexOf(name)] ?? '';
    return {
      starttime: Number(value('starttime')),
      sourceip: value('sourceip'),
      destinationip: value('destinationip'),
    };
  });
}

interface Expected {
  columns: string[];
  rows: Record<string, unknown>[];
}

/** Replaces the absolute fixture path in `sourcefile` by its file name, so results match on any checkout. */
function portableRow(row: Record<string, unknown>): Record<string, unknown> {
  if (typeof row.sourcefile !== 'string') return row;
  return { ...row, sourcefile: basename(row.sourcefile) };
}

describe('AQL corpus on the fixture', () => {
  let store: DuckDbStore;

  beforeAll(async () => {
    store = await DuckDbStore.open();
    await importFiles(store, [FIXTURE], {
      localNetworks: new LocalNetworks(DEFAULT_LOCAL_NETWORKS),
      strict: true,
    });
    const [counted] = await store.all<{ events: number }>('SELECT count(*) AS events FROM events');
    expect(counted?.events).toBe(37);
  });
  afterAll(async () => store.close());

  it('has at least 40 queries', () => {
    expect(QUERY_FILES.length).toBeGreaterThanOrEqual(40);
  });

  it('starts every query with a comment', () => {
    for (const file of QUERY_FILES) {
      const text = readFileSync(new URL(file, CORPUS_DIR), 'utf8');
      expect(text.startsWith('-- '), file).toBe(true);
    }
  });

  for (const file of QUERY_FILES) {
    it(`returns the expected rows for ${file}`, async () => {
      const text = readFileSync(new URL(file, CORPUS_DIR), 'utf8');
      const { compiled } = translateAql(text, NOW);
      const actual: Expected = {
        columns: compiled.columns,
        rows: (await runCompiled(store, compiled)).map(portableRow),
      };
      const expectedFile = new URL(file.replace(/\.aql$/, '.json'), EXPECTED_DIR);
      if (UPDATE) {
        mkdirSync(EXPECTED_DIR, { recursive: true });
        // Formatted as `prettier --check` expects, so a regenerated file differs only where rows do.
        const options = (await resolveConfig(expectedFile.pathname)) ?? {};
        writeFileSync(expectedFile, await format(JSON.stringify(actual), { ...options, parser: 'json' }));
      }
      expect(existsSync(expectedFile), `missing ${expectedFile.pathname}`).toBe(true);
      const expected = JSON.parse(readFileSync(expectedFile, 'utf8')) as Expected;
      // A JSON round trip turns undefined into absent keys, as the expected file stores them.
      expect(JSON.parse(JSON.stringify(actual))).toEqual(expected);
    });
  }

  it('counts LAST n MINUTES as the fixture does', async () => {
    // Property: LAST n MINUTES keeps exactly the records with now − n min < starttime ≤ now.
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 5 * 24 * 60 }), async (minutes) => {
        const text = `SELECT COUNT(*) AS records FROM events LAST ${minutes} MINUTES`;
        const [row] = await runCompiled(store, translateAql(text, NOW).compiled);
        const expected = fixtureRecords().filter(
          (record) => record.starttime > NOW - minutes * 60_000,
        ).length;
        expect(row?.records).toBe(expected);
      }),
      { numRuns: 50 },
    );
  });

  it('counts INCIDR matches as ipaddr.js does', async () => {
    // Property: INCIDR on any network agrees with ipaddr.js for every fixture address, IPv4 and IPv6.
    const addresses = [
      ...new Set(fixtureRecords().flatMap((record) => [record.sourceip, record.destinationip])),
    ];
    const networks = fc.oneof(
      fc.tuple(
        fc.constantFrom(...addresses.filter((a) => !a.includes(':'))),
        fc.integer({ min: 0, max: 32 }),
      ),
      fc.tuple(
        fc.constantFrom(...addresses.filter((a) => a.includes(':'))),
        fc.integer({ min: 0, max: 128 }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(networks, async ([address, length]) => {
        const network = ipaddr.parseCIDR(`${address}/${length}`);
        const cidr = `${ipaddr.parse(address).toString()}/${length}`;
        const text = `SELECT COUNT(*) AS records FROM events WHERE INCIDR('${cidr}', destinationip)`;
        const [row] = await runCompiled(store, translateAql(text, NOW).compiled);
        const expected = fixtureRecords().filter((record) => {
          const parsed = ipaddr.parse(record.destinationip);
          return parsed.kind() === network[0].kind() && parsed.match(network);
        }).length;
        expect(row?.records, cidr).toBe(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('has an expected file only for queries that exist', () => {
    const queries = new Set(QUERY_FILES.map((file) => file.replace(/\.aql$/, '')));
    const orphans = readdirSync(EXPECTED_DIR)
      .map((file) => file.replace(/\.json$/, ''))
      .filter((name) => !queries.has(name));
    expect(orphans).toEqual([]);
  });
});

/** Collects every node of a syntax tree that has a `kind`, by walking its properties. */
function syntaxNodes(root: unknown): { kind: string; [key: string]: unknown }[] {
  const nodes: { kind: string; [key: string]: unknown }[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    if (typeof record.kind === 'string') nodes.push(record as { kind: string });
    for (const [key, child] of Object.entries(record)) {
      if (key !== 'start' && key !== 'end') visit(child);
    }
  };
  visit(root);
  return nodes;
}

interface CorpusQuery {
  file: string;
  text: string;
  query: Query;
  nodes: { kind: string; [key: string]: unknown }[];
}

function ofKind(
  query: CorpusQuery,
  kind: string,
  test: (node: Record<string, unknown>) => boolean = () => true,
) {
  return query.nodes.some((node) => node.kind === kind && test(node));
}

function callsFunction(name: string): (query: CorpusQuery) => boolean {
  return (query) => ofKind(query, 'call', (node) => node.name === name);
}

function aliasesOf(query: Query): Set<string> {
  return new Set(
    (query.select ?? []).flatMap((item) => (item.alias === null ? [] : [item.alias.toLowerCase()])),
  );
}

function namesField(expression: Expression | null, names: Set<string>): boolean {
  return syntaxNodes(expression).some(
    (node) => node.kind === 'field' && names.has(String(node.name).toLowerCase()),
  );
}

/** Strips comments from a query, so that a construct named only in a comment does not count. */
function codeOf(text: string): string {
  return text.replace(/--[^\n]*/g, '');
}

/** Each construct the corpus must cover, with a test on one query. */
const CONSTRUCTS: [string, (query: CorpusQuery) => boolean][] = [
  ['AS name', (q) => /\bAS\s+[A-Za-z_]/i.test(codeOf(q.text))],
  ["AS 'quoted name'", (q) => /\bAS\s+'/i.test(codeOf(q.text))],
  ['AS "quoted name"', (q) => /\bAS\s+"/i.test(codeOf(q.text))],
  ['SELECT *', (q) => q.query.select === null],
  ['double-quoted field', (q) => ofKind(q, 'field', (node) => node.quoted === true)],
  ['FROM events', (q) => q.query.from === 'events'],
  ['FROM flows', (q) => q.query.from === 'flows'],
  ['WHERE', (q) => q.query.where !== null],
  ['GROUP BY', (q) => q.query.groupBy.length > 0],
  ['HAVING with a SELECT alias', (q) => namesField(q.query.having, aliasesOf(q.query))],
  ['ORDER BY', (q) => q.query.orderBy.length > 0],
  ['ORDER BY DESC', (q) => q.query.orderBy.some((item) => item.descending)],
  ['LIMIT', (q) => q.query.limit !== null],
  ['LAST n MINUTES', (q) => q.query.time?.kind === 'last' && q.query.time.unit === 'MINUTES'],
  ['LAST n HOURS', (q) => q.query.time?.kind === 'last' && q.query.time.unit === 'HOURS'],
  ['LAST n DAYS', (q) => q.query.time?.kind === 'last' && q.query.time.unit === 'DAYS'],
  ['START … STOP with dates', (q) => q.query.time?.kind === 'range' && /\bSTART\s+'/i.test(codeOf(q.text))],
  [
    'START … STOP with epoch ms',
    (q) => q.query.time?.kind === 'range' && /\bSTART\s+\d/i.test(codeOf(q.text)),
  ],
  ['no time clause', (q) => q.query.time === null],
  ...(['+', '-', '*', '/', '%'] as const).map((operator): [string, (query: CorpusQuery) => boolean] => [
    `arithmetic ${operator}`,
    (q) => ofKind(q, 'arithmetic', (node) => node.operator === operator),
  ]),
  ...(['=', '!=', '<', '<=', '>', '>='] as const).map(
    (operator): [string, (query: CorpusQuery) => boolean] => [
      `comparison ${operator}`,
      (q) => ofKind(q, 'comparison', (node) => node.operator === operator),
    ],
  ),
  ['comparison <>', (q) => codeOf(q.text).includes('<>')],
  ['AND', (q) => ofKind(q, 'logical', (node) => node.operator === 'AND')],
  ['OR', (q) => ofKind(q, 'logical', (node) => node.operator === 'OR')],
  ['NOT', (q) => ofKind(q, 'not')],
  ['BETWEEN', (q) => ofKind(q, 'between', (node) => node.negated === false)],
  ['NOT BETWEEN', (q) => ofKind(q, 'between', (node) => node.negated === true)],
  ['IN', (q) => ofKind(q, 'in', (node) => node.negated === false)],
  ['NOT IN', (q) => ofKind(q, 'in', (node) => node.negated === true)],
  ['IS NULL', (q) => ofKind(q, 'isNull', (node) => node.negated === false)],
  ['IS NOT NULL', (q) => ofKind(q, 'isNull', (node) => node.negated === true)],
  ['LIKE', (q) => ofKind(q, 'like', (node) => node.operator === 'LIKE' && node.negated === false)],
  ['NOT LIKE', (q) => ofKind(q, 'like', (node) => node.operator === 'LIKE' && node.negated === true)],
  ['ILIKE', (q) => ofKind(q, 'like', (node) => node.operator === 'ILIKE')],
  ['MATCHES', (q) => ofKind(q, 'matches', (node) => node.operator === 'MATCHES')],
  ['IMATCHES', (q) => ofKind(q, 'matches', (node) => node.operator === 'IMATCHES')],
  ['INCIDR IPv4', (q) => /INCIDR\('\d+\./i.test(codeOf(q.text))],
  ['INCIDR IPv6', (q) => /INCIDR\('[0-9a-f]*:/i.test(codeOf(q.text))],
  ['CASE WHEN', (q) => ofKind(q, 'case', (node) => node.operand === null)],
  ['CASE operand WHEN', (q) => ofKind(q, 'case', (node) => node.operand !== null)],
  ['IF THEN ELSE', (q) => ofKind(q, 'if')],
  ...[
    'COUNT',
    'MIN',
    'MAX',
    'SUM',
    'AVG',
    'STDEV',
    'UNIQUECOUNT',
    'FIRST',
    'LAST',
    'LONG',
    'DOUBLE',
    'STR',
    'NOW',
    'LOWER',
    'UPPER',
    'CONCAT',
    'DATEFORMAT',
    'LOGSOURCENAME',
    'PROTOCOLNAME',
  ].map((name): [string, (query: CorpusQuery) => boolean] => [`function ${name}`, callsFunction(name)]),
  ['lower-case keywords', (q) => /\bselect\b/.test(codeOf(q.text))],
  ['mixed-case keywords', (q) => /\b(?!SELECT\b)(?!select\b)[Ss][Ee][Ll][Ee][Cc][Tt]\b/.test(codeOf(q.text))],
  ['lower-case function name', (q) => /\b(count|sum|min|max)\(/.test(codeOf(q.text))],
  [
    'mixed-case field name',
    (q) => ofKind(q, 'field', (node) => /[A-Z]/.test(String(node.name)) && !node.quoted),
  ],
  ...[
    'username',
    'devicetime',
    'eventcount',
    'sourcebytes',
    'destinationbytes',
    'logsourceid',
    'protocolid',
  ].map((field): [string, (query: CorpusQuery) => boolean] => [
    `field ${field}`,
    (q) => ofKind(q, 'field', (node) => String(node.name).toLowerCase() === field),
  ]),
  ['field userName', (q) => ofKind(q, 'field', (node) => node.name === 'userName')],
];

describe('AQL corpus coverage', () => {
  // Only queries that run count, so a construct is covered by at least one query with checked rows.
  const corpus: CorpusQuery[] = QUERY_FILES.map((file) => {
    const text = readFileSync(new URL(file, CORPUS_DIR), 'utf8');
    const query = parseAql(text);
    return { file, text, query, nodes: syntaxNodes(query) };
  });

  it('covers every listed construct', () => {
    const missing = CONSTRUCTS.filter(([, covers]) => !corpus.some(covers)).map(([name]) => name);
    expect(missing).toEqual([]);
  });

  it('finds a construct missing from a reduced corpus', () => {
    // The check must be able to fail: without the SELECT * query, SELECT * is reported missing.
    const reduced = corpus.filter((query) => query.query.select !== null);
    const missing = CONSTRUCTS.filter(([, covers]) => !reduced.some(covers)).map(([name]) => name);
    expect(missing).toEqual(['SELECT *']);
  });
});
