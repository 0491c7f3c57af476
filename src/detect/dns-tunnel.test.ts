import { existsSync } from 'node:fs';

import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { SHARED_DATA, sharedPath } from '../../test/shared-data.js';
import { UsageError } from '../errors.js';
import { importFiles } from '../ingest/import.js';
import { Random } from '../simulate/random.js';
import { DuckDbStore } from '../store/duckdb.js';
import {
  characterEntropy,
  classifyName,
  DEFAULT_DNS_TUNNEL_OPTIONS,
  dnsTunnelDetector,
  type DnsTunnelFinding,
  type DnsTunnelOptions,
} from './dns-tunnel.js';

const START = Date.parse('2026-03-02T08:00:00Z');
const HOUR_MS = 3_600_000;

interface QueryRow {
  time: number;
  source: string;
  name: string;
  qtype?: string;
  rcode?: string | null;
}

let store: DuckDbStore;

beforeEach(async () => {
  store = await DuckDbStore.open();
});

afterEach(async () => {
  await store.close();
});

async function insertQueries(rows: readonly QueryRow[]): Promise<void> {
  const batch = 500;
  for (let start = 0; start < rows.length; start += batch) {
    const slice = rows.slice(start, start + batch);
    await store.run(
      `INSERT INTO dns_queries (starttime, sourceip, resolverip, query, qtype, rcode)
       VALUES ${slice.map(() => "(?, ?, '10.0.0.2', ?, ?, ?)").join(', ')}`,
      slice.flatMap((row) => [
        row.time,
        row.source,
        row.name,
        row.qtype ?? 'A',
        row.rcode === undefined ? 'NOERROR' : row.rcode,
      ]),
    );
  }
}

async function run(now: number, overrides: Partial<DnsTunnelOptions> = {}): Promise<DnsTunnelFinding[]> {
  return dnsTunnelDetector.run({ store, now }, { ...DEFAULT_DNS_TUNNEL_OPTIONS, ...overrides });
}

/**
 * Atomic Red Team T1071.004: a TXT query for atomicredteam.<random>.<domain> every 30 s, −20 % to +19 %,
 * for 30 minutes, which makes about 60 unique names. Returns the rows and the subdomains asked.
 */
function atomicRedTeamSeries(source: string, seed: number): { rows: QueryRow[]; subdomains: string[] } {
  const random = new Random(seed);
  const rows: QueryRow[] = [];
  const subdomains: string[] = [];
  let time = START;
  for (let index = 0; index < 60; index += 1) {
    const subdomain = `atomicredteam.${random.integer(100_000, 999_999)}`;
    subdomains.push(subdomain);
    rows.push({ time, source, name: `${subdomain}.example.org`, qtype: 'TXT' });
    time += Math.round(random.between(24_000, 35_700));
  }
  return { rows, subdomains };
}

/**
 * Builds the queries of an office workstation browsing for eight hours. It visits twelve sites with a
 * handful of host names each and one large site with 40 host names. Each name is looked up again (A and
 * AAAA) whenever its 5-minute TTL runs out.
 */
function browsingMix(source: string): QueryRow[] {
  const random = new Random(11);
  const rows: QueryRow[] = [];
  const hosts = ['www', 'static', 'api', 'img', 'cdn', 'login', 'fonts', 'assets'];
  const sites = [
    'example.com',
    'example.net',
    'news.example.co.uk',
    'shop.example',
    'bbc.co.uk',
    'github.com',
    'wikipedia.org',
    'office.com',
    'microsoft.com',
    'apple.com',
    'mozilla.org',
    'ubuntu.com',
  ];
  const names = sites.flatMap((site) =>
    hosts.slice(0, random.integer(2, 8)).map((host) => `${host}.${site}`),
  );
  for (let index = 0; index < 40; index += 1) names.push(`service-${index}.google.com`);
  for (const name of names) {
    for (let time = START + random.integer(0, 300_000); time < START + 8 * HOUR_MS;) {
      rows.push({ time, source, name, qtype: 'A' });
      rows.push({ time: time + 2, source, name, qtype: 'AAAA' });
      time += 300_000 + random.integer(0, 1_800_000);
    }
  }
  return rows;
}

describe('characterEntropy', () => {
  test.each([
    [[], 0],
    [[''], 0],
    [['aaaa'], 0],
    [['ab'], 1],
    [['abcd'], 2],
    [['ab', 'cd'], 2],
    [['a.b'], 1],
    [['aab'], 0.9182958340544896],
    [['0123456789abcdef'], 4],
  ])('entropy of %j is %d', (texts, bits) => {
    expect(characterEntropy(texts)).toBeCloseTo(bits, 12);
  });

  test('never exceeds log2 of the alphabet', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd', 'e') }), { maxLength: 20 }),
        (texts) => {
          const bits = characterEntropy(texts);
          expect(bits).toBeGreaterThanOrEqual(0);
          expect(bits).toBeLessThanOrEqual(Math.log2(5) + 1e-12);
        },
      ),
    );
  });
});

describe('classifyName', () => {
  test.each([
    ['www.example.com', { domain: 'example.com', subdomain: 'www', lookalike: null }],
    ['Example.COM.', { domain: 'example.com', subdomain: '', lookalike: null }],
    ['a.b.example.co.uk', { domain: 'example.co.uk', subdomain: 'a.b', lookalike: null }],
    ['d111.cloudfront.net', { domain: 'd111.cloudfront.net', subdomain: '', lookalike: null }],
    [
      '4.3.2.1.in-addr.arpa',
      { domain: 'in-addr.arpa', subdomain: '4.3.2.1', lookalike: 'reverse lookups (PTR) of addresses' },
    ],
    [
      'b.a.ip6.arpa',
      { domain: 'ip6.arpa', subdomain: 'b.a', lookalike: 'reverse lookups (PTR) of addresses' },
    ],
    [
      'printer.local',
      { domain: 'local', subdomain: 'printer', lookalike: 'multicast DNS on the local link (.local)' },
    ],
    [
      'x1f.avqs.mcafee.com',
      { domain: 'avqs.mcafee.com', subdomain: 'x1f', lookalike: 'anti-virus reputation lookups (McAfee)' },
    ],
    [
      '4.3.2.1.zen.spamhaus.org',
      {
        domain: 'spamhaus.org',
        subdomain: '4.3.2.1.zen',
        lookalike: 'spam DNS block list lookups (Spamhaus)',
      },
    ],
    [
      '4.3.2.1.bl.unlisted-list.example',
      {
        domain: 'unlisted-list.example',
        subdomain: '4.3.2.1.bl',
        lookalike: 'DNS block list lookups of an IPv4 address (four reversed octets)',
      },
    ],
    [
      '_ldap._tcp.dc._msdcs.corp.example.com',
      {
        domain: 'example.com',
        subdomain: '_ldap._tcp.dc._msdcs.corp',
        lookalike: 'service discovery names (DNS-SD or SRV labels starting with _)',
      },
    ],
    [
      'e1234.a.akamaiedge.net',
      {
        domain: 'akamaiedge.net',
        subdomain: 'e1234.a',
        lookalike: 'CDN host names, whose name servers the CDN runs',
      },
    ],
  ])('%s', (name, expected) => {
    expect(classifyName(name)).toEqual(expected);
  });

  test.each(['', 'localhost', '192.0.2.1', 'com', 'in-addr.arpa', 'arpa'])('no group for %j', (name) => {
    expect(classifyName(name)).toBeNull();
  });
});

describe('dnsTunnelDetector', () => {
  test('empty store gives no findings', async () => {
    expect(await run(START)).toEqual([]);
  });

  test('one query gives no findings', async () => {
    await insertQueries([{ time: START, source: '10.0.0.5', name: 'x.example.com', qtype: 'TXT' }]);
    expect(await run(START)).toEqual([]);
  });

  test('Atomic Red Team series is reported', async () => {
    const { rows, subdomains } = atomicRedTeamSeries('10.0.0.9', 7);
    await insertQueries(rows);
    const now = (rows.at(-1)?.time ?? START) + 1;
    const findings = await run(now);

    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(finding?.flagged).toBe(true);
    expect(finding?.criteria).toEqual(['fresh-names']);
    expect(finding?.sourceip).toBe('10.0.0.9');
    expect(finding?.domain).toBe('example.org');
    expect(finding?.lookalike).toBeNull();
    expect(finding?.measures.queries).toBe(60);
    expect(finding?.measures.lookups).toBe(60);
    expect(finding?.measures.names).toBe(60);
    expect(finding?.measures.subdomains).toBe(60);
    expect(finding?.measures.meanSubdomainLength).toBe(20);
    expect(finding?.measures.maxSubdomainLength).toBe(20);
    expect(finding?.measures.uniqueNameRatio).toBe(1);
    expect(finding?.measures.unusualTypeShare).toBe(1);
    expect(finding?.measures.nxdomainShare).toBe(0);
    const entropy = characterEntropy(subdomains);
    expect(finding?.measures.entropyBitsPerChar).toBeCloseTo(entropy, 10);
    expect(finding?.parts.subdomains).toBe(0.6);
    expect(finding?.parts.length).toBe(0.5);
    // 0.4·0.6 + 0.25·1 + 0.15·0.5 + 0.1·entropy/4 + 0.1·1
    expect(finding?.score).toBeCloseTo(0.24 + 0.25 + 0.075 + 0.1 * Math.min(1, entropy / 4) + 0.1, 10);
    expect(finding?.examples).toHaveLength(5);
    expect(finding?.why[0]).toBe(
      '100% of 60 lookups ask a new name (60 distinct subdomains, under the 100-subdomain threshold): ' +
        'a fresh name per query, as DNS beacons and tunnels do',
    );
    expect(finding?.why[1]).toBe('100% TXT/NULL/CNAME/MX queries');
    expect(finding?.rank).toBe(1);
  });

  test('IPv6 source is kept', async () => {
    const { rows } = atomicRedTeamSeries('2001:db8:10::5', 3);
    await insertQueries(rows);
    const findings = await run(START + HOUR_MS);

    expect(findings.map((finding) => finding.sourceip)).toEqual(['2001:db8:10::5']);
  });

  test('browsing mix gives no findings', async () => {
    const rows = browsingMix('10.0.0.20');
    await insertQueries(rows);
    expect(rows.length).toBeGreaterThan(1_000);

    expect(await run(START + 8 * HOUR_MS)).toEqual([]);
  });

  test('browsing mix beside ART reports only ART', async () => {
    await insertQueries([...browsingMix('10.0.0.9'), ...atomicRedTeamSeries('10.0.0.9', 7).rows]);
    const findings = await run(START + 8 * HOUR_MS);

    expect(findings.map((finding) => [finding.sourceip, finding.domain])).toEqual([
      ['10.0.0.9', 'example.org'],
    ]);
  });

  test('hex tunnel meets every criterion', async () => {
    const random = new Random(5);
    const rows: QueryRow[] = [];
    const subdomains: string[] = [];
    for (let index = 0; index < 150; index += 1) {
      const hex = Array.from({ length: 40 }, () => random.integer(0, 15).toString(16)).join('');
      subdomains.push(hex);
      rows.push({
        time: START + index * 500,
        source: '10.0.0.7',
        name: `${hex}.t.example.net`,
        qtype: 'NULL',
      });
    }
    // Each subdomain sits under the label "t", which counts towards its length and characters.
    await insertQueries(rows);
    const [finding, ...others] = await run(START + HOUR_MS);

    expect(others).toEqual([]);
    expect(finding?.criteria).toEqual(['subdomain-count', 'fresh-names', 'long-random-names']);
    expect(finding?.measures.subdomains).toBe(150);
    expect(finding?.measures.meanSubdomainLength).toBe(42);
    expect(finding?.measures.entropyBitsPerChar).toBeCloseTo(
      characterEntropy(subdomains.map((hex) => `${hex}.t`)),
      10,
    );
    expect(finding?.parts.subdomains).toBe(1);
    expect(finding?.parts.length).toBe(1);
    expect(finding?.why[0]).toBe('150 distinct subdomains (threshold 100)');
  });

  test('reverse lookups are reported unflagged', async () => {
    const rows: QueryRow[] = [];
    for (let index = 0; index < 200; index += 1) {
      rows.push({
        time: START + index * 1_000,
        source: '10.0.0.3',
        name: `${index}.2.0.192.in-addr.arpa`,
        qtype: 'PTR',
      });
    }
    await insertQueries([...rows, ...atomicRedTeamSeries('10.0.0.9', 7).rows]);
    const findings = await run(START + HOUR_MS);

    expect(findings.map((finding) => [finding.rank, finding.domain, finding.flagged])).toEqual([
      [1, 'example.org', true],
      [2, 'in-addr.arpa', false],
    ]);
    const reverse = findings[1];
    expect(reverse?.lookalike).toBe('reverse lookups (PTR) of addresses');
    expect(reverse?.criteria).toEqual(['subdomain-count', 'fresh-names']);
    expect(reverse?.parts.lookalike).toBe(0.1);
    expect(reverse?.why.at(-1)).toBe('not flagged: reverse lookups (PTR) of addresses (score × 0.1)');
  });

  test('block list lookups are a look-alike', async () => {
    const rows: QueryRow[] = [];
    for (let index = 0; index < 120; index += 1) {
      rows.push({
        time: START + index * 1_000,
        source: '10.0.0.25',
        name: `${index}.113.0.203.zen.spamhaus.org`,
        rcode: 'NXDOMAIN',
      });
    }
    await insertQueries(rows);
    const [finding] = await run(START + HOUR_MS);

    expect(finding?.flagged).toBe(false);
    expect(finding?.domain).toBe('spamhaus.org');
    expect(finding?.measures.nxdomainShare).toBe(1);
  });

  test('duplicate rows are one lookup', async () => {
    const { rows } = atomicRedTeamSeries('10.0.0.9', 7);
    await insertQueries([...rows, ...rows]);
    const [finding] = await run(START + HOUR_MS);

    expect(finding?.measures.queries).toBe(120);
    expect(finding?.measures.lookups).toBe(60);
    expect(finding?.measures.uniqueNameRatio).toBe(1);
  });

  test('repeated names are not fresh', async () => {
    const rows: QueryRow[] = [];
    for (let index = 0; index < 99; index += 1) {
      for (let repeat = 0; repeat < 3; repeat += 1) {
        rows.push({
          time: START + repeat * 600_000 + index * 1_000,
          source: '10.0.0.4',
          name: `h${index}.example.com`,
        });
      }
    }
    await insertQueries(rows);

    expect(await run(START + HOUR_MS)).toEqual([]);
    const [finding] = await run(START + HOUR_MS, { minSubdomains: 99 });
    expect(finding?.criteria).toEqual(['subdomain-count']);
    expect(finding?.measures.uniqueNameRatio).toBeCloseTo(1 / 3, 12);
  });

  test('window bounds are (now − window, now]', async () => {
    const { rows } = atomicRedTeamSeries('10.0.0.9', 7);
    await insertQueries(rows);
    const last = rows.at(-1)?.time ?? START;

    // The last query is at now; one more query after now would not count.
    expect((await run(last))[0]?.measures.queries).toBe(60);
    expect((await run(last - 1))[0]?.measures.queries).toBe(59);
    // A window starting exactly at the first query leaves it out.
    const windowMs = last - START;
    expect((await run(last, { windowMs }))[0]?.measures.queries).toBe(59);
  });

  test('examples are the longest names', async () => {
    const rows = Array.from({ length: 40 }, (_, index) => ({
      time: START + index * 30_000,
      source: '10.0.0.9',
      name: `${'x'.repeat(index + 1)}.example.org`,
      qtype: 'TXT',
    }));
    await insertQueries(rows);
    const [finding] = await run(START + HOUR_MS);

    expect(finding?.examples).toEqual(
      [40, 39, 38, 37, 36].map((length) => `${'x'.repeat(length)}.example.org`),
    );
  });

  test('entropy in SQL matches characterEntropy', async () => {
    const label = fc.string({ unit: fc.constantFrom(...'abcxyz0189-'), minLength: 1, maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.array(label, { minLength: 1, maxLength: 3 }), {
          minLength: 1,
          maxLength: 30,
          selector: (labels) => labels.join('.'),
        }),
        async (subdomainLabels) => {
          await store.run('DELETE FROM dns_queries');
          const subdomains = subdomainLabels.map((labels) => labels.join('.'));
          await insertQueries(
            subdomains.map((subdomain, index) => ({
              time: START + index,
              source: '10.0.0.1',
              name: `${subdomain}.example.com`,
            })),
          );
          const findings = await run(START + HOUR_MS, { minFreshSubdomains: 1, minFreshRatio: 0 });

          expect(findings).toHaveLength(1);
          expect(findings[0]?.measures.subdomains).toBe(subdomains.length);
          expect(findings[0]?.measures.entropyBitsPerChar).toBeCloseTo(characterEntropy(subdomains), 10);
        },
      ),
      { numRuns: 25 },
    );
  });

  test('flatten keys match the CSV columns', async () => {
    await insertQueries(atomicRedTeamSeries('10.0.0.9', 7).rows);
    const [finding] = await run(START + HOUR_MS);
    if (finding === undefined) throw new Error('expected a finding');

    expect(Object.keys(dnsTunnelDetector.flatten(finding))).toEqual([...dnsTunnelDetector.csvColumns]);
    expect(dnsTunnelDetector.tableColumns.map((column) => column.value(finding))).toHaveLength(10);
  });

  test('invalid options are rejected', async () => {
    await expect(run(START, { minSubdomains: 0 })).rejects.toThrow(UsageError);
    await expect(run(START, { minFreshRatio: 1.5 })).rejects.toThrow('invalid minFreshRatio 1.5');
    await expect(run(START, { windowMs: 0 })).rejects.toThrow('invalid windowMs 0');
  });
});

const STRATO_010 = 'zeek/strato-010-benign';
const HAS_STRATO_010 = existsSync(sharedPath(STRATO_010));
if (!HAS_STRATO_010) {
  console.warn(
    `skipping dns-tunnel on strato-010-benign: ${sharedPath(STRATO_010)} not found under ${SHARED_DATA}`,
  );
}

describe.skipIf(!HAS_STRATO_010)('dns-tunnel on strato-010-benign', () => {
  test('flags no reverse lookup', async () => {
    await importFiles(store, [sharedPath(STRATO_010)]);
    const [newest] = await store.all<{ now: number | null }>('SELECT max(starttime) AS now FROM dns_queries');
    const findings = await run(newest?.now ?? START);

    console.info(
      `dns-tunnel on ${STRATO_010}: ${findings.length} findings` +
        findings
          .map((finding) => `; ${finding.sourceip} ${finding.domain} ${finding.why.join(', ')}`)
          .join(''),
    );
    expect(findings.filter((finding) => finding.flagged && finding.domain.endsWith('.arpa'))).toEqual([]);
    expect(findings.filter((finding) => finding.flagged)).toEqual([]);
  });
});
