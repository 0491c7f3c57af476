import { describe, expect, test } from 'vitest';

import * as beaconModule from '../detect/beacon/index.js';
import type { BeaconFinding } from '../detect/beacon/index.js';
import type { QradarT1071Finding } from '../detect/qradar-t1071.js';
import { UsageError } from '../errors.js';
import { adaptBeaconFinding, adaptFindings, adaptQradarFinding, defaultBeaconThreshold } from './adapt.js';

/** Builds a beacon finding with only the fields the adapter reads. */
function beaconFinding(overrides: Record<string, unknown> = {}): BeaconFinding {
  return {
    rank: 3,
    score: 0.72,
    category: 'beacon',
    key: 'ip-port',
    label: '203.0.113.50:443/tcp',
    sourceip: '10.20.1.15',
    destinationip: '203.0.113.50',
    destinationport: 443,
    servername: null,
    domain: null,
    processimage: null,
    destinations: ['203.0.113.50'],
    destinationCount: 1,
    names: [],
    nameCount: 0,
    otherKeys: [],
    ...overrides,
  } as unknown as BeaconFinding;
}

describe('adaptBeaconFinding', () => {
  test('ip-port key', () => {
    expect(adaptBeaconFinding(beaconFinding(), 0.5)).toEqual({
      rank: 3,
      score: 0.72,
      alert: true,
      sourceip: '10.20.1.15',
      destinationips: ['203.0.113.50'],
      destinationport: 443,
      endpoints: [{ ip: '203.0.113.50', port: 443 }],
      names: [],
      keys: ['ip-port 203.0.113.50:443/tcp'],
    });
  });

  test('threshold is inclusive', () => {
    expect(adaptBeaconFinding(beaconFinding({ score: 0.5 }), 0.5).alert).toBe(true);
    expect(adaptBeaconFinding(beaconFinding({ score: 0.4999 }), 0.5).alert).toBe(false);
  });

  test('server name key with rotating addresses and an attached key', () => {
    const adapted = adaptBeaconFinding(
      beaconFinding({
        key: 'server-name',
        label: 'cdn-assets.example.net',
        destinationip: null,
        servername: 'CDN-Assets.example.net',
        destinations: ['198.51.100.1', '198.51.100.2'],
        names: ['cdn-assets.example.net'],
        otherKeys: [
          {
            key: 'ip-port',
            label: '198.51.100.9:8443/tcp',
            destinationip: '198.51.100.9',
            destinationport: 8443,
            servername: null,
            domain: null,
          },
        ],
      }),
      0.5,
    );

    expect(adapted.endpoints).toEqual([
      { ip: '198.51.100.1', port: 443 },
      { ip: '198.51.100.2', port: 443 },
      { ip: '198.51.100.9', port: 8443 },
    ]);
    expect(adapted.destinationips).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.9']);
    expect(adapted.names).toEqual(['cdn-assets.example.net']);
    expect(adapted.keys).toEqual(['server-name cdn-assets.example.net', 'ip-port 198.51.100.9:8443/tcp']);
  });

  test('dns-domain key leaves out the resolver', () => {
    const adapted = adaptBeaconFinding(
      beaconFinding({
        key: 'dns-domain',
        label: 'example.com (60 names)',
        destinationip: '10.20.0.2',
        destinationport: 53,
        domain: 'example.com',
        destinations: ['10.20.0.2'],
        names: ['atomicredteam.a1.example.com'],
      }),
      0.5,
    );

    expect(adapted.endpoints).toEqual([]);
    expect(adapted.destinationips).toEqual([]);
    expect(adapted.names).toEqual(['example.com', 'atomicredteam.a1.example.com']);
  });

  test('future multi-key fields are read', () => {
    const adapted = adaptBeaconFinding(
      beaconFinding({
        keys: [
          'process C:\\a.exe',
          { key: 'server-name', label: 'c2.example.org', servername: 'c2.example.org', destinationport: 443 },
          { key: 'ip-port', destinationip: '2001:db8::50', destinationport: 443 },
          null,
          7,
        ],
      }),
      0.5,
    );

    expect(adapted.keys).toEqual([
      'ip-port 203.0.113.50:443/tcp',
      'process C:\\a.exe',
      'server-name c2.example.org',
    ]);
    expect(adapted.names).toEqual(['c2.example.org']);
    expect(adapted.endpoints).toEqual([
      { ip: '203.0.113.50', port: 443 },
      { ip: '2001:db8::50', port: 443 },
    ]);
  });

  test('duplicate endpoints kept once', () => {
    const adapted = adaptBeaconFinding(
      beaconFinding({ destinations: ['203.0.113.50', '203.0.113.50'] }),
      0.5,
    );

    expect(adapted.endpoints).toEqual([{ ip: '203.0.113.50', port: 443 }]);
  });
});

describe('adaptQradarFinding', () => {
  const row: QradarT1071Finding = {
    sourceip: '10.0.0.5',
    destinationip: '192.0.2.7',
    destinationport: 80,
    userName: null,
    ConnectionCount: 40,
    FirstSeenEpochMs: 0,
    LastSeenEpochMs: 39_000,
    AvgIntervalMs: 1000,
  };

  test('rank from position, always an alert', () => {
    expect(adaptQradarFinding(row, 4)).toEqual({
      rank: 5,
      score: null,
      alert: true,
      sourceip: '10.0.0.5',
      destinationips: ['192.0.2.7'],
      destinationport: 80,
      endpoints: [{ ip: '192.0.2.7', port: 80 }],
      names: [],
      keys: ['ip-port 192.0.2.7:80'],
    });
  });

  test('adaptFindings numbers the rows', () => {
    expect(adaptFindings('qradar-t1071', [row, row, row], 0.5).map((finding) => finding.rank)).toEqual([
      1, 2, 3,
    ]);
    expect(adaptFindings('qradar-t1071', [], 0.5)).toEqual([]);
  });
});

describe('adaptFindings', () => {
  test('unknown detector rejected', () => {
    expect(() => adaptFindings('no-such-detector' as never, [], 0.5)).toThrow(UsageError);
  });

  test('default threshold follows the detector', () => {
    expect(defaultBeaconThreshold()).toBe(beaconModule.ALERT_SCORE);
  });

  test('a dns-tunnel finding matches by domain and is an alert only when flagged', () => {
    const finding = { rank: 2, score: 0.7, flagged: false, sourceip: '10.0.0.9', domain: 'Example.org' };
    const [adapted] = adaptFindings('dns-tunnel', [finding as never], 0.5);

    expect(adapted).toMatchObject({ rank: 2, alert: false, names: ['example.org'], endpoints: [] });
  });

  test('a long-connection finding is an alert on its address and port', () => {
    const finding = {
      rank: 1,
      sourceip: '10.0.0.9',
      destinationip: '2001:db8::5',
      destinationport: 443,
      servernames: ['Chat.Example.com'],
    };
    const [adapted] = adaptFindings('long-connection', [finding as never], 0.5);

    expect(adapted).toMatchObject({
      alert: true,
      endpoints: [{ ip: '2001:db8::5', port: 443 }],
      names: ['chat.example.com'],
    });
  });
});
