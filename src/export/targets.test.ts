import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';

import { defaultRule, tunedRule } from './fixtures.js';
import { EXPORT_TARGETS, exportFileName, findTarget } from './index.js';
import { buildRule } from './model.js';
import { compile as compileSigma } from './sigma.js';

const COMMENT_START: Record<string, string> = {
  aql: '-- beaconhunt rule export: ',
  spl: '```\nbeaconhunt rule export: ',
  'kql-asim': '// beaconhunt rule export: ',
  'kql-mde': '// beaconhunt rule export: ',
  esql: '// beaconhunt rule export: ',
  sigma: '# beaconhunt rule export: ',
  clickhouse: '-- beaconhunt rule export: ',
  duckdb: '-- beaconhunt rule export: ',
};

/** Targets that compute gaps and so carry the regularity test, with the text of its two thresholds. */
const REGULARITY: Record<string, readonly [string, string] | null> = {
  aql: null,
  spl: ['GapCount >= 10', 'GapCv <= 0.5'],
  'kql-asim': ['GapCount >= 10', 'GapCv <= 0.5'],
  'kql-mde': ['GapCount >= 10', 'GapCv <= 0.5'],
  esql: null,
  sigma: null,
  clickhouse: ['"GapCount" >= 10', '"GapCv" <= 0.5'],
  duckdb: ['"GapCount" >= 10', '"GapCv" <= 0.5'],
};

describe('every target', () => {
  for (const target of EXPORT_TARGETS) {
    it(`${target.id} starts with the beaconhunt comment`, () => {
      expect(target.compile(defaultRule()).startsWith(COMMENT_START[target.id]!)).toBe(true);
    });

    it(`${target.id} carries or explains the regularity test`, () => {
      const output = target.compile(defaultRule());
      const threshold = REGULARITY[target.id];
      if (threshold === null || threshold === undefined) {
        expect(output).toMatch(/the regularity test (is|are) left out/);
        expect(output).not.toContain('GapCv');
      } else {
        expect(output).toContain(threshold[0]);
        expect(output).toContain(threshold[1]);
      }
    });

    it(`${target.id} leaves out the regularity test when disabled`, () => {
      const output = target.compile(buildRule({}, { regularity: null }));
      expect(output).toContain('regularity: none (seed rule thresholds only)');
      expect(output).not.toMatch(/GapCv"? <=/);
    });

    it(`${target.id} writes the thresholds`, () => {
      const output = target.compile(
        buildRule({}, { minCount: 42, minIntervalMs: 1234, maxIntervalMs: 98765 }),
      );
      expect(output).toContain('42');
      expect(output).toContain('98765');
      if (target.id !== 'sigma') expect(output).toContain('1234');
    });
  }

  it('names output files by rule and target', () => {
    expect(exportFileName(findTarget('kql-asim')!, defaultRule())).toBe(
      'beaconhunt_t1071_beaconing.kql-asim.kql',
    );
    expect(findTarget('nope')).toBeUndefined();
  });
});

describe('sigma output', () => {
  const documents = parseAllDocuments(compileSigma(tunedRule()));

  it('is two valid YAML documents', () => {
    expect(documents).toHaveLength(2);
    for (const document of documents) expect(document.errors).toEqual([]);
  });

  it('correlates the base rule by name', () => {
    const [base, correlation] = documents.map((document) => document.toJS());
    expect(base.name).toBe('beaconhunt_t1071_beaconing_outbound');
    expect(correlation.correlation).toEqual({
      type: 'event_count',
      rules: ['beaconhunt_t1071_beaconing_outbound'],
      'group-by': ['SourceIp', 'DestinationIp', 'DestinationPort', 'User'],
      timespan: '6h',
      condition: { gt: 10 },
    });
    expect(base.detection.condition).toBe('selection and not 1 of filter_*');
    expect(base.detection.selection.DestinationPort).toEqual([443, 8443, 53]);
    expect(base.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(base.id).not.toBe(correlation.id);
  });

  it('says what it cannot express', () => {
    const text = compileSigma(tunedRule());
    expect(text).toContain('# Sigma correlations count events but cannot compute the time between them');
  });

  it('maps each allowlist selector', () => {
    const [base] = documents.map((document) => document.toJS());
    expect(base.detection.filter_allowlist_1).toEqual({
      DestinationHostname: ['corp-cdn.example', '*.corp-cdn.example'],
    });
    expect(base.detection.filter_allowlist_5).toEqual({
      Protocol: 'tcp',
      'Image|endswith': ['\\\\updater.exe', '/updater.exe'],
    });
    expect(base.detection.filter_allowlist_6).toEqual({
      'SourceIp|cidr': ['10.9.0.0/16'],
      DestinationPort: 8443,
    });
  });

  it('keeps a reason with a line break on one comment line', () => {
    const text = compileSigma(buildRule({ allowlist: [{ port: 25, reason: 'mail\nrelay: x' }] }));
    expect(text).toContain('#   1. port 25 (mail relay: x)');
    expect(parseAllDocuments(text).every((document) => document.errors.length === 0)).toBe(true);
  });
});
