import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import type { EvalFinding } from './adapt.js';
import type { EvalSeries } from './labels.js';
import { computeMetrics } from './metrics.js';

function series(id: string, malicious: boolean, cls: string, overrides: Partial<EvalSeries>): EvalSeries {
  return {
    id,
    scenario: id,
    title: id,
    malicious,
    class: cls,
    sourceip: '10.0.0.1',
    destinationip: null,
    destinationport: null,
    servername: null,
    domain: null,
    process: null,
    periodSeconds: null,
    jitter: null,
    events: null,
    ...overrides,
  };
}

function finding(rank: number, score: number, sourceip: string, target: string, alertAt = 0.5): EvalFinding {
  const isName = /[a-z]/.test(target);
  const [ip, port] = target.split(':');
  return {
    rank,
    score,
    alert: score >= alertAt,
    sourceip,
    destinationips: isName ? [] : [ip!],
    destinationport: isName ? null : Number(port),
    endpoints: isName ? [] : [{ ip: ip!, port: Number(port) }],
    names: isName ? [target] : [],
    keys: [target],
  };
}

const SERIES: EvalSeries[] = [
  series('m1', true, 'cobalt-strike', { destinationip: '203.0.113.1', destinationport: 443 }),
  series('m2', true, 'sliver', { sourceip: '10.0.0.2', servername: 'c2.example.org' }),
  series('m3', true, 'mythic', { sourceip: '10.0.0.3', destinationip: '203.0.113.3', destinationport: 80 }),
  series('b1', false, 'ntp', { destinationip: '198.51.100.123', destinationport: 123 }),
  series('b2', false, 'ntp', { sourceip: '10.0.0.4', destinationip: '198.51.100.123', destinationport: 123 }),
  series('b3', false, 'update-check', { sourceip: '10.0.0.5', domain: 'microsoft.com' }),
];

const FINDINGS: EvalFinding[] = [
  finding(1, 0.95, '10.0.0.1', '203.0.113.1:443'),
  finding(2, 0.9, '10.0.0.1', '198.51.100.123:123'),
  finding(3, 0.8, '10.0.0.9', '192.0.2.1:443'),
  finding(4, 0.7, '10.0.0.2', 'c2.example.org'),
  finding(5, 0.6, '10.0.0.5', 'fe2.update.microsoft.com'),
  finding(6, 0.4, '10.0.0.4', '198.51.100.123:123'),
  finding(7, 0.3, '10.0.0.3', '203.0.113.3:80'),
];

describe('computeMetrics', () => {
  const metrics = computeMetrics({ series: SERIES }, FINDINGS, [
    {
      finding: finding(8, 0.65, '10.0.0.5', 'array6.do.dsp.mp.microsoft.com'),
      rule: 'profile update-checks',
      reason: 'OS update checks',
    },
  ]);

  test('alert counts', () => {
    expect(metrics.findings).toBe(7);
    expect(metrics.alerts).toBe(5);
    expect(metrics.truePositiveAlerts).toBe(2);
    expect(metrics.falsePositiveAlerts).toBe(2);
    expect(metrics.unlabelledAlerts).toBe(1);
  });

  test('recall and precision', () => {
    expect(metrics.maliciousSeries).toBe(3);
    expect(metrics.detectedSeries).toBe(2);
    expect(metrics.recall).toBeCloseTo(2 / 3, 12);
    expect(metrics.precisionLabelled).toBe(0.5);
    expect(metrics.precisionAll).toBe(0.4);
  });

  test('first false positive and ordering', () => {
    expect(metrics.firstFalsePositiveRank).toBe(2);
    expect(metrics.maliciousAboveBenign).toBe(false);
  });

  test('benign classes', () => {
    expect(metrics.benignClasses).toEqual([
      {
        class: 'ntp',
        series: 2,
        flaggedSeries: 1,
        falsePositives: 1,
        firstFalsePositiveRank: 2,
        suppressed: 0,
      },
      {
        class: 'update-check',
        series: 1,
        flaggedSeries: 1,
        falsePositives: 1,
        firstFalsePositiveRank: 5,
        suppressed: 1,
      },
    ]);
  });

  test('series outcomes', () => {
    const byId = new Map(metrics.series.map((outcome) => [outcome.id, outcome]));

    expect(byId.get('m1')).toMatchObject({
      detected: true,
      bestRank: 1,
      bestScore: 0.95,
      matchingFindings: 1,
    });
    expect(byId.get('m2')).toMatchObject({ detected: true, bestRank: 4, bestScore: 0.7 });
    expect(byId.get('m3')).toMatchObject({ detected: false, bestRank: 7, bestScore: 0.3 });
    expect(byId.get('b2')).toMatchObject({ detected: false, bestRank: 6 });
    expect(byId.get('b3')).toMatchObject({
      detected: true,
      bestRank: 5,
      suppressedBy: [{ rule: 'profile update-checks', reason: 'OS update checks' }],
    });
  });

  test('suppressed findings listed with their rule', () => {
    expect(metrics.suppressed).toEqual([
      {
        rank: 8,
        score: 0.65,
        sourceip: '10.0.0.5',
        keys: ['array6.do.dsp.mp.microsoft.com'],
        rule: 'profile update-checks',
        reason: 'OS update checks',
        seriesIds: ['b3'],
      },
    ]);
  });
});

describe('computeMetrics edge cases', () => {
  test('nothing labelled, nothing found', () => {
    expect(computeMetrics({ series: [] }, [])).toEqual({
      findings: 0,
      alerts: 0,
      truePositiveAlerts: 0,
      falsePositiveAlerts: 0,
      unlabelledAlerts: 0,
      maliciousSeries: 0,
      detectedSeries: 0,
      recall: null,
      precisionLabelled: null,
      precisionAll: null,
      firstFalsePositiveRank: null,
      maliciousAboveBenign: null,
      benignClasses: [],
      series: [],
      suppressed: [],
    });
  });

  test('malicious series without findings', () => {
    const metrics = computeMetrics({ series: [SERIES[0]!] }, []);

    expect(metrics.recall).toBe(0);
    expect(metrics.maliciousAboveBenign).toBe(false);
    expect(metrics.series[0]).toMatchObject({ detected: false, bestRank: null, bestScore: null });
  });

  test('alert on a shared pair counts as true positive', () => {
    const shared = [
      SERIES[0]!,
      series('b-shared', false, 'browsing', { destinationip: '203.0.113.1', destinationport: 443 }),
    ];
    const metrics = computeMetrics({ series: shared }, [finding(1, 0.9, '10.0.0.1', '203.0.113.1:443')]);

    expect(metrics.truePositiveAlerts).toBe(1);
    expect(metrics.falsePositiveAlerts).toBe(0);
    expect(metrics.benignClasses[0]!.flaggedSeries).toBe(0);
  });

  test('suppressed trap keeps the ordering', () => {
    const metrics = computeMetrics(
      { series: [SERIES[0]!, SERIES[3]!] },
      [finding(1, 0.95, '10.0.0.1', '203.0.113.1:443')],
      [
        {
          finding: finding(2, 0.9, '10.0.0.1', '198.51.100.123:123'),
          rule: 'profile ntp',
          reason: 'NTP polls',
        },
      ],
    );

    expect(metrics.maliciousAboveBenign).toBe(true);
    expect(metrics.falsePositiveAlerts).toBe(0);
    expect(metrics.series[1]).toMatchObject({
      detected: false,
      bestRank: null,
      suppressedBy: [{ rule: 'profile ntp' }],
    });
  });

  test('non-alert trap below the C2 is not a false positive', () => {
    const metrics = computeMetrics({ series: [SERIES[0]!, SERIES[3]!] }, [
      finding(1, 0.95, '10.0.0.1', '203.0.113.1:443'),
      finding(2, 0.45, '10.0.0.1', '198.51.100.123:123'),
    ]);

    expect(metrics.maliciousAboveBenign).toBe(true);
    expect(metrics.firstFalsePositiveRank).toBeNull();
    expect(metrics.precisionLabelled).toBe(1);
  });

  test('two alerts on one series', () => {
    const metrics = computeMetrics({ series: [SERIES[3]!] }, [
      finding(1, 0.95, '10.0.0.1', '198.51.100.123:123'),
      finding(2, 0.9, '10.0.0.1', '198.51.100.123:123'),
    ]);

    expect(metrics.falsePositiveAlerts).toBe(2);
    expect(metrics.benignClasses[0]).toMatchObject({ series: 1, flaggedSeries: 1, falsePositives: 2 });
    expect(metrics.precisionLabelled).toBe(0);
  });

  test('counts add up for any findings', () => {
    const sources = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.9'];
    const targets = [
      '203.0.113.1:443',
      '203.0.113.3:80',
      '198.51.100.123:123',
      'c2.example.org',
      'x.microsoft.com',
    ];
    const arbitraryFinding = fc.record({
      score: fc.double({ min: 0, max: 1, noNaN: true }),
      source: fc.constantFrom(...sources),
      target: fc.constantFrom(...targets),
    });
    fc.assert(
      fc.property(fc.array(arbitraryFinding, { maxLength: 30 }), (drawn) => {
        const findings = drawn.map((entry, index) =>
          finding(index + 1, entry.score, entry.source, entry.target),
        );
        const metrics = computeMetrics({ series: SERIES }, findings);

        expect(metrics.truePositiveAlerts + metrics.falsePositiveAlerts + metrics.unlabelledAlerts).toBe(
          metrics.alerts,
        );
        expect(metrics.alerts).toBe(findings.filter((entry) => entry.alert).length);
        if (metrics.precisionAll !== null && metrics.precisionLabelled !== null) {
          expect(metrics.precisionAll).toBeLessThanOrEqual(metrics.precisionLabelled);
        }
        expect(metrics.recall).toBeGreaterThanOrEqual(0);
        expect(metrics.recall).toBeLessThanOrEqual(1);
        const classFalsePositives = metrics.benignClasses.reduce(
          (sum, entry) => sum + entry.falsePositives,
          0,
        );
        expect(classFalsePositives).toBeGreaterThanOrEqual(metrics.falsePositiveAlerts);
        for (const entry of metrics.benignClasses)
          expect(entry.flaggedSeries).toBeLessThanOrEqual(entry.series);
      }),
    );
  });
});
