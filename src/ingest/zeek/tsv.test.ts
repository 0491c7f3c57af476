import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { afterEach, describe, expect, test } from 'vitest';

import type { ConnectionEvent } from '../../model/event.js';
import { DuckDbStore } from '../../store/duckdb.js';
import { detectFormat } from '../formats.js';
import { importFiles, type ImportOptions } from '../import.js';
import { sniffFile } from '../sniff.js';
import { parseZeekTsvHeader } from './tsv.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../../test/fixtures/zeek/${name}`, import.meta.url));

const stores: DuckDbStore[] = [];
const folders: string[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function tempFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-zeek-tsv-'));
  folders.push(folder);
  return folder;
}

async function importPaths(paths: string[], options: ImportOptions = {}) {
  const store = await DuckDbStore.open();
  stores.push(store);
  const report = await importFiles(store, paths, options);
  const events = await store.all<ConnectionEvent>('SELECT * FROM events ORDER BY sourcefile, sourceline');
  return { store, report, summary: report.summary(), events };
}

function eventByUid(events: readonly ConnectionEvent[], uid: string): ConnectionEvent {
  const event = events.find((candidate) => candidate.uid === uid);
  if (event === undefined) throw new Error(`no event with uid ${uid}`);
  return event;
}

/** Returns the standard Zeek header lines that precede `#fields` and `#types`. */
function zeekHeader(path: string): string[] {
  return [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    `#path\t${path}`,
    '#open\t2024-04-19-10-00-00',
  ];
}

describe('parseZeekTsvHeader', () => {
  test('reads a tab-separated header', async () => {
    const lines = (await readFile(fixture('conn-reordered.log'), 'utf8')).split('\n');
    const header = parseZeekTsvHeader(lines);

    expect(header?.separator).toBe('\t');
    expect(header?.unset).toBe('-');
    expect(header?.empty).toBe('(empty)');
    expect(header?.path).toBe('conn');
    expect(header?.fields[0]).toBe('_node_name');
    expect(header?.fields.at(-1)).toBe('detailedlabel');
    expect(header?.fields).toHaveLength(16);
  });

  test('decodes a custom \\x2c separator', () => {
    const header = parseZeekTsvHeader([
      '#separator \\x2c',
      '#set_separator,;',
      '#empty_field,EMPTY',
      '#unset_field,NA',
      '#path,conn',
      '#fields,ts,uid,id.orig_h',
      '#types,time,string,addr',
      '1713520800.0,C1,10.0.0.1',
    ]);

    expect(header?.separator).toBe(',');
    expect(header?.unset).toBe('NA');
    expect(header?.empty).toBe('EMPTY');
    expect(header?.path).toBe('conn');
    expect(header?.fields).toEqual(['ts', 'uid', 'id.orig_h']);
  });

  test('returns null without #fields', () => {
    expect(parseZeekTsvHeader(['#separator \\x09', '#path\tconn', '1\t2'])).toBeNull();
  });

  test('comma-separated log loads', async () => {
    const folder = await tempFolder();
    const path = join(folder, 'conn.log');
    await writeFile(
      path,
      [
        '#separator \\x2c',
        '#set_separator,;',
        '#empty_field,EMPTY',
        '#unset_field,NA',
        '#path,conn',
        '#fields,ts,uid,id.orig_h,id.orig_p,id.resp_h,id.resp_p,proto,service,conn_state',
        '#types,time,string,addr,port,addr,port,enum,string,string',
        '1713520800.5,CComma1,10.0.0.1,50000,203.0.113.7,443,tcp,NA,SF',
        '1713520801.5,CComma2,10.0.0.1,50001,203.0.113.7,443,tcp,EMPTY,S0',
        '',
      ].join('\n'),
    );

    const { events } = await importPaths([path]);

    expect(events.map((event) => event.uid)).toEqual(['CComma1', 'CComma2']);
    expect(events[0]?.destinationport).toBe(443);
    expect(events[0]?.starttime).toBe(1713520800500);
    expect(events[0]?.service).toBeNull();
    expect(events[1]?.service).toBeNull();
    expect(events[1]?.connstate).toBe('S0');
  });
});

describe('zeek-tsv conn fields', () => {
  test('maps fields by name in any order', async () => {
    const path = fixture('conn-reordered.log');
    const { events, summary } = await importPaths([path]);

    expect(summary.eventsRead).toBe(3);
    expect(summary.linesSkipped).toBe(0);
    const first = eventByUid(events, 'CReord1');
    expect(first.starttime).toBe(1713520800123);
    expect(first.sourceip).toBe('192.168.1.10');
    expect(first.sourceport).toBe(50000);
    expect(first.destinationip).toBe('64.225.56.201');
    expect(first.destinationport).toBe(80);
    expect(first.protocol).toBe('tcp');
    expect(first.service).toBe('http');
    expect(first.duration).toBe(1.5);
    expect(first.sourcebytes).toBe(100);
    expect(first.destinationbytes).toBe(200);
    expect(first.connstate).toBe('SF');
    expect(first.logsource).toBe('zeek-tsv');
    expect(first.sourcefile).toBe(path);
    expect(first.sourceline).toBe(9);
  });

  test('unset and empty values become NULL', async () => {
    const { events } = await importPaths([fixture('conn-reordered.log')]);

    const unset = eventByUid(events, 'CReord2');
    expect(unset.service).toBeNull();
    expect(unset.duration).toBeNull();
    expect(unset.sourcebytes).toBeNull();
    expect(unset.destinationbytes).toBeNull();
    const empty = eventByUid(events, 'CReord3');
    expect(empty.service).toBeNull();
    expect(empty.sourcebytes).toBe(0);
  });

  test('IPv6 addresses load unchanged', async () => {
    const { events } = await importPaths([fixture('conn-reordered.log')]);

    const event = eventByUid(events, 'CReord2');
    expect(event.sourceip).toBe('fd00::10');
    expect(event.destinationip).toBe('2001:db8::5');
    expect(event.destinationport).toBe(443);
    expect(event.starttime).toBe(1713520805000);
    expect(event.sourceline).toBe(10);
  });

  test('protocol is lower-cased', async () => {
    const { events } = await importPaths([fixture('conn-reordered.log')]);

    expect(eventByUid(events, 'CReord3').protocol).toBe('udp');
  });

  test('conn.log.labeled is detected by content', async () => {
    const path = fixture('conn.log.labeled');
    expect(detectFormat(await sniffFile(path))?.id).toBe('zeek-tsv');

    const { events, summary } = await importPaths([path]);

    expect(summary.files[0]?.format).toBe('zeek-tsv');
    expect(events.map((event) => event.connstate)).toEqual(['S0', 'REJ']);
    expect(events.map((event) => event.destinationport)).toEqual([1177, 1177]);
  });
});

describe('zeek-tsv compressed and rotated files', () => {
  for (const name of ['conn.log.gz', 'conn.10:00:00-11:00:00.log.gz']) {
    test(`loads ${name}`, async () => {
      const folder = await tempFolder();
      const path = join(folder, name);
      await writeFile(path, gzipSync(await readFile(fixture('conn-reordered.log'))));

      const { events, summary } = await importPaths([path]);

      expect(summary.files[0]?.format).toBe('zeek-tsv');
      expect(summary.files[0]?.status).toBe('loaded');
      expect(summary.files[0]?.message).toBeUndefined();
      expect(summary.linesSkipped).toBe(0);
      expect(events.map((event) => event.uid)).toEqual(['CReord1', 'CReord2', 'CReord3']);
      expect(events.map((event) => event.sourceline)).toEqual([9, 10, 11]);
      expect(events[0]?.sourcefile).toBe(path);
    });
  }
});

/** Expected rejects of conn-malformed.log, by 1-based line. */
const MALFORMED_LINES: ReadonlyArray<[number, string]> = [
  [10, 'wrong field count'],
  [11, 'invalid or missing timestamp (ts)'],
  [12, 'missing address (id.orig_h or id.resp_h)'],
  [13, 'invalid port'],
  [14, 'blank line'],
  [15, 'invalid port'],
  [16, 'invalid or missing timestamp (ts)'],
];

async function checkMalformedImport(path: string): Promise<void> {
  const { events, summary } = await importPaths([path]);

  expect(events.map((event) => [event.uid, event.sourceline])).toEqual([
    ['CGood1', 9],
    ['CGood2', 17],
  ]);
  expect(summary.files[0]?.events).toBe(2);
  expect(summary.files[0]?.skipped).toBe(MALFORMED_LINES.length);
  expect(summary.linesSkipped).toBe(MALFORMED_LINES.length);
  expect(summary.skippedByReason).toEqual({
    'wrong field count': 1,
    'invalid or missing timestamp (ts)': 2,
    'missing address (id.orig_h or id.resp_h)': 1,
    'invalid port': 2,
    'blank line': 1,
  });
  for (const [line, reason] of MALFORMED_LINES) {
    const sample = summary.samples.find((candidate) => candidate.line === line);
    expect(sample, `sample for line ${line}`).toBeDefined();
    expect(sample?.reason, `reason for line ${line}`).toBe(reason);
    expect(sample?.file, `file for line ${line}`).toBe(path);
  }
  expect(summary.samples).toHaveLength(MALFORMED_LINES.length);
}

describe('zeek-tsv malformed lines', () => {
  test('counts each reject with file:line', async () => {
    await checkMalformedImport(fixture('conn-malformed.log'));
  });

  test('keeps an excerpt of the rejected line', async () => {
    const { summary } = await importPaths([fixture('conn-malformed.log')]);

    const badTimestamp = summary.samples.find((sample) => sample.line === 11);
    expect(badTimestamp?.excerpt.startsWith('yesterday\tCBadTs')).toBe(true);
    const blank = summary.samples.find((sample) => sample.line === 14);
    expect(blank?.excerpt).toBe('');
  });

  test('CRLF endings keep lines and values', async () => {
    const folder = await tempFolder();
    const malformed = join(folder, 'conn-malformed.log');
    await writeFile(
      malformed,
      (await readFile(fixture('conn-malformed.log'), 'utf8')).replaceAll('\n', '\r\n'),
    );
    await checkMalformedImport(malformed);

    const joined = join(folder, 'conn-joined.log');
    await writeFile(joined, (await readFile(fixture('conn-joined.log'), 'utf8')).replaceAll('\n', '\r\n'));
    const { events } = await importPaths([joined]);
    expect(events).toHaveLength(5);
    for (const event of events) expect(event.connstate).toBe('SF');
  });

  test('line numbers stay exact in 200,000 lines', async () => {
    const header = [
      ...zeekHeader('conn'),
      '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tconn_state',
      '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tstring',
    ];
    const lastLine = 200_000;
    // Bad lines sit in the first 64 KiB sample, past it, and near the end, so that a reordering of
    // DuckDB's parallel CSV chunks would move at least one of them.
    const planted = new Map<number, string>([
      [500, 'invalid or missing timestamp (ts)'],
      [65_537, 'invalid or missing timestamp (ts)'],
      [123_457, 'missing address (id.orig_h or id.resp_h)'],
      [150_001, 'blank line'],
      [199_999, 'invalid port'],
    ]);
    const lines = [...header];
    for (let lineNo = header.length + 1; lineNo <= lastLine; lineNo += 1) {
      const reason = planted.get(lineNo);
      const ts = reason === 'invalid or missing timestamp (ts)' ? 'never' : `${1713520800 + lineNo}.25`;
      const destination = reason?.startsWith('missing address') ? '-' : '203.0.113.7';
      const port = reason === 'invalid port' ? 'x443' : '443';
      lines.push(
        reason === 'blank line'
          ? ''
          : `${ts}\tC${lineNo}\t10.0.0.1\t${lineNo % 60000}\t${destination}\t${port}\ttcp\t-\tSF`,
      );
    }
    const folder = await tempFolder();
    const path = join(folder, 'conn.log');
    await writeFile(path, lines.join('\n') + '\n');

    // importFiles directly: reading 200,000 events back into objects would take most of the test's time.
    const store = await DuckDbStore.open();
    stores.push(store);
    const summary = (await importFiles(store, [path])).summary();

    expect(summary.eventsRead).toBe(lastLine - header.length - planted.size);
    expect(summary.linesSkipped).toBe(planted.size);
    for (const [line, reason] of planted) {
      const sample = summary.samples.find((candidate) => candidate.line === line);
      expect(sample?.reason, `reject at line ${line}`).toBe(reason);
    }
    // Each uid carries the line it was written on, so any event numbered out of file order shows here.
    const [misnumbered] = await store.all<{ count: number }>(
      "SELECT count(*) AS count FROM events WHERE uid <> 'C' || sourceline",
    );
    expect(misnumbered?.count).toBe(0);
  });
});

describe('zeek-tsv protocol logs', () => {
  async function importJoinedFolder(httpLog?: string) {
    const folder = await tempFolder();
    for (const name of ['conn-joined.log', 'ssl.log', 'http.log', 'weird.log', 'x509.log']) {
      await copyFile(fixture(name), join(folder, name));
    }
    if (httpLog !== undefined) await writeFile(join(folder, 'http.log'), httpLog);
    return { folder, ...(await importPaths([folder])) };
  }

  test('ssl server_name joins by uid', async () => {
    const { events } = await importJoinedFolder();

    expect(eventByUid(events, 'CSsl1').servername).toBe('update.example.org');
    expect(eventByUid(events, 'CNoSni').servername).toBeNull();
    expect(eventByUid(events, 'CPlain').servername).toBeNull();
  });

  test('http fields join by uid', async () => {
    const { events } = await importJoinedFolder();

    const event = eventByUid(events, 'CHttp1');
    expect(event.servername).toBe('c2.example.net');
    expect(event.uri).toBe('/beacon?id=1');
    expect(event.useragent).toBe('Mozilla/4.0 (compatible; MSIE 6.0)');
    const plain = eventByUid(events, 'CPlain');
    expect(plain.uri).toBeNull();
    expect(plain.useragent).toBeNull();
  });

  test('IPv6 host keeps brackets without port', async () => {
    const { events } = await importJoinedFolder();

    const event = eventByUid(events, 'CHttp6');
    expect(event.servername).toBe('[2001:db8::1]');
    expect(event.uri).toBe('/v6');
    expect(event.useragent).toBeNull();
  });

  test('first keep-alive request wins', async () => {
    const lines = (await readFile(fixture('http.log'), 'utf8')).split('\n');
    const first = lines.findIndex((line) => line.includes('/beacon?id=1'));
    // Write the later request above the earlier one: the earliest ts must still win.
    const reordered = [...lines];
    [reordered[first], reordered[first + 1]] = [lines[first + 1] ?? '', lines[first] ?? ''];

    const { events } = await importJoinedFolder(reordered.join('\n'));

    const event = eventByUid(events, 'CHttp1');
    expect(event.servername).toBe('c2.example.net');
    expect(event.uri).toBe('/beacon?id=1');
    expect(event.useragent).toBe('Mozilla/4.0 (compatible; MSIE 6.0)');
  });

  test('bare IPv6 host is kept whole', async () => {
    const lines = (await readFile(fixture('http.log'), 'utf8')).split('\n');
    const edited = lines.map((line) => line.replace('[2001:db8::1]:8080', '2001:db8::1'));

    const { events } = await importJoinedFolder(edited.join('\n'));

    expect(eventByUid(events, 'CHttp6').servername).toBe('2001:db8::1');
  });

  test('side logs report records, not events', async () => {
    const { folder, summary } = await importJoinedFolder();

    expect(summary.eventsRead).toBe(5);
    const ssl = summary.files.find((file) => file.path === join(folder, 'ssl.log'));
    expect(ssl?.status).toBe('loaded');
    expect(ssl?.events).toBe(0);
    expect(ssl?.message).toBe('2 ssl records to join by uid');
    const http = summary.files.find((file) => file.path === join(folder, 'http.log'));
    expect(http?.message).toBe('3 http records to join by uid');
  });

  test('weird and x509 logs are ignored', async () => {
    const { folder, summary } = await importJoinedFolder();

    const weird = summary.files.find((file) => file.path === join(folder, 'weird.log'));
    expect(weird?.status).toBe('ignored');
    expect(weird?.format).toBe('zeek-tsv');
    expect(weird?.message).toBe('Zeek weird log, not used');
    const x509 = summary.files.find((file) => file.path === join(folder, 'x509.log'));
    expect(x509?.status).toBe('ignored');
    expect(x509?.message).toBe('Zeek x509 log, not used');
  });
});

describe('zeek-tsv timestamp range', () => {
  test('timestamps before 1970 or after 9999 are skipped', async () => {
    const folder = await tempFolder();
    const path = join(folder, 'conn.log');
    const lines = [
      ...zeekHeader('conn'),
      '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto',
      '0.5\tCRelative\t10.0.0.1\t5000\t192.0.2.1\t443\ttcp',
      '-5\tCNegative\t10.0.0.1\t5001\t192.0.2.1\t443\ttcp',
      '1e13\tCFuture\t10.0.0.1\t5002\t192.0.2.1\t443\ttcp',
      '1713520800.25\tCToday\t10.0.0.1\t5003\t192.0.2.1\t443\ttcp',
    ];
    await writeFile(path, `${lines.join('\n')}\n`);

    const { summary, events } = await importPaths([path]);

    expect(events.map((event) => event.uid)).toEqual(['CRelative', 'CToday']);
    expect(eventByUid(events, 'CRelative').starttime).toBe(500);
    expect(summary.skippedByReason).toEqual({ 'timestamp out of range (ts before 1970 or after 9999)': 2 });
    expect(summary.samples.map((sample) => sample.line)).toEqual([9, 10]);
  });
});

describe('zeek-tsv concatenated logs', () => {
  const CONN_FIELDS = [
    'ts',
    'uid',
    'id.orig_h',
    'id.orig_p',
    'id.resp_h',
    'id.resp_p',
    'proto',
    'conn_state',
  ];

  /** Returns a conn.log part: a header with `fields` in the given order and one line per record. */
  function connPart(fields: readonly string[], records: ReadonlyArray<Record<string, string>>): string[] {
    return [
      ...zeekHeader('conn'),
      `#fields\t${fields.join('\t')}`,
      `#types\t${fields.map(() => 'string').join('\t')}`,
      ...records.map((record) => fields.map((field) => record[field] ?? '-').join('\t')),
      '#close\t2024-04-19-11-00-00',
    ];
  }

  function connRecord(uid: string, second: number, ts?: string): Record<string, string> {
    return {
      ts: ts ?? `${1713520800 + second}.5`,
      uid,
      'id.orig_h': '10.0.0.1',
      'id.orig_p': String(50000 + second),
      'id.resp_h': '203.0.113.7',
      'id.resp_p': '443',
      proto: 'tcp',
      conn_state: 'SF',
    };
  }

  async function writeLog(lines: readonly string[]): Promise<string> {
    const path = join(await tempFolder(), 'all.log');
    await writeFile(path, `${lines.join('\n')}\n`);
    return path;
  }

  test('a later #fields order is read by name', async () => {
    const reordered = [...CONN_FIELDS].reverse();
    const first = connPart(CONN_FIELDS, [connRecord('CPartA1', 1), connRecord('CPartA2', 2)]);
    const path = await writeLog([...first, ...connPart(reordered, [connRecord('CPartB1', 3)])]);

    const { events, summary } = await importPaths([path], { strict: true });

    expect(events.map((event) => [event.uid, event.sourceline])).toEqual([
      ['CPartA1', 9],
      ['CPartA2', 10],
      ['CPartB1', first.length + 9],
    ]);
    expect(eventByUid(events, 'CPartB1')).toMatchObject({
      starttime: (1713520800 + 3) * 1000 + 500,
      sourceip: '10.0.0.1',
      sourceport: 50003,
      destinationip: '203.0.113.7',
      destinationport: 443,
      protocol: 'tcp',
      connstate: 'SF',
    });
    expect(summary.linesSkipped).toBe(0);
    expect(summary.files[0]?.message).toBe('2 #fields headers, each applied to the records below it');
  });

  test('the same #fields order needs no second read', async () => {
    const path = await writeLog([
      ...connPart(CONN_FIELDS, [connRecord('CSame1', 1)]),
      ...connPart(CONN_FIELDS, [connRecord('CSame2', 2)]),
    ]);

    const { events, summary } = await importPaths([path]);

    expect(events.map((event) => event.uid)).toEqual(['CSame1', 'CSame2']);
    expect(summary.files[0]?.message).toBeUndefined();
  });

  test('skipped lines of every part are counted once', async () => {
    const reordered = [...CONN_FIELDS].reverse();
    const first = connPart(CONN_FIELDS, [connRecord('CBadA', 1, 'never'), connRecord('CGoodA', 2)]);
    const second = connPart(reordered, [connRecord('CGoodB', 3), connRecord('CBadB', 4, 'never')]);
    const third = connPart(CONN_FIELDS, [connRecord('CGoodC', 5)]);
    const path = await writeLog([...first, ...second, ...third]);

    const { events, summary } = await importPaths([path]);

    expect(events.map((event) => event.uid)).toEqual(['CGoodA', 'CGoodB', 'CGoodC']);
    expect(summary.linesSkipped).toBe(2);
    expect(summary.samples.map((sample) => [sample.line, sample.reason])).toEqual([
      [9, 'invalid or missing timestamp (ts)'],
      [first.length + 10, 'invalid or missing timestamp (ts)'],
    ]);
    expect(summary.files[0]?.message).toBe('3 #fields headers, each applied to the records below it');
  });

  test('a log of another kind is skipped with where to split', async () => {
    const conn = connPart(CONN_FIELDS, [connRecord('CConn1', 1)]);
    const dns = [
      ...zeekHeader('dns'),
      '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tquery\tqtype_name\trcode_name\tanswers',
      '#types\ttime\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\tvector[string]',
      '1713520801.0\tCDns1\t10.0.0.1\t53000\t10.0.0.53\t53\tc2.example.net\tA\tNOERROR\t203.0.113.7',
    ];
    const path = await writeLog([...conn, ...dns]);

    const { events, summary } = await importPaths([path]);

    expect(events.map((event) => event.uid)).toEqual(['CConn1']);
    expect(summary.samples.map((sample) => [sample.line, sample.reason])).toEqual([
      [
        conn.length + 9,
        `Zeek dns log after the conn log in one file (#fields at line ${conn.length + 7}); split the file at its #fields lines and load each part`,
      ],
    ]);
  });

  test('a log that is not used is passed over', async () => {
    const conn = connPart(CONN_FIELDS, [connRecord('CConn1', 1)]);
    const weird = [
      ...zeekHeader('weird'),
      '#fields\tts\tuid\tname',
      '#types\ttime\tstring\tstring',
      '1713520801.0\tCWeird1\tbad_TCP_checksum',
    ];
    const path = await writeLog([...conn, ...weird]);

    const { events, summary } = await importPaths([path], { strict: true });

    expect(events.map((event) => event.uid)).toEqual(['CConn1']);
    expect(summary.files[0]?.message).toBe(
      '2 #fields headers, each applied to the records below it; 1 record of Zeek logs that are not used ignored',
    );
  });

  test('line numbers stay exact after a line that is not UTF-8', async () => {
    const reordered = [...CONN_FIELDS].reverse();
    const first = connPart(CONN_FIELDS, [connRecord('CUtfA', 1)]);
    const second = connPart(reordered, [connRecord('CUtfB', 2)]);
    const before = `${first.slice(0, 9).join('\n')}\n`;
    const after = `\n${[...first.slice(9), ...second].join('\n')}\n`;
    const path = join(await tempFolder(), 'all.log');
    // Line 10 is the bytes FF FE, which are not UTF-8.
    await writeFile(
      path,
      Buffer.concat([Buffer.from(before), Buffer.from([0xff, 0xfe]), Buffer.from(after)]),
    );

    const { events, summary } = await importPaths([path]);

    expect(events.map((event) => [event.uid, event.sourceline])).toEqual([
      ['CUtfA', 9],
      ['CUtfB', first.length + 1 + 9],
    ]);
    expect(summary.samples.map((sample) => [sample.line, sample.reason])).toEqual([[10, 'invalid UTF-8']]);
  });
});
