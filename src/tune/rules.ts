/**
 * Compiled tuning rules and how one rule is matched against a subject. A rule's conditions combine with
 * AND; the values listed inside one condition combine with OR.
 */
import { LocalNetworks } from '../net/locality.js';
import type { EntityLookup } from './entities.js';
import {
  matchesCidr,
  matchesDomain,
  matchesProcess,
  type CidrPattern,
  type DomainPattern,
  type ProcessPattern,
} from './patterns.js';
import type { TuningSubject } from './subject.js';

export interface CompiledRule {
  /** Names the rule for the user: `profile ntp`, `allowlist[2] (domain *.eset.com; beaconhunt.yaml:14)`. */
  readonly name: string;
  readonly reason: string;
  readonly domains?: readonly DomainPattern[];
  readonly cidrs?: readonly CidrPattern[];
  readonly ports?: readonly number[];
  readonly protocols?: readonly string[];
  readonly processes?: readonly ProcessPattern[];
  /** Source addresses, from a source group. */
  readonly sources?: readonly CidrPattern[];
  readonly sourceGroup?: string;
  /** Case-insensitive prefixes of the User-Agent header. */
  readonly userAgentPrefixes?: readonly string[];
  /** URI paths (query string ignored) that every URI of the subject must have. */
  readonly uriPaths?: readonly string[];
  /** Inclusive range of the subject's period, seconds. */
  readonly periodSeconds?: { readonly min: number; readonly max: number };
  /** Refuse outbound subjects (local source, remote destination), for checks that only come inward or stay inside. */
  readonly notOutbound?: boolean;
  /** Require a source on a local network, for client protocols whose clients are our own hosts. */
  readonly localSource?: boolean;
}

/** The result of checking one rule: what matched, or the first condition that did not. */
export type RuleVerdict = { matched: string } | { failed: string };

/**
 * Returns a description of what matched, or null when any condition of the rule fails. A condition on a
 * value the subject lacks (no port, no period, no names) fails, so a rule never hides a finding on
 * evidence it does not have.
 */
export function matchRule(
  rule: CompiledRule,
  subject: TuningSubject,
  entities: EntityLookup,
  localNetworks: LocalNetworks,
): string | null {
  const verdict = checkRule(rule, subject, entities, localNetworks);
  return 'matched' in verdict ? verdict.matched : null;
}

/** Checks a rule against the subject, saying which condition failed when it does not match. */
export function checkRule(
  rule: CompiledRule,
  subject: TuningSubject,
  entities: EntityLookup,
  localNetworks: LocalNetworks,
): RuleVerdict {
  const matched: string[] = [];
  const fail = (failed: string): RuleVerdict => ({ failed });

  if (rule.protocols !== undefined) {
    if (subject.protocol === null || !rule.protocols.includes(subject.protocol)) {
      return fail(`protocol ${subject.protocol ?? 'unknown'} is not ${alternatives(rule.protocols)}`);
    }
  }
  if (rule.ports !== undefined) {
    if (subject.destinationport === null || !rule.ports.includes(subject.destinationport)) {
      return fail(
        `port ${subject.destinationport ?? 'unknown'} is not ${alternatives(rule.ports.map(String))}`,
      );
    }
    matched.push(`port ${subject.destinationport}${subject.protocol !== null ? `/${subject.protocol}` : ''}`);
  }
  if (rule.periodSeconds !== undefined) {
    const period = subject.periodSeconds;
    const { min, max } = rule.periodSeconds;
    if (period === null || period < min || period > max) {
      return fail(`period ${period === null ? 'unknown' : periodText(period)} is outside ${min}–${max} s`);
    }
  }
  if (rule.notOutbound === true && isOutbound(subject, localNetworks)) {
    return fail('the connection goes from a local host to a remote one');
  }
  if (rule.localSource === true && !localNetworks.isLocal(subject.sourceip)) {
    return fail(`source ${subject.sourceip} is not on a local network`);
  }
  if (rule.sources !== undefined) {
    const source = rule.sources.find((cidr) => matchesCidr(cidr, subject.sourceip));
    if (source === undefined)
      return fail(`source ${subject.sourceip} is not in ${rule.sourceGroup ?? 'the rule'}`);
    matched.push(`source ${subject.sourceip} in ${rule.sourceGroup ?? source.text}`);
  }
  if (rule.cidrs !== undefined) {
    const text = matchEveryAddress(rule.cidrs, subject.destinationips);
    if (text === null)
      return fail(`destination ${listed(subject.destinationips, 'unknown')} is outside the rule's networks`);
    matched.push(text);
  }
  if (rule.domains !== undefined) {
    const text = matchNames(rule.domains, subject, entities);
    if (text === null) {
      return fail(
        subject.names.length > 0
          ? `names ${listed(subject.names)} do not all match the rule's domains`
          : "the destination served no names, or names outside the rule's domains",
      );
    }
    matched.push(text);
  }
  if (rule.processes !== undefined) {
    const text = matchEvery(subject.processes, (image) =>
      rule.processes!.find((p) => matchesProcess(p, image)),
    );
    if (text === null) return fail(`process ${listed(subject.processes, 'unknown')} does not match`);
    matched.push(`process ${text}`);
  }
  if (rule.userAgentPrefixes !== undefined) {
    const text = matchEvery(subject.userAgents, (agent) =>
      rule.userAgentPrefixes!.find((prefix) => agent.toLowerCase().startsWith(prefix.toLowerCase())),
    );
    if (text === null) return fail(`user agent ${listed(subject.userAgents, 'unknown')} does not match`);
    matched.push(`user agent ${text}`);
  }
  if (rule.uriPaths !== undefined) {
    const text = matchEvery(subject.uris, (uri) => rule.uriPaths!.find((path) => uriPath(uri) === path));
    if (text === null) return fail(`URI ${listed(subject.uris, 'unknown')} does not match the rule's paths`);
    matched.push(`URI ${text}`);
  }
  return { matched: matched.join(', ') };
}

/** Formats a period for a message: milliseconds below 1 s, where whole seconds would read 0 s. */
function periodText(seconds: number): string {
  return seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${Math.round(seconds)} s`;
}

/** Joins the values a condition accepts: "123 or 4460", "5060, 5061 or 5062". */
function alternatives(values: readonly string[]): string {
  if (values.length <= 1) return values.join('');
  return `${values.slice(0, -1).join(', ')} or ${values.at(-1) as string}`;
}

/** Lists up to three values for a message, or `none` when there are none. */
function listed(values: readonly string[], none = 'none'): string {
  if (values.length === 0) return none;
  const shown = values.slice(0, 3).join(', ');
  return values.length > 3 ? `${shown} (and ${values.length - 3} more)` : shown;
}

/** Every value must match a pattern; returns "value matches pattern" for the first, or null. */
function matchEvery<P extends { text: string } | string>(
  values: readonly string[],
  find: (value: string) => P | undefined,
): string | null {
  if (values.length === 0) return null;
  let first: string | null = null;
  for (const value of values) {
    const pattern = find(value);
    if (pattern === undefined) return null;
    first ??= `${value} matches ${typeof pattern === 'string' ? pattern : pattern.text}`;
  }
  return values.length > 1 ? `${first} (and ${values.length - 1} more)` : first;
}

function matchEveryAddress(cidrs: readonly CidrPattern[], addresses: readonly string[]): string | null {
  const text = matchEvery(addresses, (address) => cidrs.find((cidr) => matchesCidr(cidr, address)));
  return text === null ? null : `address ${text.replace(' matches ', ' in ')}`;
}

/**
 * Matches the subject's own names, every one of which must match. A subject without names (a
 * bare-address series) is judged by the names its destination addresses served, its "IP twins". Every
 * address must have served names and every such name must match, so a shared address (a CDN edge) hides
 * nothing.
 */
function matchNames(
  domains: readonly DomainPattern[],
  subject: TuningSubject,
  entities: EntityLookup,
): string | null {
  const find = (name: string): DomainPattern | undefined =>
    domains.find((domain) => matchesDomain(domain, name));
  if (subject.names.length > 0) {
    const text = matchEvery(subject.names, find);
    return text === null ? null : `name ${text}`;
  }
  if (subject.destinationips.length === 0) return null;
  let first: string | null = null;
  for (const address of subject.destinationips) {
    const served = entities.namesOf(address);
    const text = matchEvery(served, find);
    if (text === null) return null;
    first ??= `address ${address} served ${text}`;
  }
  return first;
}

function isOutbound(subject: TuningSubject, localNetworks: LocalNetworks): boolean {
  if (!localNetworks.isLocal(subject.sourceip)) return false;
  return subject.destinationips.some((address) => !localNetworks.isLocal(address));
}

/** Returns the path of a URI, without its query string or fragment, and without scheme and host. */
function uriPath(uri: string): string {
  const withoutHost = uri.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
  const path = withoutHost.split(/[?#]/)[0] ?? '';
  return path.length > 1 ? path.replace(/\/$/, '') : path;
}
