/**
 * Steps that run once every file of an import is in: protocol logs are joined onto conn events by uid,
 * and events whose source gives no direction get one from the local networks.
 */
import type { LocalNetworks } from '../net/locality.js';
import type { DuckDbStore } from '../store/duckdb.js';
import { EVENTS_TABLE } from '../store/schema.js';
import { INPUT_FORMATS } from './formats.js';

/**
 * Deletes events that repeat another event's flow id, start time and endpoints, as when a folder contains
 * both a log and a labelled copy of it, and returns how many were dropped. Events without a flow id are
 * never merged, because two distinct connections can share a millisecond.
 */
export async function dropDuplicateEvents(store: DuckDbStore): Promise<number> {
  const [row] = await store.all<{ duplicates: number }>(
    `SELECT count(*) - count(DISTINCT (uid, starttime, sourceip, destinationip, destinationport))
            AS duplicates FROM ${EVENTS_TABLE} WHERE uid IS NOT NULL`,
  );
  const duplicates = row?.duplicates ?? 0;
  if (duplicates === 0) return 0;
  await store.run(`DELETE FROM ${EVENTS_TABLE} WHERE rowid IN (
      SELECT rowid FROM (
        SELECT rowid, row_number() OVER (
          PARTITION BY uid, starttime, sourceip, destinationip, destinationport
          ORDER BY sourcefile, sourceline) AS copy
        FROM ${EVENTS_TABLE} WHERE uid IS NOT NULL)
      WHERE copy > 1)`);
  return duplicates;
}

/** Sets server name, URI and user agent on Zeek conn events from ssl.log and http.log rows with the same uid. */
export async function joinZeekProtocolLogs(store: DuckDbStore): Promise<void> {
  const tables = await store.all<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_name IN ('zeek_ssl', 'zeek_http')",
  );
  const names = new Set(tables.map((table) => table.name));
  if (names.has('zeek_ssl')) {
    await store.run(`UPDATE ${EVENTS_TABLE} SET servername = ssl.server_name
      FROM (SELECT uid, arg_min(server_name, ts) AS server_name FROM zeek_ssl
             WHERE server_name IS NOT NULL GROUP BY uid) AS ssl
      WHERE ${EVENTS_TABLE}.uid = ssl.uid AND ${EVENTS_TABLE}.servername IS NULL`);
  }
  if (names.has('zeek_http')) {
    // The first request of a keep-alive connection names the host. A :port suffix on the Host header is
    // dropped so that host:8080 and host group together; IPv6 literals keep their brackets. A host with
    // more than one colon and no brackets is a bare IPv6 address, which has no port to drop.
    await store.run(`UPDATE ${EVENTS_TABLE}
      SET servername = coalesce(${EVENTS_TABLE}.servername, http.host), uri = http.uri, useragent = http.user_agent
      FROM (SELECT uid,
                   arg_min(regexp_replace(host, '^([^:]*|\\[.*\\]):[0-9]+$', '\\1'), ts) FILTER (WHERE host IS NOT NULL) AS host,
                   arg_min(uri, ts) AS uri,
                   arg_min(user_agent, ts) FILTER (WHERE user_agent IS NOT NULL) AS user_agent
              FROM zeek_http GROUP BY uid) AS http
      WHERE ${EVENTS_TABLE}.uid = http.uid AND ${EVENTS_TABLE}.uri IS NULL`);
  }
}

/**
 * Assigns eventdirection from the local networks. Addresses are classified once each in TypeScript
 * (there are far fewer distinct addresses than events) and the update itself runs in SQL.
 * With `recompute`, directions computed by an earlier import are replaced, as `--local-net` on a saved
 * dataset needs. Directions recorded by the source (QRadar's eventdirection) are kept.
 */
export async function assignDirections(
  store: DuckDbStore,
  localNetworks: LocalNetworks,
  recompute = false,
): Promise<void> {
  if (recompute) {
    const computed = INPUT_FORMATS.filter((format) => !format.providesDirection).map(
      (format) => `'${format.id}'`,
    );
    await store.run(
      `UPDATE ${EVENTS_TABLE} SET eventdirection = NULL WHERE split_part(logsource, ':', 1) IN (${computed.join(', ')})`,
    );
  }
  const addresses = await store.all<{ ip: string }>(
    `SELECT DISTINCT ip FROM (
       SELECT sourceip AS ip FROM ${EVENTS_TABLE} WHERE eventdirection IS NULL
       UNION SELECT destinationip FROM ${EVENTS_TABLE} WHERE eventdirection IS NULL)`,
  );
  if (addresses.length === 0) return;
  await store.run('CREATE OR REPLACE TEMP TABLE local_addresses (ip VARCHAR PRIMARY KEY)');
  const local = addresses.map((row) => row.ip).filter((ip) => localNetworks.isLocal(ip));
  const appender = await store.connection.createAppender('local_addresses');
  for (const ip of local) {
    appender.appendVarchar(ip);
    appender.endRow();
  }
  appender.closeSync();
  await store.run(`UPDATE ${EVENTS_TABLE} SET eventdirection =
      (CASE WHEN sourceip IN (SELECT ip FROM local_addresses) THEN 'L' ELSE 'R' END) || '2' ||
      (CASE WHEN destinationip IN (SELECT ip FROM local_addresses) THEN 'L' ELSE 'R' END)
    WHERE eventdirection IS NULL`);
  await store.run('DROP TABLE local_addresses');
}
