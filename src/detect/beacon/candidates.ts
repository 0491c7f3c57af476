/**
 * The SQL side of the beacon detector: groups events by key inside the engine and returns, for pairs
 * with enough distinct connection times, the sorted times and sizes that the scoring needs.
 */
import type { Store } from '../../store/store.js';

export type BeaconKeyKind = 'ip-port' | 'server-name';

export interface CandidateSeries {
  key: BeaconKeyKind;
  sourceip: string;
  destinationip: string | null;
  destinationport: number | null;
  servername: string | null;
  /** Up to MAX_LISTED_DESTINATIONS destination addresses seen under a server-name key. */
  destinations: string[];
  destinationCount: number;
  protocol: string | null;
  connections: number;
  failed: number;
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
  /** Drop multicast and broadcast destinations, which carry protocol chatter rather than sessions. */
  skipMulticast: boolean;
}

const MAX_LISTED_DESTINATIONS = 5;
const MAX_LISTED_VALUES = 3;

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

export async function fetchCandidates(store: Store, query: CandidateQuery): Promise<CandidateSeries[]> {
  const ipPairs = await store.all<CandidateSeries>(candidateSql('ip-port', query));
  const names = await store.all<CandidateSeries>(candidateSql('server-name', query));
  return [...ipPairs, ...names];
}

/**
 * Builds the candidate query in two steps: a cheap count per key finds the series long enough to score,
 * and only those get their time and size lists built. Building lists for every key first costs seconds
 * on a million events where most keys have one or two connections.
 */
function candidateSql(key: BeaconKeyKind, query: CandidateQuery): string {
  const failedList = FAILED_STATES.map((state) => `'${state}'`).join(', ');
  const minimum = Math.trunc(query.minConnections);
  const where = [
    `starttime > ${Math.trunc(query.windowStart)}`,
    `starttime <= ${Math.trunc(query.windowEnd)}`,
    'sourceip IS NOT NULL',
    'destinationip IS NOT NULL',
  ];
  if (query.skipMulticast) where.push(`NOT ${MULTICAST_SQL}`);
  if (key === 'server-name') where.push('servername IS NOT NULL', "servername <> ''");

  const keyColumns =
    key === 'ip-port' ? ['sourceip', 'destinationip', 'destinationport'] : ['sourceip', 'name'];
  const joinOn = keyColumns
    .map((column) => `scoped.${column} IS NOT DISTINCT FROM qualified.${column}`)
    .join(' AND ');
  const selectKey =
    key === 'ip-port'
      ? 'scoped.sourceip, scoped.destinationip, scoped.destinationport, NULL AS servername'
      : 'scoped.sourceip, NULL AS destinationip, NULL AS destinationport, scoped.name AS servername';
  const groupBy = keyColumns.map((column) => `scoped.${column}`).join(', ');

  return `WITH scoped AS (
      SELECT *, lower(servername) AS name FROM events WHERE ${where.join(' AND ')}
    ),
    qualified AS (
      SELECT ${keyColumns.join(', ')} FROM scoped
      GROUP BY ${keyColumns.join(', ')} HAVING count(*) >= ${minimum}
    )
    SELECT '${key}' AS key, ${selectKey},
      list(DISTINCT scoped.destinationip)[1:${MAX_LISTED_DESTINATIONS}] AS destinations,
      count(DISTINCT scoped.destinationip) AS destinationCount,
      mode(scoped.protocol) AS protocol,
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
    HAVING count(DISTINCT scoped.starttime) >= ${minimum}`;
}

function listedValuesSql(column: string, alias: string): string {
  return `coalesce(list(DISTINCT scoped.${column}) FILTER (WHERE scoped.${column} IS NOT NULL), [])[1:${MAX_LISTED_VALUES}] AS ${alias}`;
}
