/**
 * The ClickHouse store against a real server started on loopback for this file: URL parsing, literal
 * binding read back by the server, and event insertion in batches.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  CLICKHOUSE_AVAILABLE,
  startClickHouse,
  type ClickHouseServer,
} from '../../../test/clickhouse-server.js';
import { InputError } from '../../errors.js';
import { emptyEvent } from '../../model/event.js';
import { ClickHouseStore, parseClickHouseUrl } from './store.js';

describe('parseClickHouseUrl', () => {
  it('reads host, port, database and account', () => {
    expect(parseClickHouseUrl('clickhouse://analyst:s%40cret@127.0.0.1:8124/hunt')).toEqual({
      url: 'http://127.0.0.1:8124',
      database: 'hunt',
      username: 'analyst',
      password: 's@cret',
      cluster: null,
    });
    expect(parseClickHouseUrl('clickhouse://ch1:8123/hunt?cluster=shards').cluster).toBe('shards');
    expect(parseClickHouseUrl('clickhouse://localhost/beaconhunt')).toMatchObject({
      url: 'http://localhost:8123',
      username: 'default',
      password: '',
    });
    expect(parseClickHouseUrl('clickhouse://[::1]:8123/db').url).toBe('http://[::1]:8123');
  });

  it('rejects what it cannot use with a one-line error', () => {
    for (const text of [
      'clickhouse:/nohost',
      'http://127.0.0.1:8123/db',
      'clickhouse://127.0.0.1:8123/',
      'clickhouse://127.0.0.1/a-b',
      'not a url',
    ]) {
      expect(() => parseClickHouseUrl(text)).toThrow(InputError);
    }
  });
});

describe.skipIf(!CLICKHOUSE_AVAILABLE)('ClickHouseStore on a server', () => {
  let server: ClickHouseServer;
  let store: ClickHouseStore;

  beforeAll(async () => {
    [server] = (await startClickHouse(1)) as [ClickHouseServer];
    store = await ClickHouseStore.open(
      parseClickHouseUrl(`clickhouse://127.0.0.1:${server.httpPort}/store_test`),
    );
  });

  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  it('reads every bound string back unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 40 }), async (text) => {
        const [row] = await store.all<{ value: string }>('SELECT ? AS value', [text]);
        expect(row?.value).toBe(text);
      }),
      { numRuns: 60, seed: 5 },
    );
  });

  it('inserts events with their nulls and returns 64-bit integers as numbers', async () => {
    await store.run('TRUNCATE TABLE events');
    const events = Array.from({ length: 3 }, (_, index) => {
      const event = emptyEvent('fixture.log', index + 1);
      event.starttime = 1_700_000_000_000 + index;
      event.sourceip = 'fd00::1';
      event.destinationip = '2001:db8::1';
      event.destinationport = index === 0 ? null : 443;
      event.sourcebytes = 2 ** 40;
      return event;
    });
    await store.appendEvents(events);
    const rows = await store.all<{ starttime: number; destinationport: number | null; sourcebytes: number }>(
      'SELECT starttime, destinationport, sourcebytes FROM events WHERE sourcefile = ? ORDER BY starttime',
      ['fixture.log'],
    );
    expect(rows).toEqual([
      { starttime: 1_700_000_000_000, destinationport: null, sourcebytes: 2 ** 40 },
      { starttime: 1_700_000_000_001, destinationport: 443, sourcebytes: 2 ** 40 },
      { starttime: 1_700_000_000_002, destinationport: 443, sourcebytes: 2 ** 40 },
    ]);
  });

  it('names the server and the fix when it cannot connect', async () => {
    await expect(ClickHouseStore.open(parseClickHouseUrl('clickhouse://127.0.0.1:1/db'))).rejects.toThrow(
      /cannot use ClickHouse at http:\/\/127.0.0.1:1 .*clickhouse-server runs/,
    );
  });
});
