/**
 * The detectors on public captures with documented ground truth: each labelled C2 pair must be found and
 * ranked where the documentation states, and the benign periodic services must show as periodic.
 */
import { describe, expect, test } from 'vitest';

import { coversPair, type BeaconCategory, type BeaconFinding } from '../src/detect/beacon/index.js';
import { scan } from '../src/scan.js';
import { groundTruth, HAS_SHARED_DATA, sharedPath, type GroundTruthPair } from './shared-data.js';

const scans = new Map<string, Promise<BeaconFinding[]>>();

/**
 * Scans each capture once per test run; several tests read the same findings. Findings that tuning hid
 * follow the shown ones, each with its `suppression`, so that every test can reach every series.
 */
function beaconFindings(path: string): Promise<BeaconFinding[]> {
  let findings = scans.get(path);
  if (findings === undefined) {
    findings = scan({ paths: [sharedPath(path)], detector: 'beacon' }).then((result) => [
      ...result.findings,
      ...result.suppressed.map((entry) => entry.finding),
    ]);
    scans.set(path, findings);
  }
  return findings;
}

function rankOf(
  findings: readonly BeaconFinding[],
  pair: Pick<GroundTruthPair, 'src' | 'dst' | 'dport'>,
): number {
  const finding = findings.find((entry) => coversPair(entry, pair.src, pair.dst, pair.dport));
  return finding?.rank ?? Number.POSITIVE_INFINITY;
}

/**
 * Returns the finding of the given category that covers the pair, under its own key or an attached one:
 * a working channel by default, or the series of failed attempts.
 */
function findingFor(
  findings: readonly BeaconFinding[],
  pair: GroundTruthPair,
  category: BeaconCategory = 'beacon',
): BeaconFinding | undefined {
  return findings.find(
    (entry) => entry.category === category && coversPair(entry, pair.src, pair.dst, pair.dport),
  );
}

/** Returns the connections of the pair's own ip-port series, working and blocked alike. */
function pairConnections(findings: readonly BeaconFinding[], pair: GroundTruthPair): number {
  let total = 0;
  for (const finding of findings) {
    for (const key of [finding, ...finding.otherKeys]) {
      if (
        key.key === 'ip-port' &&
        finding.sourceip === pair.src &&
        key.destinationip === pair.dst &&
        key.destinationport === pair.dport
      ) {
        total += key.connections;
      }
    }
  }
  return total;
}

describe.skipIf(!HAS_SHARED_DATA)('beacon on real captures', () => {
  test('rita-missing-host: documented beacon ranks first', async () => {
    const dataset = groundTruth('rita-missing-host');
    const findings = await beaconFindings(dataset.path!);
    const [beacon] = dataset.positives;
    const top = findings[0]!;

    expect(top.sourceip).toBe(beacon!.src);
    expect(top.destinationip).toBe(beacon!.dst);
    expect(top.destinationport).toBe(beacon!.dport);
    expect(top.connections).toBe(beacon!.conns);
    expect(top.measures.periodSeconds).toBeGreaterThanOrEqual(200);
    expect(top.measures.periodSeconds).toBeLessThanOrEqual(350);
  });

  test('rita-missing-host: scanner and SSH brute force rank below', async () => {
    const dataset = groundTruth('rita-missing-host');
    const findings = await beaconFindings(dataset.path!);
    const beaconRank = rankOf(findings, dataset.positives[0]!);

    for (const trap of dataset.benign_periodic_traps ?? []) {
      expect(rankOf(findings, trap)).toBeGreaterThan(beaconRank);
    }
    const sshPairs = findings.filter((finding) => finding.destinationport === 22);
    expect(sshPairs.length).toBeGreaterThan(5);
    for (const ssh of sshPairs) expect(ssh.rank).toBeGreaterThan(beaconRank);
  });

  test.each([
    ['strato-001-njrat', 'zeek/strato-001-njrat/labeled-conn.log'],
    ['slips-test18-remcos', 'zeek/slips-test18-remcos'],
  ])('%s: labelled C2 pair in the top 3', async (id, path) => {
    const dataset = groundTruth(id);
    const findings = await beaconFindings(path);
    const [positive] = dataset.positives;
    // Every attempt of these RATs was refused or unanswered: a finding of blocked attempts.
    const finding = findingFor(findings, positive!, 'blocked-attempts');

    expect(rankOf(findings, positive!)).toBeLessThanOrEqual(3);
    expect(finding?.connections).toBe(positive!.conns);
    expect(finding?.measures.failedFraction).toBe(1);
  });

  test('strato-001-njrat folder: duplicate files count once', async () => {
    const dataset = groundTruth('strato-001-njrat');
    const findings = await beaconFindings('zeek/strato-001-njrat');
    const finding = findingFor(findings, dataset.positives[0]!, 'blocked-attempts');

    expect(finding?.connections).toBe(dataset.positives[0]!.conns);
  });

  test('otrf-apt29-day2: PoshC2 pair between private hosts found', async () => {
    const dataset = groundTruth('otrf-apt29-day2-poshc2');
    const findings = await beaconFindings('zeek-json/otrf-apt29-day2');
    const [posh] = dataset.positives;
    const finding = findingFor(findings, posh!);

    expect(finding).toBeDefined();
    expect(finding!.internal).toBe(true);
    expect(finding!.why).toContain('internal pair');
    expect(finding!.rank).toBe(1);
    // The documented median gaps of the slices are 1.4–2.7 s. The gaps spread evenly over 0–6 s, which
    // makes the period a weak estimate, so the test checks the median gap.
    expect(finding!.measures.gapMedianSeconds).toBeGreaterThanOrEqual(1.4);
    expect(finding!.measures.gapMedianSeconds).toBeLessThanOrEqual(2.7);
  });

  test.each(['008', '010'])('strato-%s-benign: periodic services reported as periodic', async (dataset) => {
    const traps = (groundTruth('strato-benign-24h').benign_periodic_traps ?? []).filter(
      (trap) => trap.dataset === dataset,
    );
    const folder = dataset === '008' ? 'zeek/strato-008-benign' : 'zeek/strato-010-benign';
    const findings = await beaconFindings(folder);

    expect(traps.length).toBeGreaterThan(0);
    for (const trap of traps) {
      const finding = findingFor(findings, trap);
      expect(finding, `${trap.src} → ${trap.dst}:${trap.dport}`).toBeDefined();
      expect(pairConnections(findings, trap)).toBe(trap.conns);
      expect(Math.abs(finding!.measures.periodSeconds - trap.median!) / trap.median!).toBeLessThan(0.05);
      expect(finding!.periodicity).toBeGreaterThanOrEqual(0.6);
    }
  });

  test('strato-008-benign: ESET and Microsoft traps hidden by the update-checks profile', async () => {
    const traps = (groundTruth('strato-benign-24h').benign_periodic_traps ?? []).filter(
      (trap) => trap.dataset === '008',
    );
    const findings = await beaconFindings('zeek/strato-008-benign');

    for (const trap of traps) {
      const finding = findingFor(findings, trap);
      expect(finding?.suppression?.rule, `${trap.dst}:${trap.dport}`).toBe('profile update-checks');
      expect(finding?.suppression?.reason).toMatch(/check for updates/);
    }
  });
});
