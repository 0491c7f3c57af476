import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, expectTypeOf, test } from 'vitest';

import { InputError } from '../errors.js';
import type { Labels as SimulatedLabels } from '../simulate/labels.js';
import { parseLabels, readLabels, type EvalLabels } from './labels.js';

const SERIES = {
  id: 'cobalt-strike-default',
  scenario: 'cobalt-strike',
  title: 'Cobalt Strike, 60 s sleep',
  malicious: true,
  class: 'cobalt-strike',
  sourceip: '10.20.1.15',
  destinationip: '203.0.113.50',
  destinationport: 443,
  servername: null,
  domain: null,
  process: null,
  periodSeconds: 60,
  jitter: 'none',
  events: 1440,
};

function labelsText(series: object[] = [SERIES], extra: object = {}): string {
  return JSON.stringify({
    generator: 'beaconhunt simulate',
    version: 1,
    seed: 1,
    start: '2026-11-02T00:00:00Z',
    end: '2026-11-03T00:00:00Z',
    formats: ['zeek-tsv'],
    series,
    ...extra,
  });
}

/** Returns the message of the InputError that `run` throws. */
function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected an InputError');
}

describe('parseLabels', () => {
  test('valid file keeps every field', () => {
    const labels = parseLabels(labelsText(), 'labels.json');

    expect(labels.series).toHaveLength(1);
    expect(labels.series[0]).toEqual(SERIES);
    expect(labels.seed).toBe(1);
  });

  test('extra fields are kept', () => {
    const labels = parseLabels(
      labelsText([{ ...SERIES, requests: 1440, destinationips: ['203.0.113.51'] }], { timestampNoiseMs: 50 }),
      'labels.json',
    );

    expect((labels as unknown as { timestampNoiseMs: number }).timestampNoiseMs).toBe(50);
    expect(labels.series[0]!.destinationips).toEqual(['203.0.113.51']);
  });

  test('empty series list is valid', () => {
    expect(parseLabels(labelsText([]), 'labels.json').series).toEqual([]);
  });

  test('bad field named with its path', () => {
    const message = errorOf(() =>
      parseLabels(labelsText([SERIES, { ...SERIES, id: 'b', sourceip: 7 }]), 'x/labels.json'),
    );

    expect(message).toMatch(/^x\/labels\.json: invalid labels file: series\[1\]\.sourceip: /);
    expect(message).not.toContain('\n');
  });

  test('missing field named', () => {
    const withoutMalicious: Partial<typeof SERIES> = { ...SERIES };
    delete withoutMalicious.malicious;

    expect(errorOf(() => parseLabels(labelsText([withoutMalicious]), 'l.json'))).toMatch(
      /^l\.json: invalid labels file: series\[0\]\.malicious: /,
    );
  });

  test('port out of range rejected', () => {
    expect(
      errorOf(() => parseLabels(labelsText([{ ...SERIES, destinationport: 70_000 }]), 'l.json')),
    ).toMatch(/series\[0\]\.destinationport/);
  });

  test('wrong version rejected', () => {
    expect(errorOf(() => parseLabels(labelsText([SERIES], { version: 2 }), 'l.json'))).toMatch(
      /^l\.json: invalid labels file: version: /,
    );
  });

  test('duplicate ids rejected', () => {
    expect(errorOf(() => parseLabels(labelsText([SERIES, SERIES]), 'l.json'))).toBe(
      'l.json: invalid labels file: series[1].id: duplicate id "cobalt-strike-default"; give each series its own id',
    );
  });

  test('invalid JSON is one line', () => {
    const message = errorOf(() => parseLabels('{"series": [', 'l.json'));

    expect(message).toMatch(/^l\.json: invalid labels file: /);
    expect(message).not.toContain('\n');
  });

  test('top level not an object', () => {
    expect(errorOf(() => parseLabels('[]', 'l.json'))).toMatch(/^l\.json: invalid labels file: /);
  });
});

describe('readLabels', () => {
  test('missing file names the file and the fix', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'beaconhunt-labels-'));
    try {
      const file = join(folder, 'labels.json');
      await expect(readLabels(file)).rejects.toThrow(InputError);
      await expect(readLabels(file)).rejects.toThrow(
        `${file}: cannot read the labels file (ENOENT); pass --labels FILE`,
      );

      await writeFile(file, labelsText());
      expect((await readLabels(file)).series[0]!.id).toBe('cobalt-strike-default');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('label types', () => {
  test('simulator labels are evaluation labels', () => {
    expectTypeOf<SimulatedLabels>().toExtend<EvalLabels>();
  });
});
