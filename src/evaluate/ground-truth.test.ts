import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { HAS_SHARED_DATA, sharedPath } from '../../test/shared-data.js';
import { InputError } from '../errors.js';
import { expandPath, groundTruthDatasets, readGroundTruth } from './ground-truth.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'beaconhunt-truth-'));
  for (const name of ['A_conn.log', 'B_conn.log', 'A_ssl.log']) await writeFile(join(root, name), '');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const DOCUMENT = {
  datasets: [
    {
      id: 'rat',
      path: 'rat/conn.log',
      format: 'zeek-tsv',
      positives: [
        {
          src: '192.0.2.1',
          dst: '198.51.100.7',
          dport: 1177,
          conns: [10, 5],
          measured_median: 11.5,
          interval_doc: '10-12',
          c2: 'NjRAT',
        },
      ],
      benign_periodic_traps: [
        { src: '203.0.113.9', dst: '198.51.100.7', dport: 30003, median: 16, note: 'inbound scanner' },
      ],
    },
    {
      id: 'benign',
      paths: ['zeek/x-008-benign', 'zeek/x-010-benign'],
      format: 'zeek-tsv-labeled',
      positives: [],
      benign_periodic_traps: [
        {
          dataset: '008',
          src: '10.0.0.1',
          dst: '192.0.2.8',
          dport: 8883,
          conns: 248,
          median: 301.6,
          label: 'Benign ESET',
        },
        { dataset: '010', src: '10.0.0.2', dst: '2001:db8::5', dport: 443, conns: 108, label: 'Benign' },
      ],
    },
  ],
};

describe('groundTruthDatasets', () => {
  test('positives and traps become series', async () => {
    const [rat] = await groundTruthDatasets(DOCUMENT, '/data');

    expect(rat!.id).toBe('rat');
    expect(rat!.paths).toEqual(['/data/rat/conn.log']);
    expect(rat!.labels.formats).toEqual(['zeek-tsv']);
    expect(rat!.labels.series).toEqual([
      {
        id: 'c2 192.0.2.1 → 198.51.100.7:1177',
        scenario: 'rat',
        title: 'NjRAT, documented interval 10-12 s',
        malicious: true,
        class: 'c2',
        sourceip: '192.0.2.1',
        destinationip: '198.51.100.7',
        destinationport: 1177,
        servername: null,
        domain: null,
        process: null,
        periodSeconds: 11.5,
        jitter: 'documented interval 10-12 s',
        events: 15,
      },
      {
        id: 'trap 203.0.113.9 → 198.51.100.7:30003',
        scenario: 'rat',
        title: 'inbound scanner',
        malicious: false,
        class: 'trap: inbound scanner',
        sourceip: '203.0.113.9',
        destinationip: '198.51.100.7',
        destinationport: 30003,
        servername: null,
        domain: null,
        process: null,
        periodSeconds: 16,
        jitter: null,
        events: null,
      },
    ]);
  });

  test('parts of a multi-path dataset split apart', async () => {
    const datasets = await groundTruthDatasets(DOCUMENT, '/data');

    expect(datasets.map((dataset) => dataset.id)).toEqual(['rat', 'benign/008', 'benign/010']);
    expect(datasets[1]!.paths).toEqual(['/data/zeek/x-008-benign']);
    expect(datasets[1]!.labels.series.map((series) => series.class)).toEqual(['trap: Benign ESET']);
    expect(datasets[2]!.labels.series.map((series) => series.id)).toEqual([
      'trap 10.0.0.2 → [2001:db8::5]:443',
    ]);
  });

  test('invalid document names the field', async () => {
    await expect(
      groundTruthDatasets({ datasets: [{ id: 'x', path: 'p', positives: [{ src: 'a' }] }] }, '/d', 'gt.json'),
    ).rejects.toThrow(/^gt\.json: invalid ground truth: datasets\[0\]\.positives\[0\]\.dst: /);
    await expect(groundTruthDatasets({}, '/d', 'gt.json')).rejects.toThrow(InputError);
  });

  test('dataset without a path rejected', async () => {
    await expect(groundTruthDatasets({ datasets: [{ id: 'x' }] }, '/d', 'gt.json')).rejects.toThrow(
      'gt.json: dataset x has neither path nor paths',
    );
  });
});

describe('expandPath', () => {
  test('star in the last segment', async () => {
    expect(await expandPath(join(root, '*_conn.log'))).toEqual([
      join(root, 'A_conn.log'),
      join(root, 'B_conn.log'),
    ]);
  });

  test('no match kept as written', async () => {
    expect(await expandPath(join(root, 'Z*.log'))).toEqual([join(root, 'Z*.log')]);
    expect(await expandPath(join(root, 'missing', '*.log'))).toEqual([join(root, 'missing', '*.log')]);
  });

  test('plain path unchanged', async () => {
    expect(await expandPath('/a/b.log')).toEqual(['/a/b.log']);
  });
});

describe.skipIf(!HAS_SHARED_DATA)('ground truth of the shared captures', () => {
  test('every dataset converts with its files', async () => {
    const datasets = await readGroundTruth(sharedPath('ground-truth.json'));
    const ids = datasets.map((dataset) => dataset.id);

    expect(ids).toContain('rita-missing-host');
    expect(ids).toContain('strato-benign-24h/008');
    expect(ids).toContain('strato-benign-24h/010');
    const apt29 = datasets.find((dataset) => dataset.id === 'otrf-apt29-day2-poshc2')!;
    expect(apt29.paths.length).toBeGreaterThan(1);
    expect(apt29.paths.every((path) => /UTICA-.*_conn\.log$/.test(path))).toBe(true);
    expect(apt29.labels.series[0]!.events).toBe(283 + 29 + 315 + 49);
    const eset = datasets.find((dataset) => dataset.id === 'strato-benign-24h/008')!;
    expect(eset.labels.series.map((series) => series.class)).toEqual([
      'trap: Benign ESET',
      'trap: Benign Microsoft',
      'trap: Benign Microsoft',
    ]);
  });
});
