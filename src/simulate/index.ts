/** The simulation library: labelled synthetic telemetry for every scenario, in beaconhunt's input formats. */
export {
  BENIGN_CLASSES,
  MALICIOUS_SCENARIO_IDS,
  SCENARIO_IDS,
  type BenignClass,
  type ScenarioId,
} from './catalog.js';
export { describeJitter, drawGap, gapBounds, type GapModel } from './jitter.js';
export type { LabelledSeries, Labels } from './labels.js';
export {
  DEFAULT_DURATION_MS,
  DEFAULT_START_MS,
  DEFAULT_TIMESTAMP_NOISE_MS,
  generateSimulation,
  OUTPUT_FORMAT_IDS,
  simulate,
  type SimulateOptions,
  type SimulationResult,
} from './simulate.js';
