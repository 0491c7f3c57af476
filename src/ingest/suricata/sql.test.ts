import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { DuckDbStore, sqlString } from '../../store/duckdb.js';
import { canonicalIpSql } from '../address.js';
import { connStateSql, eveTimeUsSql } from './sql.js';

let store: DuckDbStore;

beforeAll(async () => {
  store = await DuckDbStore.open();
});

afterAll(async () => {
  await store.close();
});

/** Evaluates `expression` over each text in one query and returns the values in input order. */
async function evaluate<T>(expression: (column: string) => string, texts: readonly string[]): Promise<T[]> {
  const values = texts.map((text, index) => `(${index}, ${sqlString(text)})`).join(', ');
  const rows = await store.all<{ value: T }>(
    `SELECT ${expression('t')} AS value FROM (VALUES ${values}) AS input(i, t) ORDER BY i`,
  );
  return rows.map((row) => row.value);
}

/** Writes an address as Suricata does: eight groups of four lower-case hex digits. */
function suricataIpv6(groups: readonly number[]): string {
  return groups.map((group) => group.toString(16).padStart(4, '0')).join(':');
}

describe('canonicalIpSql', () => {
  test('compresses Suricata full-form IPv6', async () => {
    const texts = [
      '2001:0db8:0000:0000:0000:0000:0000:0001',
      '0000:0000:0000:0000:0000:0000:0000:0000',
      '0000:0000:0000:0000:0000:0000:0000:0001',
      '0001:0000:0000:0000:0000:0000:0000:0000',
      '2001:0db8:0000:0001:0000:0000:0000:0001',
      '2001:0db8:0000:0000:0001:0000:0000:0001',
      '2001:0DB8:00FF:0000:0000:0000:0000:0001',
      '2001:0db8:0001:0002:0003:0004:0005:0006',
      '2001:0db8:0000:0001:0002:0003:0004:0005',
    ];

    expect(await evaluate(canonicalIpSql, texts)).toEqual([
      '2001:db8::1',
      '::',
      '::1',
      '1::',
      '2001:db8:0:1::1',
      '2001:db8::1:0:0:1',
      '2001:db8:ff::1',
      '2001:db8:1:2:3:4:5:6',
      '2001:db8:0:1:2:3:4:5',
    ]);
  });

  test('leaves other text unchanged', async () => {
    const texts = ['192.0.2.1', '2001:db8::1', 'fe80::1%eth0', 'not an address', ''];

    expect(await evaluate(canonicalIpSql, texts)).toEqual(texts);
  });

  test('matches RFC 5952 text for any address', async () => {
    // Groups are zero half the time, so that runs of zeros of every length and position come up.
    const group = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 0xffff }));
    const addresses = fc.array(fc.array(group, { minLength: 8, maxLength: 8 }), {
      minLength: 1,
      maxLength: 50,
    });

    await fc.assert(
      fc.asyncProperty(addresses, async (batch) => {
        const texts = batch.map(suricataIpv6);
        const expected = texts.map((text) => ipaddr.IPv6.parse(text).toRFC5952String());
        expect(await evaluate(canonicalIpSql, texts)).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });
});

/** Writes epoch milliseconds as Suricata does, as local time at `offsetMinutes` east of UTC. */
function suricataTime(epochMs: number, microseconds: number, offsetMinutes: number): string {
  const local = new Date(epochMs + offsetMinutes * 60_000).toISOString();
  const fraction = String((epochMs % 1000) * 1000 + microseconds).padStart(6, '0');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const hours = String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, '0');
  const minutes = String(Math.abs(offsetMinutes) % 60).padStart(2, '0');
  return `${local.slice(0, 19)}.${fraction}${sign}${hours}${minutes}`;
}

describe('eveTimeUsSql', () => {
  test('applies offsets without a colon', async () => {
    const texts = [
      '2024-04-19T10:00:00.123456+0000',
      '2024-04-19T12:00:00.123456+0200',
      '2024-04-19T08:30:00.000001-0130',
    ];

    expect(await evaluate(eveTimeUsSql, texts)).toEqual([
      1713520800123456, 1713520800123456, 1713520800000001,
    ]);
  });

  test('reads other ISO 8601 forms as UTC', async () => {
    // The session time zone must not shift offset-free text.
    await store.run("SET TimeZone = 'America/New_York'");
    const texts = ['2024-04-19T10:00:00Z', '2024-04-19T12:00:00+02:00', '2024-04-19T10:00:00.5'];

    const values = await evaluate(eveTimeUsSql, texts);

    await store.run("SET TimeZone = 'UTC'");
    expect(values).toEqual([1713520800000000, 1713520800000000, 1713520800500000]);
  });

  test('invalid times are NULL', async () => {
    const texts = ['yesterday', '2024-13-45T99:00:00.000000+0000', '', '1713520800'];

    expect(await evaluate(eveTimeUsSql, texts)).toEqual([null, null, null, null]);
  });

  test('round-trips any time and offset', async () => {
    const instant = fc.record({
      // 1970 to 2100, where every offset keeps the local date within four-digit years.
      epochMs: fc.integer({ min: 0, max: 4_102_444_800_000 }),
      microseconds: fc.integer({ min: 0, max: 999 }),
      offsetMinutes: fc.integer({ min: -12 * 60, max: 14 * 60 }),
    });

    await fc.assert(
      fc.asyncProperty(fc.array(instant, { minLength: 1, maxLength: 50 }), async (batch) => {
        const texts = batch.map((item) => suricataTime(item.epochMs, item.microseconds, item.offsetMinutes));
        const expected = batch.map((item) => item.epochMs * 1000 + item.microseconds);
        expect(await evaluate(eveTimeUsSql, texts)).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });
});

describe('connStateSql', () => {
  const cases = [
    // protocol, flow.state, client flags, server flags, state
    ['tcp', 'new', '02', '00', 'S0'],
    ['tcp', 'closed', '02', '14', 'REJ'],
    ['tcp', 'closed', '1b', '1b', 'SF'],
    ['tcp', 'established', '1a', '12', 'S1'],
    ['tcp', 'closed', '16', '12', 'RSTO'],
    ['tcp', 'closed', '1a', '16', 'RSTR'],
    ['tcp', 'closed', '06', '00', 'RSTOS0'],
    ['tcp', 'closed', '00', '16', 'RSTRH'],
    ['tcp', 'closed', '03', '00', 'SH'],
    ['tcp', 'closed', '1b', '12', 'S2'],
    ['tcp', 'closed', '1a', '13', 'S3'],
    ['tcp', 'closed', '00', '11', 'SHR'],
    ['tcp', 'established', '18', '18', 'OTH'],
    ['tcp', 'closed', null, null, 'SF'],
    ['tcp', 'established', null, null, 'S1'],
    ['tcp', 'new', 'zz', '00', 'OTH'],
    ['udp', 'new', null, null, 'S0'],
    ['udp', 'established', null, null, 'SF'],
    ['icmp', 'established', null, null, 'SF'],
    ['udp', 'bypassed', null, null, 'OTH'],
  ] as const;

  test('maps flags and flow state onto conn_state', async () => {
    const literal = (value: string | null) => (value === null ? 'CAST(NULL AS VARCHAR)' : sqlString(value));
    const rows = cases.map(
      ([protocol, state, client, server], index) =>
        `(${index}, ${sqlString(protocol)}, ${sqlString(state)}, ${literal(client)}, ${literal(server)})`,
    );
    const sql = connStateSql({
      protocol: 'protocol',
      flowState: 'state',
      clientFlags: 'client',
      serverFlags: 'server',
    });

    const result = await store.all<{ connstate: string }>(
      `SELECT ${sql} AS connstate FROM (VALUES ${rows.join(', ')}) AS input(i, protocol, state, client, server)
        ORDER BY i`,
    );

    expect(result.map((row) => row.connstate)).toEqual(cases.map((row) => row[4]));
  });
});
