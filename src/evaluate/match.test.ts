import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import type { EvalFinding } from './adapt.js';
import type { EvalSeries } from './labels.js';
import { findingMatchesSeries, normaliseAddress, registeredDomain, seriesMatcher } from './match.js';

function series(overrides: Partial<EvalSeries> = {}): EvalSeries {
  return {
    id: 's',
    scenario: 's',
    title: 's',
    malicious: true,
    class: 'c2',
    sourceip: '10.20.1.15',
    destinationip: '203.0.113.50',
    destinationport: 443,
    servername: null,
    domain: null,
    process: null,
    periodSeconds: 60,
    jitter: null,
    events: 100,
    ...overrides,
  };
}

function finding(overrides: Partial<EvalFinding> = {}): EvalFinding {
  const endpoints = overrides.endpoints ?? [{ ip: '203.0.113.50', port: 443 }];
  return {
    rank: 1,
    score: 0.9,
    alert: true,
    sourceip: '10.20.1.15',
    destinationips: endpoints.map((endpoint) => endpoint.ip),
    destinationport: endpoints[0]?.port ?? null,
    endpoints,
    names: [],
    keys: [],
    ...overrides,
  };
}

const matches = (f: EvalFinding, s: EvalSeries): boolean => findingMatchesSeries(f, seriesMatcher(s));

describe('findingMatchesSeries', () => {
  test('same source, address and port', () => {
    expect(matches(finding(), series())).toBe(true);
  });

  test('other source never matches', () => {
    expect(matches(finding({ sourceip: '10.20.1.16' }), series())).toBe(false);
  });

  test('port mismatch rejects the address', () => {
    expect(matches(finding({ endpoints: [{ ip: '203.0.113.50', port: 80 }] }), series())).toBe(false);
  });

  test('port missing on either side is ignored', () => {
    expect(matches(finding({ endpoints: [{ ip: '203.0.113.50', port: null }] }), series())).toBe(true);
    expect(matches(finding(), series({ destinationport: null }))).toBe(true);
  });

  test('attached endpoint on another port matches', () => {
    const multi = finding({
      endpoints: [
        { ip: '203.0.113.50', port: 80 },
        { ip: '203.0.113.50', port: 443 },
      ],
    });

    expect(matches(multi, series())).toBe(true);
    expect(matches(multi, series({ destinationport: 53 }))).toBe(false);
  });

  test('one of several series addresses matches', () => {
    const cdn = series({ destinationip: null, destinationips: ['198.51.100.1', '198.51.100.2'] });

    expect(matches(finding({ endpoints: [{ ip: '198.51.100.2', port: 443 }] }), cdn)).toBe(true);
    expect(matches(finding({ endpoints: [{ ip: '198.51.100.3', port: 443 }] }), cdn)).toBe(false);
  });

  test('server name matches whatever the address', () => {
    const named = series({ destinationip: null, servername: 'cdn-assets.example.net', domain: null });
    const other = finding({
      endpoints: [{ ip: '192.0.2.9', port: 8443 }],
      names: ['CDN-Assets.Example.NET.'],
    });

    expect(matches(other, named)).toBe(true);
  });

  test('registered domain matches a DNS query name', () => {
    const dns = series({ destinationip: '10.20.0.2', destinationport: 53, domain: 'example.com' });
    const domainFinding = finding({
      endpoints: [],
      destinationips: [],
      names: ['atomicredteam.x1y2.example.com'],
    });

    expect(matches(domainFinding, dns)).toBe(true);
  });

  test('same suffix is not the same domain', () => {
    const dns = series({ destinationip: null, destinationport: null, domain: 'example.com' });

    expect(matches(finding({ endpoints: [], destinationips: [], names: ['badexample.com'] }), dns)).toBe(
      false,
    );
    expect(
      matches(finding({ endpoints: [], destinationips: [], names: ['example.com.evil.net'] }), dns),
    ).toBe(false);
  });

  test('named series: another name under its domain does not match', () => {
    // Beacons of one operator share a domain; a finding on one must not count for the others.
    const named = series({ destinationip: null, servername: 'a.cdn.example.org', domain: 'example.org' });

    expect(matches(finding({ endpoints: [], destinationips: [], names: ['b.example.org'] }), named)).toBe(
      false,
    );
    expect(matches(finding({ endpoints: [], destinationips: [], names: ['a.cdn.example.org'] }), named)).toBe(
      true,
    );
  });

  test('a series without a server name matches by its registered domain', () => {
    const dnsBeacon = series({ destinationip: null, servername: null, domain: 'example.org' });

    expect(matches(finding({ endpoints: [], destinationips: [], names: ['example.org'] }), dnsBeacon)).toBe(
      true,
    );
  });

  test('private suffixes keep distributions apart', () => {
    const named = series({ destinationip: null, servername: 'd111.cloudfront.net' });

    expect(
      matches(finding({ endpoints: [], destinationips: [], names: ['d222.cloudfront.net'] }), named),
    ).toBe(false);
  });

  test('IPv6 spellings match', () => {
    const v6 = series({ sourceip: '2001:db8:100::15', destinationip: '2001:DB8:0:0:0:0:0:50' });
    const f = finding({
      sourceip: '2001:0db8:0100:0:0:0:0:15',
      endpoints: [{ ip: '2001:db8::50', port: 443 }],
    });

    expect(matches(f, v6)).toBe(true);
    expect(matches(finding({ ...f, endpoints: [{ ip: '2001:db8::51', port: 443 }] }), v6)).toBe(false);
  });

  test('fallback to destinationips without endpoints', () => {
    const bare = finding({ endpoints: [], destinationips: ['203.0.113.50'], destinationport: 443 });

    expect(matches(bare, series())).toBe(true);
    expect(matches({ ...bare, destinationport: 80 }, series())).toBe(false);
  });
});

describe('normaliseAddress', () => {
  test('canonical forms', () => {
    expect(normaliseAddress('2001:0DB8:0000::0001')).toBe('2001:db8::1');
    expect(normaliseAddress('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(normaliseAddress('fe80::1%eth0')).toBe('fe80::1');
    expect(normaliseAddress(' 192.0.2.1 ')).toBe('192.0.2.1');
    expect(normaliseAddress('Not-An-Address')).toBe('not-an-address');
  });

  test('any IPv6 spelling normalises alike', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), (groups) => {
        const full = groups.map((group) => group.toString(16).padStart(4, '0').toUpperCase()).join(':');
        const short = groups.map((group) => group.toString(16)).join(':');
        expect(normaliseAddress(full)).toBe(normaliseAddress(short));
      }),
    );
  });
});

describe('registeredDomain', () => {
  test('names and addresses', () => {
    expect(registeredDomain('fe2.update.microsoft.com')).toBe('microsoft.com');
    expect(registeredDomain('a.b.example.co.uk.')).toBe('example.co.uk');
    expect(registeredDomain('203.0.113.50')).toBeNull();
    expect(registeredDomain('co.uk')).toBeNull();
  });

  test('a subdomain matches its domain', () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 4 }), (labels) => {
        const dns = series({ destinationip: null, destinationport: null, domain: 'example.com' });
        const name = `${labels.join('.')}.example.com`;
        expect(matches(finding({ endpoints: [], destinationips: [], names: [name] }), dns)).toBe(true);
      }),
    );
  });
});
