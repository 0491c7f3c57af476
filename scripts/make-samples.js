#!/usr/bin/env node
// Regenerates the sample data in samples/ from the seeded scenarios in src/simulate (run `npm run build` first).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { LocalNetworks } from '../dist/net/locality.js';
import { generateEvents, SAMPLE_SCENARIOS } from '../dist/simulate/scenarios.js';
import { toQradarJson, toZeekTsv } from '../dist/simulate/writers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const events = generateEvents(SAMPLE_SCENARIOS, {
  start: Date.parse('2026-11-02T00:00:00Z'),
  durationMs: 24 * 3600 * 1000,
  seed: 20261102,
});
const localNetworks = new LocalNetworks();
const zeek = toZeekTsv(events, localNetworks);

mkdirSync(join(root, 'samples/zeek'), { recursive: true });
mkdirSync(join(root, 'samples/qradar'), { recursive: true });
writeFileSync(join(root, 'samples/zeek/conn.log'), zeek.conn);
writeFileSync(join(root, 'samples/zeek/ssl.log'), zeek.ssl);
writeFileSync(join(root, 'samples/qradar/qradar-results.json'), toQradarJson(events, localNetworks));
console.log(`wrote ${events.length} events to samples/zeek and samples/qradar`);
