/**
 * Proposals for allowlist entries. A periodic destination that most hosts contact is usually a
 * product's own service (updates, telemetry, sync), while an implant tends to sit on few hosts. The
 * proposals are for a person to review, and nothing here changes a config.
 */
import { stringify } from 'yaml';

import { registeredDomain } from '../net/domain.js';
import { countOf } from '../text/plural.js';
import type { EntityLookup } from './entities.js';
import type { TuningSubject } from './subject.js';

export interface ProposeOptions {
  /** Distinct sources an entity needs. */
  minHosts: number;
  /** Share of all sources in the data (0–1) an entity needs. */
  minShare: number;
}

export const DEFAULT_PROPOSE_OPTIONS: ProposeOptions = { minHosts: 3, minShare: 0.5 };

/** Example names listed in a proposal's comment. */
const MAX_EXAMPLE_NAMES = 3;

export interface Proposal {
  /** The allowlist entry, ready for the config: `{ domain }` or `{ cidr, port }`. */
  entry: { domain: string; reason: string } | { cidr: string; port?: number; reason: string };
  /** The destination entity: a registered domain, or address:port. */
  entity: string;
  hosts: number;
  /** hosts / all sources. */
  share: number;
  medianPeriodSeconds: number | null;
  exampleNames: string[];
}

interface EntityKey {
  kind: 'domain' | 'address';
  entity: string;
  address?: string;
  port?: number | null;
}

/**
 * Names the destination entity of a subject: the registered domain of its names (or, for a bare
 * address, of the names the address served) when they share one, else its first address and port.
 */
export function entityOf(subject: TuningSubject, entities: EntityLookup): EntityKey | null {
  const names = namesForEntity(subject, entities);
  const domains = new Set(names.map((name) => registeredDomain(name)));
  if (domains.size === 1) {
    const [domain] = domains;
    if (domain !== null && domain !== undefined) return { kind: 'domain', entity: domain };
  }
  const [address] = subject.destinationips;
  if (address === undefined) return null;
  const port = subject.destinationport;
  const host = address.includes(':') ? `[${address}]` : address;
  return { kind: 'address', entity: port === null ? host : `${host}:${port}`, address, port };
}

/** Returns the subject's names, or for a bare-address subject the names its addresses served. */
function namesForEntity(subject: TuningSubject, entities: EntityLookup): readonly string[] {
  if (subject.names.length > 0) return subject.names;
  return subject.destinationips.flatMap((ip) => entities.namesOf(ip));
}

/**
 * Groups subjects by destination entity and proposes those that at least `minHosts` sources and
 * `minShare` of `totalSources` contact. Proposals are ordered by hosts, most first.
 */
export function proposeAllowlist(
  subjects: readonly TuningSubject[],
  totalSources: number,
  entities: EntityLookup,
  options: ProposeOptions = DEFAULT_PROPOSE_OPTIONS,
): Proposal[] {
  const groups = new Map<
    string,
    { key: EntityKey; sources: Set<string>; periods: number[]; names: Set<string> }
  >();
  for (const subject of subjects) {
    const key = entityOf(subject, entities);
    if (key === null) continue;
    const id = `${key.kind} ${key.entity}`;
    let group = groups.get(id);
    if (group === undefined) {
      group = { key, sources: new Set(), periods: [], names: new Set() };
      groups.set(id, group);
    }
    group.sources.add(subject.sourceip);
    if (subject.periodSeconds !== null) group.periods.push(subject.periodSeconds);
    // The `*` marker of a busy shared address is not a name to show.
    for (const name of namesForEntity(subject, entities)) if (name !== '*') group.names.add(name);
  }

  const proposals: Proposal[] = [];
  for (const { key, sources, periods, names } of groups.values()) {
    const hosts = sources.size;
    const share = totalSources > 0 ? hosts / totalSources : 0;
    if (hosts < options.minHosts || share < options.minShare) continue;
    const reason = `periodic destination of ${hosts} of ${totalSources} sources; review before use`;
    const entry =
      key.kind === 'domain'
        ? { domain: commonSuffix([...names], key.entity), reason }
        : {
            cidr: key.address as string,
            ...(key.port !== null && key.port !== undefined ? { port: key.port } : {}),
            reason,
          };
    proposals.push({
      entry,
      entity: key.entity,
      hosts,
      share,
      medianPeriodSeconds: median(periods),
      exampleNames: [...names].sort().slice(0, MAX_EXAMPLE_NAMES),
    });
  }
  proposals.sort((a, b) => b.hosts - a.hosts || a.entity.localeCompare(b.entity));
  return proposals;
}

/** Renders proposals as an `allowlist:` YAML block, each entry under a comment with its evidence. */
export function renderProposals(proposals: readonly Proposal[]): string {
  if (proposals.length === 0) return '';
  const lines = ['allowlist:'];
  for (const proposal of proposals) {
    const period =
      proposal.medianPeriodSeconds === null ? 'unknown' : `${round(proposal.medianPeriodSeconds)} s`;
    const examples = proposal.exampleNames.length > 0 ? `; names: ${proposal.exampleNames.join(', ')}` : '';
    lines.push(
      `  # ${countOf(proposal.hosts, 'host')} (${Math.round(proposal.share * 100)}% of sources); median period ${period}${examples}`,
    );
    // The YAML library quotes values that need it (a leading *, a colon), so the block parses back as written.
    const item = stringify([proposal.entry], { lineWidth: 0 }).trimEnd().split('\n');
    for (const line of item) lines.push(`  ${line}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Returns the longest run of labels that ends every name, and is at least `domain`, so that a proposal
 * for settings-win.data.microsoft.com and v10.events.data.microsoft.com is data.microsoft.com rather
 * than all of microsoft.com.
 */
function commonSuffix(names: readonly string[], domain: string): string {
  const under = names.filter((name) => name === domain || name.endsWith(`.${domain}`));
  if (under.length === 0) return domain;
  let suffix = under[0]!.split('.');
  for (const name of under.slice(1)) {
    const labels = name.split('.');
    let shared = 0;
    while (
      shared < suffix.length &&
      shared < labels.length &&
      suffix[suffix.length - 1 - shared] === labels[labels.length - 1 - shared]
    ) {
      shared += 1;
    }
    suffix = suffix.slice(suffix.length - shared);
  }
  const text = suffix.join('.');
  return text.length >= domain.length ? text : domain;
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function round(value: number): number {
  return value >= 100 ? Math.round(value) : Math.round(value * 10) / 10;
}
