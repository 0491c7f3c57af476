/**
 * The SQL side of the finding context. Every query takes all keys at once, as one JSON parameter that
 * DuckDB unnests into a table, so a thousand findings cost one query per kind rather than a thousand.
 * A parameter rather than a temporary table keeps the queries usable on a dataset opened read-only.
 *
 * Parameters: $1 the keys, $2 and $3 the window as `starttime > $2 AND starttime <= $3` (epoch ms), the
 * same bounds as the beacon detector's candidate query. Prevalence and first seen take distinct
 * destination entities in $1 instead of keys, and prevalence takes the keys' sources in $4.
 */
import { DNS_QUERIES_TABLE, EVENTS_TABLE, FLOW_HTTP_TABLE } from '../../store/schema.js';
import type { SqlValue, Store } from '../../store/store.js';

/** One finding's destination entity, numbered by its position in the caller's list. */
export interface KeyRow {
  k: number;
  s: string;
  ips: string[];
  names: string[];
  port: number | null;
}

/**
 * A destination entity: the addresses and names of one or more keys. Keys with the same entity share
 * one row, so that a thousand findings on one busy server do not multiply the events joined to it.
 */
export interface EntityRow {
  e: number;
  ips: string[];
  names: string[];
}

/**
 * One row of queryPrevalence. `contacts`: sources of locality `local` that contacted entity `e`;
 * `population`: all sources of locality `local` in the window; `source`: the locality of `sourceip`,
 * one of the keys' sources. `n` is null for `source` rows, `e` is null except for `contacts` rows.
 */
export interface PrevalenceRow {
  kind: 'contacts' | 'population' | 'source';
  e: number | null;
  local: boolean;
  n: number | null;
  sourceip: string | null;
}

export interface FirstSeenRow {
  e: number;
  firstSeen: number | null;
  storeStart: number | null;
}

/**
 * One aggregate over a series' HTTP requests, by `kind`:
 * - `requests`: all requests;
 * - `missing-host`: requests without a Host header;
 * - `user-agent`: requests per User-Agent value (NULL for none), with the sources that sent the value
 *   anywhere in the window;
 * - `uri`: requests to a Cobalt Strike default path, per path and lower-case host.
 */
export interface HttpRow {
  k: number;
  kind: 'requests' | 'missing-host' | 'user-agent' | 'uri';
  value: string | null;
  host: string | null;
  n: number;
  sources: number | null;
}

export interface ObservedValueRow {
  k: number;
  kind: 'address' | 'name';
  value: string;
}

export interface StagingRow {
  k: number;
  query: string;
  resolverip: string | null;
  n: number;
}

/** Paths of the default Cobalt Strike HTTP GET and POST profiles, without query string. */
export const C2_DEFAULT_PATHS = ['/pixel.gif', '/__utm.gif', '/ga.js', '/dpixel', '/submit.php'] as const;

/** Cobalt Strike DNS staging queries start with this label pair; the following stages use baa., caa. ... */
export const DNS_STAGING_PREFIX = 'aaa.stage.';

const KEYS_TYPE = JSON.stringify([
  { k: 'INTEGER', s: 'VARCHAR', ips: 'VARCHAR[]', names: 'VARCHAR[]', port: 'INTEGER' },
]);

const ENTITIES_TYPE = JSON.stringify([{ e: 'INTEGER', ips: 'VARCHAR[]', names: 'VARCHAR[]' }]);

const WINDOW = (alias: string): string => `${alias}.starttime > $2 AND ${alias}.starttime <= $3`;

/** The entities table and its addresses and names, one row per (entity, address) and (entity, name). */
const ENTITIES_CTE = `entities AS (
    SELECT unnest(from_json($1::JSON, '${ENTITIES_TYPE}'), recursive := true)
  ),
  entity_ips AS (SELECT DISTINCT e, unnest(ips) AS ip FROM entities),
  entity_names AS (SELECT DISTINCT e, unnest(names) AS name FROM entities)`;

/** The keys table and its address and name entities, one row per (key, address) and (key, name). */
const KEYS_CTE = `keys AS (
    SELECT unnest(from_json($1::JSON, '${KEYS_TYPE}'), recursive := true)
  ),
  entity_ips AS (SELECT DISTINCT k, s, port, unnest(ips) AS ip FROM keys),
  entity_names AS (SELECT DISTINCT k, s, port, unnest(names) AS name FROM keys)`;

/**
 * The events of each key's series in the window: from the key's source, to one of its addresses or
 * names, and to its port when the key has one. An event that matches by address and by name is kept once.
 */
const SERIES_CTE = `series AS (
    SELECT e.k, ev.rowid AS eventrow, ev.uid, ev.destinationip, ev.servername, ev.uri, ev.useragent
      FROM ${EVENTS_TABLE} ev JOIN entity_ips e ON ev.sourceip = e.s AND ev.destinationip = e.ip
     WHERE ${WINDOW('ev')} AND (e.port IS NULL OR ev.destinationport = e.port)
    UNION
    SELECT e.k, ev.rowid, ev.uid, ev.destinationip, ev.servername, ev.uri, ev.useragent
      FROM ${EVENTS_TABLE} ev JOIN entity_names e ON ev.sourceip = e.s AND lower(ev.servername) = e.name
     WHERE ${WINDOW('ev')} AND (e.port IS NULL OR ev.destinationport = e.port)
  )`;

/** The analysis window: events with `start < starttime <= end`, epoch ms. */
export interface ContextWindow {
  start: number;
  end: number;
}

function parameters(keys: readonly KeyRow[], window: ContextWindow): SqlValue[] {
  return [JSON.stringify(keys), Math.trunc(window.start), Math.trunc(window.end)];
}

/** Lists which of the optional side tables exist in the store's main schema. */
export async function existingTables(store: Store): Promise<Set<string>> {
  const rows = await store.all<{ name: string }>(
    `SELECT table_name AS name FROM duckdb_tables()
      WHERE database_name = current_database() AND schema_name = 'main' AND table_name IN (?, ?)`,
    [FLOW_HTTP_TABLE, DNS_QUERIES_TABLE],
  );
  return new Set(rows.map((row) => row.name));
}

/**
 * Counts, per entity and locality, the distinct sources in the window that contacted any of the
 * entity's addresses or names. Also counts the sources of each locality in the window, and returns the
 * locality of each of `sources`. A source is local when any of its events in the window has direction
 * L2R or L2L, and remote otherwise, including when it has no direction.
 */
export function queryPrevalence(
  store: Store,
  entities: readonly EntityRow[],
  sources: readonly string[],
  window: ContextWindow,
): Promise<PrevalenceRow[]> {
  return store.all<PrevalenceRow>(
    `WITH ${ENTITIES_CTE},
    scoped AS (
      SELECT ev.sourceip, ev.destinationip, lower(ev.servername) AS name, ev.eventdirection
        FROM ${EVENTS_TABLE} ev WHERE ${WINDOW('ev')} AND ev.sourceip IS NOT NULL
    ),
    sources AS (
      SELECT sourceip, bool_or(coalesce(eventdirection IN ('L2R', 'L2L'), false)) AS local
        FROM scoped GROUP BY sourceip
    ),
    contacts AS (
      SELECT e.e, scoped.sourceip FROM scoped JOIN entity_ips e ON scoped.destinationip = e.ip
      UNION
      SELECT e.e, scoped.sourceip FROM scoped JOIN entity_names e ON scoped.name = e.name
    )
    SELECT 'contacts' AS kind, contacts.e, sources.local, count(*) AS n, NULL AS sourceip
      FROM contacts JOIN sources USING (sourceip) GROUP BY contacts.e, sources.local
    UNION ALL
    SELECT 'population', NULL, local, count(*), NULL FROM sources GROUP BY local
    UNION ALL
    SELECT 'source', NULL, local, NULL, sourceip FROM sources
     WHERE sourceip IN (SELECT unnest(from_json($4::JSON, '["VARCHAR"]')))`,
    [JSON.stringify(entities), Math.trunc(window.start), Math.trunc(window.end), JSON.stringify(sources)],
  );
}

/**
 * Finds, per entity, the earliest event in the whole store (not only the window) to any of its
 * addresses or names, from any source, and the earliest event of the store.
 */
export function queryFirstSeen(store: Store, entities: readonly EntityRow[]): Promise<FirstSeenRow[]> {
  return store.all<FirstSeenRow>(
    `WITH ${ENTITIES_CTE},
    hits AS (
      SELECT e.e, min(ev.starttime) AS first
        FROM ${EVENTS_TABLE} ev JOIN entity_ips e ON ev.destinationip = e.ip GROUP BY e.e
      UNION ALL
      SELECT e.e, min(ev.starttime)
        FROM ${EVENTS_TABLE} ev JOIN entity_names e ON lower(ev.servername) = e.name GROUP BY e.e
    )
    SELECT entities.e, min(hits.first) AS firstSeen, (SELECT min(starttime) FROM ${EVENTS_TABLE}) AS storeStart
      FROM entities LEFT JOIN hits ON hits.e = entities.e GROUP BY entities.e`,
    [JSON.stringify(entities)],
  );
}

/**
 * Aggregates the HTTP requests of each series (see HttpRow). With the HTTP side table, every request of
 * a keep-alive connection counts and the Host header is the one the client sent. Without it, each event
 * with a URI is one request, and its server name is used as the Host header.
 */
export function queryHttp(
  store: Store,
  keys: readonly KeyRow[],
  window: ContextWindow,
  hasFlowHttp: boolean,
): Promise<HttpRow[]> {
  const requests = hasFlowHttp
    ? `requests AS (
        SELECT series.k, h.uri, h.host, h.user_agent AS useragent
          FROM series JOIN ${FLOW_HTTP_TABLE} h ON h.uid = series.uid
        UNION ALL
        SELECT k, uri, servername, useragent FROM series
         WHERE uri IS NOT NULL
           AND (uid IS NULL OR NOT EXISTS (SELECT 1 FROM ${FLOW_HTTP_TABLE} h WHERE h.uid = series.uid))
      )`
    : `requests AS (SELECT k, uri, servername AS host, useragent FROM series WHERE uri IS NOT NULL)`;
  const windowAgents = hasFlowHttp
    ? `SELECT ev.useragent, ev.sourceip FROM ${EVENTS_TABLE} ev
        WHERE ${WINDOW('ev')} AND ev.useragent IN (SELECT useragent FROM series_agents)
       UNION ALL
       SELECT h.user_agent, ev.sourceip FROM ${FLOW_HTTP_TABLE} h JOIN ${EVENTS_TABLE} ev ON ev.uid = h.uid
        WHERE ${WINDOW('ev')} AND h.user_agent IN (SELECT useragent FROM series_agents)`
    : `SELECT ev.useragent, ev.sourceip FROM ${EVENTS_TABLE} ev
        WHERE ${WINDOW('ev')} AND ev.useragent IN (SELECT useragent FROM series_agents)`;
  const paths = C2_DEFAULT_PATHS.map((path) => `'${path}'`).join(', ');

  return store.all<HttpRow>(
    `WITH ${KEYS_CTE}, ${SERIES_CTE},
    ${requests},
    series_agents AS (SELECT DISTINCT useragent FROM requests WHERE useragent IS NOT NULL),
    agent_sources AS (
      SELECT useragent, count(DISTINCT sourceip) AS sources FROM (${windowAgents}) GROUP BY useragent
    ),
    paths AS (
      -- A proxy logs the absolute URI (http://host/path), so scheme and authority are dropped first.
      SELECT k, split_part(regexp_replace(uri, '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*', ''), '?', 1) AS path, host
        FROM requests
    )
    SELECT k, 'requests' AS kind, NULL AS value, NULL AS host, count(*) AS n, NULL AS sources
      FROM requests GROUP BY k
    UNION ALL
    SELECT k, 'missing-host', NULL, NULL, count(*), NULL
      FROM requests WHERE host IS NULL OR trim(host) = '' GROUP BY k
    UNION ALL
    SELECT requests.k, 'user-agent', requests.useragent, NULL, count(*), any_value(agent_sources.sources)
      FROM requests LEFT JOIN agent_sources ON agent_sources.useragent = requests.useragent
     GROUP BY requests.k, requests.useragent
    UNION ALL
    SELECT k, 'uri', path, lower(host), count(*), NULL
      FROM paths WHERE path IN (${paths}) GROUP BY k, path, lower(host)`,
    parameters(keys, window),
  );
}

/**
 * Lists the addresses and names each series reached in the window, for threat-intelligence lookups:
 * its destination addresses and server names, and the names its source looked up in DNS that resolved
 * to one of the key's addresses.
 */
export function queryObservedValues(
  store: Store,
  keys: readonly KeyRow[],
  window: ContextWindow,
  hasDnsQueries: boolean,
): Promise<ObservedValueRow[]> {
  const resolved = hasDnsQueries
    ? `UNION
       SELECT e.k, 'name', lower(answer.query) FROM (
         SELECT sourceip, query, unnest(answers) AS address FROM ${DNS_QUERIES_TABLE} q
          WHERE ${WINDOW('q')} AND query IS NOT NULL AND len(answers) > 0
       ) AS answer JOIN entity_ips e ON answer.sourceip = e.s AND answer.address = e.ip`
    : '';
  return store.all<ObservedValueRow>(
    `WITH ${KEYS_CTE}, ${SERIES_CTE}
    SELECT k, 'address' AS kind, destinationip AS value FROM series WHERE destinationip IS NOT NULL
    UNION
    SELECT k, 'name', lower(servername) FROM series WHERE servername IS NOT NULL AND servername <> ''
    ${resolved}`,
    parameters(keys, window),
  );
}

/**
 * Lists, per key, the DNS queries in the window from the key's source whose name starts with the Cobalt
 * Strike staging prefix. The caller keeps those sent to one of the key's addresses or below one of its
 * names.
 */
export function queryDnsStaging(
  store: Store,
  keys: readonly KeyRow[],
  window: ContextWindow,
): Promise<StagingRow[]> {
  return store.all<StagingRow>(
    `WITH ${KEYS_CTE}
    SELECT keys.k, lower(q.query) AS query, q.resolverip, count(*) AS n
      FROM ${DNS_QUERIES_TABLE} q JOIN keys ON q.sourceip = keys.s
     WHERE ${WINDOW('q')} AND starts_with(lower(q.query), '${DNS_STAGING_PREFIX}')
     GROUP BY keys.k, lower(q.query), q.resolverip`,
    parameters(keys, window),
  );
}
