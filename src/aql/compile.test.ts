import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { EVENT_COLUMN_NAMES, emptyEvent, type ConnectionEvent } from '../model/event.js';
import { DuckDbStore } from '../store/duckdb.js';
import { compileAql } from './compile.js';
import { AqlError } from './errors.js';
import { parseAql } from './parser.js';
import { runCompiled, type AqlRow } from './run.js';

const NOW = Date.UTC(2024, 0, 2); // 1704153600000, 2024-01-02T00:00:00Z
const MINUTE = 60_000;
const HOUR = 3_600_000;

function event(sourceline: number, fields: Partial<ConnectionEvent>): ConnectionEvent {
  return { ...emptyEvent('fixture', sourceline), ...fields } as ConnectionEvent;
}

const FIXTURE: ConnectionEvent[] = [
  event(1, {
    starttime: NOW - 10 * MINUTE,
    sourceip: '10.0.0.1',
    sourceport: 50001,
    destinationip: '203.0.113.5',
    destinationport: 443,
    username: 'Alice',
    eventdirection: 'L2R',
    protocol: 'tcp',
    sourcebytes: 100,
    destinationbytes: 2000,
    logsource: 'qradar-json',
    eventcount: 1,
  }),
  event(2, {
    starttime: NOW - 2 * HOUR,
    sourceip: '10.0.0.1',
    sourceport: 50002,
    destinationip: '203.0.113.5',
    destinationport: 443,
    username: 'alice',
    eventdirection: 'L2R',
    protocol: 'tcp',
    sourcebytes: 200,
    destinationbytes: 3000,
    logsource: 'qradar-json',
    eventcount: 3,
  }),
  event(3, {
    starttime: NOW - 30 * HOUR,
    sourceip: '10.0.0.2',
    sourceport: 50003,
    destinationip: '192.168.1.1',
    destinationport: 53,
    username: null,
    eventdirection: 'L2L',
    protocol: 'udp',
    sourcebytes: 50,
    logsource: 'zeek-conn',
  }),
  event(4, {
    starttime: NOW - MINUTE,
    sourceip: '10.0.0.3',
    sourceport: 50004,
    destinationip: '2001:db8::5',
    destinationport: 80,
    username: 'bob_x',
    eventdirection: 'L2R',
    protocol: 'tcp',
    sourcebytes: 300,
    logsource: 'zeek-conn',
    duration: 2.5,
  }),
  event(5, {
    starttime: NOW,
    sourceip: '192.0.2.9',
    sourceport: 40000,
    destinationip: '10.0.0.1',
    destinationport: 22,
    username: 'root',
    eventdirection: 'R2L',
    protocol: 'tcp',
    logsource: 'zeek-conn',
  }),
  // After now, so outside every query.
  event(6, {
    starttime: NOW + HOUR,
    sourceip: '10.0.0.9',
    destinationip: '203.0.113.99',
    destinationport: 443,
    eventdirection: 'L2R',
    protocol: 'tcp',
  }),
];

let store: DuckDbStore;

beforeAll(async () => {
  store = await DuckDbStore.open();
  await store.appendEvents(FIXTURE);
});
afterAll(async () => store.close());

async function query(text: string, now = NOW): Promise<AqlRow[]> {
  return runCompiled(store, compileAql(parseAql(text), text, { now }));
}

/** Returns the AqlError that compiling `text` raises. */
function compileError(text: string): AqlError {
  try {
    compileAql(parseAql(text), text, { now: NOW });
  } catch (error) {
    if (error instanceof AqlError) return error;
    throw error;
  }
  throw new Error(`expected an AqlError for: ${text}`);
}

/** Runs a query with this WHERE clause and returns the sourceline of each row, in order. */
async function lines(where: string): Promise<number[]> {
  const rows = await query(`SELECT sourceline FROM events WHERE ${where} ORDER BY sourceline`);
  return rows.map((row) => row.sourceline as number);
}

describe('fields', () => {
  it('maps QRadar names onto store columns', async () => {
    const rows = await query(
      'SELECT userName, USERNAME, devicetime, protocolid, PROTOCOLNAME(protocolid), LOGSOURCENAME(logsourceid), ' +
        "firstpackettime, lastpackettime, flowdirection FROM flows WHERE sourceip = '10.0.0.3'",
    );
    expect(rows).toEqual([
      {
        userName: 'bob_x',
        USERNAME: 'bob_x',
        devicetime: NOW - MINUTE,
        protocolid: 6,
        'PROTOCOLNAME(protocolid)': 'TCP',
        'LOGSOURCENAME(logsourceid)': 'zeek-conn',
        firstpackettime: NOW - MINUTE,
        lastpackettime: NOW - MINUTE + 2500,
        flowdirection: 'L2R',
      },
    ]);
  });

  it('reads double-quoted names', async () => {
    expect(await query('SELECT "destinationPort" FROM events WHERE "sourceIP" = \'10.0.0.3\'')).toEqual([
      { destinationPort: 80 },
    ]);
  });

  it('SELECT * returns every column up to now', async () => {
    const rows = await query('SELECT * FROM events');
    expect(rows).toHaveLength(5);
    expect(Object.keys(rows[0] as AqlRow)).toEqual([...EVENT_COLUMN_NAMES]);
    expect(rows.map((row) => row.sourceline)).not.toContain(6);
  });

  it('names repeated output columns apart', async () => {
    const rows = await query("SELECT sourceip, sourceip FROM events WHERE sourceip = '10.0.0.3'");
    expect(rows).toEqual([{ sourceip: '10.0.0.3', sourceip_2: '10.0.0.3' }]);
  });

  it('rejects an unknown field with the known ones', () => {
    const error = compileError('SELECT qid FROM events');
    expect(error.kind).toBe('invalid');
    expect([error.line, error.column]).toEqual([1, 8]);
    expect(error.detail).toMatch(/^unknown field "qid"; known fields: .*destinationip.*devicetime/);
  });
});

describe('time clauses', () => {
  it('LAST 2 HOURS excludes an event exactly 2 h old', async () => {
    expect(await lines('sourceline > 0 LAST 2 HOURS')).toEqual([1, 4, 5]);
  });

  it('LAST 121 MINUTES includes it', async () => {
    expect(await lines('sourceline > 0 LAST 121 MINUTES')).toEqual([1, 2, 4, 5]);
  });

  it('LAST 2 DAYS includes every event up to now', async () => {
    expect(await lines('sourceline > 0 LAST 2 DAYS')).toEqual([1, 2, 3, 4, 5]);
  });

  it('LAST is relative to the given now', async () => {
    const rows = await query('SELECT sourceline FROM events LAST 1 DAYS', NOW - 10 * HOUR);
    expect(rows).toEqual([{ sourceline: 3 }]);
  });

  it('START and STOP include both ends', async () => {
    expect(await lines("sourceline > 0 START '2024-01-01 22:00' STOP '2024-01-01 23:50'")).toEqual([1, 2]);
    expect(await lines(`sourceline > 0 START ${NOW - 2 * HOUR + 1} STOP ${NOW - 10 * MINUTE - 1}`)).toEqual(
      [],
    );
  });

  it('NOW() is the query now in epoch ms', async () => {
    expect(await query('SELECT NOW() AS n, NOW() - 86400000 AS d FROM events LIMIT 1', NOW - 5)).toEqual([
      { n: NOW - 5, d: NOW - 5 - 86_400_000 },
    ]);
  });
});

describe('operators', () => {
  it.each([
    ["username LIKE 'a%'", [2]],
    ["username ILIKE 'a%'", [1, 2]],
    ["username LIKE 'bo__x'", [4]],
    ["username LIKE 'bob\\_x'", []],
    ["username NOT LIKE '%o%'", [1, 2]],
    ["username MATCHES '^a'", [2]],
    ["username IMATCHES '^A'", [1, 2]],
    ["username MATCHES 'ob'", [4]],
    ["username NOT MATCHES 'o'", [1, 2]],
    ['destinationport BETWEEN 53 AND 80', [3, 4]],
    ['destinationport NOT BETWEEN 53 AND 80', [1, 2, 5]],
    ['destinationport IN (22, 53)', [3, 5]],
    ['destinationport NOT IN (22, 53)', [1, 2, 4]],
    ['username IS NULL', [3]],
    ['destinationbytes IS NOT NULL', [1, 2]],
    ['sourcebytes * 2 + 1 >= 401 AND sourcebytes / 4 <> 75', [2]],
    ['sourcebytes % 100 = 50 OR NOT destinationport != 22', [3, 5]],
    ['- sourcebytes < -250', [4]],
    ["eventdirection = 'L2R' AND (destinationport = 80 OR destinationport = 443)", [1, 2, 4]],
  ])('%s', async (where, expected) => {
    expect(await lines(where)).toEqual(expected);
  });
});

describe('INCIDR', () => {
  it.each([
    ["INCIDR('10.0.0.0/8', sourceip)", [1, 2, 3, 4]],
    ["INCIDR('203.0.113.0/29', destinationip)", [1, 2]],
    ["INCIDR('203.0.113.0/30', destinationip)", []],
    ["INCIDR('0.0.0.0/0', destinationip)", [1, 2, 3, 5]],
    ["INCIDR('2001:db8::/32', destinationip)", [4]],
    ["INCIDR('::/0', destinationip)", [4]],
    ["NOT INCIDR('10.0.0.0/8', sourceip)", [5]],
  ])('%s', async (where, expected) => {
    expect(await lines(where)).toEqual(expected);
  });

  it('rejects an invalid network', () => {
    expect(compileError("SELECT sourceip FROM events WHERE INCIDR('10.0.0/33', sourceip)").detail).toBe(
      "invalid network '10.0.0/33' in INCIDR: use a CIDR such as '10.0.0.0/8' or '2001:db8::/32'",
    );
  });

  it('agrees with ipaddr.js on random addresses', async () => {
    const own = await DuckDbStore.open();
    const ipv4 = fc
      .tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255))
      .map((octets) => octets.join('.'));
    const ipv6 = fc
      .array(fc.nat(0xffff), { minLength: 8, maxLength: 8 })
      .map((parts) => new ipaddr.IPv6(parts));
    // Each IPv6 address in three spellings: compressed, full, and upper-case.
    const spelling = fc.tuple(ipv6, fc.constantFrom('short', 'full', 'upper')).map(([address, form]) => {
      if (form === 'full') return address.toNormalizedString();
      const short = address.toString();
      return form === 'upper' ? short.toUpperCase() : short;
    });
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.oneof(ipv4, spelling, fc.constantFrom('', 'not-an-ip', '1.2.3', '01.2.3.4', '1::2::3')),
            {
              minLength: 1,
              maxLength: 8,
            },
          ),
          fc.oneof(
            ipv4,
            ipv6.map((address) => address.toString()),
          ),
          fc.nat(128),
          async (addresses, networkBase, prefixSeed) => {
            const isV4 = !networkBase.includes(':');
            const prefix = prefixSeed % (isV4 ? 33 : 129);
            const cidr = `${networkBase}/${prefix}`;
            const range = ipaddr.parseCIDR(cidr);
            await own.run('DELETE FROM events');
            await own.appendEvents(
              addresses.map((destinationip, index) => event(index, { starttime: NOW, destinationip })),
            );
            const text = `SELECT sourceline FROM events WHERE INCIDR('${cidr}', destinationip) ORDER BY sourceline`;
            const rows = await runCompiled(own, compileAql(parseAql(text), text, { now: NOW }));
            const expected = addresses.flatMap((address, index) => {
              if (!ipaddr.isValid(address) || /^\d+\.\d+\.\d+$/.test(address) || /(^|\.)0\d/.test(address))
                return [];
              const parsed = ipaddr.parse(address);
              return parsed.kind() === range[0].kind() && parsed.match(range) ? [index] : [];
            });
            expect(rows.map((row) => row.sourceline)).toEqual(expected);
          },
        ),
        { numRuns: 150 },
      );
    } finally {
      await own.close();
    }
  });
});

describe('functions', () => {
  it('converts and formats values', async () => {
    const rows = await query(
      "SELECT LONG(duration * 2) AS l, DOUBLE('2.5') AS d, STR(destinationport) AS s, LOWER(username) AS lo, " +
        "UPPER(username) AS up, CONCAT(sourceip, ':', destinationport) AS c, " +
        "DATEFORMAT(starttime, 'yyyy-MM-dd HH:mm:ss.SSS') AS f, DATEFORMAT(starttime, 'EEE d MMM yy ''at'' h a') AS g " +
        "FROM events WHERE sourceip = '10.0.0.3'",
    );
    expect(rows).toEqual([
      {
        l: 5,
        d: 2.5,
        s: '80',
        lo: 'bob_x',
        up: 'BOB_X',
        c: '10.0.0.3:80',
        f: '2024-01-01 23:59:00.000',
        g: 'Mon 1 Jan 24 at 11 PM',
      },
    ]);
  });

  it('rejects an unsupported DATEFORMAT letter', () => {
    expect(compileError("SELECT DATEFORMAT(starttime, 'yyyy-ww') FROM events").kind).toBe('unsupported');
  });

  it('computes every aggregate per group', async () => {
    const rows = await query(
      'SELECT sourceip, COUNT(*) AS n, COUNT(username) AS named, MIN(sourcebytes) AS lo, MAX(sourcebytes) AS hi, ' +
        'SUM(eventcount) AS events, AVG(sourcebytes) AS mean, STDEV(sourcebytes) AS sd, UNIQUECOUNT(username) AS users, ' +
        'FIRST(username) AS first, LAST(username) AS last FROM events GROUP BY sourceip ORDER BY sourceip',
    );
    expect(rows).toEqual([
      {
        sourceip: '10.0.0.1',
        n: 2,
        named: 2,
        lo: 100,
        hi: 200,
        events: 4,
        mean: 150,
        sd: Math.sqrt(5000),
        users: 2,
        first: 'alice',
        last: 'Alice',
      },
      {
        sourceip: '10.0.0.2',
        n: 1,
        named: 0,
        lo: 50,
        hi: 50,
        events: 1,
        mean: 50,
        sd: null,
        users: 0,
        first: null,
        last: null,
      },
      {
        sourceip: '10.0.0.3',
        n: 1,
        named: 1,
        lo: 300,
        hi: 300,
        events: 1,
        mean: 300,
        sd: null,
        users: 1,
        first: 'bob_x',
        last: 'bob_x',
      },
      {
        sourceip: '192.0.2.9',
        n: 1,
        named: 1,
        lo: null,
        hi: null,
        events: 1,
        mean: null,
        sd: null,
        users: 1,
        first: 'root',
        last: 'root',
      },
    ]);
  });

  it('evaluates CASE and IF', async () => {
    const rows = await query(
      "SELECT sourceline, CASE WHEN destinationport = 443 THEN 'web' WHEN destinationport = 53 THEN 'dns' ELSE 'other' END AS kind, " +
        "CASE eventdirection WHEN 'R2L' THEN 'in' END AS way, IF username IS NULL THEN 'none' ELSE username AS who " +
        'FROM events ORDER BY sourceline',
    );
    expect(rows).toEqual([
      { sourceline: 1, kind: 'web', way: null, who: 'Alice' },
      { sourceline: 2, kind: 'web', way: null, who: 'alice' },
      { sourceline: 3, kind: 'dns', way: null, who: 'none' },
      { sourceline: 4, kind: 'other', way: null, who: 'bob_x' },
      { sourceline: 5, kind: 'other', way: 'in', who: 'root' },
    ]);
  });

  it.each([
    ["SELECT read_csv('/etc/passwd') FROM events", 'invalid', 'unknown function READ_CSV'],
    ['SELECT version() FROM events', 'invalid', 'unknown function VERSION'],
    [
      "SELECT REFERENCESETCONTAINS('set', sourceip) FROM events",
      'unsupported',
      'function REFERENCESETCONTAINS is not supported',
    ],
    [
      'SELECT sourceip FROM events WHERE COUNT(*) > 1',
      'invalid',
      'aggregate COUNT is not allowed in WHERE; move the condition to HAVING',
    ],
    [
      'SELECT SUM(MAX(sourcebytes)) FROM events',
      'invalid',
      'aggregate MAX cannot be nested inside another aggregate',
    ],
    ['SELECT LONG(sourcebytes, 2) FROM events', 'invalid', 'LONG takes 1 argument, got 2'],
    ['SELECT SUM(*) FROM events', 'syntax', '"*" is allowed only in COUNT(*), not in SUM'],
    [
      'SELECT INCIDR(sourceip, sourceip) FROM events',
      'invalid',
      "INCIDR takes the network as a string, such as INCIDR('10.0.0.0/8', sourceip)",
    ],
  ])('rejects %s', (text, kind, detail) => {
    const error = compileError(text);
    expect(error.kind).toBe(kind);
    expect(error.detail).toBe(detail);
  });
});

describe('clauses', () => {
  // The two groups tie on bytes, so the first output column (src) orders them.
  it('HAVING and ORDER BY expand SELECT aliases', async () => {
    const rows = await query(
      'SELECT sourceip AS src, COUNT(*) AS n, SUM(sourcebytes) AS bytes FROM events GROUP BY src HAVING n >= 1 AND bytes > 60 ORDER BY bytes DESC',
    );
    expect(rows).toEqual([
      { src: '10.0.0.1', n: 2, bytes: 300 },
      { src: '10.0.0.3', n: 1, bytes: 300 },
    ]);
  });

  it('breaks ORDER BY ties by the output columns', async () => {
    const rows = await query('SELECT destinationport, sourceline FROM events ORDER BY destinationport DESC');
    expect(rows.map((row) => row.sourceline)).toEqual([1, 2, 4, 3, 5]);
  });

  it('LIMIT keeps the first rows', async () => {
    expect(await query('SELECT sourceline FROM events ORDER BY sourceline DESC LIMIT 2')).toEqual([
      { sourceline: 5 },
      { sourceline: 4 },
    ]);
  });

  it('an alias is not a field in WHERE', () => {
    expect(compileError('SELECT sourcebytes AS b FROM events WHERE b > 1').detail).toMatch(
      /^unknown field "b"; the alias b can be used in GROUP BY, HAVING and ORDER BY; known fields/,
    );
  });
});

describe('safety', () => {
  it('binds a string with SQL syntax as a value', async () => {
    const injection = "x'); DROP TABLE events; --";
    const text = `SELECT sourceline FROM events WHERE username = '${injection.replaceAll("'", "''")}'`;
    const compiled = compileAql(parseAql(text), text, { now: NOW });
    expect(compiled.sql).not.toContain('DROP');
    expect(compiled.params).toContain(injection);
    expect(await runCompiled(store, compiled)).toEqual([]);
    const [count] = await store.all<{ n: number }>('SELECT count(*) AS n FROM events');
    expect(count?.n).toBe(FIXTURE.length);
  });

  it('keeps aliases out of the SQL', () => {
    const text = 'SELECT sourceip AS "x"" FROM rejects; --" FROM events';
    const compiled = compileAql(parseAql(text), text, { now: NOW });
    expect(compiled.sql).not.toContain('rejects');
    expect(compiled.columns).toEqual(['x" FROM rejects; --']);
  });

  it('compiles random token queries or raises AqlError', () => {
    const words = [
      'sourceip',
      'username',
      "'a'",
      '1',
      '(',
      ')',
      ',',
      'AND',
      'OR',
      'NOT',
      '=',
      '+',
      'COUNT',
      'SUM',
      'LONG',
      'NOW',
      'INCIDR',
      "'10.0.0.0/8'",
      'CASE',
      'WHEN',
      'THEN',
      'ELSE',
      'END',
      'IF',
      'AS',
      'x',
      'GROUP',
      'BY',
      'HAVING',
      'ORDER',
      'DESC',
      'events',
      'FROM',
      'WHERE',
      '*',
      'IS',
      'NULL',
      'IN',
      'DATEFORMAT',
      "'yyyy'",
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...words), { maxLength: 25 }), (parts) => {
        const text = `SELECT ${parts.join(' ')}`;
        try {
          compileAql(parseAql(text), text, { now: NOW });
        } catch (error) {
          if (!(error instanceof AqlError)) throw error;
        }
      }),
      { numRuns: 3000 },
    );
  });
});
