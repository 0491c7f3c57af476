/**
 * Golden files for every target. Set BEACONHUNT_UPDATE_GOLDEN=1 to rewrite them from the current
 * compilers, then review the diff before committing it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { defaultRule, tunedRule } from './fixtures.js';
import { EXPORT_TARGETS } from './index.js';
import type { ExportRule } from './model.js';

const GOLDEN_DIR = new URL('../../test/golden/exports/', import.meta.url);
const UPDATE = process.env.BEACONHUNT_UPDATE_GOLDEN === '1';

const RULES: [string, () => ExportRule][] = [
  ['default', defaultRule],
  ['tuned', tunedRule],
];

describe('export golden files', () => {
  for (const [ruleName, makeRule] of RULES) {
    for (const target of EXPORT_TARGETS) {
      const file = new URL(`${ruleName}.${target.id}.${target.extension}`, GOLDEN_DIR);
      it(`${ruleName} rule as ${target.id}`, () => {
        const output = target.compile(makeRule());
        if (UPDATE) {
          mkdirSync(GOLDEN_DIR, { recursive: true });
          writeFileSync(file, output);
        }
        expect(existsSync(file), `missing ${file.pathname}; run with BEACONHUNT_UPDATE_GOLDEN=1`).toBe(true);
        expect(output).toBe(readFileSync(file, 'utf8'));
      });
    }
  }

  it('compiles the same rule to the same text twice', () => {
    for (const target of EXPORT_TARGETS) {
      expect(target.compile(tunedRule())).toBe(target.compile(tunedRule()));
    }
  });
});
