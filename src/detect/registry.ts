/** The detectors `scan` can run, by id. */
import {
  beaconDetector,
  DEFAULT_BEACON_OPTIONS,
  type BeaconFinding,
  type BeaconOptions,
} from './beacon/index.js';
import type { Detector } from './detector.js';
import {
  DEFAULT_QRADAR_T1071_OPTIONS,
  qradarT1071Detector,
  type QradarT1071Finding,
  type QradarT1071Options,
} from './qradar-t1071.js';

export const DETECTOR_IDS = ['beacon', 'qradar-t1071'] as const;
export type DetectorId = (typeof DETECTOR_IDS)[number];

export interface DetectorOptionsById {
  beacon: BeaconOptions;
  'qradar-t1071': QradarT1071Options;
}

export interface FindingById {
  beacon: BeaconFinding;
  'qradar-t1071': QradarT1071Finding;
}

export const DETECTORS: { [K in DetectorId]: Detector<DetectorOptionsById[K], FindingById[K]> } = {
  beacon: beaconDetector,
  'qradar-t1071': qradarT1071Detector,
};

export const DEFAULT_DETECTOR_OPTIONS: { [K in DetectorId]: Readonly<DetectorOptionsById[K]> } = {
  beacon: DEFAULT_BEACON_OPTIONS,
  'qradar-t1071': DEFAULT_QRADAR_T1071_OPTIONS,
};

export function isDetectorId(id: string): id is DetectorId {
  return (DETECTOR_IDS as readonly string[]).includes(id);
}
