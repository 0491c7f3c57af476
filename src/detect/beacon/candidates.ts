/**
 * The SQL side of the beacon detector: groups events by key inside the engine and returns, for pairs
 * with enough distinct connection times, the sorted times and sizes that the scoring needs.
 *
 * Keys:
 * - ip-port: (source, destination address, port);
 * - server-name: (source, TLS server name or HTTP Host), so rotating CDN addresses make one series;
 * - dns-domain: (source, registered domain of its DNS queries), for DNS beacons that ask for a fresh
 *   subdomain each time, as Atomic Red Team's T1071.004 test does;
 * - process: (source, process image, destination address, port), for Sysmon and EDR telemetry.
 */
import { registeredDomain } from '../../net/domain.js';
import type { Store } from '../../store/store.js';

export type BeaconKeyKind = 'ip-port' | 'server-name' | 'dns-domain' | 'process';

export interface CandidateSeries {
  key: BeaconKeyKind;
  sourceip: string;
  destinationip: string | null;
  destinationport: number | null;
  servername: string | null;
  /** Registered domain of a dns-domain key. */
  domain: string | null;
  /** Process image of a process key. */
  processimage: string | null;
  /**
   * Destination addresses of the series, up to MAX_KEPT_DESTINATIONS; the DNS servers asked, for a
   * dns-domain key.
   */
  destinations: string[];
  destinationCount: number;
  /** Query names of a dns-domain key, up to MAX_LISTED_NAMES, and how many distinct ones there were. */
  names: string[];
  nameCount: number;
  protocol: string | null;
  connections: number;
  failed: number;
  /**
   * True for the series of failed attempts of a key (no session established: refused, unanswered, reset
   * in the handshake). A key's failed and established connections are separate series, so that blocked
   * retries neither dilute nor pad a working channel's timing.
   */
  blocked: boolean;
  /** True when both ends of every connection are on local networks. */
  internal: boolean;
  times: number[];
  sizes: number[];
  /** Up to MAX_LISTED_VALUES distinct values of each, as evidence for a person to judge. */
  uris: string[];
  userAgents: string[];
  processes: string[];
  usernames: string[];
}

export interface CandidateQuery {
  windowStart: number;
  windowEnd: number;
  minConnections: number;
  /**
   * Times enough for a series whose mean gap is LONG_PERIOD_MS or more: a daily beacon gives only seven
   * connections in a week.
   */
  minLongPeriodConnections: number;
  /** Drop multicast and broadcast destinations, which carry protocol chatter rather than sessions. */
  skipMulticast: boolean;
}

/**
 * Destination addresses kept per series. More than the five a finding lists, because findings of one
 * beacon under several keys are merged by the addresses they share.
 */
export const MAX_KEPT_DESTINATIONS = 50;
const MAX_LISTED_VALUES = 3;
const MAX_LISTED_NAMES = 5;

/** Mean gap, ms, from which a series needs only minLongPeriodConnections times: one hour. */
export const LONG_PERIOD_MS = 3_600_000;

/** Names of a temporary table mapping each DNS query name to its registered domain. */
const NAME_DOMAINS_TABLE = 'beacon_name_domains';
/** Query names mapped per INSERT statement: two parameters each, well under engines' parameter limits. */
const NAME_DOMAIN_BATCH = 500;

/**
 * Zeek states in which no session was established: S0 (no reply), REJ (refused), RSTOS0 and RSTRH
 * (reset during the handshake), SH and SHR (half-open). See Zeek's conn.log documentation.
 */
export const FAILED_STATES = ['S0', 'REJ', 'RSTOS0', 'RSTRH', 'SH', 'SHR'] as const;

/** IPv4 multicast 224.0.0.0/4 (first octet 224–239), limited broadcast, and IPv6 multicast ff00::/8. */
const MULTICAST_SQL = `coalesce(
  (regexp_full_match(destinationip, '(22[4-9]|23[0-9])\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}')
   OR destinationip = '255.255.255.255'
   OR regexp_full_match(lower(destinationip), 'ff[0-9a-f]{2}:[0-9a-f:.]*')), false)`;

/**
 * ICMP error messages: destination unreachable (3), source quench (4), redirect (5), time exceeded (11)
 * and parameter problem (12). They report on other packets rather than start anything, so their timing
 * is that of the traffic they report on. Zeek writes the ICMP type as the originator port.
 */
const ICMP_ERROR_SQL = `coalesce(lower(protocol) = 'icmp' AND sourceport IN (3, 4, 5, 11, 12), false)`;

/** A server name that is an IPv4 address or a bracketed or bare IPv6 address. */
const ADDRESS_NAME_SQL = `(regexp_full_match(servername, '[0-9]{1,3}(\\.[0-9]{1,3}){3}')
   OR starts_with(servername, '[') OR contains(servername, ':'))`;

export async function fetchCandidates(store: Store, query: CandidateQuery): Promise<CandidateSeries[]> {
  const ipPairs = await store.all<CandidateSeries>(candidateSql('ip-port', query));
  const names = await store.all<CandidateSeries>(candidateSql('server-name', query));
  const processes = await store.all<CandidateSeries>(candidateSql('process', query));
  const domains = await fetchDomainCandidates(store, query);
  return [...ipPairs, ...names, ...processes, ...domains].map(withDefaults);
}

/** Fills the fields that only some keys' SQL produces. */
function withDefaults(candidate: Partial<CandidateSeries>): CandidateSeries {
  return {
    domain: null,
    processimage: null,
    names: [],
    nameCount: 0,
    ...candidate,
  } as CandidateSeries;
}

/**
 * Builds the candidate query in two steps: a cheap count per key finds the series long enough to score,
 * and only those get their time and size lists built. Building lists for every key first costs seconds
 * on a million events where most keys have one or two connections.
 */
/** Columns that identify a series of each key kind computed from the events table. */
const KEY_COLUMNS: Record<EventKeyKind, readonly string[]> = {
  'ip-port': ['sourceip', 'destinationip', 'destinationport'],
  'server-name': ['sourceip', 'name'],
  process: ['sourceip', 'processimage', 'destinationip', 'destinationport'],
};

const SELECT_KEY: Record<EventKeyKind, string> = {
  'ip-port': 'scoped.sourceip, scoped.destinationip, scoped.destinationport, NULL AS servername',
  'server-name': 'scoped.sourceip, NULL AS destinationip, NULL AS destinationport, scoped.name AS servername',
  process: `scoped.sourceip, scoped.destinationip, scoped.destinationport, NULL AS servername,
      scoped.processimage AS processimage`,
};

type EventKeyKind = Exclude<BeaconKeyKind, 'dns-domain'>;

function candidateSql(key: EventKeyKind, query: CandidateQuery): string {
  const failedList = FAILED_STATES.map((state) => `'${state}'`).join(', ');
  const where = [
    `starttime > ${Math.trunc(query.windowStart)}`,
    `starttime <= ${Math.trunc(query.windowEnd)}`,
    'sourceip IS NOT NULL',
    'destinationip IS NOT NULL',
  ];
  if (query.skipMulticast) where.push(`NOT ${MULTICAST_SQL}`);
  where.push(`NOT ${ICMP_ERROR_SQL}`);
  if (key === 'server-name') {
    // A Host header or SNI that is an address names nothing the ip-port key does not already group.
    where.push('servername IS NOT NULL', "servername <> ''", `NOT ${ADDRESS_NAME_SQL}`);
  }
  if (key === 'process') where.push('processimage IS NOT NULL', "processimage <> ''");

  const keyColumns = [...KEY_COLUMNS[key], 'blocked'];
  const joinOn = keyColumns
    .map((column) => `scoped.${column} IS NOT DISTINCT FROM qualified.${column}`)
    .join(' AND ');
  const selectKey = SELECT_KEY[key];
  const groupBy = keyColumns.map((column) => `scoped.${column}`).join(', ');

  return `WITH scoped AS (
      SELECT *, lower(servername) AS name, coalesce(connstate IN (${failedList}), false) AS blocked
        FROM events WHERE ${where.join(' AND ')}
    ),
    qualified AS (
      SELECT ${keyColumns.join(', ')} FROM scoped
      GROUP BY ${keyColumns.join(', ')} HAVING ${enoughTimesSql('count(*)', 'starttime', query)}
    )
    SELECT '${key}' AS key, ${selectKey}, scoped.blocked,
      list(DISTINCT scoped.destinationip ORDER BY scoped.destinationip)[1:${MAX_KEPT_DESTINATIONS}] AS destinations,
      count(DISTINCT scoped.destinationip) AS destinationCount,
      -- ORDER BY settles a tie for the most frequent protocol by name, whatever the stored row order.
      mode(scoped.protocol ORDER BY scoped.protocol) AS protocol,
      count(*) AS connections,
      count(*) FILTER (WHERE scoped.connstate IN (${failedList})) AS failed,
      bool_and(scoped.eventdirection = 'L2L') AS internal,
      list(DISTINCT scoped.starttime ORDER BY scoped.starttime) AS times,
      ${listedValuesSql('uri', 'uris')},
      ${listedValuesSql('useragent', 'userAgents')},
      ${listedValuesSql('processimage', 'processes')},
      ${listedValuesSql('username', 'usernames')},
      list(scoped.sourcebytes ORDER BY scoped.starttime) FILTER (WHERE scoped.sourcebytes IS NOT NULL) AS sizes
    FROM scoped JOIN qualified ON ${joinOn}
    GROUP BY ${groupBy}
    HAVING ${enoughTimesSql('count(DISTINCT scoped.starttime)', 'scoped.starttime', query)}`;
}

/**
 * Lists up to MAX_LISTED_VALUES distinct values in sorted order, so the values shown do not depend on the
 * order rows were stored in (which differs between engines and between imports of the same files).
 */
function listedValuesSql(column: string, alias: string): string {
  return `coalesce(list(DISTINCT scoped.${column} ORDER BY scoped.${column}) FILTER (WHERE scoped.${column} IS NOT NULL), [])[1:${MAX_LISTED_VALUES}] AS ${alias}`;
}

/**
 * Series of DNS queries per source and registered domain. The registered domain needs the Public Suffix
 * List, so each distinct query name is mapped in TypeScript once and the mapping is joined in SQL; the
 * queries themselves never leave the engine. Reverse lookups (.arpa) and multicast DNS (.local) are left
 * out: they name addresses and local services, not destinations.
 */
async function fetchDomainCandidates(store: Store, query: CandidateQuery): Promise<CandidateSeries[]> {
  const rows = await store.all<{ name: string }>(
    `SELECT DISTINCT lower(query) AS name FROM dns_queries WHERE ${namedQueriesSql('', query)}`,
  );
  const pairs: [string, string][] = [];
  for (const { name } of rows) {
    const domain = registeredDomain(name);
    if (domain !== null) pairs.push([name, domain]);
  }
  if (pairs.length === 0) return [];

  await store.run(`CREATE OR REPLACE TEMP TABLE ${NAME_DOMAINS_TABLE} (name VARCHAR, domain VARCHAR)`);
  try {
    for (let start = 0; start < pairs.length; start += NAME_DOMAIN_BATCH) {
      const batch = pairs.slice(start, start + NAME_DOMAIN_BATCH);
      await store.run(
        `INSERT INTO ${NAME_DOMAINS_TABLE} VALUES ${batch.map(() => '(?, ?)').join(', ')}`,
        batch.flat(),
      );
    }
    return await store.all<CandidateSeries>(`WITH scoped AS (
        SELECT q.sourceip, q.resolverip, q.starttime, lower(q.query) AS name, m.domain, q.rcode
          FROM dns_queries AS q JOIN ${NAME_DOMAINS_TABLE} AS m ON lower(q.query) = m.name
         WHERE ${namedQueriesSql('q.', query)}
      ),
      qualified AS (
        SELECT sourceip, domain FROM scoped GROUP BY sourceip, domain
        HAVING ${enoughTimesSql('count(*)', 'starttime', query)}
      )
      SELECT 'dns-domain' AS key, scoped.sourceip, NULL AS destinationip, NULL AS destinationport,
        NULL AS servername, scoped.domain AS domain, false AS blocked,
        coalesce(list(DISTINCT scoped.resolverip ORDER BY scoped.resolverip) FILTER (WHERE scoped.resolverip IS NOT NULL), [])[1:${MAX_KEPT_DESTINATIONS}] AS destinations,
        count(DISTINCT scoped.resolverip) AS destinationCount,
        list(DISTINCT scoped.name ORDER BY scoped.name)[1:${MAX_LISTED_NAMES}] AS names,
        count(DISTINCT scoped.name) AS nameCount,
        'dns' AS protocol,
        count(*) AS connections,
        0 AS failed,
        false AS internal,
        list(DISTINCT scoped.starttime ORDER BY scoped.starttime) AS times,
        [] AS uris, [] AS userAgents, [] AS processes, [] AS usernames,
        CAST([] AS BIGINT[]) AS sizes
      FROM scoped JOIN qualified ON scoped.sourceip = qualified.sourceip AND scoped.domain = qualified.domain
      GROUP BY scoped.sourceip, scoped.domain
      HAVING ${enoughTimesSql('count(DISTINCT scoped.starttime)', 'scoped.starttime', query)}`);
  } finally {
    await store.run(`DROP TABLE IF EXISTS ${NAME_DOMAINS_TABLE}`);
  }
}

/** Builds the condition on dns_queries rows (columns prefixed with `prefix`) of a domain series. */
function namedQueriesSql(prefix: string, query: CandidateQuery): string {
  const name = `lower(${prefix}query)`;
  return `${prefix}starttime > ${Math.trunc(query.windowStart)} AND ${prefix}starttime <= ${Math.trunc(query.windowEnd)}
      AND ${prefix}sourceip IS NOT NULL AND ${prefix}query IS NOT NULL
      AND NOT ends_with(${name}, '.arpa') AND NOT ends_with(${name}, '.local')`;
}

/**
 * Builds the HAVING condition of a series with enough times: `count` of them at least minConnections, or
 * at least minLongPeriodConnections when they span LONG_PERIOD_MS or more per gap.
 */
function enoughTimesSql(count: string, time: string, query: CandidateQuery): string {
  const minimum = Math.trunc(query.minConnections);
  const longMinimum = Math.min(minimum, Math.trunc(query.minLongPeriodConnections));
  if (longMinimum >= minimum) return `${count} >= ${minimum}`;
  return `(${count} >= ${minimum} OR (${count} >= ${longMinimum}
      AND max(${time}) - min(${time}) >= ${LONG_PERIOD_MS} * (${count} - 1)))`;
}
