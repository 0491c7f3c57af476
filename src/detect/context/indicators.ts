/**
 * Indicators of command-and-control defaults in a series' HTTP requests and its source's DNS queries.
 * They cover framework default paths and User-Agents, headers of scripting tools and old browsers,
 * User-Agents that almost no other host sends, requests without a Host header, and DNS staging names.
 */
import { registeredDomain } from '../../net/domain.js';

import type { ContextSettings } from './settings.js';
import type { HttpRow, KeyRow, StagingRow } from './queries.js';
import { classifyUserAgent, isMainstreamBrowser, type UserAgentKind } from './user-agent.js';

export interface Indicator {
  id: IndicatorId;
  /** The observation, with the value and how often it was seen. */
  detail: string;
  /** How much the indicator raises the score: the factor is 1 + weight. */
  weight: number;
}

export type IndicatorId =
  | 'c2-default-uri'
  | 'dns-staging-name'
  | 'missing-host'
  | 'c2-default-user-agent'
  | 'outdated-user-agent'
  | 'tool-user-agent'
  | 'empty-user-agent'
  | 'short-user-agent'
  | 'rare-user-agent';

/**
 * Full weights, in the order indicators are listed. Request-level indicators are scaled by the share of the series' HTTP requests that show
 * them, so one odd request among thousands barely counts. The specific framework defaults weigh most; a
 * tool or short header also comes from scripts and appliances that are not C2, so it weighs least.
 */
export const INDICATOR_WEIGHTS: Readonly<Record<IndicatorId, number>> = {
  'dns-staging-name': 0.3,
  'c2-default-user-agent': 0.25,
  'missing-host': 0.2,
  'c2-default-uri': 0.15,
  'outdated-user-agent': 0.15,
  'empty-user-agent': 0.15,
  'tool-user-agent': 0.1,
  'short-user-agent': 0.1,
  'rare-user-agent': 0.1,
};

const USER_AGENT_INDICATOR: Readonly<Record<UserAgentKind, IndicatorId>> = {
  empty: 'empty-user-agent',
  'c2-default': 'c2-default-user-agent',
  tool: 'tool-user-agent',
  outdated: 'outdated-user-agent',
  short: 'short-user-agent',
};

/**
 * Registered domains whose own analytics scripts and beacons use the paths that Cobalt Strike copied
 * (`/__utm.gif`, `/ga.js`), so a request to them is not evidence.
 */
const ANALYTICS_DOMAINS = new Set(['google-analytics.com', 'googletagmanager.com', 'doubleclick.net']);

/** Maximum length of a value quoted in a detail, because User-Agents and names from the network can be long. */
const MAX_QUOTED_LENGTH = 80;

interface Tally {
  requests: number;
  values: Map<string, number>;
  reason: string;
}

/** Builds the HTTP indicators of one key from its rows of queryHttp. */
export function httpIndicators(rows: readonly HttpRow[], settings: ContextSettings): Indicator[] {
  const requests = rows.find((row) => row.kind === 'requests')?.n ?? 0;
  if (requests === 0) return [];
  const indicators: Indicator[] = [];
  const share = (count: number): number => round(count / requests, 3);
  const ofRequests = (count: number): string => {
    if (count < requests) return `on ${count} of ${requests} HTTP requests`;
    return requests === 1 ? 'on the only HTTP request' : `on all ${requests} HTTP requests`;
  };

  const uriRows = rows.filter((row) => row.kind === 'uri' && !isAnalyticsHost(row.host));
  if (uriRows.length > 0) {
    const byPath = new Map<string, number>();
    for (const row of uriRows) byPath.set(row.value ?? '', (byPath.get(row.value ?? '') ?? 0) + row.n);
    const count = sum([...byPath.values()]);
    const paths = [...byPath.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    indicators.push({
      id: 'c2-default-uri',
      detail: `Cobalt Strike default URI ${paths.map(([path]) => path).join(', ')} ${ofRequests(count)}`,
      weight: round(INDICATOR_WEIGHTS['c2-default-uri'] * share(count), 3),
    });
  }

  const missingHost = rows.find((row) => row.kind === 'missing-host')?.n ?? 0;
  if (missingHost > 0) {
    indicators.push({
      id: 'missing-host',
      detail: `no Host header ${ofRequests(missingHost)}`,
      weight: round(INDICATOR_WEIGHTS['missing-host'] * share(missingHost), 3),
    });
  }

  const tallies = new Map<IndicatorId, Tally>();
  const tally = (id: IndicatorId, value: string, count: number, reason: string): void => {
    const entry = tallies.get(id) ?? { requests: 0, values: new Map<string, number>(), reason };
    entry.requests += count;
    entry.values.set(value, (entry.values.get(value) ?? 0) + count);
    tallies.set(id, entry);
  };
  for (const row of rows) {
    if (row.kind !== 'user-agent') continue;
    const odd = classifyUserAgent(row.value, settings.shortUserAgentMaxLength);
    if (odd !== null) tally(USER_AGENT_INDICATOR[odd.kind], row.value ?? '', row.n, odd.reason);
    const text = (row.value ?? '').trim();
    const sources = row.sources ?? 0;
    if (text !== '' && sources <= settings.rareUserAgentMaxSources && !isMainstreamBrowser(text)) {
      const hosts =
        sources === 1 ? 'sent by 1 source in the window' : `sent by ${sources} sources in the window`;
      tally('rare-user-agent', row.value ?? '', row.n, hosts);
    }
  }
  for (const [id, entry] of tallies) {
    indicators.push({
      id,
      detail: userAgentDetail(id, entry, ofRequests(entry.requests)),
      weight: round(INDICATOR_WEIGHTS[id] * share(entry.requests), 3),
    });
  }
  return sortIndicators(indicators);
}

/** Sorts indicators into the order of INDICATOR_WEIGHTS, so output does not depend on row order. */
export function sortIndicators(indicators: Indicator[]): Indicator[] {
  const order = Object.keys(INDICATOR_WEIGHTS);
  return indicators.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
}

function userAgentDetail(id: IndicatorId, entry: Tally, frequency: string): string {
  if (id === 'empty-user-agent') return `no User-Agent ${frequency}`;
  const values = [...entry.values.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const [top = ''] = values[0] ?? [];
  const others = values.length > 1 ? ` (and ${values.length - 1} other values)` : '';
  const label = id === 'rare-user-agent' ? 'rare User-Agent' : 'User-Agent';
  return `${label} ${quote(top)}${others}, ${entry.reason}, ${frequency}`;
}

/**
 * Builds the DNS staging indicator of one key from its rows of queryDnsStaging. A query counts when it
 * went to one of the key's addresses (a DNS beacon through that resolver) or asked for a name at or below
 * one of the key's names.
 */
export function stagingIndicator(key: KeyRow, rows: readonly StagingRow[]): Indicator | null {
  const matching = rows.filter(
    (row) =>
      (row.resolverip !== null && key.ips.includes(row.resolverip)) ||
      key.names.some((name) => row.query === name || row.query.endsWith(`.${name}`)),
  );
  if (matching.length === 0) return null;
  const count = sum(matching.map((row) => row.n));
  const names = new Set(matching.map((row) => row.query));
  const [first] = [...names].sort();
  const others = names.size > 1 ? ` (and ${names.size - 1} other names)` : '';
  return {
    id: 'dns-staging-name',
    detail: `Cobalt Strike DNS staging name ${quote(first ?? '')}${others} in ${count} ${count === 1 ? 'query' : 'queries'}`,
    weight: INDICATOR_WEIGHTS['dns-staging-name'],
  };
}

function isAnalyticsHost(host: string | null): boolean {
  if (host === null || host.trim() === '') return false;
  const domain = registeredDomain(host.trim().replace(/:\d+$/, ''));
  return domain !== null && ANALYTICS_DOMAINS.has(domain);
}

/** Quotes a value from the network for a detail, shortened to MAX_QUOTED_LENGTH characters. */
export function quote(value: string): string {
  const shown = value.length > MAX_QUOTED_LENGTH ? `${value.slice(0, MAX_QUOTED_LENGTH - 1)}…` : value;
  return `"${shown}"`;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
