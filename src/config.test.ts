import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, test } from 'vitest';

import { loadConfig, parseConfig, parseConfigWithOrigin } from './config.js';
import { InputError } from './errors.js';

const folders: string[] = [];

afterEach(async () => {
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

/** Parses text that must be rejected and returns the InputError's message. */
function configError(text: string): string {
  let caught: unknown;
  try {
    parseConfig(text, 'beaconhunt.yaml');
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InputError);
  const message = (caught as InputError).message;
  expect(message).not.toMatch(/[\r\n]/);
  expect((caught as InputError).file).toBe('beaconhunt.yaml');
  return message;
}

describe('parseConfig valid YAML', () => {
  test('reads local_networks', () => {
    const config = parseConfig(
      '# office networks\nlocal_networks:\n  - 10.0.0.0/8\n  - fd00::/8\n',
      'c.yaml',
    );

    expect(config).toEqual({ local_networks: ['10.0.0.0/8', 'fd00::/8'] });
  });

  test('flow style list works', () => {
    expect(parseConfig('local_networks: [192.0.2.0/24]\n', 'c.yaml')).toEqual({
      local_networks: ['192.0.2.0/24'],
    });
  });

  test('empty file is an empty config', () => {
    expect(parseConfig('', 'c.yaml')).toEqual({});
    expect(parseConfig('# nothing set yet\n', 'c.yaml')).toEqual({});
  });
});

describe('parseConfig invalid YAML', () => {
  test('unclosed flow list names line:col', () => {
    const message = configError('local_networks: [10.0.0.0/8\n');

    expect(message).toMatch(/^beaconhunt\.yaml:2:1: invalid YAML: /);
  });

  test('duplicate key names line:col', () => {
    const message = configError('local_networks:\n  - 10.0.0.0/8\nlocal_networks:\n  - fd00::/8\n');

    expect(message).toBe('beaconhunt.yaml:3:1: invalid YAML: Map keys must be unique');
  });

  test('bad indentation names line:col', () => {
    const message = configError('local_networks:\n  - 10.0.0.0/8\n - fd00::/8\n');

    expect(message).toMatch(/^beaconhunt\.yaml:3:1: invalid YAML: /);
  });

  test('alias without anchor names line:col', () => {
    const message = configError('local_networks: *office\n');

    expect(message).toMatch(/^beaconhunt\.yaml:1:17: invalid YAML: .*office/);
  });
});

describe('parseConfig unknown key', () => {
  test('names the key line:col', () => {
    const message = configError('local_networks:\n  - 10.0.0.0/8\nlocal_network: 192.0.2.0/24\n');

    expect(message).toBe(
      'beaconhunt.yaml:3:1: local_network: unknown key; expected one of: local_networks, mapping, time_format, source_groups, allowlist, profiles, context',
    );
  });

  test('a key without a value is found too', () => {
    const message = configError('local_networks:\n  - 10.0.0.0/8\n  \nthreshold:\n');

    expect(message).toBe(
      'beaconhunt.yaml:4:1: threshold: unknown key; expected one of: local_networks, mapping, time_format, source_groups, allowlist, profiles, context',
    );
  });
});

describe('parseConfig wrong type', () => {
  test('string instead of list names line:col', () => {
    const message = configError('local_networks: 10.0.0.0/8\n');

    expect(message).toMatch(/^beaconhunt\.yaml:1:17: local_networks: .*expected array/);
  });

  test('number in list names its line:col', () => {
    const message = configError('local_networks:\n  - 10.0.0.0/8\n  - 42\n');

    expect(message).toMatch(/^beaconhunt\.yaml:3:5: local_networks\.1: .*expected string/);
  });

  test('empty list names line:col', () => {
    const message = configError('local_networks: []\n');

    expect(message).toMatch(/^beaconhunt\.yaml:1:17: local_networks: /);
  });

  test('top-level list names line:col', () => {
    const message = configError('- 10.0.0.0/8\n');

    expect(message).toMatch(/^beaconhunt\.yaml:1:1: \(top level\): .*expected object/);
  });
});

describe('loadConfig', () => {
  test('reads a file', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-config-'));
    folders.push(folder);
    const path = join(folder, 'beaconhunt.yaml');
    await writeFile(path, 'local_networks:\n  - 172.16.0.0/12\n');

    expect(await loadConfig(path)).toEqual({ local_networks: ['172.16.0.0/12'] });
  });

  test('errors name the file path', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-config-'));
    folders.push(folder);
    const path = join(folder, 'beaconhunt.yaml');
    await writeFile(path, 'local_networks:\n  - 172.16.0.0/12\nextra: 1\n');

    await expect(loadConfig(path)).rejects.toThrow(`${path}:3:1: extra: unknown key`);
  });

  test('missing file is an InputError', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-config-'));
    folders.push(folder);
    const path = join(folder, 'missing.yaml');

    const error = await loadConfig(path).then(
      () => null,
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(
      `${path}: cannot read the config file (ENOENT); check the path`,
    );
  });
});

describe('parseConfig mapping', () => {
  test('reads mapping and time_format', () => {
    const config = parseConfig(
      'mapping:\n  starttime: ts\n  sourceip: src\ntime_format: epoch-s\n',
      'c.yaml',
    );

    expect(config).toEqual({ mapping: { starttime: 'ts', sourceip: 'src' }, time_format: 'epoch-s' });
  });
});

describe('parseConfig tuning keys', () => {
  test('reads source groups, allowlist and profiles', () => {
    const text = [
      'source_groups:',
      '  lb-probes: [10.9.0.0/24]',
      'allowlist:',
      '  - domain: "*.example.com"',
      '    reason: our CDN',
      '  - source_group: lb-probes',
      '    port: 443',
      'profiles:',
      '  disable: [voip-sip]',
      '',
    ].join('\n');

    const { config, origin } = parseConfigWithOrigin(text, 'c.yaml');

    expect(config).toEqual({
      source_groups: { 'lb-probes': ['10.9.0.0/24'] },
      allowlist: [
        { domain: '*.example.com', reason: 'our CDN' },
        { source_group: 'lb-probes', port: 443 },
      ],
      profiles: { disable: ['voip-sip'] },
    });
    expect(origin).toEqual({ path: 'c.yaml', allowlistLines: [4, 6] });
  });

  test.each([
    [
      'local_networks: [10.0.0.0/33]\n',
      'beaconhunt.yaml:1:18: local_networks.0: invalid CIDR "10.0.0.0/33": expected a block such as 192.0.2.0/24 or 2001:db8::/32',
    ],
    [
      'source_groups:\n  lb: [10.0.0.0/8, "2001:db8::/200"]\n',
      'beaconhunt.yaml:2:20: source_groups.lb.1: invalid CIDR "2001:db8::/200": expected a block such as 192.0.2.0/24 or 2001:db8::/32',
    ],
    [
      'source_groups:\n  "bad name": [10.0.0.0/8]\n',
      'beaconhunt.yaml:2:3: source_groups.bad name: invalid name: a group name uses letters, digits, _, . and -',
    ],
    [
      'allowlist:\n  - domain: "*.co.uk"\n',
      'beaconhunt.yaml:2:13: allowlist.0.domain: domain pattern "*.co.uk" covers a public suffix ("co.uk"), which would match many unrelated owners; name a registered domain such as example.co.uk',
    ],
    [
      'allowlist:\n  - domain: example.com\n  - cidr: 10.1/16\n',
      'beaconhunt.yaml:3:11: allowlist.1.cidr: invalid CIDR "10.1/16": expected a block such as 192.0.2.0/24 or 2001:db8::/32',
    ],
    [
      'allowlist:\n  - cidr: 2001:db8::/129\n',
      'beaconhunt.yaml:2:11: allowlist.0.cidr: invalid CIDR "2001:db8::/129": expected a block such as 192.0.2.0/24 or 2001:db8::/32',
    ],
    [
      'allowlist:\n  - port: 70000\n',
      'beaconhunt.yaml:2:11: allowlist.0.port: Too big: expected number to be <=65535',
    ],
    [
      'allowlist:\n  - port: 0\n',
      'beaconhunt.yaml:2:11: allowlist.0.port: Too small: expected number to be >=1',
    ],
    [
      'allowlist:\n  - port: 53\n    protocol: gre\n',
      'beaconhunt.yaml:3:15: allowlist.0.protocol: Invalid option: expected one of "tcp"|"udp"|"icmp"|"sctp"',
    ],
    [
      'allowlist:\n  - reason: nothing selected\n',
      'beaconhunt.yaml:2:5: allowlist.0: an entry needs at least one of domain, cidr, port, process, source_group',
    ],
    [
      'allowlist:\n  - port: 53\n    colour: red\n',
      'beaconhunt.yaml:3:5: allowlist.0.colour: unknown key; expected one of: domain, cidr, port, protocol, process, source_group, reason',
    ],
    [
      'allowlist:\n  - process: "*"\n',
      'beaconhunt.yaml:2:14: allowlist.0.process: process pattern "*" matches every process; name an image path or file name',
    ],
    [
      'source_groups:\n  lb: [10.0.0.0/8]\nallowlist:\n  - port: 1\n  - source_group: lbx\n',
      'beaconhunt.yaml:5:19: allowlist.1.source_group: unknown source group "lbx"; define it under source_groups (defined: lb)',
    ],
    [
      'profiles:\n  disable: [ntp, voip]\n',
      'beaconhunt.yaml:2:18: profiles.disable.1: Invalid option: expected one of "cdn-health-check"|"voip-sip"|"iot-mqtt"|"ntp"|"update-checks"|"edr-heartbeat"',
    ],
    [
      'profiles:\n  enable: [ntp]\n',
      'beaconhunt.yaml:2:3: profiles.enable: unknown key; expected one of: disable',
    ],
  ])('rejects %j', (text, expected) => {
    expect(configError(text)).toBe(expected);
  });
});
