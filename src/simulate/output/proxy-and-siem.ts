/**
 * Squid's native access.log, for the series that go through the web proxy, and QRadar Ariel search
 * results as JSON and as a CSV export.
 */
import type { HttpRequest, SimConnection } from '../model.js';
import { type OutputFile, type OutputFormat } from './types.js';

/**
 * One native access.log line: `time elapsed client code/status bytes method URL user hierarchy/peer type`.
 * Squid writes the time the transaction ended, so `time` is the start plus `elapsedMs`.
 */
function squidLine(
  start: number,
  elapsedMs: number,
  connection: SimConnection,
  code: string,
  bytes: number,
  method: string,
  target: string,
  mimeType: string,
): string {
  const end = ((start + elapsedMs) / 1000).toFixed(3);
  // Squid URL-encodes user names, so CORP\user15 becomes CORP%5Cuser15.
  const user = connection.username === null ? '-' : encodeURIComponent(connection.username);
  return `${end} ${String(elapsedMs).padStart(6)} ${connection.sourceip} ${code} ${bytes} ${method} ${target} ${user} HIER_DIRECT/${connection.destinationip} ${mimeType}`;
}

/** Elapsed milliseconds of one proxied HTTP request: the connection's duration when it carries only one. */
function requestElapsed(connection: SimConnection, request: HttpRequest): number {
  if (connection.requests.length === 1) return connection.durationMs;
  // Requests on a keep-alive connection each take a short, deterministic share of a second.
  return 40 + ((request.time + request.requestBytes) % 360);
}

function* squidLines(connection: SimConnection): Generator<string> {
  if (!connection.proxied) return;
  if (connection.requests.length === 0) {
    const target = `${connection.servername ?? connection.destinationip}:${connection.destinationport}`;
    const bytes = connection.destinationbytes + 39;
    yield squidLine(
      connection.starttime,
      connection.durationMs,
      connection,
      'TCP_TUNNEL/200',
      bytes,
      'CONNECT',
      target,
      '-',
    );
    return;
  }
  for (const request of connection.requests) {
    const bytes = request.responseBytes + 220;
    const target = `http://${request.host}${request.uri}`;
    yield squidLine(
      request.time,
      requestElapsed(connection, request),
      connection,
      'TCP_MISS/200',
      bytes,
      request.method,
      target,
      request.mimeType,
    );
  }
}

export const squidOutput: OutputFormat = {
  id: 'squid',
  aliases: ['proxy'],
  description: "Squid access.log in Squid's native format: CONNECT for TLS, one line per HTTP request",
  limits:
    'only series that use the web proxy (HTTP and HTTPS from workstations); no DNS, NTP, VoIP, IoT or blocked attempts',
  files(connections): OutputFile[] {
    return [
      {
        path: 'access.log',
        *lines() {
          for (const connection of connections) yield* squidLines(connection);
        },
      },
    ];
  },
  recordsFor: (connection) => (connection.proxied ? Math.max(1, connection.requests.length) : 0),
};

function qradarRecord(connection: SimConnection, direction: string) {
  return {
    starttime: connection.starttime,
    sourceip: connection.sourceip,
    sourceport: connection.sourceport,
    destinationip: connection.destinationip,
    destinationport: connection.destinationport,
    username: connection.username,
    eventdirection: direction,
    protocolid: connection.protocol === 'udp' ? 17 : 6,
    eventcount: 1,
  };
}

export const qradarJsonOutput: OutputFormat = {
  id: 'qradar-json',
  aliases: ['qradar'],
  description: 'QRadar Ariel search results, {"events": [...]}, with eventdirection filled in',
  limits: 'no server name, URI, process, bytes or connection state',
  files(connections, context): OutputFile[] {
    return [
      {
        path: 'qradar-results.json',
        *lines() {
          yield '{"events": [';
          for (const [index, connection] of connections.entries()) {
            const direction = context.localNetworks.direction(connection.sourceip, connection.destinationip);
            const separator = index === connections.length - 1 ? '' : ',';
            yield `  ${JSON.stringify(qradarRecord(connection, direction))}${separator}`;
          }
          yield ']}';
        },
      },
    ];
  },
  recordsFor: () => 1,
};

/** Quotes a CSV cell that contains a comma, quote or line break (RFC 4180). */
function csvCell(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const QRADAR_CSV_COLUMNS = [
  'starttime',
  'sourceip',
  'sourceport',
  'destinationip',
  'destinationport',
  'userName',
  'eventdirection',
  'protocolid',
  'eventcount',
] as const;

export const qradarCsvOutput: OutputFormat = {
  id: 'qradar-csv',
  aliases: ['csv'],
  description: 'Flat CSV with AQL column names, as a QRadar CSV export writes it',
  limits: qradarJsonOutput.limits,
  files(connections, context): OutputFile[] {
    return [
      {
        path: 'qradar-export.csv',
        *lines() {
          yield QRADAR_CSV_COLUMNS.join(',');
          for (const connection of connections) {
            const record = qradarRecord(
              connection,
              context.localNetworks.direction(connection.sourceip, connection.destinationip),
            );
            yield [
              record.starttime,
              record.sourceip,
              record.sourceport,
              record.destinationip,
              record.destinationport,
              record.username,
              record.eventdirection,
              record.protocolid,
              record.eventcount,
            ]
              .map(csvCell)
              .join(',');
          }
        },
      },
    ];
  },
  recordsFor: () => 1,
};
