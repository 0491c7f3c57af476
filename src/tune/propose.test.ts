import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, test } from 'vitest';

import { parseConfig } from '../config.js';
import { EntityIndex, NO_ENTITIES } from './entities.js';
import { proposeAllowlist, renderProposals } from './propose.js';
import { runTune } from './run.js';
import type { TuningSubject } from './subject.js';

function subject(sourceip: string, fields: Partial<TuningSubject> = {}): TuningSubject {
  return {
    sourceip,
    destinationips: ['198.51.100.80'],
    destinationport: 443,
    protocol: 'tcp',
    names: [],
    processes: [],
    usernames: [],
    uris: [],
    userAgents: [],
    periodSeconds: 300,
    ...fields,
  };
}

describe('proposeAllowlist', () => {
  test('groups by registered domain', () => {
    const subjects = [
      subject('10.0.0.1', { names: ['a.sync.example.com'], periodSeconds: 300 }),
      subject('10.0.0.2', { names: ['b.sync.example.com'], periodSeconds: 310 }),
      subject('10.0.0.3', { names: ['a.sync.example.com'], periodSeconds: 900 }),
      subject('10.0.0.3', { names: ['a.sync.example.com'], periodSeconds: 290 }),
    ];

    const [proposal, ...rest] = proposeAllowlist(subjects, 4, NO_ENTITIES, { minHosts: 3, minShare: 0.5 });

    expect(rest).toEqual([]);
    expect(proposal).toEqual({
      entry: {
        domain: 'sync.example.com',
        reason: 'periodic destination of 3 of 4 sources; review before use',
      },
      entity: 'example.com',
      hosts: 3,
      share: 0.75,
      medianPeriodSeconds: 305,
      exampleNames: ['a.sync.example.com', 'b.sync.example.com'],
    });
  });

  test('bare address uses its served names', () => {
    const entities = new EntityIndex();
    entities.add('198.51.100.80', ['telemetry.example.org']);
    const subjects = ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((ip) => subject(ip));

    const proposals = proposeAllowlist(subjects, 3, entities, { minHosts: 3, minShare: 1 });

    expect(proposals.map((p) => p.entry)).toEqual([
      {
        domain: 'telemetry.example.org',
        reason: 'periodic destination of 3 of 3 sources; review before use',
      },
    ]);
  });

  test('thresholds are inclusive and both apply', () => {
    const subjects = ['10.0.0.1', '10.0.0.2'].map((ip) => subject(ip));

    expect(proposeAllowlist(subjects, 4, NO_ENTITIES, { minHosts: 2, minShare: 0.5 })).toHaveLength(1);
    expect(proposeAllowlist(subjects, 5, NO_ENTITIES, { minHosts: 2, minShare: 0.5 })).toHaveLength(0);
    expect(proposeAllowlist(subjects, 4, NO_ENTITIES, { minHosts: 3, minShare: 0.5 })).toHaveLength(0);
  });

  test('empty input and zero sources', () => {
    expect(proposeAllowlist([], 0, NO_ENTITIES)).toEqual([]);
    expect(renderProposals([])).toBe('');
  });

  test('rendered YAML parses as a config', () => {
    const subjects = ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((ip) =>
      subject(ip, { destinationips: ['2001:db8::80'] }),
    );
    const yaml = renderProposals(proposeAllowlist(subjects, 3, NO_ENTITIES, { minHosts: 3, minShare: 1 }));

    expect(yaml).toBe(
      [
        'allowlist:',
        '  # 3 hosts (100% of sources); median period 300 s',
        '  - cidr: 2001:db8::80',
        '    port: 443',
        '    reason: periodic destination of 3 of 3 sources; review before use',
        '',
      ].join('\n'),
    );
    expect(parseConfig(yaml, 'proposals.yaml').allowlist).toEqual([
      {
        cidr: '2001:db8::80',
        port: 443,
        reason: 'periodic destination of 3 of 3 sources; review before use',
      },
    ]);
  });
});

const ZEEK_HEADER = [
  '#separator \\x09',
  '#set_separator\t,',
  '#empty_field\t(empty)',
  '#unset_field\t-',
  '#path\tconn',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state',
  '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring',
];

describe('runTune on generated logs', () => {
  const folders: string[] = [];

  afterEach(async () => {
    for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
  });

  test('proposes the destination most hosts poll', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-tune-test-'));
    folders.push(folder);
    const start = 1_760_000_000;
    const lines = [...ZEEK_HEADER];
    let uid = 0;
    const connection = (time: number, source: string, destination: string, port: number): void => {
      uid += 1;
      lines.push(
        [
          time.toFixed(6),
          `C${uid}`,
          source,
          50_000 + (uid % 10_000),
          destination,
          port,
          'tcp',
          '-',
          '0.2',
          300,
          900,
          'SF',
        ].join('\t'),
      );
    };
    // Four of five office hosts poll 198.51.100.80:443 every 300 s for 6 h. One host beacons alone to
    // 203.0.113.66:8443 every 60 s, and that destination must not be proposed.
    const hosts = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];
    hosts.forEach((host, index) => {
      for (let beat = 0; beat < 72; beat += 1)
        connection(start + index * 7 + beat * 300, host, '198.51.100.80', 443);
    });
    for (let beat = 0; beat < 360; beat += 1)
      connection(start + 3 + beat * 60, '10.0.0.5', '203.0.113.66', 8443);
    const path = join(folder, 'conn.log');
    await writeFile(path, `${lines.join('\n')}\n`);

    const result = await runTune({ paths: [path], minHosts: 3, minShare: 0.5 });

    expect(result.totalSources).toBe(5);
    expect(result.proposals.map((p) => p.entry)).toEqual([
      {
        cidr: '198.51.100.80',
        port: 443,
        reason: 'periodic destination of 4 of 5 sources; review before use',
      },
    ]);
    expect(result.proposals[0]!.medianPeriodSeconds).toBe(300);
  });
});
