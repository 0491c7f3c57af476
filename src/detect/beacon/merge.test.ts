import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import { groupByBeacon, periodsAgree, type MergeItem } from './merge.js';

function item(fields: Partial<MergeItem> & Pick<MergeItem, 'key' | 'score'>): MergeItem {
  return {
    sourceip: '10.0.0.1',
    destinationip: null,
    destinationport: null,
    servername: null,
    domain: null,
    destinations: [],
    periodSeconds: 60,
    blocked: false,
    ...fields,
  };
}

describe('groupByBeacon', () => {
  test('the strongest series leads and the others attach', () => {
    const name = item({
      key: 'server-name',
      score: 0.9,
      servername: 'c2.example.net',
      destinations: ['192.0.2.1'],
    });
    const address = item({ key: 'ip-port', score: 0.7, destinationip: '192.0.2.1', destinationport: 443 });
    const groups = groupByBeacon([address, name]);

    expect(groups).toEqual([{ primary: name, others: [address] }]);
  });

  test('two names served by one address stay apart', () => {
    const shared = item({ key: 'ip-port', score: 0.95, destinationip: '192.0.2.1', destinationport: 443 });
    const first = item({
      key: 'server-name',
      score: 0.9,
      servername: 'a.example',
      destinations: ['192.0.2.1'],
    });
    const second = item({
      key: 'server-name',
      score: 0.8,
      servername: 'b.example',
      destinations: ['192.0.2.1'],
    });
    const groups = groupByBeacon([first, second, shared]);

    expect(groups.map((group) => [group.primary, ...group.others].length)).toEqual([2, 1]);
    expect(groups[1]?.primary).toBe(second);
  });

  test('an address series with an unrelated period is not pulled in', () => {
    const name = item({
      key: 'server-name',
      score: 0.9,
      servername: 'c2.example',
      destinations: ['192.0.2.1'],
    });
    const browsing = item({
      key: 'ip-port',
      score: 0.3,
      destinationip: '192.0.2.1',
      destinationport: 443,
      periodSeconds: 150,
    });

    expect(groupByBeacon([name, browsing])).toHaveLength(2);
  });

  test('other sources and failed-attempt series never join', () => {
    const name = item({
      key: 'server-name',
      score: 0.9,
      servername: 'c2.example',
      destinations: ['192.0.2.1'],
    });
    const otherSource = item({
      key: 'ip-port',
      score: 0.8,
      sourceip: '10.0.0.2',
      destinationip: '192.0.2.1',
    });
    const blocked = item({ key: 'ip-port', score: 0.7, destinationip: '192.0.2.1', blocked: true });

    expect(groupByBeacon([name, otherSource, blocked])).toHaveLength(3);
  });

  test('a domain joins through its server name, and the name through its address', () => {
    const domain = item({ key: 'dns-domain', score: 0.95, domain: 'example.org' });
    const name = item({
      key: 'server-name',
      score: 0.5,
      servername: 'x.y.example.org',
      destinations: ['192.0.2.8'],
    });
    const address = item({ key: 'ip-port', score: 0.6, destinationip: '192.0.2.8', destinationport: 8443 });
    const [group] = groupByBeacon([address, name, domain]);

    expect(group?.primary).toBe(domain);
    expect(group?.others).toEqual([address, name]);
  });

  test('every series ends up in exactly one group', () => {
    const arbitraryItem = fc.record({
      key: fc.constantFrom('ip-port', 'server-name', 'dns-domain', 'process' as const),
      score: fc.double({ min: 0, max: 1, noNaN: true }),
      sourceip: fc.constantFrom('10.0.0.1', '10.0.0.2'),
      destinationip: fc.constantFrom('192.0.2.1', '192.0.2.2', null),
      destinationport: fc.constantFrom(443, 80, null),
      servername: fc.constantFrom('a.example.com', 'b.example.org', null),
      domain: fc.constantFrom('example.com', 'example.org', null),
      destinations: fc.subarray(['192.0.2.1', '192.0.2.2']),
      periodSeconds: fc.constantFrom(30, 60, 120, 61),
      blocked: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(arbitraryItem, { maxLength: 30 }), (items) => {
        const groups = groupByBeacon(items);
        const members = groups.flatMap((group) => [group.primary, ...group.others]);
        expect(members).toHaveLength(items.length);
        expect(new Set(members).size).toBe(items.length);
        for (const group of groups) {
          const names = [group.primary, ...group.others].filter((member) => member.key === 'server-name');
          expect(names.length).toBeLessThanOrEqual(1);
        }
      }),
    );
  });
});

describe('periodsAgree', () => {
  test.each([
    [60, 60, true],
    [60, 61, true],
    [60, 240, true],
    [60, 150, false],
    [60, 600, false],
    [0, 60, false],
  ])('%d s and %d s: %s', (a, b, agree) => {
    expect(periodsAgree(a, b)).toBe(agree);
  });
});
