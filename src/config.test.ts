import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, test } from 'vitest';

import { loadConfig, parseConfig } from './config.js';
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
      'beaconhunt.yaml:3:1: local_network: unknown key; expected one of: local_networks, mapping, time_format',
    );
  });

  test('a key without a value is found too', () => {
    const message = configError('local_networks:\n  - 10.0.0.0/8\n  \nthreshold:\n');

    expect(message).toBe(
      'beaconhunt.yaml:4:1: threshold: unknown key; expected one of: local_networks, mapping, time_format',
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
