/** The detectors `scan` can run, by id. */
import {
  beaconDetector,
  DEFAULT_BEACON_OPTIONS,
  type BeaconFinding,
  type BeaconOptions,
} from './beacon/index.js';
import type { Detector } from './detector.js';
import {
  DEFAULT_DNS_TUNNEL_OPTIONS,
  dnsTunnelDetector,
  type DnsTunnelFinding,
  type DnsTunnelOptions,
} from './dns-tunnel.js';
import {
  DEFAULT_LONG_CONNECTION_OPTIONS,
  longConnectionDetector,
  type LongConnectionFinding,
  type LongConnectionOptions,
} from './long-connection.js';
import {
  DEFAULT_QRADAR_T1071_OPTIONS,
  qradarT1071Detector,
  type QradarT1071Finding,
  type QradarT1071Options,
} from './qradar-t1071.js';

export const DETECTOR_IDS = ['beacon', 'qradar-t1071', 'dns-tunnel', 'long-connection'] as const;
export type DetectorId = (typeof DETECTOR_IDS)[number];

export interface DetectorOptionsById {
  beacon: BeaconOptions;
  'qradar-t1071': QradarT1071Options;
  'dns-tunnel': DnsTunnelOptions;
  'long-connection': LongConnectionOptions;
}

export interface FindingById {
  beacon: BeaconFinding;
  'qradar-t1071': QradarT1071Finding;
  'dns-tunnel': DnsTunnelFinding;
  'long-connection': LongConnectionFinding;
}

export const DETECTORS: { [K in DetectorId]: Detector<DetectorOptionsById[K], FindingById[K]> } = {
  beacon: beaconDetector,
  'qradar-t1071': qradarT1071Detector,
  'dns-tunnel': dnsTunnelDetector,
  'long-connection': longConnectionDetector,
};

export const DEFAULT_DETECTOR_OPTIONS: { [K in DetectorId]: Readonly<DetectorOptionsById[K]> } = {
  beacon: DEFAULT_BEACON_OPTIONS,
  'qradar-t1071': DEFAULT_QRADAR_T1071_OPTIONS,
  'dns-tunnel': DEFAULT_DNS_TUNNEL_OPTIONS,
  'long-connection': DEFAULT_LONG_CONNECTION_OPTIONS,
};

export function isDetectorId(id: string): id is DetectorId {
  return (DETECTOR_IDS as readonly string[]).includes(id);
}
