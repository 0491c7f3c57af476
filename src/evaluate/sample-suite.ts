/**
 * A small labelled dataset from the seeded sample scenarios (two beacons and four kinds of benign
 * traffic, see SAMPLE_SCENARIOS), written as Zeek conn.log and ssl.log with a labels.json. Evaluation
 * tests use it, and so does the detection-quality script when `beaconhunt simulate` is not available.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { LocalNetworks } from '../net/locality.js';
import { generateEvents, SAMPLE_SCENARIOS, type SeriesSpec } from '../simulate/scenarios.js';
import { toZeekTsv } from '../simulate/writers.js';
import { registeredDomain } from './match.js';
import type { EvalLabels, EvalSeries } from './labels.js';

export const SAMPLE_SUITE_GENERATOR = 'beaconhunt sample scenarios';

export interface SampleSuiteOptions {
  seed: number;
  /** Start of the data, epoch ms. */
  start: number;
  durationMs: number;
  specs?: readonly SeriesSpec[];
}

/** Writes conn.log, ssl.log and labels.json into `folder` (created if missing) and returns the labels. */
export async function writeSampleSuite(folder: string, options: SampleSuiteOptions): Promise<EvalLabels> {
  const specs = options.specs ?? SAMPLE_SCENARIOS;
  const events = generateEvents(specs, {
    start: options.start,
    durationMs: options.durationMs,
    seed: options.seed,
  });
  const zeek = toZeekTsv(events, new LocalNetworks());

  const series: EvalSeries[] = specs.map((spec) => {
    const count = events.filter(
      (event) =>
        event.sourceip === spec.sourceip &&
        event.destinationip === spec.destinationip &&
        event.destinationport === spec.destinationport,
    ).length;
    const id = seriesId(spec.label);
    return {
      id,
      scenario: id,
      title: spec.label,
      malicious: spec.malicious,
      class: spec.malicious ? 'sample-beacon' : id,
      sourceip: spec.sourceip,
      destinationip: spec.destinationip,
      destinationport: spec.destinationport,
      servername: spec.servername ?? null,
      domain: spec.servername !== undefined ? registeredDomain(spec.servername) : null,
      process: null,
      // The specs hold gap generators, not numbers, so the intended period is not recorded here.
      periodSeconds: null,
      jitter: null,
      events: count,
    };
  });
  const labels: EvalLabels = {
    generator: SAMPLE_SUITE_GENERATOR,
    version: 1,
    seed: options.seed,
    start: new Date(options.start).toISOString(),
    end: new Date(options.start + options.durationMs).toISOString(),
    formats: ['zeek-tsv'],
    series,
  };

  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'conn.log'), zeek.conn);
  await writeFile(join(folder, 'ssl.log'), zeek.ssl);
  await writeFile(join(folder, 'labels.json'), `${JSON.stringify(labels, null, 2)}\n`);
  return labels;
}

/**
 * Makes a kebab-case id from the first two words of a label before its first comma or colon, such as
 * "web-browsing" from "Web browsing: random gaps averaging 60 s".
 */
export function seriesId(label: string): string {
  const head = label.split(/[,:]/)[0] ?? label;
  return head
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .split('-')
    .slice(0, 2)
    .join('-');
}
