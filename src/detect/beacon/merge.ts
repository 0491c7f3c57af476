/**
 * One beacon is often seen under several keys. An HTTPS implant gives a (source, address, port) series, a
 * (source, server name) series over the same addresses, a (source, registered domain) series of its DNS
 * lookups and, with EDR data, a (source, process, address, port) series. This module groups the scored
 * series of one beacon so that it is reported once, under its strongest key, with the others attached.
 */
import { registeredDomain } from '../../net/domain.js';
import type { BeaconKeyKind } from './candidates.js';

/** The fields of a scored series that merging reads. */
export interface MergeItem {
  key: BeaconKeyKind;
  sourceip: string;
  destinationip: string | null;
  destinationport: number | null;
  servername: string | null;
  domain: string | null;
  /** Addresses of the series (up to the kept maximum). */
  destinations: readonly string[];
  periodSeconds: number;
  score: number;
  blocked: boolean;
}

export interface BeaconGroup<T> {
  primary: T;
  /** The same beacon under other keys, strongest first. */
  others: T[];
}

/**
 * Two series are taken for one beacon only when their periods agree: an address that a beacon shares with
 * unrelated traffic (a CDN edge, say) must not pull that traffic in. Periods agree when the longer is
 * within MULTIPLE_TOLERANCE of a whole multiple (up to MAX_MULTIPLE) of the shorter: a beacon that rotates
 * over four addresses reaches each one every fourth beat.
 */
const MULTIPLE_TOLERANCE = 0.2;
const MAX_MULTIPLE = 8;

/** Key kinds that appear at most once per group, so two different names never merge. */
const ONE_PER_GROUP: ReadonlySet<BeaconKeyKind> = new Set(['server-name', 'dns-domain']);

/**
 * Groups series by beacon. The strongest series not yet grouped starts a group, which then takes every
 * ungrouped series of the same source linked to one of its members, until no more join. Failed-attempt
 * series only group with failed-attempt series.
 */
export function groupByBeacon<T extends MergeItem>(items: readonly T[]): BeaconGroup<T>[] {
  const ordered = [...items].sort((a, b) => b.score - a.score);
  const grouped = new Set<T>();
  const bySource = new Map<string, T[]>();
  for (const item of ordered) {
    const list = bySource.get(item.sourceip) ?? [];
    list.push(item);
    bySource.set(item.sourceip, list);
  }

  const groups: BeaconGroup<T>[] = [];
  for (const primary of ordered) {
    if (grouped.has(primary)) continue;
    grouped.add(primary);
    const members: T[] = [primary];
    const kinds = new Set<BeaconKeyKind>([primary.key]);
    const sameSource = bySource.get(primary.sourceip) ?? [];
    let joined = true;
    while (joined) {
      joined = false;
      for (const candidate of sameSource) {
        if (grouped.has(candidate)) continue;
        if (ONE_PER_GROUP.has(candidate.key) && kinds.has(candidate.key)) continue;
        if (!members.some((member) => sameBeacon(member, candidate))) continue;
        grouped.add(candidate);
        members.push(candidate);
        kinds.add(candidate.key);
        joined = true;
      }
    }
    groups.push({ primary, others: members.slice(1).sort((a, b) => b.score - a.score) });
  }
  return groups;
}

/** True when two series of one source share an address, name or domain, with agreeing periods. */
export function sameBeacon(a: MergeItem, b: MergeItem): boolean {
  if (a.sourceip !== b.sourceip || a.blocked !== b.blocked) return false;
  if (!periodsAgree(a.periodSeconds, b.periodSeconds)) return false;
  return linked(a, b) || linked(b, a);
}

export function periodsAgree(a: number, b: number): boolean {
  if (a <= 0 || b <= 0) return a === b;
  const ratio = Math.max(a, b) / Math.min(a, b);
  const multiple = Math.round(ratio);
  return multiple <= MAX_MULTIPLE && Math.abs(ratio - multiple) <= MULTIPLE_TOLERANCE;
}

/** Tells whether series `a` links to series `b` as one beacon; callers check both directions. */
function linked(a: MergeItem, b: MergeItem): boolean {
  switch (a.key) {
    case 'ip-port':
      if (b.key === 'process')
        return a.destinationip === b.destinationip && a.destinationport === b.destinationport;
      if (b.key === 'server-name')
        return a.destinationip !== null && b.destinations.includes(a.destinationip);
      return false;
    case 'process':
      if (b.key === 'server-name')
        return a.destinationip !== null && b.destinations.includes(a.destinationip);
      return false;
    case 'server-name':
      if (b.key === 'dns-domain') {
        return a.servername !== null && b.domain !== null && registeredDomain(a.servername) === b.domain;
      }
      return false;
    case 'dns-domain':
      return false;
  }
}
