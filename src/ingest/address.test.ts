import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { DuckDbStore, sqlString } from '../store/duckdb.js';
import { isIpAddressText, portSql, validIpAddressSql } from './address.js';

let store: DuckDbStore;

beforeAll(async () => {
  store = await DuckDbStore.open();
});

afterAll(async () => {
  await store.close();
});

async function evaluate<T>(expression: (column: string) => string, texts: readonly string[]): Promise<T[]> {
  const values = texts.map((text, index) => `(${index}, ${sqlString(text)})`).join(', ');
  const rows = await store.all<{ value: T }>(
    `SELECT ${expression('t')} AS value FROM (VALUES ${values}) AS input(i, t) ORDER BY i`,
  );
  return rows.map((row) => row.value);
}

const VALID = [
  '10.1.2.3',
  '0.0.0.0',
  '255.255.255.255',
  '::',
  '::1',
  'fd00::15',
  '2001:db8::7',
  'fe80:0:0:0:616f:32fa:b04f:b419',
  'FE80::1%12',
  'fe80::1%eth0',
  '::ffff:192.0.2.1',
  '64:ff9b::192.0.2.33',
  '1:2:3:4:5:6:7:8',
];

const INVALID = [
  '',
  '10.1.2.300',
  '10.1.2',
  '10.01.2.3',
  '1.2.3.4.5',
  ' 10.1.2.3',
  '2001:db8::1::2',
  '1:2:3:4:5:6:7:8:9',
  '12345::1',
  'g::1',
  ':::',
  '1.2.3.4%eth0',
  'localhost',
  '-',
];

describe('isIpAddressText', () => {
  test('accepts addresses', () => {
    for (const text of VALID) expect(isIpAddressText(text), text).toBe(true);
  });

  test('rejects non-addresses', () => {
    for (const text of INVALID) expect(isIpAddressText(text), text).toBe(false);
  });

  test('accepts generated addresses', () => {
    fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (address) => isIpAddressText(address)));
  });
});

describe('validIpAddressSql', () => {
  test('agrees with isIpAddressText', async () => {
    const texts = [...VALID, ...INVALID];
    const results = await evaluate<boolean>(validIpAddressSql, texts);
    texts.forEach((text, index) => expect(results[index], text).toBe(isIpAddressText(text)));
  });

  test('agrees on generated text', async () => {
    const nearAddress = fc.string({
      unit: fc.constantFrom('0', '1', '9', 'a', 'F', ':', '.', '%'),
      maxLength: 24,
    });
    const texts = fc.sample(fc.oneof(fc.ipV4(), fc.ipV6(), nearAddress), 2000);
    const results = await evaluate<boolean>(validIpAddressSql, texts);
    texts.forEach((text, index) => expect(results[index], text).toBe(isIpAddressText(text)));
  });
});

describe('portSql', () => {
  test('accepts plain port numbers only', async () => {
    const texts = ['0', '443', '08080', '65535', '65536', '80.5', '1e3', '0x50', '-1', 'https', ''];
    expect(await evaluate<number | null>(portSql, texts)).toEqual([
      0,
      443,
      8080,
      65535,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
  });
});
