/**
 * The names each destination address served in the data: DNS answers (query name → address) and the
 * TLS server names and HTTP Hosts seen on connections to the address. Suppression uses them so that an
 * allowlisted domain also hides the same host's bare-address findings ("IP twins").
 */
import { parseAddress } from '../net/locality.js';
import type { Store } from '../store/store.js';

/** Names kept per address; an address with more is a shared front end (a CDN edge) and is marked so. */
export const MAX_NAMES_PER_ADDRESS = 50;

export interface EntityLookup {
  /** Names the address served, lower case; empty when none is known. */
  namesOf(address: string): readonly string[];
}

export class EntityIndex implements EntityLookup {
  private readonly names = new Map<string, readonly string[]>();

  /** Adds names for an address; addresses are compared in canonical form (IPv6 compressed, lower case). */
  add(address: string, names: readonly string[]): void {
    const key = canonicalAddress(address);
    if (key === null) return;
    const merged = new Set([...(this.names.get(key) ?? []), ...names.map((name) => name.toLowerCase())]);
    this.names.set(key, [...merged]);
  }

  namesOf(address: string): readonly string[] {
    const key = canonicalAddress(address);
    return key === null ? [] : (this.names.get(key) ?? []);
  }

  get size(): number {
    return this.names.size;
  }
}

/** An index with no names, for subjects judged by their own fields only. */
export const NO_ENTITIES: EntityLookup = { namesOf: () => [] };

function canonicalAddress(address: string): string | null {
  const parsed = parseAddress(address);
  return parsed === null ? null : parsed.toString();
}

/**
 * Builds the index with SQL over the store. Pairs are made distinct in the engine, so the rows returned
 * are bounded by the distinct (address, name) pairs, not by the events. An address that served more than
 * MAX_NAMES_PER_ADDRESS names keeps that many plus the marker name `*` (which no pattern matches), so a
 * rule that needs every served name to match never hides a busy shared address.
 */
export async function loadEntityIndex(store: Pick<Store, 'all'>): Promise<EntityIndex> {
  const rows = await store.all<{ address: string; names: string[]; total: number }>(`
    WITH pairs AS (
      SELECT DISTINCT answer AS address, rtrim(lower(query), '.') AS name
      FROM (SELECT query, unnest(answers) AS answer FROM dns_queries WHERE answers IS NOT NULL AND query IS NOT NULL)
      WHERE regexp_full_match(answer, '[0-9]{1,3}(\\.[0-9]{1,3}){3}')
         OR (contains(answer, ':') AND regexp_full_match(answer, '[0-9A-Fa-f:.]+'))
      UNION
      SELECT DISTINCT destinationip AS address, rtrim(lower(servername), '.') AS name
      FROM events
      WHERE servername IS NOT NULL AND servername <> '' AND destinationip IS NOT NULL
    )
    SELECT address, list(name ORDER BY name)[1:${MAX_NAMES_PER_ADDRESS}] AS names, count(*) AS total
    FROM pairs
    WHERE name <> ''
    GROUP BY address`);
  const index = new EntityIndex();
  for (const row of rows) {
    index.add(row.address, row.total > MAX_NAMES_PER_ADDRESS ? [...row.names, '*'] : row.names);
  }
  return index;
}
