/**
 * Suricata EVE JSON (eve.json): a flow record per connection, with tls, http and dns records sharing its
 * flow_id. Field names follow Suricata's user guide, "Eve JSON Format" (doc/userguide/output/eve/
 * eve-json-format.rst); DNS records use the version 2 layout (type "query" and "answer").
 */
import type { HttpRequest, SimConnection } from '../model.js';
import { isIpv6, packetCount, type OutputFile, type OutputFormat } from './types.js';

/** Suricata's timestamp form: 2026-11-02T10:00:00.123000+0000. */
function eveTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000+0000`;
}

/** TCP flag bytes as two hex digits: FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10. */
const CLIENT_FLAGS = { SF: '1b', S0: '02', REJ: '02' } as const;
const SERVER_FLAGS = { SF: '1b', S0: '00', REJ: '14' } as const;

/** Returns a flow id for the connection at `index`: distinct per index and below 2^53, as JSON numbers must be. */
export function simulatedFlowId(seed: number, index: number): number {
  return 1_000_000_000_000_000 + ((seed >>> 0) % 1000) * 1_000_000_000_000 + index;
}

/**
 * Returns the opening of a record's JSON with the fields every record has, without the closing brace, so
 * that each record appends its own section as text.
 */
function common(connection: SimConnection, flowId: number, time: number, eventType: string): string {
  return (
    `{"timestamp":"${eveTime(time)}","flow_id":${flowId},"in_iface":"eth1","event_type":"${eventType}",` +
    `"src_ip":"${connection.sourceip}","src_port":${connection.sourceport},` +
    `"dest_ip":"${connection.destinationip}","dest_port":${connection.destinationport},` +
    `"proto":"${connection.protocol.toUpperCase()}"`
  );
}

/** Appends named sections to a record opened by `common`. */
function record(opening: string, sections: Record<string, unknown>): string {
  return `${opening},${JSON.stringify(sections).slice(1)}`;
}

function appProto(connection: SimConnection): string {
  if (connection.connstate !== 'SF') return 'failed';
  if (connection.service === 'ssl') return 'tls';
  if (connection.service === 'http' || connection.service === 'dns') return connection.service;
  return 'failed';
}

function flowRecord(connection: SimConnection, flowId: number): string {
  const end = connection.starttime + connection.durationMs;
  const answered = connection.connstate === 'SF';
  const header = isIpv6(connection.sourceip) ? 74 : 54;
  const toServer = answered ? packetCount(connection.sourcebytes, connection.protocol) : 1;
  const toClient = answered
    ? packetCount(connection.destinationbytes, connection.protocol)
    : connection.connstate === 'REJ'
      ? 1
      : 0;
  const sections: Record<string, unknown> = {
    app_proto: appProto(connection),
    flow: {
      pkts_toserver: toServer,
      pkts_toclient: toClient,
      bytes_toserver: connection.sourcebytes + toServer * header,
      bytes_toclient: connection.destinationbytes + toClient * header,
      start: eveTime(connection.starttime),
      end: eveTime(end),
      age: Math.round(connection.durationMs / 1000),
      state: flowState(connection),
      reason: 'timeout',
      alerted: false,
    },
  };
  if (connection.protocol === 'tcp') {
    const client = CLIENT_FLAGS[connection.connstate];
    const server = SERVER_FLAGS[connection.connstate];
    const both = (Number.parseInt(client, 16) | Number.parseInt(server, 16)).toString(16).padStart(2, '0');
    sections['tcp'] = { tcp_flags: both, tcp_flags_ts: client, tcp_flags_tc: server, state: 'closed' };
  }
  return record(common(connection, flowId, end, 'flow'), sections);
}

/** Suricata's flow.state: closed or established once both sides spoke, new when only the client did. */
function flowState(connection: SimConnection): string {
  if (connection.connstate === 'REJ') return 'closed';
  if (connection.connstate === 'S0') return 'new';
  return connection.protocol === 'tcp' ? 'closed' : 'established';
}

function httpRecord(connection: SimConnection, flowId: number, request: HttpRequest, txId: number): string {
  return record(common(connection, flowId, request.time, 'http'), {
    tx_id: txId,
    http: {
      hostname: request.host.replace(/:\d+$/, ''),
      url: request.uri,
      http_user_agent: request.userAgent ?? undefined,
      http_content_type: request.mimeType,
      http_method: request.method,
      protocol: 'HTTP/1.1',
      status: request.status,
      length: request.responseBytes,
    },
  });
}

function* connectionRecords(connection: SimConnection, flowId: number): Generator<string> {
  if (connection.servername !== null) {
    yield record(common(connection, flowId, connection.starttime + 15, 'tls'), {
      tls: { sni: connection.servername, version: 'TLS 1.3' },
    });
  }
  for (const [txId, request] of connection.requests.entries())
    yield httpRecord(connection, flowId, request, txId);
  const query = connection.dns;
  if (query !== null) {
    const dns = { version: 2, id: query.transactionId, rrname: query.query, rrtype: query.qtype };
    yield record(common(connection, flowId, connection.starttime, 'dns'), {
      dns: { ...dns, type: 'query', tx_id: 0 },
    });
    const answered = query.answers.length > 0;
    yield record(common(connection, flowId, connection.starttime + connection.durationMs, 'dns'), {
      dns: {
        ...dns,
        type: 'answer',
        flags: answered ? '8180' : '8183',
        qr: true,
        rd: true,
        ra: true,
        rcode: answered ? 'NOERROR' : 'NXDOMAIN',
        ...(answered
          ? {
              answers: query.answers.map((rdata) => ({
                rrname: query.query,
                rrtype: query.qtype,
                ttl: 300,
                rdata,
              })),
            }
          : {}),
      },
    });
  }
  yield flowRecord(connection, flowId);
}

export const suricataEveOutput: OutputFormat = {
  id: 'suricata-eve',
  aliases: ['suricata', 'eve'],
  description: 'Suricata eve.json: flow records with tls, http and dns records joined by flow_id',
  limits: 'no process or user; flow bytes include packet headers, as Suricata counts them',
  files(connections, context): OutputFile[] {
    return [
      {
        path: 'eve.json',
        *lines() {
          for (const [index, connection] of connections.entries()) {
            yield* connectionRecords(connection, simulatedFlowId(context.seed, index));
          }
        },
      },
    ];
  },
  // beaconhunt reads a connection as one event, plus one per later HTTP request on it (keep-alive).
  recordsFor: (connection) => Math.max(1, connection.requests.length),
};
