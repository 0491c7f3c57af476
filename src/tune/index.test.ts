import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { parseConfig, parseConfigWithOrigin } from '../config.js';
import { emptyEvent } from '../model/event.js';
import { DuckDbStore } from '../store/duckdb.js';
import { EntityIndex, NO_ENTITIES, loadEntityIndex } from './entities.js';
import { checkSuppression, compileTuning, findSuppression, splitSuppressed } from './index.js';
import { PROFILE_IDS, PROFILES } from './profiles.js';
import { renderSuppressed } from './report.js';
import type { TuningSubject } from './subject.js';

/** Builds an outbound HTTPS subject from an office host, with `fields` overriding the defaults. */
function subject(fields: Partial<TuningSubject>): TuningSubject {
  return {
    sourceip: '10.1.2.3',
    destinationips: ['203.0.113.9'],
    destinationport: 443,
    protocol: 'tcp',
    names: [],
    processes: [],
    usernames: [],
    uris: [],
    userAgents: [],
    periodSeconds: 60,
    ...fields,
  };
}

const builtIn = compileTuning();

/** Second-level labels of the vendor .com domains that profiles list whole. */
const VENDOR_OWNERS = new Set(
  PROFILES.flatMap((profile) => profile.rules.flatMap((rule) => rule.domains ?? []))
    .filter((domain) => /^[a-z0-9-]+\.com$/.test(domain))
    .map((domain) => domain.split('.')[0]),
);

function ruleFor(fields: Partial<TuningSubject>, entities = NO_ENTITIES): string | null {
  return findSuppression(subject(fields), builtIn, entities)?.rule ?? null;
}

describe('built-in profiles, positive', () => {
  test.each<[string, Partial<TuningSubject>]>([
    [
      'cdn-health-check',
      {
        sourceip: '10.0.0.5',
        destinationips: ['10.0.1.7'],
        destinationport: 80,
        userAgents: ['ELB-HealthChecker/2.0'],
        periodSeconds: 30,
      },
    ],
    [
      'cdn-health-check',
      {
        sourceip: '198.51.100.7',
        destinationips: ['10.0.1.7'],
        destinationport: 8080,
        uris: ['/healthz?verbose=1'],
        periodSeconds: 10,
      },
    ],
    [
      'cdn-health-check',
      {
        sourceip: '10.0.0.5',
        destinationips: ['10.0.1.7'],
        userAgents: ['kube-probe/1.29'],
        periodSeconds: 10,
      },
    ],
    ['voip-sip', { destinationport: 5060, protocol: 'udp', periodSeconds: 30 }],
    ['voip-sip', { destinationport: 5061, protocol: 'tcp', periodSeconds: 600 }],
    ['voip-sip', { names: ['sip123.ringcentral.com'], periodSeconds: 120 }],
    ['iot-mqtt', { destinationport: 8883, periodSeconds: 60 }],
    ['iot-mqtt', { destinationport: 1883, periodSeconds: 5 }],
    ['iot-mqtt', { names: ['a3k7odshaiipe8-ats.iot.us-east-1.amazonaws.com'], periodSeconds: 30 }],
    ['ntp', { destinationport: 123, protocol: 'udp', periodSeconds: 1024 }],
    ['ntp', { names: ['0.pool.ntp.org'], destinationport: 123, protocol: 'udp', periodSeconds: 64 }],
    ['update-checks', { names: ['fe2.update.microsoft.com'], periodSeconds: 3600 }],
    ['update-checks', { names: ['array614.prod.do.dsp.mp.microsoft.com'], periodSeconds: 900 }],
    ['update-checks', { names: ['pico.eset.com'], destinationport: null, periodSeconds: 600 }],
    ['update-checks', { destinationips: ['91.228.167.171'], destinationport: 8883, periodSeconds: 301.6 }],
    ['update-checks', { names: ['archive.ubuntu.com'], destinationport: 80, periodSeconds: 43200 }],
    ['edr-heartbeat', { names: ['ts01-b.cloudsink.net'], periodSeconds: 300 }],
    ['edr-heartbeat', { names: ['winatp-gw-cus.microsoft.com'], periodSeconds: 300 }],
    ['edr-heartbeat', { names: ['usea1-017.sentinelone.net'], periodSeconds: 60 }],
  ])('%s hides %j', (profile, fields) => {
    expect(ruleFor(fields)).toBe(`profile ${profile}`);
  });
});

describe('built-in profiles, negative', () => {
  test.each<[string, Partial<TuningSubject>]>([
    [
      'outbound series with a health-check user agent',
      { userAgents: ['kube-probe/1.29'], periodSeconds: 10 },
    ],
    ['outbound series to /status', { uris: ['/status'], periodSeconds: 60 }],
    [
      'health URI mixed with others',
      { sourceip: '10.0.0.5', destinationips: ['10.0.1.7'], uris: ['/healthz', '/submit.php'] },
    ],
    ['SIP port with a daily period', { destinationport: 5060, protocol: 'udp', periodSeconds: 86_400 }],
    ['UDP on 8883', { destinationport: 8883, protocol: 'udp' }],
    ['NTP port over TCP', { destinationport: 123, protocol: 'tcp' }],
    ['ESET block on another port', { destinationips: ['91.228.167.171'], destinationport: 4444 }],
    ['lookalike vendor name', { names: ['update.microsoft.com.evil.example'] }],
    ['lookalike label', { names: ['notcloudsink.net'] }],
    ['microsoft.com itself', { names: ['login.microsoft.com'] }],
    ['vendor name mixed with an unknown one', { names: ['pico.eset.com', 'cdn.evil.example'] }],
    ['no port and no names', { destinationport: null, protocol: null }],
    [
      'inbound SIP scan from the internet',
      { sourceip: '45.140.140.75', destinationips: ['10.1.2.3'], destinationport: 5060, protocol: 'tcp' },
    ],
    ['remote MQTT client', { sourceip: '198.51.100.3', destinationips: ['10.1.2.3'], destinationport: 1883 }],
  ])('%s is kept', (_case, fields) => {
    expect(ruleFor(fields)).toBeNull();
  });

  test('Cobalt Strike beacon to an unknown .com on 443 is never hidden', () => {
    const label = fc.stringMatching(/^[a-z][a-z0-9]{2,14}$/);
    fc.assert(
      fc.property(
        label.filter((owner) => !VENDOR_OWNERS.has(owner)),
        fc.option(label, { nil: null }),
        fc.ipV4().filter((address) => !address.startsWith('91.228.16')),
        fc.double({ min: 1, max: 86_400, noNaN: true }),
        fc.constantFrom(['/pixel.gif'], ['/__utm.gif'], ['/submit.php'], []),
        fc.constantFrom([], ['Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0)']),
        (owner, sub, address, period, uris, userAgents) => {
          const name = sub === null ? `${owner}.com` : `${sub}.${owner}.com`;
          for (const names of [[name], []]) {
            const found = findSuppression(
              subject({ names, destinationips: [address], uris, userAgents, periodSeconds: period }),
              builtIn,
              NO_ENTITIES,
            );
            expect(found).toBeNull();
          }
        },
      ),
    );
  });
});

describe('suppression details', () => {
  test('states rule, reason and match', () => {
    const found = findSuppression(subject({ names: ['fe2.update.microsoft.com'] }), builtIn, NO_ENTITIES);

    expect(found).toEqual({
      rule: 'profile update-checks',
      reason: 'operating systems and antivirus products check for updates and signatures on a schedule',
      matched: 'name fe2.update.microsoft.com matches update.microsoft.com',
    });
  });

  test('ESET push is update-checks, not MQTT', () => {
    const found = findSuppression(
      subject({ destinationips: ['91.228.167.171'], destinationport: 8883, periodSeconds: 301.6 }),
      builtIn,
      NO_ENTITIES,
    );

    expect(found?.rule).toBe('profile update-checks');
    expect(found?.matched).toBe('port 8883/tcp, address 91.228.167.171 in 91.228.164.0/22');
  });

  test('disabled profile hides nothing', () => {
    const tuning = compileTuning(parseConfig('profiles:\n  disable: [ntp, voip-sip]\n', 'c.yaml'));

    expect(tuning.profiles).toEqual(PROFILE_IDS.filter((id) => id !== 'ntp' && id !== 'voip-sip'));
    expect(
      findSuppression(subject({ destinationport: 123, protocol: 'udp' }), tuning, NO_ENTITIES),
    ).toBeNull();
    expect(
      findSuppression(subject({ destinationport: 5060, protocol: 'udp' }), tuning, NO_ENTITIES),
    ).toBeNull();
  });
});

describe('allowlist', () => {
  const text = [
    'source_groups:',
    '  lb-probes: [10.9.0.0/24, "2001:db8:9::/64"]',
    'allowlist:',
    '  - domain: "*.example.com"',
    '    reason: our CDN',
    '  - cidr: 2001:db8:beef::/48',
    '  - port: 9999',
    '    protocol: udp',
    '  - process: C:\\Program Files\\Acme\\*',
    '  - source_group: lb-probes',
    '    port: 443',
    '',
  ].join('\n');
  const { config, origin } = parseConfigWithOrigin(text, 'beaconhunt.yaml');
  const tuning = compileTuning(config, { origin });
  const rule = (fields: Partial<TuningSubject>): string | null =>
    findSuppression(subject(fields), tuning, NO_ENTITIES)?.rule ?? null;

  test('domain entry names its line and reason', () => {
    const found = findSuppression(subject({ names: ['a.b.example.com'] }), tuning, NO_ENTITIES);

    expect(found).toEqual({
      rule: 'allowlist[0] (domain *.example.com; beaconhunt.yaml:4)',
      reason: 'our CDN',
      matched: 'name a.b.example.com matches *.example.com',
    });
    expect(rule({ names: ['badexample.com'] })).toBeNull();
  });

  test('IPv6 cidr entry', () => {
    expect(rule({ destinationips: ['2001:db8:beef:1::5'] })).toBe(
      'allowlist[1] (cidr 2001:db8:beef::/48; beaconhunt.yaml:6)',
    );
    expect(rule({ destinationips: ['2001:db8:beef:1::5', '203.0.113.9'] })).toBeNull();
  });

  test('port and protocol combine with AND', () => {
    expect(rule({ destinationport: 9999, protocol: 'udp' })).toBe(
      'allowlist[2] (port 9999, protocol udp; beaconhunt.yaml:7)',
    );
    expect(rule({ destinationport: 9999, protocol: 'tcp' })).toBeNull();
  });

  test('process entry', () => {
    expect(rule({ processes: ['c:\\program files\\acme\\agent.exe'] })).toBe(
      'allowlist[3] (process C:\\Program Files\\Acme\\*; beaconhunt.yaml:9)',
    );
    expect(rule({ processes: ['C:\\Users\\x\\agent.exe'] })).toBeNull();
  });

  test('source group and port', () => {
    expect(rule({ sourceip: '10.9.0.77' })).toBe(
      'allowlist[4] (port 443, source_group lb-probes; beaconhunt.yaml:10)',
    );
    expect(rule({ sourceip: '2001:db8:9::1' })).toBe(
      'allowlist[4] (port 443, source_group lb-probes; beaconhunt.yaml:10)',
    );
    expect(rule({ sourceip: '10.9.1.77' })).toBeNull();
    expect(rule({ sourceip: '10.9.0.77', destinationport: 8443 })).toBeNull();
  });

  test('default reason', () => {
    expect(
      findSuppression(subject({ destinationport: 9999, protocol: 'udp' }), tuning, NO_ENTITIES)?.reason,
    ).toBe('allowlisted in the config');
  });
});

describe('splitSuppressed', () => {
  test('keeps order in both lists', () => {
    const findings = [
      { id: 1, fields: { names: ['cdn.evil.example'] } },
      { id: 2, fields: { destinationport: 123, protocol: 'udp' } },
      { id: 3, fields: {} },
      { id: 4, fields: { names: ['ts01-b.cloudsink.net'] } },
    ];

    const split = splitSuppressed(findings, (f) => subject(f.fields), builtIn, NO_ENTITIES);

    expect(split.kept.map((f) => f.id)).toEqual([1, 3]);
    expect(split.suppressed.map((s) => [s.finding.id, s.suppression.rule])).toEqual([
      [2, 'profile ntp'],
      [4, 'profile edr-heartbeat'],
    ]);
  });

  test('empty input', () => {
    expect(splitSuppressed([], subject, builtIn, NO_ENTITIES)).toEqual({ kept: [], suppressed: [] });
  });
});

describe('IP twins', () => {
  let store: DuckDbStore;

  beforeEach(async () => {
    store = await DuckDbStore.open();
  });

  afterEach(async () => {
    await store.close();
  });

  async function answer(query: string, answers: string[]): Promise<void> {
    const list = `[${answers.map((value) => `'${value}'`).join(', ')}]`;
    await store.run(
      `INSERT INTO dns_queries (starttime, sourceip, resolverip, query, qtype, rcode, answers)
       VALUES (0, '10.1.2.3', '10.0.0.2', ?, 'A', 'NOERROR', ${list}::VARCHAR[])`,
      [query],
    );
  }

  test('DNS answers name a bare address', async () => {
    await answer('Ctldl.WindowsUpdate.com.', [
      'ctldl.windowsupdate.com.edgesuite.net',
      '198.51.100.20',
      '2001:DB8::20',
    ]);
    const entities = await loadEntityIndex(store);

    expect(entities.namesOf('198.51.100.20')).toEqual(['ctldl.windowsupdate.com']);
    expect(entities.namesOf('2001:db8::20')).toEqual(['ctldl.windowsupdate.com']);
    expect(entities.namesOf('198.51.100.21')).toEqual([]);
    const found = findSuppression(
      subject({ destinationips: ['198.51.100.20'], destinationport: 80 }),
      builtIn,
      entities,
    );
    expect(found?.rule).toBe('profile update-checks');
    expect(found?.matched).toBe(
      'address 198.51.100.20 served ctldl.windowsupdate.com matches windowsupdate.com',
    );
  });

  test('server names on events name a bare address', async () => {
    const event = emptyEvent('fixture', 1);
    Object.assign(event, {
      starttime: 1,
      sourceip: '10.1.2.3',
      destinationip: '198.51.100.30',
      servername: 'ts01-b.cloudsink.net',
    });
    await store.appendEvents([event]);
    const entities = await loadEntityIndex(store);

    expect(ruleFor({ destinationips: ['198.51.100.30'] }, entities)).toBe('profile edr-heartbeat');
  });

  test('shared address with an unknown name hides nothing', async () => {
    await answer('fe2.update.microsoft.com', ['198.51.100.40']);
    await answer('c2.evil.example', ['198.51.100.40']);
    const entities = await loadEntityIndex(store);

    expect(entities.namesOf('198.51.100.40')).toEqual(['c2.evil.example', 'fe2.update.microsoft.com']);
    expect(ruleFor({ destinationips: ['198.51.100.40'] }, entities)).toBeNull();
  });

  test('own names win over the address names', () => {
    const entities = new EntityIndex();
    entities.add('198.51.100.50', ['fe2.update.microsoft.com']);

    expect(ruleFor({ destinationips: ['198.51.100.50'], names: ['c2.evil.example'] }, entities)).toBeNull();
  });

  test('busy address is marked and never matches', async () => {
    const names = Array.from({ length: 60 }, (_, index) => `h${index}.update.microsoft.com`);
    for (const name of names) await answer(name, ['198.51.100.60']);
    const entities = await loadEntityIndex(store);

    expect(entities.namesOf('198.51.100.60')).toHaveLength(51);
    expect(entities.namesOf('198.51.100.60')).toContain('*');
    expect(ruleFor({ destinationips: ['198.51.100.60'] }, entities)).toBeNull();
  });

  test('empty store gives an empty index', async () => {
    expect((await loadEntityIndex(store)).size).toBe(0);
  });
});

describe('renderSuppressed', () => {
  test('one block per finding', () => {
    const text = renderSuppressed([
      {
        finding: '10.1.2.3 → 192.0.2.1:123/udp',
        suppression: { rule: 'profile ntp', reason: 'time', matched: 'port 123/udp' },
      },
    ]);

    expect(text).toBe(
      [
        'Suppressed findings (1):',
        '  10.1.2.3 → 192.0.2.1:123/udp',
        '    rule:    profile ntp',
        '    reason:  time',
        '    matched: port 123/udp',
        '',
      ].join('\n'),
    );
  });

  test('empty list', () => {
    expect(renderSuppressed([])).toBe('No findings suppressed.\n');
  });

  test('wraps lines to the width', () => {
    const text = renderSuppressed(
      [
        {
          finding: '#7 10.1.2.3 → 91.228.167.171:8883/tcp (score 0.41)',
          suppression: {
            rule: 'profile iot-mqtt',
            reason: 'MQTT clients keep a session open and ping the broker on a fixed keep-alive interval',
            matched: 'port 8883/tcp',
          },
        },
      ],
      50,
    );
    for (const line of text.trimEnd().split('\n')) expect(line.length).toBeLessThanOrEqual(50);
    expect(text).toContain('    reason:  MQTT clients');
  });
});

describe('checkSuppression', () => {
  /** Subjects from office hosts to assorted ports, names and agents, some of which profiles hide. */
  const subjects = fc.record({
    sourceip: fc.constantFrom('10.1.2.3', '198.51.100.7'),
    destinationips: fc.constantFrom(['203.0.113.9'], ['10.0.1.7'], []),
    destinationport: fc.constantFrom(443, 80, 123, 5060, 1883, 8883, null),
    protocol: fc.constantFrom('tcp', 'udp', null),
    names: fc.constantFrom([], ['update.eset.com'], ['cdn.example.net'], ['time.windows.com']),
    userAgents: fc.constantFrom([], ['ELB-HealthChecker/2.0'], ['curl/8.0']),
    periodSeconds: fc.constantFrom(30, 64, 1024, null),
  });

  test('agrees with findSuppression', () => {
    fc.assert(
      fc.property(subjects, (fields) => {
        const checked = checkSuppression(subject(fields), builtIn, NO_ENTITIES);
        const found = findSuppression(subject(fields), builtIn, NO_ENTITIES);
        expect(checked).toHaveLength(builtIn.rules.length);
        const hid = checked.filter((check) => check.outcome === 'hid');
        expect(hid.length).toBe(found === null ? 0 : 1);
        if (found !== null) {
          expect(hid[0]?.rule).toBe(found.rule);
          expect(hid[0]?.detail).toBe(found.matched);
        }
        // Nothing matches before the rule that hid the finding.
        const first = checked.findIndex((check) => check.outcome !== 'passed');
        if (first !== -1) expect(checked[first]?.outcome).toBe('hid');
      }),
    );
  });

  test('names the failed condition', () => {
    const checks = checkSuppression(subject({ destinationport: 443, protocol: 'tcp' }), builtIn, NO_ENTITIES);
    const ntp = checks.filter((check) => check.rule === 'profile ntp').map((check) => check.detail);
    expect(ntp).toContain('port 443 is not 123 or 4460');
    expect(ntp).toContain('protocol tcp is not udp');
    expect(checks.every((check) => check.outcome === 'passed' && check.detail.length > 0)).toBe(true);
  });
});
