/**
 * loadContext against real DuckDB stores: exact prevalence counts, first sightings across the window
 * start, threat-list hits, every indicator with a case that shows it and one that does not, and one
 * query per kind for a thousand keys.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { HAS_SHARED_DATA, sharedPath } from '../../../test/shared-data.js';
import { importFiles } from '../../ingest/import.js';
import { emptyEvent, type ConnectionEvent } from '../../model/event.js';
import { DuckDbStore } from '../../store/duckdb.js';
import { createFlowSideTables } from '../../store/schema.js';
import type { SqlValue, Store } from '../../store/store.js';
import {
  addIntelList,
  contextMultiplier,
  emptyIntelLists,
  loadContext,
  type ContextKey,
  type FindingContext,
} from './index.js';
import { COBALT_STRIKE_DEFAULT_USER_AGENT } from './user-agent.js';

const NOW = Date.UTC(2024, 0, 10); // 2024-01-10T00:00:00Z, the window end
const DAY = 86_400_000;
const MINUTE = 60_000;
const WINDOW = { windowStart: NOW - DAY, windowEnd: NOW };
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36';

let line = 0;

function event(
  fields: Partial<ConnectionEvent> & Pick<ConnectionEvent, 'starttime' | 'sourceip'>,
): ConnectionEvent {
  line += 1;
  return { ...emptyEvent('fixture.log', line), protocol: 'tcp', eventdirection: 'L2R', ...fields };
}

/** `count` events a fixed gap apart, ending at NOW - 1 minute. */
function series(count: number, fields: Omit<Partial<ConnectionEvent>, 'starttime'> & { sourceip: string }) {
  return Array.from({ length: count }, (_, index) =>
    event({ ...fields, starttime: NOW - MINUTE - (count - 1 - index) * 5 * MINUTE }),
  );
}

function key(
  sourceip: string,
  destinationips: string[],
  names: string[] = [],
  port: number | null = null,
): ContextKey {
  return { sourceip, destinationips, names, destinationport: port };
}

const LOCAL_SOURCES = Array.from({ length: 10 }, (_, index) => `10.0.0.${index + 1}`);

/**
 * Ten local sources that all reach 198.51.100.7, one of them beaconing to 203.0.113.50, three reaching
 * updates.example.com on three addresses, and two remote sources reaching an internal server.
 */
function prevalenceEvents(): ConnectionEvent[] {
  return [
    // History: the store's first event, 30 days before the window end.
    event({
      starttime: NOW - 30 * DAY,
      sourceip: '10.0.0.2',
      destinationip: '198.51.100.7',
      destinationport: 443,
    }),
    ...LOCAL_SOURCES.map((sourceip, index) =>
      event({
        starttime: NOW - 3_600_000 - index,
        sourceip,
        destinationip: '198.51.100.7',
        destinationport: 443,
      }),
    ),
    // The beacon, first seen ten days before the window end, outside the window.
    event({
      starttime: NOW - 10 * DAY,
      sourceip: '10.0.0.1',
      destinationip: '203.0.113.50',
      destinationport: 80,
    }),
    ...series(12, { sourceip: '10.0.0.1', destinationip: '203.0.113.50', destinationport: 80 }),
    // A name on three addresses, written in mixed case as some sensors log it.
    ...['10.0.0.3', '10.0.0.4', '10.0.0.5'].map((sourceip, index) =>
      event({
        starttime: NOW - 2 * 3_600_000,
        sourceip,
        destinationip: `192.0.2.${21 + index}`,
        destinationport: 443,
        servername: 'Updates.Example.com',
      }),
    ),
    // A new destination: first seen three days before the window end, before the window starts.
    event({
      starttime: NOW - 3 * DAY,
      sourceip: '10.0.0.2',
      destinationip: '192.0.2.10',
      destinationport: 443,
      servername: 'fresh.example.net',
    }),
    ...series(3, {
      sourceip: '10.0.0.2',
      destinationip: '192.0.2.10',
      destinationport: 443,
      servername: 'fresh.example.net',
    }),
    // Reached only by address, named through the client's DNS lookup.
    ...series(2, { sourceip: '10.0.0.8', destinationip: '192.0.2.77', destinationport: 443 }),
    ...series(2, { sourceip: '10.0.0.9', destinationip: '2001:db8::99', destinationport: 443 }),
    // Remote clients of an internal SSH server.
    event({
      starttime: NOW - 600_000,
      sourceip: '192.0.2.99',
      destinationip: '10.0.0.50',
      destinationport: 22,
      eventdirection: 'R2L',
    }),
    event({
      starttime: NOW - 500_000,
      sourceip: '198.18.0.5',
      destinationip: '10.0.0.50',
      destinationport: 22,
      eventdirection: 'R2L',
    }),
    // After the window end and at its start: neither counts as in the window (start < t <= end).
    event({
      starttime: NOW + 3_600_000,
      sourceip: '10.0.0.11',
      destinationip: '198.51.100.7',
      destinationport: 443,
    }),
    event({
      starttime: NOW - DAY,
      sourceip: '10.0.0.12',
      destinationip: '198.51.100.7',
      destinationport: 443,
    }),
  ];
}

/** Wraps a store so a test can count the queries loadContext sends. */
function countingStore(store: Store): { store: Store; queries: () => number } {
  let count = 0;
  const wrapped: Store = {
    dialect: store.dialect,
    run: (sql: string, params?: readonly SqlValue[]) => store.run(sql, params),
    all: <T extends object>(sql: string, params?: readonly SqlValue[]) => {
      count += 1;
      return store.all<T>(sql, params);
    },
    openEventSink: (sourcefile?: string) => store.openEventSink(sourcefile),
    appendEvents: (events) => store.appendEvents(events),
    close: () => store.close(),
  };
  return { store: wrapped, queries: () => count };
}

describe('loadContext prevalence and first seen', () => {
  let store: DuckDbStore;

  beforeAll(async () => {
    store = await DuckDbStore.open();
    await store.appendEvents(prevalenceEvents());
    await store.run(`INSERT INTO dns_queries (starttime, sourceip, resolverip, query, qtype, rcode, answers)
      VALUES (${NOW - 2 * 3_600_000}, '10.0.0.8', '10.0.0.53', 'Dropper.Bad.Example.org', 'A', 'NOERROR', ['192.0.2.77'])`);
  });
  afterAll(async () => store.close());

  it('returns nothing for no keys', async () => {
    const counted = countingStore(store);
    expect(await loadContext(counted.store, [], WINDOW)).toEqual([]);
    expect(counted.queries()).toBe(0);
  });

  it('counts local sources exactly', async () => {
    const [beacon, common, named, byNameAndAddress] = await loadContext(
      store,
      [
        key('10.0.0.1', ['203.0.113.50'], [], 80),
        key('10.0.0.6', ['198.51.100.7'], [], 443),
        key('10.0.0.3', [], ['updates.example.com']),
        key('10.0.0.3', ['198.51.100.7'], ['UPDATES.example.com.']),
      ],
      WINDOW,
    );
    expect(beacon?.prevalence).toEqual({ sources: 1, ofSources: 10, share: 0.1, scope: 'local' });
    expect(common?.prevalence).toEqual({ sources: 10, ofSources: 10, share: 1, scope: 'local' });
    expect(named?.prevalence).toEqual({ sources: 3, ofSources: 10, share: 0.3, scope: 'local' });
    expect(byNameAndAddress?.prevalence).toEqual({ sources: 10, ofSources: 10, share: 1, scope: 'local' });
  });

  it('counts remote sources among remote ones', async () => {
    const [remote] = await loadContext(store, [key('192.0.2.99', ['10.0.0.50'], [], 22)], WINDOW);
    expect(remote?.prevalence).toEqual({ sources: 2, ofSources: 2, share: 1, scope: 'remote' });
  });

  it('leaves out events outside the window', async () => {
    const [outside] = await loadContext(store, [key('10.0.0.11', ['198.51.100.7'], [], 443)], WINDOW);
    // 10.0.0.11 and 10.0.0.12 have no event in the window, so they are neither counted nor local.
    expect(outside?.prevalence).toEqual({ sources: 0, ofSources: 2, share: 0, scope: 'remote' });
  });

  it('finds first seen before the window', async () => {
    const [beacon, fresh, common] = await loadContext(
      store,
      [
        key('10.0.0.1', ['203.0.113.50'], [], 80),
        key('10.0.0.2', [], ['fresh.example.net']),
        key('10.0.0.6', ['198.51.100.7'], [], 443),
      ],
      WINDOW,
    );
    expect(beacon?.firstSeen).toEqual({
      epochMs: NOW - 10 * DAY,
      iso: '2023-12-31T00:00:00.000Z',
      daysBeforeWindowEnd: 10,
      daysAfterStoreStart: 20,
    });
    expect(fresh?.firstSeen).toEqual({
      epochMs: NOW - 3 * DAY,
      iso: '2024-01-07T00:00:00.000Z',
      daysBeforeWindowEnd: 3,
      daysAfterStoreStart: 27,
    });
    expect(common?.firstSeen?.daysAfterStoreStart).toBe(0);
  });

  it('phrases new and rare destinations', async () => {
    const [fresh, beacon] = await loadContext(
      store,
      [key('10.0.0.2', [], ['fresh.example.net']), key('10.0.0.1', ['203.0.113.50'], [], 80)],
      WINDOW,
    );
    expect(fresh?.phrases).toEqual([
      'the only one of 10 local sources to contact this destination',
      'destination new: first seen 3.0 days before the window end, after 27.0 days of history',
    ]);
    expect(beacon?.phrases).toEqual(['the only one of 10 local sources to contact this destination']);
  });

  it('phrases shared destinations with their share', async () => {
    const [named, common] = await loadContext(
      store,
      [key('10.0.0.3', [], ['updates.example.com']), key('10.0.0.6', ['198.51.100.7'], [], 443)],
      WINDOW,
    );
    expect(named?.phrases).toEqual([
      '3 of 10 local sources (30%) contact this destination',
      'destination new: first seen 2.0 h before the window end, after 29.9 days of history',
    ]);
    expect(common?.phrases).toEqual(['10 of 10 local sources (100%) contact this destination']);
  });

  it('matches threat lists by address, network and name', async () => {
    const intel = emptyIntelLists();
    addIntelList(intel, 'c2.txt', '203.0.113.0/24\n2001:db8::/32\nbad.example.org\n');
    const [beacon, ipv6, resolved, clean] = await loadContext(
      store,
      [
        key('10.0.0.1', ['203.0.113.50'], [], 80),
        key('10.0.0.9', ['2001:db8::99'], [], 443),
        key('10.0.0.8', ['192.0.2.77'], [], 443),
        key('10.0.0.6', ['198.51.100.7'], [], 443),
      ],
      { ...WINDOW, intel },
    );
    expect(beacon?.intel).toEqual([{ list: 'c2.txt', entry: '203.0.113.0/24', matched: '203.0.113.50' }]);
    expect(ipv6?.intel).toEqual([{ list: 'c2.txt', entry: '2001:db8::/32', matched: '2001:db8::99' }]);
    expect(resolved?.intel).toEqual([
      { list: 'c2.txt', entry: 'bad.example.org', matched: 'dropper.bad.example.org' },
    ]);
    expect(clean?.intel).toEqual([]);
    expect(beacon?.phrases[0]).toBe('"203.0.113.50" is on threat list c2.txt (entry 203.0.113.0/24)');
  });
});

/** One source and destination per User-Agent case, four requests each, all with a Host header. */
const USER_AGENT_CASES: { name: string; agent: string | null; ids: string[] }[] = [
  { name: 'curl', agent: 'curl/8.4.0', ids: ['tool-user-agent', 'rare-user-agent'] },
  { name: 'wget', agent: 'Wget/1.21.2', ids: ['tool-user-agent', 'rare-user-agent'] },
  { name: 'requests', agent: 'python-requests/2.31.0', ids: ['tool-user-agent', 'rare-user-agent'] },
  {
    name: 'powershell',
    agent: 'Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.19041.1',
    ids: ['tool-user-agent', 'rare-user-agent'],
  },
  { name: 'go', agent: 'Go-http-client/1.1', ids: ['tool-user-agent', 'rare-user-agent'] },
  {
    name: 'msie6',
    agent: 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)',
    ids: ['outdated-user-agent', 'rare-user-agent'],
  },
  {
    name: 'cobalt',
    agent: COBALT_STRIKE_DEFAULT_USER_AGENT,
    ids: ['c2-default-user-agent', 'rare-user-agent'],
  },
  { name: 'empty', agent: '', ids: ['empty-user-agent'] },
  { name: 'none', agent: null, ids: ['empty-user-agent'] },
  { name: 'short', agent: 'Mozilla/5.0', ids: ['short-user-agent', 'rare-user-agent'] },
  { name: 'atari', agent: 'Modzilla/0.0001 (Atari 7800)', ids: ['rare-user-agent'] },
  { name: 'chrome', agent: CHROME, ids: [] },
  { name: 'shared', agent: 'CorpUpdater/2.0 (build 7)', ids: [] },
];

describe('loadContext indicators without the HTTP side table', () => {
  let store: DuckDbStore;
  const source = (index: number): string => `10.1.0.${index + 1}`;
  const destination = (index: number): string => `203.0.113.${index + 1}`;

  beforeAll(async () => {
    store = await DuckDbStore.open();
    const events: ConnectionEvent[] = [];
    USER_AGENT_CASES.forEach((entry, index) => {
      events.push(
        ...series(4, {
          sourceip: source(index),
          destinationip: destination(index),
          destinationport: 80,
          servername: `${entry.name}.example`,
          uri: '/',
          useragent: entry.agent,
        }),
      );
    });
    // Two more sources send the shared agent, so three send it in all: not rare.
    for (const sourceip of ['10.1.1.1', '10.1.1.2']) {
      events.push(
        event({
          starttime: NOW - 3_600_000,
          sourceip,
          destinationip: '198.51.100.9',
          destinationport: 80,
          servername: 'corp.example',
          uri: '/check',
          useragent: 'CorpUpdater/2.0 (build 7)',
        }),
      );
    }
    const host = { destinationport: 80, useragent: CHROME };
    events.push(
      // Beacon with Cobalt Strike's default URIs, once as an absolute URI as a proxy logs it.
      ...series(3, {
        ...host,
        sourceip: '10.1.2.1',
        destinationip: '203.0.113.201',
        servername: 'a.example',
        uri: '/pixel.gif?id=7',
      }),
      event({
        ...host,
        starttime: NOW - 2 * MINUTE,
        sourceip: '10.1.2.1',
        destinationip: '203.0.113.201',
        servername: 'a.example',
        uri: 'http://a.example/__utm.gif?utmac=1',
      }),
      // Near misses and the analytics services that own these paths.
      event({
        ...host,
        starttime: NOW - 9 * MINUTE,
        sourceip: '10.1.2.2',
        destinationip: '203.0.113.202',
        servername: 'b.example',
        uri: '/pixel.gifs',
      }),
      event({
        ...host,
        starttime: NOW - 8 * MINUTE,
        sourceip: '10.1.2.2',
        destinationip: '203.0.113.202',
        servername: 'b.example',
        uri: '/api/pixel.gif',
      }),
      event({
        ...host,
        starttime: NOW - 7 * MINUTE,
        sourceip: '10.1.2.3',
        destinationip: '203.0.113.203',
        servername: 'www.google-analytics.com',
        uri: '/__utm.gif?x=1',
      }),
      // One request in four without a Host header.
      ...series(3, {
        ...host,
        sourceip: '10.1.2.4',
        destinationip: '203.0.113.204',
        servername: 'd.example',
        uri: '/',
      }),
      event({
        ...host,
        starttime: NOW - 3 * MINUTE,
        sourceip: '10.1.2.4',
        destinationip: '203.0.113.204',
        servername: ' ',
        uri: '/',
      }),
      // Not HTTP: no URI, no User-Agent.
      ...series(4, { sourceip: '10.1.2.5', destinationip: '203.0.113.205', destinationport: 443 }),
    );
    await store.appendEvents(events);
  });
  afterAll(async () => store.close());

  it.each(USER_AGENT_CASES.map((entry, index) => [entry.name, index, entry.ids] as const))(
    'user agent case %s',
    async (_name, index, ids) => {
      const [context] = await loadContext(store, [key(source(index), [destination(index)], [], 80)], WINDOW);
      expect(context?.indicators.map((indicator) => indicator.id)).toEqual(ids);
    },
  );

  it('details and weighs user agents', async () => {
    const curl = USER_AGENT_CASES.findIndex((entry) => entry.name === 'curl');
    const [context] = await loadContext(store, [key(source(curl), [destination(curl)], [], 80)], WINDOW);
    expect(context?.indicators).toEqual([
      {
        id: 'tool-user-agent',
        detail: 'User-Agent "curl/8.4.0", the curl default User-Agent, on all 4 HTTP requests',
        weight: 0.1,
      },
      {
        id: 'rare-user-agent',
        detail: 'rare User-Agent "curl/8.4.0", sent by 1 source in the window, on all 4 HTTP requests',
        weight: 0.1,
      },
    ]);
  });

  it('honours the rare threshold setting', async () => {
    const shared = USER_AGENT_CASES.findIndex((entry) => entry.name === 'shared');
    const [context] = await loadContext(store, [key(source(shared), [destination(shared)], [], 80)], {
      ...WINDOW,
      settings: { rareUserAgentMaxSources: 3 },
    });
    expect(context?.indicators.map((indicator) => indicator.detail)).toEqual([
      'rare User-Agent "CorpUpdater/2.0 (build 7)", sent by 3 sources in the window, on all 4 HTTP requests',
    ]);
  });

  it('flags default URIs, including absolute ones', async () => {
    const [beacon] = await loadContext(store, [key('10.1.2.1', ['203.0.113.201'], [], 80)], WINDOW);
    expect(beacon?.indicators).toEqual([
      {
        id: 'c2-default-uri',
        detail: 'Cobalt Strike default URI /pixel.gif, /__utm.gif on all 4 HTTP requests',
        weight: 0.15,
      },
    ]);
  });

  it('ignores near misses and analytics hosts', async () => {
    const contexts = await loadContext(
      store,
      [key('10.1.2.2', ['203.0.113.202'], [], 80), key('10.1.2.3', ['203.0.113.203'], [], 80)],
      WINDOW,
    );
    expect(contexts.map((context) => context.indicators)).toEqual([[], []]);
  });

  it('scales missing Host by its share', async () => {
    const [context] = await loadContext(store, [key('10.1.2.4', ['203.0.113.204'], [], 80)], WINDOW);
    expect(context?.indicators).toEqual([
      { id: 'missing-host', detail: 'no Host header on 1 of 4 HTTP requests', weight: 0.05 },
    ]);
  });

  it('finds no HTTP indicators without HTTP', async () => {
    const [context] = await loadContext(store, [key('10.1.2.5', ['203.0.113.205'], [], 443)], WINDOW);
    expect(context?.indicators).toEqual([]);
  });

  it('restricts the series to the key port', async () => {
    const curl = USER_AGENT_CASES.findIndex((entry) => entry.name === 'curl');
    const [context] = await loadContext(store, [key(source(curl), [destination(curl)], [], 8080)], WINDOW);
    expect(context?.indicators).toEqual([]);
  });
});

describe('loadContext with the HTTP side table and DNS', () => {
  let store: DuckDbStore;

  beforeAll(async () => {
    store = await DuckDbStore.open();
    await createFlowSideTables(store);
    await store.appendEvents([
      // The join has already copied the first request's Host, URI and agent onto the event.
      event({
        starttime: NOW - 10 * MINUTE,
        sourceip: '10.2.0.1',
        destinationip: '203.0.113.200',
        destinationport: 80,
        servername: 'c2.example',
        uri: '/a',
        useragent: CHROME,
        uid: 'C1',
      }),
      // An event from a source without http.log, so its own columns are the only request.
      event({
        starttime: NOW - 5 * MINUTE,
        sourceip: '10.2.0.1',
        destinationip: '203.0.113.200',
        destinationport: 80,
        uri: '/dpixel',
        useragent: 'Go-http-client/1.1',
      }),
      event({
        starttime: NOW - 4 * MINUTE,
        sourceip: '10.2.0.1',
        destinationip: '10.2.0.53',
        destinationport: 53,
        protocol: 'udp',
        eventdirection: 'L2L',
      }),
      event({
        starttime: NOW - 4 * MINUTE,
        sourceip: '10.2.0.2',
        destinationip: '10.2.0.53',
        destinationport: 53,
        protocol: 'udp',
        eventdirection: 'L2L',
      }),
    ]);
    const ts = NOW - 10 * MINUTE;
    await store.run(`INSERT INTO flow_http VALUES
      ('C1', ${ts}, 'c2.example:80', '/a', '${CHROME}'),
      ('C1', ${ts + 1}, NULL, '/submit.php', '${CHROME}'),
      ('C1', ${ts + 2}, '', '/b', NULL)`);
    await store.run(`INSERT INTO dns_queries (starttime, sourceip, resolverip, query, qtype)
      VALUES (${NOW - 6 * MINUTE}, '10.2.0.1', '10.2.0.53', 'aaa.stage.1234.C2.example', 'TXT'),
             (${NOW - 6 * MINUTE}, '10.2.0.1', '10.2.0.53', 'aaa.stage.1234.C2.example', 'TXT'),
             (${NOW - 6 * MINUTE}, '10.2.0.1', '192.0.2.53', 'aaa.stage.77.other.example', 'TXT'),
             (${NOW - 6 * MINUTE}, '10.2.0.2', '10.2.0.53', 'aab.stage.1.c2.example', 'TXT')`);
  });
  afterAll(async () => store.close());

  it('counts every request of a connection', async () => {
    const [context] = await loadContext(store, [key('10.2.0.1', ['203.0.113.200'], [], 80)], WINDOW);
    expect(context?.indicators).toEqual([
      { id: 'missing-host', detail: 'no Host header on 3 of 4 HTTP requests', weight: 0.15 },
      {
        id: 'c2-default-uri',
        detail: 'Cobalt Strike default URI /dpixel, /submit.php on 2 of 4 HTTP requests',
        weight: 0.075,
      },
      { id: 'empty-user-agent', detail: 'no User-Agent on 1 of 4 HTTP requests', weight: 0.038 },
      {
        id: 'tool-user-agent',
        detail:
          'User-Agent "Go-http-client/1.1", the Go net/http default User-Agent, on 1 of 4 HTTP requests',
        weight: 0.025,
      },
      {
        id: 'rare-user-agent',
        detail:
          'rare User-Agent "Go-http-client/1.1", sent by 1 source in the window, on 1 of 4 HTTP requests',
        weight: 0.025,
      },
    ]);
  });

  it('flags DNS staging by name or resolver', async () => {
    const [byName, byResolver, otherSource, unrelated] = await loadContext(
      store,
      [
        key('10.2.0.1', [], ['c2.example']),
        key('10.2.0.1', ['10.2.0.53'], [], 53),
        key('10.2.0.2', ['10.2.0.53'], [], 53),
        key('10.2.0.1', ['198.51.100.1'], ['elsewhere.example'], 443),
      ],
      WINDOW,
    );
    const staging = (context: FindingContext | undefined) =>
      context?.indicators.filter((indicator) => indicator.id === 'dns-staging-name') ?? [];
    expect(staging(byName)).toEqual([
      {
        id: 'dns-staging-name',
        detail: 'Cobalt Strike DNS staging name "aaa.stage.1234.c2.example" in 2 queries',
        weight: 0.3,
      },
    ]);
    expect(staging(byResolver)).toEqual([
      {
        id: 'dns-staging-name',
        detail: 'Cobalt Strike DNS staging name "aaa.stage.1234.c2.example" in 2 queries',
        weight: 0.3,
      },
    ]);
    expect(staging(otherSource)).toEqual([]);
    expect(staging(unrelated)).toEqual([]);
  });
});

describe('loadContext on a saved dataset', () => {
  it('reads a store opened read-only, inside a transaction', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'beaconhunt-context-'));
    const path = join(directory, 'case.duckdb');
    try {
      const writer = await DuckDbStore.open(path);
      await writer.appendEvents(prevalenceEvents());
      await writer.close();

      const reader = await DuckDbStore.open(path, { readOnly: true });
      try {
        await reader.run('BEGIN TRANSACTION');
        const [beacon] = await loadContext(reader, [key('10.0.0.1', ['203.0.113.50'], [], 80)], WINDOW);
        await reader.run('ROLLBACK');
        expect(beacon?.prevalence).toEqual({ sources: 1, ofSources: 10, share: 0.1, scope: 'local' });
        expect(beacon?.firstSeen?.daysBeforeWindowEnd).toBe(10);
      } finally {
        await reader.close();
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('loadContext batching and empty stores', () => {
  it('serves 1,000 keys with one query per kind', async () => {
    const store = await DuckDbStore.open();
    try {
      const sourceOf = (index: number): string => `10.3.${Math.floor(index / 250)}.${index % 250}`;
      const destinationOf = (index: number): string => `198.18.0.${index % 100}`;
      await store.appendEvents(
        Array.from({ length: 1000 }, (_, index) =>
          event({
            starttime: NOW - 3_600_000 + index,
            sourceip: sourceOf(index),
            destinationip: destinationOf(index),
            destinationport: 443,
            servername: `agent-${index}.example`,
            uri: '/',
            useragent: `Agent-${index}/1.0 (fixture)`,
          }),
        ),
      );
      const counted = countingStore(store);
      const keys = Array.from({ length: 1000 }, (_, index) =>
        key(sourceOf(index), [destinationOf(index)], [], 443),
      );
      const contexts = await loadContext(counted.store, keys, WINDOW);

      // Table check, prevalence, first seen, HTTP and DNS staging.
      expect(counted.queries()).toBe(5);
      expect(contexts).toHaveLength(1000);
      contexts.forEach((context, index) => {
        expect(context.prevalence).toEqual({ sources: 10, ofSources: 1000, share: 0.01, scope: 'local' });
        expect(context.indicators.map((indicator) => indicator.detail)).toEqual([
          `rare User-Agent "Agent-${index}/1.0 (fixture)", sent by 1 source in the window, on the only HTTP request`,
        ]);
      });
    } finally {
      await store.close();
    }
  });

  it('returns neutral contexts on an empty store', async () => {
    const store = await DuckDbStore.open();
    try {
      const intel = emptyIntelLists();
      addIntelList(intel, 'c2.txt', '203.0.113.50\nevil.example\n');
      const contexts = await loadContext(
        store,
        [key('10.0.0.1', ['203.0.113.50'], [], 80), key('10.0.0.1', [], ['www.evil.example'])],
        { ...WINDOW, intel },
      );
      expect(contexts).toEqual([
        {
          prevalence: { sources: 0, ofSources: 0, share: 0, scope: 'remote' },
          firstSeen: null,
          intel: [{ list: 'c2.txt', entry: '203.0.113.50', matched: '203.0.113.50' }],
          indicators: [],
          phrases: ['"203.0.113.50" is on threat list c2.txt'],
        },
        {
          prevalence: { sources: 0, ofSources: 0, share: 0, scope: 'remote' },
          firstSeen: null,
          intel: [{ list: 'c2.txt', entry: 'evil.example', matched: 'www.evil.example' }],
          indicators: [],
          phrases: ['"www.evil.example" is on threat list c2.txt (entry evil.example)'],
        },
      ]);
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(!HAS_SHARED_DATA)('loadContext on rita-missing-host', () => {
  it('finds the missing Host and odd agent', { timeout: 180_000 }, async () => {
    const store = await DuckDbStore.open();
    try {
      await importFiles(store, [sharedPath('zeek/rita-missing-host')]);
      const [newest] = await store.all<{ now: number }>('SELECT max(starttime) AS now FROM events');
      // The SSH client with the most connections, which the beacon must outrank.
      const [ssh] = await store.all<{ sourceip: string }>(
        `SELECT sourceip FROM events WHERE destinationport = 22 GROUP BY sourceip ORDER BY count(*) DESC, sourceip LIMIT 1`,
      );
      const [context, sshContext] = await loadContext(
        store,
        [key('73.54.23.243', ['64.225.56.201'], [], 80), key(ssh?.sourceip ?? '', ['64.225.56.201'], [], 22)],
        { windowStart: Number.MIN_SAFE_INTEGER, windowEnd: newest?.now ?? 0 },
      );
      console.info(`rita-missing-host context: ${JSON.stringify(context)}`);
      console.info(`rita-missing-host multiplier: ${JSON.stringify(contextMultiplier(context!))}`);
      expect(contextMultiplier(context!).factor).toBeGreaterThan(contextMultiplier(sshContext!).factor);

      expect(context?.indicators.map((indicator) => indicator.id)).toEqual([
        'missing-host',
        'rare-user-agent',
      ]);
      expect(context?.indicators[0]?.detail).toBe('no Host header on all 950 HTTP requests');
      expect(context?.indicators[1]?.detail).toMatch(
        /^rare User-Agent "Modzilla\/0\.0001 \(Atari 7800\)", sent by 1 source/,
      );
      expect(context?.prevalence.scope).toBe('remote');
      expect(context?.prevalence.sources).toBeGreaterThan(context!.prevalence.ofSources * 0.9);
    } finally {
      await store.close();
    }
  });
});
