import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  matchesCidr,
  matchesDomain,
  matchesProcess,
  parseCidr,
  parseDomainPattern,
  parseProcessPattern,
} from '../tune/patterns.js';
import { parseAddress } from '../net/locality.js';
import { canonicalCidr, domainRegex, ipv4Range, ipv6Prefix, processRegex, windowText } from './predicate.js';

const label = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,6}$/);

describe('domainRegex', () => {
  it('matches the domain and names under it only', () => {
    const regex = new RegExp(domainRegex('corp-cdn.example'));
    expect(regex.test('corp-cdn.example')).toBe(true);
    expect(regex.test('a.b.corp-cdn.example')).toBe(true);
    expect(regex.test('badcorp-cdn.example')).toBe(false);
    expect(regex.test('corp-cdn.example.evil')).toBe(false);
    expect(regex.test('corp-cdnxexample')).toBe(false);
  });

  it('agrees with the allowlist matcher', () => {
    const registered = fc.constantFrom('example.com', 'corp-cdn.example.org', 'example.co.uk');
    fc.assert(
      fc.property(
        label,
        registered,
        fc.boolean(),
        fc.array(label, { maxLength: 3 }),
        fc.option(label, { nil: undefined }),
        (first, rest, wild, prefix, other) => {
          const text = `${wild ? `${first.slice(0, 2)}*` : first}.${rest}`;
          const name = [...prefix, other ?? first, rest].join('.');
          const pattern = parseDomainPattern(text);
          expect(new RegExp(domainRegex(text)).test(name)).toBe(matchesDomain(pattern, name));
        },
      ),
      { seed: 5, numRuns: 300 },
    );
  });
});

describe('processRegex', () => {
  const segment = fc.stringMatching(/^[a-z0-9.'"()-]{1,3}( [a-z0-9.'"()-]{1,3})?$/);

  it('agrees with the allowlist matcher', () => {
    const image = fc.tuple(fc.array(segment, { maxLength: 3 }), segment, fc.constantFrom('\\', '/'));
    fc.assert(
      fc.property(image, fc.boolean(), fc.boolean(), ([folders, file, separator], fileOnly, star) => {
        const path = [...folders, file].join(separator);
        const glob = fileOnly ? file : `${star && folders.length > 0 ? '*' : folders.join('/')}/${file}`;
        const upper = path.toUpperCase();
        const pattern = parseProcessPattern(glob);
        expect(new RegExp(processRegex(glob)).test(upper.toLowerCase())).toBe(matchesProcess(pattern, upper));
      }),
      { seed: 9, numRuns: 300 },
    );
  });

  it('names the file alone without a separator', () => {
    const regex = new RegExp(processRegex('Updater.exe'));
    expect(regex.test('c:\\windows\\updater.exe')).toBe(true);
    expect(regex.test('/usr/bin/updater.exe')).toBe(true);
    expect(regex.test('updater.exe')).toBe(true);
    expect(regex.test('c:\\windows\\myupdater.exe')).toBe(false);
    expect(regex.test('updaterxexe')).toBe(false);
  });
});

describe('network forms', () => {
  it('gives IPv4 ranges', () => {
    expect(ipv4Range('10.0.0.0/8')).toEqual([167_772_160, 184_549_375]);
    expect(ipv4Range('10.1.2.3/8')).toEqual([167_772_160, 184_549_375]);
    expect(ipv4Range('0.0.0.0/0')).toEqual([0, 4_294_967_295]);
    expect(ipv4Range('255.255.255.255')).toEqual([4_294_967_295, 4_294_967_295]);
  });

  it('gives IPv6 hex prefixes', () => {
    expect(ipv6Prefix('fc00::/7')).toEqual({ hex: 'f', partial: { mask: 14, value: 12 }, compact: 'fc00::' });
    expect(ipv6Prefix('fe80::/10')).toEqual({
      hex: 'fe',
      partial: { mask: 12, value: 8 },
      compact: 'fe80::',
    });
    expect(ipv6Prefix('::1/128')).toEqual({
      hex: '00000000000000000000000000000001',
      partial: null,
      compact: '::1',
    });
    expect(ipv6Prefix('::/0')).toEqual({ hex: '', partial: null, compact: '::' });
  });

  it('clears host bits in canonical CIDRs', () => {
    expect(canonicalCidr('10.1.2.3/8')).toBe('10.0.0.0/8');
    expect(canonicalCidr('192.0.2.7')).toBe('192.0.2.7/32');
    expect(canonicalCidr('2001:db8:0:0:1::/32')).toBe('2001:db8::/32');
    expect(canonicalCidr('2001:db8::1')).toBe('2001:db8::1/128');
  });

  it('IPv4 range agrees with matchesCidr', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV4(), fc.integer({ min: 0, max: 32 }), (address, network, bits) => {
        const cidr = `${network}/${bits}`;
        const value = parseAddress(address)!
          .toByteArray()
          .reduce((sum, byte) => sum * 256 + byte, 0);
        const [low, high] = ipv4Range(cidr);
        expect(value >= low && value <= high).toBe(matchesCidr(parseCidr(cidr), address));
      }),
      { seed: 3, numRuns: 500 },
    );
  });

  it('IPv6 prefix agrees with matchesCidr', () => {
    fc.assert(
      fc.property(fc.ipV6(), fc.ipV6(), fc.integer({ min: 0, max: 128 }), (address, network, bits) => {
        const parsed = parseAddress(address);
        if (parsed === null || parsed.kind() !== 'ipv6') return;
        const cidr = `${network}/${bits}`;
        const hex = parsed
          .toByteArray()
          .map((byte) => byte.toString(16).padStart(2, '0'))
          .join('');
        const { hex: prefix, partial } = ipv6Prefix(cidr);
        const inside =
          hex.startsWith(prefix) &&
          (partial === null || (Number.parseInt(hex[prefix.length]!, 16) & partial.mask) === partial.value);
        expect(inside).toBe(matchesCidr(parseCidr(cidr), address));
      }),
      { seed: 4, numRuns: 500 },
    );
  });
});

describe('windowText', () => {
  it.each([
    [86_400_000, '24h'],
    [172_800_000, '2d'],
    [259_200_000, '3d'],
    [604_800_000, '7d'],
    [21_600_000, '6h'],
    [5_400_000, '90m'],
    [45_000, '45s'],
  ])('%i ms is %s', (ms, text) => {
    expect(windowText(ms)).toBe(text);
  });
});
