/**
 * Tunable thresholds of the finding context, and the `context:` fragment of the YAML config file that
 * sets them.
 */
import { z } from 'zod';

export interface ContextSettings {
  /** A User-Agent used by at most this many sources in the window, and not a current browser, is rare. */
  rareUserAgentMaxSources: number;
  /** A User-Agent of at most this many characters is odd (a bare `Mozilla/5.0` has 11). */
  shortUserAgentMaxLength: number;
  /** Prevalence moves the score only when the population it is measured in has this many sources. */
  prevalenceMinSources: number;
  /** A destination first seen at most this many days before the window end counts as new... */
  newDestinationDays: number;
  /** ...but only when the store contains at least this many days of events before that first sighting. */
  minHistoryDays: number;
}

export const DEFAULT_CONTEXT_SETTINGS: ContextSettings = {
  // Two rather than one, so that an implant that has spread to a second host still counts as rare.
  rareUserAgentMaxSources: 2,
  shortUserAgentMaxLength: 11,
  // With fewer sources a share is too coarse to mean anything: one of two hosts is already 50 %.
  prevalenceMinSources: 5,
  newDestinationDays: 7,
  minHistoryDays: 7,
};

/**
 * The `context:` section of the config file. Every key is optional and falls back to
 * DEFAULT_CONTEXT_SETTINGS; `intel_lists` names threat-intelligence list files.
 */
export const ContextConfigSchema = z
  .object({
    intel_lists: z.array(z.string().min(1)).optional(),
    rare_user_agent_max_sources: z.number().int().min(0).optional(),
    short_user_agent_max_length: z.number().int().min(0).optional(),
    prevalence_min_sources: z.number().int().min(2).optional(),
    new_destination_days: z.number().positive().optional(),
    min_history_days: z.number().min(0).optional(),
  })
  .strict();

export type ContextConfig = z.infer<typeof ContextConfigSchema>;

/** Merges a parsed `context:` section over the defaults. */
export function contextSettingsFromConfig(config: ContextConfig | undefined): ContextSettings {
  return {
    rareUserAgentMaxSources:
      config?.rare_user_agent_max_sources ?? DEFAULT_CONTEXT_SETTINGS.rareUserAgentMaxSources,
    shortUserAgentMaxLength:
      config?.short_user_agent_max_length ?? DEFAULT_CONTEXT_SETTINGS.shortUserAgentMaxLength,
    prevalenceMinSources: config?.prevalence_min_sources ?? DEFAULT_CONTEXT_SETTINGS.prevalenceMinSources,
    newDestinationDays: config?.new_destination_days ?? DEFAULT_CONTEXT_SETTINGS.newDestinationDays,
    minHistoryDays: config?.min_history_days ?? DEFAULT_CONTEXT_SETTINGS.minHistoryDays,
  };
}
