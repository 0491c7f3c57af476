/**
 * Sleep models of C2 frameworks and of benign traffic. Each model draws one gap in seconds, states the
 * bounds every gap keeps, and describes itself for labels.json.
 */
import type { Random } from './random.js';

export type GapModel =
  /** A fixed sleep. */
  | { kind: 'fixed'; seconds: number }
  /** Cobalt Strike: uniform in [S(1 − j), S]. */
  | { kind: 'subtractive'; seconds: number; jitter: number }
  /** Empire, PoshC2, Mythic, Havoc: uniform in [S(1 − j), S(1 + j)]. */
  | { kind: 'symmetric'; seconds: number; jitter: number }
  /** Sliver: S plus uniform in [0, maxExtraSeconds). */
  | { kind: 'additive'; seconds: number; maxExtraSeconds: number }
  /** S(1 + k/100) for a whole k drawn uniformly from minPercent to maxPercent inclusive. */
  | { kind: 'percent-steps'; seconds: number; minPercent: number; maxPercent: number }
  /** Exponential with this mean: the gaps of a Poisson process. */
  | { kind: 'poisson'; meanSeconds: number }
  /** Uniform in [minSeconds, maxSeconds). */
  | { kind: 'uniform'; minSeconds: number; maxSeconds: number };

/** Draws one gap, in seconds. */
export function drawGap(model: GapModel, random: Random): number {
  switch (model.kind) {
    case 'fixed':
      return model.seconds;
    case 'subtractive':
      return random.between(model.seconds * (1 - model.jitter), model.seconds);
    case 'symmetric':
      return random.between(model.seconds * (1 - model.jitter), model.seconds * (1 + model.jitter));
    case 'additive':
      return model.seconds + random.between(0, model.maxExtraSeconds);
    case 'percent-steps':
      return model.seconds * (1 + random.integer(model.minPercent, model.maxPercent) / 100);
    case 'poisson':
      return random.exponential(model.meanSeconds);
    case 'uniform':
      return random.between(model.minSeconds, model.maxSeconds);
  }
}

/**
 * Returns the closed interval that contains every gap the model draws, in seconds. The upper bound of a
 * Poisson model is Infinity.
 */
export function gapBounds(model: GapModel): { min: number; max: number } {
  switch (model.kind) {
    case 'fixed':
      return { min: model.seconds, max: model.seconds };
    case 'subtractive':
      return { min: model.seconds * (1 - model.jitter), max: model.seconds };
    case 'symmetric':
      return { min: model.seconds * (1 - model.jitter), max: model.seconds * (1 + model.jitter) };
    case 'additive':
      return { min: model.seconds, max: model.seconds + model.maxExtraSeconds };
    case 'percent-steps':
      return {
        min: model.seconds * (1 + model.minPercent / 100),
        max: model.seconds * (1 + model.maxPercent / 100),
      };
    case 'poisson':
      return { min: 0, max: Number.POSITIVE_INFINITY };
    case 'uniform':
      return { min: model.minSeconds, max: model.maxSeconds };
  }
}

/** Returns the sleep a label reports as periodSeconds, or null for a model without a period. */
export function modelPeriod(model: GapModel): number | null {
  switch (model.kind) {
    case 'poisson':
    case 'uniform':
      return null;
    default:
      return model.seconds;
  }
}

/** Describes the jitter for labels.json: "none", "subtractive 0.5", "additive 0-30 s", "poisson". */
export function describeJitter(model: GapModel): string {
  switch (model.kind) {
    case 'fixed':
      return 'none';
    case 'subtractive':
      return model.jitter === 0 ? 'none' : `subtractive ${model.jitter}`;
    case 'symmetric':
      return `symmetric ${model.jitter}`;
    case 'additive':
      return `additive 0-${model.maxExtraSeconds} s`;
    case 'percent-steps':
      return `percent ${model.minPercent}..${model.maxPercent}`;
    case 'poisson':
      return `poisson mean ${model.meanSeconds} s`;
    case 'uniform':
      return `uniform ${model.minSeconds}-${model.maxSeconds} s`;
  }
}
