/**
 * Tuning: allowlist entries from the config and built-in suppression profiles for benign beacon classes,
 * applied to findings through the engine-neutral TuningSubject.
 */
import type { BeaconhuntConfig, ConfigOrigin } from '../config.js';
import { DEFAULT_LOCAL_NETWORKS, LocalNetworks } from '../net/locality.js';
import type { EntityLookup } from './entities.js';
import { parseCidr, parseDomainPattern, parseProcessPattern } from './patterns.js';
import { compileProfile, PROFILES } from './profiles.js';
import { checkRule, matchRule, type CompiledRule } from './rules.js';
import type { Suppression, TuningSubject } from './subject.js';

export { EntityIndex, loadEntityIndex, NO_ENTITIES, type EntityLookup } from './entities.js';
export { PROFILE_IDS, PROFILES, type Profile } from './profiles.js';
export { renderSuppressed, type SuppressedRow } from './report.js';
export { subjectOfBeaconFinding, type Suppression, type TuningSubject } from './subject.js';

export interface Tuning {
  /** Allowlist rules in config order, then the enabled profiles' rules, vendor-specific ones first. */
  readonly rules: readonly CompiledRule[];
  /** Ids of the profiles in use. */
  readonly profiles: readonly string[];
  readonly localNetworks: LocalNetworks;
}

/** The reason shown for an allowlist entry that states none. */
const DEFAULT_ALLOWLIST_REASON = 'allowlisted in the config';

export interface CompileOptions {
  /** The config's file and allowlist lines, so that each allowlist rule names its file and line. */
  origin?: ConfigOrigin;
  /** Local networks, as given by --local-net; defaults to the config's, then DEFAULT_LOCAL_NETWORKS. */
  localNetworks?: readonly string[];
}

/**
 * Compiles a validated config into rules. Patterns were checked by the config schema, so a parse error
 * here is a bug and is thrown as is.
 */
export function compileTuning(config: BeaconhuntConfig = {}, options: CompileOptions = {}): Tuning {
  const groups = config.source_groups ?? {};
  const allowlist: CompiledRule[] = (config.allowlist ?? []).map((entry, index) => {
    const selectors = [
      entry.domain !== undefined ? `domain ${entry.domain}` : null,
      entry.cidr !== undefined ? `cidr ${entry.cidr}` : null,
      entry.port !== undefined ? `port ${entry.port}` : null,
      entry.protocol !== undefined ? `protocol ${entry.protocol}` : null,
      entry.process !== undefined ? `process ${entry.process}` : null,
      entry.source_group !== undefined ? `source_group ${entry.source_group}` : null,
    ].filter((part): part is string => part !== null);
    const line = options.origin?.allowlistLines[index];
    const where = options.origin !== undefined && line ? `; ${options.origin.path}:${line}` : '';
    const sources = entry.source_group !== undefined ? (groups[entry.source_group] ?? []) : undefined;
    return {
      name: `allowlist[${index}] (${selectors.join(', ')}${where})`,
      reason: entry.reason ?? DEFAULT_ALLOWLIST_REASON,
      ...(entry.domain !== undefined ? { domains: [parseDomainPattern(entry.domain)] } : {}),
      ...(entry.cidr !== undefined ? { cidrs: [parseCidr(entry.cidr)] } : {}),
      ...(entry.port !== undefined ? { ports: [entry.port] } : {}),
      ...(entry.protocol !== undefined ? { protocols: [entry.protocol] } : {}),
      ...(entry.process !== undefined ? { processes: [parseProcessPattern(entry.process)] } : {}),
      ...(sources !== undefined
        ? { sources: sources.map(parseCidr), sourceGroup: entry.source_group as string }
        : {}),
    };
  });

  const disabled = new Set(config.profiles?.disable ?? []);
  const enabled = PROFILES.filter((profile) => !disabled.has(profile.id));
  const profileRules = enabled.flatMap(compileProfile);
  // Rules that name a vendor (domains or address blocks) go before rules on ports or headers alone, so
  // a finding that both match is attributed to the more specific class (ESET's push on 8883 to
  // update-checks rather than to MQTT).
  const specific = profileRules.filter((rule) => rule.domains !== undefined || rule.cidrs !== undefined);
  const generic = profileRules.filter((rule) => rule.domains === undefined && rule.cidrs === undefined);

  return {
    rules: [...allowlist, ...specific, ...generic],
    profiles: enabled.map((profile) => profile.id),
    localNetworks: new LocalNetworks(
      options.localNetworks ?? config.local_networks ?? DEFAULT_LOCAL_NETWORKS,
    ),
  };
}

/** Returns the first rule that hides the subject, with what matched, or null when none does. */
export function findSuppression(
  subject: TuningSubject,
  tuning: Tuning,
  entities: EntityLookup,
): Suppression | null {
  for (const rule of tuning.rules) {
    const matched = matchRule(rule, subject, entities, tuning.localNetworks);
    if (matched !== null) return { rule: rule.name, reason: rule.reason, matched };
  }
  return null;
}

/** One rule checked against a finding, for `explain` and the HTML report. */
export interface TuningCheck {
  rule: string;
  reason: string;
  /**
   * 'hid' for the first rule that matched (the one that hides the finding), 'matched' for later rules
   * that would have hidden it too, 'passed' for rules that did not match.
   */
  outcome: 'hid' | 'matched' | 'passed';
  /** Description of the match, or of the first condition that failed. */
  detail: string;
}

/** Checks every rule against the subject, in the order tuning applies them. */
export function checkSuppression(
  subject: TuningSubject,
  tuning: Tuning,
  entities: EntityLookup,
): TuningCheck[] {
  let hidden = false;
  return tuning.rules.map((rule) => {
    const verdict = checkRule(rule, subject, entities, tuning.localNetworks);
    if ('failed' in verdict) {
      return { rule: rule.name, reason: rule.reason, outcome: 'passed', detail: verdict.failed };
    }
    const outcome = hidden ? 'matched' : 'hid';
    hidden = true;
    return { rule: rule.name, reason: rule.reason, outcome, detail: verdict.matched };
  });
}

export interface SplitFindings<T> {
  kept: T[];
  suppressed: { finding: T; suppression: Suppression }[];
}

/** Splits findings into those shown and those hidden, keeping the input order in both. */
export function splitSuppressed<T>(
  findings: readonly T[],
  toSubject: (finding: T) => TuningSubject,
  tuning: Tuning,
  entities: EntityLookup,
): SplitFindings<T> {
  const result: SplitFindings<T> = { kept: [], suppressed: [] };
  for (const finding of findings) {
    const suppression = findSuppression(toSubject(finding), tuning, entities);
    if (suppression === null) result.kept.push(finding);
    else result.suppressed.push({ finding, suppression });
  }
  return result;
}
