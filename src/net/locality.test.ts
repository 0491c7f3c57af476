import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import { UsageError } from '../errors.js';
import { DEFAULT_LOCAL_NETWORKS, LocalNetworks, parseAddress } from './locality.js';

describe('LocalNetworks defaults', () => {
  const networks = new LocalNetworks();

  test('lists the documented ranges', () => {
    expect(DEFAULT_LOCAL_NETWORKS).toEqual([
      '10.0.0.0/8',
      '172.16.0.0/12',
      '192.168.0.0/16',
      '127.0.0.0/8',
      '169.254.0.0/16',
      '100.64.0.0/10',
      'fc00::/7',
      'fe80::/10',
      '::1/128',
    ]);
  });

  const cases: ReadonlyArray<[string, boolean]> = [
    ['10.0.0.0', true],
    ['10.255.255.255', true],
    ['11.0.0.1', false],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['192.169.0.1', false],
    ['127.0.0.1', true],
    ['169.254.10.20', true],
    ['169.255.0.1', false],
    ['100.64.0.1', true],
    ['100.127.255.255', true],
    ['100.128.0.1', false],
    ['8.8.8.8', false],
    ['fc00::1', true],
    ['fdff:ffff::1', true],
    ['fe80::1', true],
    ['febf:ffff::1', true],
    ['fec0::1', false],
    ['::1', true],
    ['::2', false],
    ['2001:db8::1', false],
  ];
  for (const [address, local] of cases) {
    test(`${address} is ${local ? 'local' : 'remote'}`, () => {
      expect(networks.isLocal(address)).toBe(local);
    });
  }

  test('unparseable addresses are remote', () => {
    expect(networks.isLocal('')).toBe(false);
    expect(networks.isLocal('not-an-address')).toBe(false);
    expect(networks.isLocal('10.0.0.1.5')).toBe(false);
  });
});

describe('LocalNetworks address forms', () => {
  const networks = new LocalNetworks();

  test('IPv4-mapped IPv6 matches IPv4 ranges', () => {
    expect(networks.isLocal('::ffff:10.0.0.1')).toBe(true);
    expect(networks.isLocal('::ffff:a00:1')).toBe(true);
    expect(networks.isLocal('::ffff:192.168.1.1')).toBe(true);
    expect(networks.isLocal('::ffff:8.8.8.8')).toBe(false);
  });

  test('parseAddress unwraps IPv4-mapped IPv6', () => {
    const parsed = parseAddress('::ffff:10.1.2.3');
    expect(parsed?.kind()).toBe('ipv4');
    expect(parsed?.toString()).toBe('10.1.2.3');
  });

  test('zone ids do not change locality', () => {
    expect(networks.isLocal('fe80::1%eth0')).toBe(true);
    expect(networks.isLocal('fe80::1%12')).toBe(true);
    expect(networks.isLocal('2001:db8::1%eth0')).toBe(false);
  });

  test('surrounding spaces are ignored', () => {
    expect(networks.isLocal(' 10.0.0.1 ')).toBe(true);
  });
});

describe('LocalNetworks custom networks', () => {
  test('replace the defaults', () => {
    const networks = new LocalNetworks(['198.51.100.0/24', '2001:db8:1::/48']);

    expect(networks.isLocal('198.51.100.77')).toBe(true);
    expect(networks.isLocal('198.51.101.1')).toBe(false);
    expect(networks.isLocal('2001:db8:1:abcd::1')).toBe(true);
    expect(networks.isLocal('2001:db8:2::1')).toBe(false);
    expect(networks.isLocal('10.0.0.1')).toBe(false);
    expect(networks.isLocal('fe80::1')).toBe(false);
  });

  test('a bare address is a single host', () => {
    const networks = new LocalNetworks(['203.0.113.7', '2001:db8::7']);

    expect(networks.isLocal('203.0.113.7')).toBe(true);
    expect(networks.isLocal('203.0.113.8')).toBe(false);
    expect(networks.isLocal('2001:db8::7')).toBe(true);
    expect(networks.isLocal('2001:db8::8')).toBe(false);
  });

  const invalid = [
    '',
    'not-a-network',
    '10.0.0.0/33',
    '10.0.0.0/-1',
    'fe80::/129',
    '10.0.0.0/8/1',
    '10.0.0.0/',
    // Short and octal IPv4 forms that ipaddr.js would read as another network.
    '10/8',
    '10.1/16',
    '010.0.0.0/8',
    '0x0a.0.0.0/8',
  ];
  for (const network of invalid) {
    test(`"${network}" is a UsageError`, () => {
      expect(() => new LocalNetworks([network])).toThrow(UsageError);
      expect(() => new LocalNetworks([network])).toThrow(`invalid local network "${network}"`);
    });
  }
});

describe('LocalNetworks direction', () => {
  const networks = new LocalNetworks();
  const cases: ReadonlyArray<[string, string, string]> = [
    ['10.0.0.5', '8.8.8.8', 'L2R'],
    ['8.8.8.8', '10.0.0.5', 'R2L'],
    ['10.0.0.5', '192.168.1.1', 'L2L'],
    ['8.8.8.8', '1.1.1.1', 'R2R'],
    ['fd00::1', '2001:db8::1', 'L2R'],
    ['2001:db8::1', 'fe80::1%eth0', 'R2L'],
  ];
  for (const [source, destination, direction] of cases) {
    test(`${source} to ${destination} is ${direction}`, () => {
      expect(networks.direction(source, destination)).toBe(direction);
    });
  }
});

describe('LocalNetworks properties', () => {
  const octet = fc.integer({ min: 0, max: 255 });

  test('every address in 10.0.0.0/8 is local', () => {
    const networks = new LocalNetworks();
    fc.assert(
      fc.property(octet, octet, octet, (b, c, d) => {
        expect(networks.isLocal(`10.${b}.${c}.${d}`)).toBe(true);
      }),
    );
  });

  test('direction follows isLocal', () => {
    const networks = new LocalNetworks();
    const address = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.tuple(octet, octet, octet).map(([b, c, d]) => `10.${b}.${c}.${d}`),
      fc.tuple(octet, octet).map(([c, d]) => `192.168.${c}.${d}`),
    );
    fc.assert(
      fc.property(address, address, (source, destination) => {
        const from = networks.isLocal(source) ? 'L' : 'R';
        const to = networks.isLocal(destination) ? 'L' : 'R';
        expect(networks.direction(source, destination)).toBe(`${from}2${to}`);
      }),
    );
  });

  test('custom IPv4 prefix splits inside from outside', () => {
    const toDotted = (value: number): string =>
      [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: 32 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (base, bits, host) => {
          const mask = bits === 32 ? 0xffffffff : ~(0xffffffff >>> bits) >>> 0;
          const network = (base & mask) >>> 0;
          const inside = (network | (host & ~mask)) >>> 0;
          // Flipping the lowest prefix bit moves the address into the neighbouring network.
          const outside = (inside ^ (1 << (32 - bits))) >>> 0;
          const networks = new LocalNetworks([`${toDotted(network)}/${bits}`]);

          expect(networks.isLocal(toDotted(inside))).toBe(true);
          expect(networks.isLocal(toDotted(outside))).toBe(false);
        },
      ),
    );
  });
});
