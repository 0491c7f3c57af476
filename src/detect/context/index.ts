/**
 * Context for beacon findings: how many sources talk to the destination (prevalence), when the store
 * first saw it, whether a threat-intelligence list names it, and which command-and-control defaults its
 * traffic shows. contextMultiplier turns a context into a bounded score factor.
 */
import type { Store } from '../../store/store.js';
import { httpIndicators, quote, sortIndicators, stagingIndicator, type Indicator } from './indicators.js';
import { matchIntel, type IntelHit, type IntelLists } from './intel.js';
import { isNewDestination } from './multiplier.js';
import {
  existingTables,
  queryDnsStaging,
  queryFirstSeen,
  queryHttp,
  queryObservedValues,
  queryPrevalence,
  type EntityRow,
  type FirstSeenRow,
  type HttpRow,
  type KeyRow,
  type PrevalenceRow,
  type ObservedValueRow,
  type StagingRow,
} from './queries.js';
import { DEFAULT_CONTEXT_SETTINGS, type ContextSettings } from './settings.js';
import { DNS_QUERIES_TABLE, FLOW_HTTP_TABLE } from '../../store/schema.js';

export { contextMultiplier, MAX_FACTOR, MIN_FACTOR, type ContextMultiplier } from './multiplier.js';
export {
  addIntelList,
  emptyIntelLists,
  loadIntelLists,
  matchIntel,
  type IntelHit,
  type IntelListSummary,
  type IntelLists,
  type IntelProblem,
} from './intel.js';
export { INDICATOR_WEIGHTS, type Indicator, type IndicatorId } from './indicators.js';
export {
  ContextConfigSchema,
  contextSettingsFromConfig,
  DEFAULT_CONTEXT_SETTINGS,
  type ContextConfig,
  type ContextSettings,
} from './settings.js';

/**
 * The destination entity of one finding. For an ip-port finding pass its address and port; for a
 * server-name finding pass its name and a null port. The addresses of a server-name finding are best
 * left out when they belong to a CDN, because every site on a shared address would count towards its
 * prevalence and first sighting.
 */
export interface ContextKey {
  sourceip: string;
  destinationips: string[];
  names: string[];
  destinationport: number | null;
}

export interface FindingContext {
  /**
   * Distinct sources in the window that contacted the entity (any of its addresses or names), among the
   * sources of the same locality as the finding's source: local sources when it is local (direction
   * L2R or L2L), remote ones otherwise. `share` is sources / ofSources, 0 when ofSources is 0.
   */
  prevalence: { sources: number; ofSources: number; share: number; scope: 'local' | 'remote' };
  /**
   * Earliest event to the entity in the whole store, from any source, and how far it lies before the
   * window end and after the store's earliest event. Null when the store has no event to the entity.
   */
  firstSeen: {
    epochMs: number;
    iso: string;
    daysBeforeWindowEnd: number;
    daysAfterStoreStart: number;
  } | null;
  intel: IntelHit[];
  indicators: Indicator[];
  /** Reasons for the finding's `why` list, each with its numbers. */
  phrases: string[];
}

export interface LoadContextOptions {
  /** The analysis window: events with windowStart < starttime <= windowEnd, epoch ms. */
  windowStart: number;
  windowEnd: number;
  intel?: IntelLists;
  settings?: Partial<ContextSettings>;
}

const DAY_MS = 86_400_000;

/**
 * Loads the context of every key with one query per kind (prevalence, first seen, HTTP requests, and,
 * when needed, observed names and DNS staging queries), whatever the number of keys. Returns one context
 * per key, in the order of `keys`.
 */
export async function loadContext(
  store: Store,
  keys: ContextKey[],
  options: LoadContextOptions,
): Promise<FindingContext[]> {
  if (keys.length === 0) return [];
  const settings: ContextSettings = { ...DEFAULT_CONTEXT_SETTINGS, ...options.settings };
  const rows = keys.map(toKeyRow);
  const window = { start: options.windowStart, end: options.windowEnd };
  const tables = await existingTables(store);
  const intel = options.intel;
  const hasIntel =
    intel !== undefined && (intel.addresses.size > 0 || intel.networks.size > 0 || intel.domains.size > 0);

  const entities = distinctEntities(rows);
  const prevalence = prevalenceLookup(
    await queryPrevalence(store, entities.rows, [...new Set(rows.map((row) => row.s))], window),
  );
  const firstSeen = byEntity(await queryFirstSeen(store, entities.rows));
  const http = groupByKey<HttpRow>(await queryHttp(store, rows, window, tables.has(FLOW_HTTP_TABLE)));
  const observed = hasIntel
    ? groupByKey<ObservedValueRow>(
        await queryObservedValues(store, rows, window, tables.has(DNS_QUERIES_TABLE)),
      )
    : new Map<number, ObservedValueRow[]>();
  const staging = tables.has(DNS_QUERIES_TABLE)
    ? groupByKey<StagingRow>(await queryDnsStaging(store, rows, window))
    : new Map<number, StagingRow[]>();

  return rows.map((key) => {
    const entity = entities.ofKey[key.k] as number;
    const local = prevalence.localSources.has(key.s);
    const sources = prevalence.contacts.get(`${entity}/${local}`) ?? 0;
    const ofSources = prevalence.population.get(local) ?? 0;
    const context: FindingContext = {
      prevalence: {
        sources,
        ofSources,
        share: ofSources === 0 ? 0 : sources / ofSources,
        scope: local ? 'local' : 'remote',
      },
      firstSeen: firstSeenOf(firstSeen.get(entity), options.windowEnd),
      intel: hasIntel ? intelHits(intel, key, observed.get(key.k) ?? []) : [],
      indicators: [],
      phrases: [],
    };
    const indicators = httpIndicators(http.get(key.k) ?? [], settings);
    const staged = stagingIndicator(key, staging.get(key.k) ?? []);
    context.indicators = sortIndicators(staged === null ? indicators : [staged, ...indicators]);
    context.phrases = describeContext(context, settings);
    return context;
  });
}

function toKeyRow(key: ContextKey, index: number): KeyRow {
  return {
    k: index,
    s: key.sourceip,
    ips: [...new Set(key.destinationips)],
    // Server names in the events table keep their case; the queries compare lower case on both sides.
    names: [...new Set(key.names.map((name) => name.trim().toLowerCase().replace(/\.$/, '')))].filter(
      (name) => name !== '',
    ),
    port: key.destinationport,
  };
}

function firstSeenOf(
  row: { firstSeen: number | null; storeStart: number | null } | undefined,
  windowEnd: number,
): FindingContext['firstSeen'] {
  if (row?.firstSeen === null || row?.firstSeen === undefined) return null;
  const epochMs = row.firstSeen;
  return {
    epochMs,
    iso: new Date(epochMs).toISOString(),
    daysBeforeWindowEnd: round((windowEnd - epochMs) / DAY_MS, 3),
    daysAfterStoreStart: round((epochMs - (row.storeStart ?? epochMs)) / DAY_MS, 3),
  };
}

function intelHits(intel: IntelLists, key: KeyRow, observed: readonly ObservedValueRow[]): IntelHit[] {
  const addresses = new Set(key.ips);
  const names = new Set(key.names);
  for (const row of observed) (row.kind === 'address' ? addresses : names).add(row.value);
  return matchIntel(intel, [...addresses], [...names]);
}

/** Writes the context as short reasons, strongest first, each with the number behind it. */
export function describeContext(
  context: FindingContext,
  settings: ContextSettings = DEFAULT_CONTEXT_SETTINGS,
): string[] {
  const phrases: string[] = [];
  for (const hit of context.intel) {
    const entry = hit.entry === hit.matched ? '' : ` (entry ${hit.entry})`;
    phrases.push(`${quote(hit.matched)} is on threat list ${hit.list}${entry}`);
  }
  for (const indicator of context.indicators) phrases.push(indicator.detail);

  const { sources, ofSources, scope } = context.prevalence;
  if (ofSources >= settings.prevalenceMinSources) {
    const population = `${ofSources} ${scope} sources`;
    if (sources === 1) phrases.push(`the only one of ${population} to contact this destination`);
    else
      phrases.push(`${sources} of ${population} (${percent(sources / ofSources)}) contact this destination`);
  }

  const firstSeen = context.firstSeen;
  if (firstSeen !== null && isNewDestination(firstSeen, settings)) {
    phrases.push(
      `destination new: first seen ${formatDays(firstSeen.daysBeforeWindowEnd)} before the window end, ` +
        `after ${formatDays(firstSeen.daysAfterStoreStart)} of history`,
    );
  }
  return phrases;
}

/** Numbers the distinct address and name sets of the keys, and maps each key to its entity. */
function distinctEntities(keys: readonly KeyRow[]): { rows: EntityRow[]; ofKey: number[] } {
  const bySignature = new Map<string, number>();
  const rows: EntityRow[] = [];
  const ofKey = keys.map((key) => {
    const ips = [...key.ips].sort();
    const names = [...key.names].sort();
    const signature = JSON.stringify([ips, names]);
    let entity = bySignature.get(signature);
    if (entity === undefined) {
      entity = rows.length;
      bySignature.set(signature, entity);
      rows.push({ e: entity, ips, names });
    }
    return entity;
  });
  return { rows, ofKey };
}

function prevalenceLookup(rows: readonly PrevalenceRow[]): {
  contacts: Map<string, number>;
  population: Map<boolean, number>;
  localSources: Set<string>;
} {
  const contacts = new Map<string, number>();
  const population = new Map<boolean, number>();
  const localSources = new Set<string>();
  for (const row of rows) {
    if (row.kind === 'contacts') contacts.set(`${row.e}/${row.local}`, row.n ?? 0);
    else if (row.kind === 'population') population.set(row.local, row.n ?? 0);
    else if (row.local && row.sourceip !== null) localSources.add(row.sourceip);
  }
  return { contacts, population, localSources };
}

function byEntity(rows: readonly FirstSeenRow[]): Map<number, FirstSeenRow> {
  return new Map(rows.map((row) => [row.e, row]));
}

function groupByKey<T extends { k: number }>(rows: readonly T[]): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const row of rows) {
    const group = groups.get(row.k);
    if (group) group.push(row);
    else groups.set(row.k, [row]);
  }
  return groups;
}

/** Formats a duration given in days as hours below two days, else as days, with one decimal. */
function formatDays(days: number): string {
  return days < 2 ? `${(days * 24).toFixed(1)} h` : `${days.toFixed(1)} days`;
}

/** Formats a share as a percentage, with one decimal near 0 and 100 % so that neither is rounded away. */
export function percent(fraction: number): string {
  const value = fraction * 100;
  const nearEnd = (value > 0 && value < 1) || (value > 99 && value < 100);
  return nearEnd ? `${(Math.floor(value * 10) / 10).toFixed(1)}%` : `${Math.round(value)}%`;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
