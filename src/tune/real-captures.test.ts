/**
 * Tuning on public captures: the benign periodic services of a real office capture are hidden by a
 * profile with its reason, and the labelled C2 pairs are not.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { groundTruth, HAS_SHARED_DATA, sharedPath, type GroundTruthPair } from '../../test/shared-data.js';
import { coversPair, type BeaconFinding } from '../detect/beacon/index.js';
import { scan } from '../scan.js';
import { DuckDbStore } from '../store/duckdb.js';
import { loadEntityIndex, NO_ENTITIES, type EntityIndex } from './entities.js';
import { compileTuning, findSuppression, splitSuppressed } from './index.js';
import { PROFILES } from './profiles.js';
import { subjectOfBeaconFinding } from './subject.js';

const tuning = compileTuning();
const reasonOf = (id: string): string => PROFILES.find((profile) => profile.id === id)!.reason;

/** Imports a capture into a temporary database, scans it, and loads its entity index. */
async function scanWithEntities(
  folder: string,
  path: string,
): Promise<{ findings: BeaconFinding[]; entities: EntityIndex }> {
  const db = join(folder, `${path.replace(/\W+/g, '-')}.duckdb`);
  // Without the scan's own tuning, so that the test applies it to every finding.
  const result = await scan({ paths: [sharedPath(path)], db, detector: 'beacon', tuning: false });
  const store = await DuckDbStore.open(db, { readOnly: true });
  try {
    return { findings: result.findings, entities: await loadEntityIndex(store) };
  } finally {
    await store.close();
  }
}

function pairFinding(findings: readonly BeaconFinding[], pair: GroundTruthPair): BeaconFinding | undefined {
  return findings.find((finding) => coversPair(finding, pair.src, pair.dst, pair.dport));
}

describe.skipIf(!HAS_SHARED_DATA)('tuning on real captures', () => {
  let folder: string;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'beaconhunt-tune-real-'));
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  test('strato-008: ESET push and Microsoft DO are hidden', async () => {
    const { findings, entities } = await scanWithEntities(folder, 'zeek/strato-008-benign');
    const traps = (groundTruth('strato-benign-24h').benign_periodic_traps ?? []).filter(
      (trap) => trap.dataset === '008',
    );

    expect(traps).toHaveLength(3);
    for (const trap of traps) {
      const finding = pairFinding(findings, trap);
      expect(finding, `${trap.src} → ${trap.dst}:${trap.dport}`).toBeDefined();
      const suppression = findSuppression(subjectOfBeaconFinding(finding!), tuning, entities);
      expect(suppression?.rule, `${trap.dst}:${trap.dport}`).toBe('profile update-checks');
      expect(suppression?.reason).toBe(reasonOf('update-checks'));
    }
    const eset = findSuppression(subjectOfBeaconFinding(pairFinding(findings, traps[0]!)!), tuning, entities);
    expect(eset?.matched).toBe('port 8883/tcp, address 91.228.167.171 in 91.228.164.0/22');
    const microsoft = findSuppression(
      subjectOfBeaconFinding(pairFinding(findings, traps[1]!)!),
      tuning,
      entities,
    );
    expect(microsoft?.matched).toBe(
      'name array604.prod.do.dsp.mp.microsoft.com matches dsp.mp.microsoft.com',
    );

    // Every inbound scan of the capture's host stays visible: no profile hides traffic from the internet.
    const split = splitSuppressed(findings, subjectOfBeaconFinding, tuning, entities);
    const inboundHidden = split.suppressed.filter(({ finding }) => finding.sourceip !== '147.32.81.167');
    expect(inboundHidden.map(({ finding }) => finding.label)).toEqual([]);
  });

  test('slips test-cc-1: the C2 beacon stays visible', async () => {
    const dataset = groundTruth('slips-test-cc-1');
    const { findings, entities } = await scanWithEntities(folder, dataset.path!);
    const split = splitSuppressed(findings, subjectOfBeaconFinding, tuning, entities);

    for (const pair of dataset.positives) {
      expect(
        split.kept.some(
          (finding) => finding.sourceip === pair.src && finding.destinations.includes(pair.dst),
        ),
      ).toBe(true);
      expect(split.suppressed.some(({ finding }) => finding.destinations.includes(pair.dst))).toBe(false);
    }
  });

  test('no labelled C2 pair matches a profile', () => {
    const document = [
      'rita-missing-host',
      'strato-001-njrat',
      'slips-test-cc-1',
      'slips-test-cc-2',
      'slips-test18-remcos',
      'otrf-apt29-day2-poshc2',
      'otrf-empire-psremoting',
      'corelight-quasarrat',
    ];
    let checked = 0;
    for (const id of document) {
      for (const pair of groundTruth(id).positives) {
        const subject = {
          sourceip: pair.src,
          destinationips: [pair.dst],
          destinationport: pair.dport,
          protocol: 'tcp',
          names: [],
          processes: [],
          usernames: [],
          uris: [],
          userAgents: [],
          periodSeconds: pair.measured_median ?? 60,
        };
        expect(findSuppression(subject, tuning, NO_ENTITIES), `${id} ${pair.dst}:${pair.dport}`).toBeNull();
        checked += 1;
      }
    }
    expect(checked).toBe(9);
  });
});
