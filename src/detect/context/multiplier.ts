/**
 * The score factor of a finding's context: a product of named parts, each 1 when its evidence is absent,
 * clamped to [MIN_FACTOR, MAX_FACTOR]. The bounds let context reorder findings of similar regularity,
 * but an irregular series cannot become a top finding nor a regular one be buried.
 */
import type { FindingContext } from './index.js';
import { DEFAULT_CONTEXT_SETTINGS, type ContextSettings } from './settings.js';

export const MIN_FACTOR = 0.5;
export const MAX_FACTOR = 1.5;

/** Prevalence part when no other source talks to the destination, and when every other source does. */
export const PREVALENCE_ALONE = 1.1;
export const PREVALENCE_EVERYONE = 0.7;
/** Part for a destination first seen recently on a network with enough history. */
export const NEW_DESTINATION = 1.1;
/** Part for one or more threat-intelligence hits. */
export const INTEL_HIT = 1.4;

export interface ContextMultiplier {
  factor: number;
  /** Every part by name: prevalence, firstSeen, intel, and one per indicator id. */
  parts: Record<string, number>;
}

/**
 * Computes the score factor of a finding's context:
 * factor = clamp(prevalence × firstSeen × intel × Π(1 + indicator weight), 0.5, 1.5).
 */
export function contextMultiplier(
  context: FindingContext,
  settings: ContextSettings = DEFAULT_CONTEXT_SETTINGS,
): ContextMultiplier {
  const parts: Record<string, number> = {
    prevalence: prevalencePart(context.prevalence, settings),
    firstSeen: isNewDestination(context.firstSeen, settings) ? NEW_DESTINATION : 1,
    intel: context.intel.length > 0 ? INTEL_HIT : 1,
  };
  for (const indicator of context.indicators) {
    // Each indicator id appears once per context; keep the larger weight should a caller repeat one.
    parts[indicator.id] = Math.max(parts[indicator.id] ?? 1, 1 + indicator.weight);
  }
  const product = Object.values(parts).reduce((total, part) => total * part, 1);
  return { factor: round(Math.min(MAX_FACTOR, Math.max(MIN_FACTOR, product)), 3), parts };
}

/**
 * 1.1 − 0.4 × (share of the other sources in the population that also contact the destination), so 1.1
 * when the finding's source is alone, 1 when a quarter of the others join it, and 0.7 when all do.
 * Neutral (1) when the population is smaller than `prevalenceMinSources`.
 */
export function prevalencePart(
  prevalence: FindingContext['prevalence'],
  settings: ContextSettings = DEFAULT_CONTEXT_SETTINGS,
): number {
  if (prevalence.ofSources < settings.prevalenceMinSources) return 1;
  const others = Math.max(0, prevalence.sources - 1) / (prevalence.ofSources - 1);
  const share = Math.min(1, others);
  return round(PREVALENCE_ALONE - (PREVALENCE_ALONE - PREVALENCE_EVERYONE) * share, 3);
}

/**
 * True when the destination was first seen at most `newDestinationDays` before the window end and the
 * store contains at least `minHistoryDays` of events before that first sighting. Without that history every
 * destination of a one-day capture would look new.
 */
export function isNewDestination(
  firstSeen: FindingContext['firstSeen'],
  settings: ContextSettings = DEFAULT_CONTEXT_SETTINGS,
): boolean {
  if (firstSeen === null) return false;
  return (
    firstSeen.daysBeforeWindowEnd <= settings.newDestinationDays &&
    firstSeen.daysAfterStoreStart >= settings.minHistoryDays
  );
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
