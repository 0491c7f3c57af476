import { describe, expect, it } from 'vitest';

import { parseConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { DEFAULT_LOCAL_NETWORKS } from '../net/locality.js';
import { TUNED_CONFIG_YAML } from './fixtures.js';
import {
  buildRule,
  DEFAULT_EXCLUDED_DESTINATIONS,
  DEFAULT_REGULARITY,
  DEFAULT_RULE_NAME,
  validateRule,
  type ExportRule,
} from './model.js';

describe('buildRule', () => {
  it('uses the seed values by default', () => {
    expect(buildRule({})).toEqual({
      name: DEFAULT_RULE_NAME,
      windowMs: 86_400_000,
      ports: [80, 443, 53, 21, 25, 110, 143, 8080, 8443, 1883, 5222],
      localNetworks: [...DEFAULT_LOCAL_NETWORKS],
      excludedDestinations: [...DEFAULT_EXCLUDED_DESTINATIONS],
      allowlist: [],
      minCount: 10,
      minIntervalMs: 1_000,
      maxIntervalMs: 3_600_000,
      regularity: { minGaps: 10, maxGapCv: 0.5 },
    });
  });

  it('reads the config allowlist and groups', () => {
    const rule = buildRule(parseConfig(TUNED_CONFIG_YAML, 'tuned.yaml'));
    expect(rule.localNetworks).toEqual(['10.0.0.0/8', '192.168.0.0/16', 'fd00::/8']);
    expect(rule.allowlist).toEqual([
      { domain: 'corp-cdn.example', reason: "our CDN's health checks" },
      { domain: 'winatp-gw-*.microsoft.com', port: 443 },
      { cidr: '203.0.113.0/24', reason: 'monitoring provider' },
      { process: `C:\\Program Files\\O'Brien "Tools"\\agent.exe` },
      { process: 'updater.exe', protocol: 'tcp' },
      { sourceGroup: { name: 'scanners', cidrs: ['10.9.0.0/16'] }, port: 8443 },
    ]);
  });

  it('lets flags override the config', () => {
    const config = parseConfig(TUNED_CONFIG_YAML, 'tuned.yaml');
    const rule = buildRule(config, {
      localNetworks: ['172.16.0.0/12'],
      ports: [443],
      windowMs: 3_600_000,
      minCount: 5,
      minIntervalMs: 10,
      maxIntervalMs: 20,
      regularity: null,
    });
    expect(rule.localNetworks).toEqual(['172.16.0.0/12']);
    expect(rule.ports).toEqual([443]);
    expect(rule.windowMs).toBe(3_600_000);
    expect([rule.minCount, rule.minIntervalMs, rule.maxIntervalMs]).toEqual([5, 10, 20]);
    expect(rule.regularity).toBeNull();
  });

  it('normalises a domain pattern', () => {
    const rule = buildRule({ allowlist: [{ domain: '*.Corp-CDN.Example.' }] });
    expect(rule.allowlist[0]?.domain).toBe('corp-cdn.example');
  });

  it('keeps the default regularity object unchanged', () => {
    expect(DEFAULT_REGULARITY).toEqual({ minGaps: 10, maxGapCv: 0.5 });
    expect(Object.isFrozen(DEFAULT_REGULARITY)).toBe(true);
  });
});

describe('validateRule', () => {
  const valid = (): ExportRule => buildRule({});
  const cases: [string, Partial<ExportRule>, RegExp][] = [
    ['a window of 1.5 s', { windowMs: 1_500 }, /whole seconds/],
    ['an infinite window', { windowMs: Number.POSITIVE_INFINITY }, /finite window/],
    ['an empty port list', { ports: [] }, /port list is empty/],
    ['port 65536', { ports: [65_536] }, /invalid port 65536/],
    ['a negative count', { minCount: -1 }, /invalid min count -1/],
    ['swapped intervals', { minIntervalMs: 10, maxIntervalMs: 5 }, /exceeds max interval/],
    ['a bad local network', { localNetworks: ['10.1/16'] }, /invalid CIDR "10.1\/16"/],
    ['no local networks', { localNetworks: [] }, /local network list is empty/],
    ['a bad exclusion', { excludedDestinations: ['300.0.0.0/8'] }, /invalid CIDR/],
    ['one gap', { regularity: { minGaps: 1, maxGapCv: 0.5 } }, /at least 2 gaps/],
    ['a NaN variation', { regularity: { minGaps: 5, maxGapCv: Number.NaN } }, /coefficient of variation/],
    ['a name with a quote', { name: "x'y" }, /invalid rule name/],
    ['an empty entry', { allowlist: [{ reason: 'nothing' }] }, /needs a cidr, domain/],
    ['a domain with a quote', { allowlist: [{ domain: `ex"ample.com` }] }, /invalid domain pattern/],
    ['a public suffix', { allowlist: [{ domain: 'co.uk' }] }, /public suffix/],
    ['an upper-case domain', { allowlist: [{ domain: 'Example.com' }] }, /lower case/],
    ['a match-all process', { allowlist: [{ process: '*' }] }, /matches every process/],
    ['a bad protocol', { allowlist: [{ port: 1, protocol: 'TCP"' }] }, /invalid protocol/],
  ];
  it.each(cases)('rejects %s', (_name, change, message) => {
    const rule = { ...valid(), ...change };
    expect(() => validateRule(rule)).toThrow(UsageError);
    expect(() => validateRule(rule)).toThrow(message);
  });

  it('rejects an unknown source group', () => {
    expect(() => buildRule({ allowlist: [{ source_group: 'nobody' }] })).toThrow(
      /unknown source group "nobody"/,
    );
  });
});
