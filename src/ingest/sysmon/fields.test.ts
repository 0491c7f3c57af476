import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { DuckDbStore, sqlString } from '../../store/duckdb.js';
import { MAX_EPOCH_MS } from '../time.js';
import { isSysmonSource, networkConnectEvent, parseSysmonUtcTime, sysmonUtcTimeMsSql } from './fields.js';

let store: DuckDbStore;

beforeAll(async () => {
  store = await DuckDbStore.open();
});

afterAll(async () => {
  await store.close();
});

async function parseInSql(texts: readonly string[]): Promise<Array<number | null>> {
  const values = texts.map((text, index) => `(${index}, ${sqlString(text)})`).join(', ');
  const rows = await store.all<{ ms: number | null }>(
    `SELECT ${sysmonUtcTimeMsSql('t')} AS ms FROM (VALUES ${values}) AS input(i, t) ORDER BY i`,
  );
  return rows.map((row) => row.ms);
}

/** UtcTime as Sysmon writes it: "2020-09-20 21:08:39.557". */
function utcTimeText(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

const INVALID_TIMES = [
  '',
  '2020-09-20T21:08:39.557Z',
  '2020-09-20 21:08:39.557Z',
  '2020-09-20',
  '20/09/2020 21:08:39',
  '2020-02-30 10:00:00.000',
  '2020-13-01 10:00:00.000',
  '2020-09-20 24:00:00.000',
  '2020-09-20 21:60:00.000',
  '2020-09-20 21:08:60.000',
  '2020-09-20 21:08:39.1234567',
  '1969-12-31 23:59:59.999',
  ' 2020-09-20 21:08:39.557',
];

describe('parseSysmonUtcTime', () => {
  test('parses Sysmon times as UTC', () => {
    expect(parseSysmonUtcTime('2020-09-20 21:08:39.557')).toBe(Date.UTC(2020, 8, 20, 21, 8, 39, 557));
    expect(parseSysmonUtcTime('2020-09-20 21:08:39')).toBe(Date.UTC(2020, 8, 20, 21, 8, 39));
    expect(parseSysmonUtcTime('2020-09-20 21:08:39.5')).toBe(Date.UTC(2020, 8, 20, 21, 8, 39, 500));
    expect(parseSysmonUtcTime('2020-09-20 21:08:39.557999')).toBe(Date.UTC(2020, 8, 20, 21, 8, 39, 557));
    expect(parseSysmonUtcTime('2024-02-29 00:00:00.000')).toBe(Date.UTC(2024, 1, 29));
  });

  test('returns null for other text', () => {
    for (const text of INVALID_TIMES) expect(parseSysmonUtcTime(text), text).toBeNull();
  });

  test('round-trips any time', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_EPOCH_MS }), (ms) => {
        expect(parseSysmonUtcTime(utcTimeText(ms))).toBe(ms);
      }),
    );
  });
});

describe('sysmonUtcTimeMsSql', () => {
  test('agrees with parseSysmonUtcTime', async () => {
    const valid = fc.sample(fc.integer({ min: 1, max: MAX_EPOCH_MS }), 500).map(utcTimeText);
    const texts = [...valid, ...INVALID_TIMES, '2020-09-20 21:08:39.557999', '2020-09-20 21:08:39'];
    const parsed = await parseInSql(texts);
    texts.forEach((text, index) => expect(parsed[index], text).toBe(parseSysmonUtcTime(text)));
  });
});

describe('isSysmonSource', () => {
  test('matches Sysmon providers and channels', () => {
    expect(isSysmonSource('Microsoft-Windows-Sysmon', null)).toBe(true);
    expect(isSysmonSource(null, 'Microsoft-Windows-Sysmon/Operational')).toBe(true);
    expect(isSysmonSource('Linux-Sysmon', null)).toBe(true);
    expect(isSysmonSource(null, null)).toBe(true);
    expect(isSysmonSource('Microsoft-Windows-Bits-Client', 'Microsoft-Windows-Bits-Client/Operational')).toBe(
      false,
    );
  });
});

describe('networkConnectEvent', () => {
  const fields = {
    UtcTime: '2024-04-19 10:00:02.250',
    SourceIp: '10.1.2.3',
    SourcePort: '50100',
    DestinationIp: '203.0.113.7',
    DestinationPort: '80',
    Protocol: 'TCP',
    User: '-',
    Image: 'C:\\agent.exe',
    DestinationHostname: '-',
    Computer: null,
  };

  test('maps dashes and absent hosts to null', () => {
    expect(networkConnectEvent(fields, 'sysmon-xml', 'f.xml', 7)).toMatchObject({
      starttime: Date.UTC(2024, 3, 19, 10, 0, 2, 250),
      username: null,
      servername: null,
      protocol: 'tcp',
      logsource: 'sysmon-xml',
      sourcefile: 'f.xml',
      sourceline: 7,
    });
  });

  test('rejects out-of-range ports', () => {
    expect(networkConnectEvent({ ...fields, DestinationPort: '65536' }, 'sysmon-xml', 'f.xml', 1)).toEqual({
      reject: 'invalid DestinationPort',
    });
    expect(networkConnectEvent({ ...fields, SourcePort: '80.5' }, 'sysmon-xml', 'f.xml', 1)).toEqual({
      reject: 'invalid SourcePort',
    });
  });
});
