/**
 * Steps that run once every file of an import is in. Protocol logs are joined onto conn events by uid.
 * Events without a server name are named from the DNS answers their client received. Events whose source
 * gives no direction get one from the local networks.
 */
import type { LocalNetworks } from '../net/locality.js';
import type { DuckDbStore } from '../store/duckdb.js';
import {
  DNS_QUERIES_TABLE,
  DNS_RESPONSES_TABLE,
  EVENTS_TABLE,
  FLOW_HTTP_TABLE,
  FLOW_TLS_TABLE,
} from '../store/schema.js';
import { INPUT_FORMATS } from './formats.js';

/**
 * Deletes events that repeat another event's flow id, start time and endpoints, as when a folder contains
 * both a log and a labelled copy of it, and returns how many were dropped. Events without a flow id are
 * never merged, because two distinct connections can share a millisecond. The copy with the longest
 * duration is kept: Zeek's open_conn.log repeats a connection that is still open with its duration so
 * far, and the final conn.log row, which may come in a later file or import, has the whole duration.
 */
export async function dropDuplicateEvents(store: DuckDbStore): Promise<number> {
  // Events made from later requests on a keep-alive connection are left out: two requests on one
  // connection can start in the same millisecond, and addKeepAliveRequests never adds one twice.
  const candidates = `uid IS NOT NULL AND NOT ends_with(coalesce(logsource, ''), '${KEEP_ALIVE_SUFFIX}')`;
  const [row] = await store.all<{ duplicates: number }>(
    `SELECT count(*) - count(DISTINCT (uid, starttime, sourceip, destinationip, destinationport))
            AS duplicates FROM ${EVENTS_TABLE} WHERE ${candidates}`,
  );
  const duplicates = row?.duplicates ?? 0;
  if (duplicates === 0) return 0;
  await store.run(`DELETE FROM ${EVENTS_TABLE} WHERE rowid IN (
      SELECT rowid FROM (
        SELECT rowid, row_number() OVER (
          PARTITION BY uid, starttime, sourceip, destinationip, destinationport
          ORDER BY duration DESC NULLS LAST, sourcefile, sourceline) AS copy
        FROM ${EVENTS_TABLE} WHERE ${candidates})
      WHERE copy > 1)`);
  return duplicates;
}

/**
 * Sets server name, URI and user agent on events from the TLS and HTTP side tables (Zeek ssl.log and
 * http.log, Suricata tls and http events) with the same flow id.
 */
export async function joinFlowProtocolLogs(store: DuckDbStore): Promise<void> {
  const tables = await store.all<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
      WHERE table_name IN ('${FLOW_TLS_TABLE}', '${FLOW_HTTP_TABLE}')`,
  );
  const names = new Set(tables.map((table) => table.name));
  if (names.has(FLOW_TLS_TABLE)) {
    await store.run(`UPDATE ${EVENTS_TABLE} SET servername = tls.server_name
      FROM (SELECT uid, arg_min(server_name, ts) AS server_name FROM ${FLOW_TLS_TABLE}
             WHERE server_name IS NOT NULL GROUP BY uid) AS tls
      WHERE ${EVENTS_TABLE}.uid = tls.uid AND ${EVENTS_TABLE}.servername IS NULL`);
  }
  if (names.has(FLOW_HTTP_TABLE)) {
    // The first request of a keep-alive connection names the host. A :port suffix on the Host header is
    // dropped so that host:8080 and host group together; IPv6 literals keep their brackets. A host with
    // more than one colon and no brackets is a bare IPv6 address, which has no port to drop.
    await store.run(`UPDATE ${EVENTS_TABLE}
      SET servername = coalesce(${EVENTS_TABLE}.servername, http.host), uri = http.uri, useragent = http.user_agent
      FROM (SELECT uid,
                   arg_min(regexp_replace(host, '^([^:]*|\\[.*\\]):[0-9]+$', '\\1'), ts) FILTER (WHERE host IS NOT NULL) AS host,
                   arg_min(uri, ts) AS uri,
                   arg_min(user_agent, ts) FILTER (WHERE user_agent IS NOT NULL) AS user_agent
              FROM ${FLOW_HTTP_TABLE} GROUP BY uid) AS http
      WHERE ${EVENTS_TABLE}.uid = http.uid AND ${EVENTS_TABLE}.uri IS NULL`);
    await addKeepAliveRequests(store);
  }
}

/**
 * Adds an event for each HTTP request after the first on one connection, as the pcap reader does: a
 * beacon that reuses a keep-alive connection is one conn.log row, and its beats are the requests. Each
 * copies the connection's addresses, ports and provenance (so undoing a file removes it too), with the
 * request's time, host, URI and user agent. The logsource gains ':http-request'. An import into a saved
 * dataset runs this again over the whole table, so requests added before are skipped.
 */
async function addKeepAliveRequests(store: DuckDbStore): Promise<void> {
  await store.run(`INSERT INTO ${EVENTS_TABLE}
      (starttime, sourceip, sourceport, destinationip, destinationport, username, eventdirection, protocol,
       service, servername, uri, useragent, processimage, logsource, eventcount, uid, sourcefile, sourceline)
    SELECT request.ts, conn.sourceip, conn.sourceport, conn.destinationip, conn.destinationport,
           conn.username, conn.eventdirection, conn.protocol, conn.service,
           coalesce(regexp_replace(request.host, '^([^:]*|\\[.*\\]):[0-9]+$', '\\1'), conn.servername),
           request.uri, request.user_agent, conn.processimage, conn.logsource || '${KEEP_ALIVE_SUFFIX}', 1,
           conn.uid, conn.sourcefile, conn.sourceline
      FROM (SELECT *, row_number() OVER (PARTITION BY uid ORDER BY ts) AS nth FROM ${FLOW_HTTP_TABLE}) AS request
      JOIN ${EVENTS_TABLE} AS conn
        ON conn.uid = request.uid AND NOT ends_with(conn.logsource, '${KEEP_ALIVE_SUFFIX}')
     WHERE request.nth > 1
       AND NOT EXISTS (SELECT 1 FROM ${EVENTS_TABLE} AS added
                        WHERE added.uid = request.uid AND added.starttime = request.ts
                          AND ends_with(added.logsource, '${KEEP_ALIVE_SUFFIX}'))`);
}

/** Suffix of the logsource of an event made from a later request on a keep-alive connection. */
const KEEP_ALIVE_SUFFIX = ':http-request';

/**
 * Merges Suricata's DNS responses into the rows of their queries. A query row with the same flow id and
 * DNS message ID that has no response yet gets the response code and answers. A response whose query was
 * not logged becomes a row of its own. The merged responses are then deleted from DNS_RESPONSES_TABLE.
 */
export async function mergeDnsResponses(store: DuckDbStore): Promise<void> {
  const [row] = await store.all<{ responses: number }>(
    `SELECT count(*) AS responses FROM ${DNS_RESPONSES_TABLE}`,
  );
  if ((row?.responses ?? 0) === 0) return;

  // One group per transaction. The version 1 EVE DNS format logs one response record per answer, so a
  // group can hold several. A response without a flow id or message ID is a group of its own. The group's
  // values are those of its first record in file and line order.
  const first = "{'file': sourcefile, 'line': sourceline}";
  await store.run(`CREATE OR REPLACE TEMP TABLE dns_response_groups AS
    SELECT min(starttime) AS starttime,
           arg_min(sourceip, ${first}) AS sourceip,
           arg_min(resolverip, ${first}) AS resolverip,
           arg_min(query, ${first}) FILTER (WHERE query IS NOT NULL) AS query,
           arg_min(qtype, ${first}) FILTER (WHERE qtype IS NOT NULL) AS qtype,
           arg_min(rcode, ${first}) FILTER (WHERE rcode IS NOT NULL) AS rcode,
           flatten(list(answers ORDER BY sourcefile, sourceline)) AS answers,
           uid, transactionid,
           min(${first}) AS provenance
      FROM ${DNS_RESPONSES_TABLE}
     GROUP BY uid, transactionid, CASE WHEN uid IS NULL OR transactionid IS NULL THEN rowid END`);
  await store.run(`UPDATE ${DNS_QUERIES_TABLE} SET rcode = response.rcode, answers = response.answers
      FROM dns_response_groups AS response
     WHERE ${DNS_QUERIES_TABLE}.uid = response.uid AND ${DNS_QUERIES_TABLE}.transactionid = response.transactionid
       AND ${DNS_QUERIES_TABLE}.rcode IS NULL AND ${DNS_QUERIES_TABLE}.answers IS NULL`);
  await store.run(`INSERT INTO ${DNS_QUERIES_TABLE}
    SELECT starttime, sourceip, resolverip, query, qtype, rcode, answers, uid, transactionid,
           provenance.file, provenance.line
      FROM dns_response_groups AS response
     WHERE NOT EXISTS (SELECT 1 FROM ${DNS_QUERIES_TABLE} AS query
                        WHERE query.uid = response.uid AND query.transactionid = response.transactionid)`);
  await store.run(`DELETE FROM ${DNS_RESPONSES_TABLE}`);
  await store.run('DROP TABLE dns_response_groups');
}

/**
 * Maximum age, in milliseconds, of a DNS answer that names a later connection to one of its addresses.
 * Clients and resolvers reuse an answer until its TTL runs out, and an hour is a common TTL. A connection
 * more than an hour after the client's last logged lookup may follow a lookup the sensor did not see (a
 * host cache, another resolver), or reach an address that now serves other names, so naming it would be
 * a guess.
 */
export const DNS_NAME_MAX_AGE_MS = 60 * 60 * 1000;

/**
 * Sets the server name of events that have none to the name that the same client last resolved to the
 * event's destination address. That is the query of the newest dns_queries row from the event's source
 * address whose answers contain the destination address, at or before the event's start and at most
 * DNS_NAME_MAX_AGE_MS earlier. The name is lower-cased, because resolvers may randomise the case of a
 * query (DNS 0x20).
 */
export async function nameEventsFromDns(store: DuckDbStore): Promise<void> {
  const [row] = await store.all<{ answered: number }>(
    `SELECT count(*) AS answered FROM ${DNS_QUERIES_TABLE} WHERE len(answers) > 0`,
  );
  if ((row?.answered ?? 0) === 0) return;

  // Each (client, address, time) keeps one name, so the ASOF join has one row to take. When one response
  // at the same millisecond gave the address for two names, the first name in sort order wins.
  const answers = `SELECT sourceip, address, starttime, min(query) AS query
                     FROM (SELECT sourceip, unnest(answers) AS address, starttime, lower(query) AS query
                             FROM ${DNS_QUERIES_TABLE} WHERE query IS NOT NULL AND len(answers) > 0)
                    GROUP BY sourceip, address, starttime`;
  // The ASOF join takes, for each event, the newest answer at or before its start, so a later lookup of
  // the same address for another name wins over an earlier one.
  await store.run(`UPDATE ${EVENTS_TABLE} SET servername = named.query
      FROM (SELECT event.rowid AS event_row, answer.query
              FROM (SELECT rowid, sourceip, destinationip, starttime FROM ${EVENTS_TABLE}
                     WHERE servername IS NULL) AS event
              ASOF JOIN (${answers}) AS answer
                ON event.sourceip = answer.sourceip AND event.destinationip = answer.address
               AND event.starttime >= answer.starttime
             WHERE event.starttime - answer.starttime <= ${DNS_NAME_MAX_AGE_MS}) AS named
     WHERE ${EVENTS_TABLE}.rowid = named.event_row`);
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
