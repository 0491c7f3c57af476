/**
 * LEEF 2.0 and CEF 0 lines as a next-generation firewall would send them over syslog: one line per
 * connection with addresses, ports, user, bytes, and the server name, URL and user agent it inspected.
 * Key names are IBM's predefined LEEF attributes and ArcSight's CEF dictionary keys.
 */
import type { SimConnection } from '../model.js';
import { isIpv6, type OutputFile, type OutputFormat } from './types.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Builds an RFC 3164 header, `<134>Nov  2 10:00:00 fw01 `, with facility local0 and severity informational. */
function syslogHeader(ms: number): string {
  const date = new Date(ms);
  const day = String(date.getUTCDate()).padStart(2, ' ');
  const time = date.toISOString().slice(11, 19);
  return `<134>${MONTHS[date.getUTCMonth()]} ${day} ${time} fw01 `;
}

function url(connection: SimConnection): string | null {
  const request = connection.requests[0];
  return request === undefined ? null : `http://${request.host}${request.uri}`;
}

/** Returns the host name the firewall saw: the TLS server name or the first HTTP Host header. */
function host(connection: SimConnection): string | null {
  return connection.servername ?? connection.requests[0]?.host.replace(/:\d+$/, '') ?? null;
}

function leefLine(connection: SimConnection): string {
  const allowed = connection.connstate === 'SF';
  const pairs: [string, string | number | null][] = [
    ['devTime', connection.starttime],
    ['src', connection.sourceip],
    ['dst', connection.destinationip],
    ['srcPort', connection.sourceport],
    ['dstPort', connection.destinationport],
    ['proto', connection.protocol.toUpperCase()],
    ['usrName', connection.username],
    ['srcBytes', connection.sourcebytes],
    ['dstBytes', connection.destinationbytes],
    ['dhost', host(connection)],
    ['url', url(connection)],
    ['userAgent', connection.requests[0]?.userAgent ?? null],
  ];
  // Values never contain the "^" delimiter: every value here is an address, number, name or URL without it.
  const attributes = pairs
    .filter((pair): pair is [string, string | number] => pair[1] !== null)
    .map(([key, value]) => `${key}=${value}`)
    .join('^');
  const event = allowed ? 'allow' : 'deny';
  return `${syslogHeader(connection.starttime)}LEEF:2.0|Simulated|Firewall|1.0|${event}|^|${attributes}`;
}

/** CEF extension escaping: backslash, equals sign and line breaks. */
function escapeCefValue(text: string): string {
  if (!/[\\=\r\n]/.test(text)) return text;
  return text.replace(/\\/g, '\\\\').replace(/=/g, '\\=').replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

function cefLine(connection: SimConnection): string {
  const allowed = connection.connstate === 'SF';
  const ipv6 = isIpv6(connection.sourceip);
  // CEF's src and dst are IPv4 fields; IPv6 addresses go in c6a2 and c6a3 with their standard labels.
  const addresses: [string, string][] = ipv6
    ? [
        ['c6a2', connection.sourceip],
        ['c6a2Label', 'Source IPv6 Address'],
        ['c6a3', connection.destinationip],
        ['c6a3Label', 'Destination IPv6 Address'],
      ]
    : [
        ['src', connection.sourceip],
        ['dst', connection.destinationip],
      ];
  const pairs: [string, string | number | null][] = [
    ['start', connection.starttime],
    ['end', connection.starttime + connection.durationMs],
    ...addresses,
    ['spt', connection.sourceport],
    ['dpt', connection.destinationport],
    ['proto', connection.protocol.toUpperCase()],
    ['suser', connection.username],
    ['in', connection.sourcebytes],
    ['out', connection.destinationbytes],
    ['dhost', host(connection)],
    ['request', url(connection)],
    ['requestClientApplication', connection.requests[0]?.userAgent ?? null],
    ['act', allowed ? 'allow' : 'deny'],
  ];
  const extension = pairs
    .filter((pair): pair is [string, string | number] => pair[1] !== null)
    .map(([key, value]) => `${key}=${escapeCefValue(String(value))}`)
    .join(' ');
  const signature = allowed ? '100|Connection allowed|3' : '101|Connection denied|5';
  return `${syslogHeader(connection.starttime)}CEF:0|Simulated|Firewall|1.0|${signature}|${extension}`;
}

function lineFile(
  path: string,
  connections: readonly SimConnection[],
  render: (c: SimConnection) => string,
): OutputFile {
  return {
    path,
    *lines() {
      for (const connection of connections) yield render(connection);
    },
  };
}

export const leefOutput: OutputFormat = {
  id: 'leef',
  aliases: [],
  description: 'IBM LEEF 2.0 firewall events behind an RFC 3164 syslog header, devTime in epoch ms',
  limits: 'no process; a keep-alive connection is one event carrying its first request only',
  files: (connections) => [lineFile('firewall.leef', connections, leefLine)],
  recordsFor: () => 1,
};

export const cefOutput: OutputFormat = {
  id: 'cef',
  aliases: [],
  description: 'ArcSight CEF firewall events behind an RFC 3164 syslog header, start and end in epoch ms',
  limits: leefOutput.limits,
  files: (connections) => [lineFile('firewall.cef', connections, cefLine)],
  recordsFor: () => 1,
};
