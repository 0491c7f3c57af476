import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import { registeredDomain } from '../net/domain.js';
import {
  matchesCidr,
  matchesDomain,
  matchesProcess,
  parseCidr,
  parseDomainPattern,
  parseProcessPattern,
  PatternError,
} from './patterns.js';

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);

describe('domain patterns', () => {
  test('bare and wildcard forms match the domain and subdomains', () => {
    for (const text of ['example.com', '*.example.com']) {
      const pattern = parseDomainPattern(text);
      expect(matchesDomain(pattern, 'example.com')).toBe(true);
      expect(matchesDomain(pattern, 'a.example.com')).toBe(true);
      expect(matchesDomain(pattern, 'a.b.example.com')).toBe(true);
      expect(matchesDomain(pattern, 'badexample.com')).toBe(false);
      expect(matchesDomain(pattern, 'example.com.evil.net')).toBe(false);
      expect(matchesDomain(pattern, 'com')).toBe(false);
    }
  });

  test('wildcard inside a label stays in the label', () => {
    const pattern = parseDomainPattern('winatp-gw-*.microsoft.com');
    expect(matchesDomain(pattern, 'winatp-gw-cus.microsoft.com')).toBe(true);
    expect(matchesDomain(pattern, 'x.winatp-gw-neu.microsoft.com')).toBe(true);
    expect(matchesDomain(pattern, 'winatp-gw.microsoft.com')).toBe(false);
    expect(matchesDomain(pattern, 'winatp-gw-a.b.microsoft.com')).toBe(false);
  });

  test('AWS IoT pattern needs the iot label', () => {
    const pattern = parseDomainPattern('*.iot.*.amazonaws.com');
    expect(matchesDomain(pattern, 'a1b2c3-ats.iot.eu-west-1.amazonaws.com')).toBe(true);
    expect(matchesDomain(pattern, 'bucket.s3.eu-west-1.amazonaws.com')).toBe(false);
  });

  test.each(['*.co.uk', 'co.uk', 'com', '*.com', '*.cloudfront.net', 'github.io', 'foo*.com', '*'])(
    'public suffix %s is rejected',
    (text) => {
      expect(() => parseDomainPattern(text)).toThrow(PatternError);
    },
  );

  test.each(['', 'exa mple.com', 'a..com', '192.0.2.1', '2001:db8::1'])(
    'invalid pattern "%s" is rejected',
    (text) => {
      expect(() => parseDomainPattern(text)).toThrow(PatternError);
    },
  );

  test('name under an allowed domain always matches', () => {
    fc.assert(
      fc.property(fc.array(label, { maxLength: 4 }), label, fc.boolean(), (prefix, owner, wildcard) => {
        const domain = `${owner}.com`;
        // A few such names are private public suffixes (4u.com), which patterns reject by design.
        fc.pre(registeredDomain(domain) === domain);
        const pattern = parseDomainPattern(wildcard ? `*.${domain}` : domain);
        expect(matchesDomain(pattern, [...prefix, domain].join('.'))).toBe(true);
      }),
    );
  });

  test('name that only ends with the same letters never matches', () => {
    fc.assert(
      fc.property(fc.array(label, { maxLength: 3 }), label, label, (prefix, extra, owner) => {
        fc.pre(registeredDomain(`${owner}.com`) === `${owner}.com`);
        const pattern = parseDomainPattern(`*.${owner}.com`);
        // `extra` glued to the owner label makes a different label that ends with the same letters.
        const name = [...prefix, `${extra}${owner}.com`].join('.');
        expect(matchesDomain(pattern, name)).toBe(false);
      }),
    );
  });
});

describe('CIDR patterns', () => {
  test('IPv4 block', () => {
    const block = parseCidr('91.228.164.0/22');
    expect(matchesCidr(block, '91.228.167.171')).toBe(true);
    expect(matchesCidr(block, '91.228.168.1')).toBe(false);
    expect(matchesCidr(block, '::ffff:91.228.165.1')).toBe(true);
  });

  test('IPv6 block', () => {
    const block = parseCidr('2001:db8:100::/48');
    expect(matchesCidr(block, '2001:db8:100:ffff::1')).toBe(true);
    expect(matchesCidr(block, '2001:DB8:100::abcd')).toBe(true);
    expect(matchesCidr(block, '2001:db8:101::1')).toBe(false);
    expect(matchesCidr(block, '192.0.2.1')).toBe(false);
  });

  test('bare address is a single host', () => {
    expect(parseCidr('2001:db8::1').bits).toBe(128);
    expect(parseCidr('192.0.2.7').bits).toBe(32);
    expect(matchesCidr(parseCidr('192.0.2.7'), '192.0.2.8')).toBe(false);
  });

  test.each(['10.1/16', '010.0.0.0/8', '10.0.0.0/33', '2001:db8::/129', 'example.com', ''])(
    'invalid CIDR "%s" is rejected',
    (text) => {
      expect(() => parseCidr(text)).toThrow(PatternError);
    },
  );

  test('address not in a non-matching random block', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (address, bits) => {
        const block = parseCidr(`${address}/${bits}`);
        expect(matchesCidr(block, address)).toBe(true);
      }),
    );
  });
});

describe('process patterns', () => {
  test('path glob ignores case and separator style', () => {
    const pattern = parseProcessPattern('C:\\Program Files\\ESET\\*');
    expect(matchesProcess(pattern, 'c:\\program files\\eset\\eset security\\ekrn.exe')).toBe(true);
    expect(matchesProcess(pattern, 'C:/Program Files/ESET/ekrn.exe')).toBe(true);
    expect(matchesProcess(pattern, 'C:\\Program Files\\ESETX\\ekrn.exe')).toBe(false);
  });

  test('file name alone matches the last path part', () => {
    const pattern = parseProcessPattern('ekrn.exe');
    expect(matchesProcess(pattern, 'C:\\Program Files\\ESET\\ekrn.exe')).toBe(true);
    expect(matchesProcess(pattern, 'C:\\Temp\\notekrn.exe')).toBe(false);
  });

  test('match-all pattern is rejected', () => {
    expect(() => parseProcessPattern('*')).toThrow(PatternError);
  });
});
