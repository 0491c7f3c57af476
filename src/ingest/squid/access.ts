/**
 * Squid's access.log in its two built-in layouts, parsed in TypeScript line by line.
 *
 * Native (`logformat squid`), as src/log/FormatSquidNative.cc writes it:
 * `time elapsed client code/status bytes method URL user hierarchy/peer type`, for example
 * `1713520802.250    120 10.1.2.3 TCP_TUNNEL/200 5120 CONNECT c2.example.net:443 - HIER_DIRECT/203.0.113.7 -`.
 * `time` is when the transaction ended (Squid's current time when it logs), in epoch seconds with
 * milliseconds, and `elapsed` is its duration in milliseconds, so the start is time - elapsed.
 *
 * Common and combined (`logformat common`, `combined`), as src/log/FormatHttpdCombined.cc writes it:
 * `client ident user [19/Apr/2024:10:00:02 +0000] "METHOD URL HTTP/1.1" status bytes`, combined adding
 * `"referer" "user-agent"`, and Squid adding `code:hierarchy` (TCP_MISS:HIER_DIRECT). The time is when the
 * line was logged, and there is no duration, so starttime is that time.
 *
 * Destination: a proxy log names the server, and only the native layout also gives the address Squid
 * connected to (the peer after the hierarchy code). destinationip is that address when it is an IP
 * address. Otherwise it is the host name from the URL, such as `c2.example.net`, because the event table
 * requires a destination and beaconing to one name is what the detectors must see. Such an event is then
 * classified as remote for eventdirection, since a name is in no local network.
 */
import { emptyEvent, type ConnectionEvent } from '../../model/event.js';
import { isIpAddressText } from '../address.js';
import type { InputFormat, LoadContext, LoadResult } from '../format.js';
import type { FileSample } from '../sniff.js';
import { loadTextLines, textLinesLoadResult, type ParsedLine } from '../text-stream.js';
import { MAX_EPOCH_MS } from '../time.js';

export const SQUID_FORMAT_ID = 'squid';
export const SQUID_COMMON_FORMAT_ID = 'squid-common';

export const SQUID_REJECT = {
  wrongFieldCount: 'wrong field count',
  notCommonLogFormat: 'not in common log format',
  invalidTime: 'invalid time',
  invalidElapsed: 'invalid elapsed time',
  invalidClient: 'invalid client address',
  invalidStatus: 'invalid code/status',
  invalidBytes: 'invalid byte count',
  invalidRequest: 'invalid request line',
  invalidConnectTarget: 'invalid CONNECT target (not host:port)',
  invalidUrlHost: 'invalid host or port in the URL',
} as const;

/** Fields of a native line; later fields (log_mime_hdrs) are allowed and not read. */
const NATIVE_FIELDS = 10;

/** A native line's first fields: epoch seconds with milliseconds, then the elapsed milliseconds. */
const NATIVE_START = /^\s*\d{9,11}\.\d{3}\s+\d+\s+\S+\s+[A-Z_]+\/\d{3}\s/;

/**
 * Common and combined: client, ident, user, [time], "request", status, bytes, then optionally "referer"
 * "user-agent", then optionally Squid's code:hierarchy and anything a custom format adds.
 */
const COMMON_REGEX =
  /^(\S+) (\S+) (\S+) \[(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\] "([^"]*)" (\d{3}) (\d+|-)(?: "([^"]*)" "([^"]*)")?(?: ([A-Z_]+):([A-Z_]+))?(?: .*)?$/;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Default ports of the URL schemes in proxied requests. */
const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, ftp: 21, ws: 80, wss: 443 };

export interface RequestTarget {
  host: string;
  port: number | null;
}

/** `[IPv6]` with an optional `:port`. Groups: the address, the port. */
const BRACKETED_AUTHORITY = /^\[([^\]]+)\](?::(\d{1,5}))?$/;

/** A host name or IPv4 address with an optional `:port`. Groups: the host, the port. */
const PLAIN_AUTHORITY = /^([^:[\]]+)(?::(\d{1,5}))?$/;

/**
 * Finds the server of a proxied request: `host:port` for CONNECT, else the host and port of an absolute
 * URL, with the scheme's default port when the URL names none. An IPv6 address is in brackets
 * (`[2001:db8::1]:443`), except that a CONNECT target may also be written without them
 * (`2001:db8::1:443`), and then its port is after the last colon. Returns null for a request without a
 * server host, such as Squid's `error:invalid-request` or a relative URL, and a reject reason for a CONNECT
 * target or URL authority that cannot be read.
 */
export function parseRequestTarget(
  method: string,
  target: string,
): RequestTarget | { reject: string } | null {
  // Squid names a request it could not parse with an error: pseudo-URL, whatever the method.
  if (target.startsWith('error:')) return null;
  if (method === 'CONNECT') {
    const server = parseAuthority(target, null) ?? parseBareIpv6Authority(target);
    return server ?? { reject: SQUID_REJECT.invalidConnectTarget };
  }
  const url = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/.exec(target);
  if (url === null) return null;
  const defaultPort = DEFAULT_PORTS[(url[1] ?? '').toLowerCase()] ?? null;
  // user:password@ is part of the authority but not of the host.
  const authority = (url[2] ?? '').replace(/^[^@]*@/, '');
  return parseAuthority(authority, defaultPort) ?? { reject: SQUID_REJECT.invalidUrlHost };
}

/** Reads `host[:port]` or `[IPv6][:port]`, or returns null for other text and for a port above 65535. */
function parseAuthority(authority: string, defaultPort: number | null): RequestTarget | null {
  const parts = BRACKETED_AUTHORITY.exec(authority) ?? PLAIN_AUTHORITY.exec(authority);
  if (parts === null || parts[1] === undefined || parts[1] === '') return null;
  const port = parts[2] === undefined ? defaultPort : Number(parts[2]);
  if (port !== null && port > 65535) return null;
  return { host: parts[1].toLowerCase(), port };
}

/** Reads `IPv6:port` without brackets, taking the text after the last colon as the port, or returns null. */
function parseBareIpv6Authority(authority: string): RequestTarget | null {
  const colon = authority.lastIndexOf(':');
  const host = authority.slice(0, colon);
  const portText = authority.slice(colon + 1);
  if (!host.includes(':') || !isIpAddressText(host) || !/^\d{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  return port > 65535 ? null : { host: host.toLowerCase(), port };
}

/** Squid writes `-` for an empty field and URL-encodes user names. */
function userName(text: string): string | null {
  if (text === '-' || text === '') return null;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Zeek connection state for a proxied request: REJ when Squid denied it, S0 when Squid got no reply from a
 * server (status 000, or 502 to 504 without a server contacted), SF otherwise.
 */
export function squidConnectionState(code: string, status: number, hierarchy: string | null): string {
  if (code.includes('DENIED')) return 'REJ';
  if (status === 0) return 'S0';
  if (hierarchy === 'HIER_NONE' && status >= 502 && status <= 504) return 'S0';
  return 'SF';
}

interface ProxiedRequest {
  starttime: number;
  client: string;
  method: string;
  url: string;
  status: number;
  code: string;
  hierarchy: string | null;
  peer: string | null;
  bytes: number | null;
  user: string | null;
}

/**
 * Maps a parsed request onto an event. A request without a server host is passed over (null), and one whose
 * target cannot be read is rejected.
 */
function requestEvent(
  request: ProxiedRequest,
  formatId: string,
  sourcefile: string,
  sourceline: number,
): ConnectionEvent | { reject: string } | null {
  const target = parseRequestTarget(request.method, request.url);
  if (target === null || 'reject' in target) return target;
  const hostIsAddress = isIpAddressText(target.host);
  const peerAddress = request.peer !== null && isIpAddressText(request.peer) ? request.peer : null;
  const connect = request.method === 'CONNECT';
  return {
    ...emptyEvent(sourcefile, sourceline),
    starttime: request.starttime,
    sourceip: request.client,
    destinationip: peerAddress ?? target.host,
    destinationport: target.port,
    username: request.user,
    protocol: 'tcp',
    // A CONNECT tunnel carries TLS or anything else; Squid cannot tell which.
    service: connect ? null : 'http',
    destinationbytes: request.bytes,
    connstate: squidConnectionState(request.code, request.status, request.hierarchy),
    servername: hostIsAddress ? null : target.host,
    uri: connect ? null : request.url,
    logsource: formatId,
  };
}

/** Parses a native access.log line into an event, a reject reason, or null for a request without a host. */
export function parseNativeLine(line: string, sourcefile: string, sourceline: number): ParsedLine {
  const fields = line.trim().split(/\s+/);
  if (fields.length < NATIVE_FIELDS) return { reject: SQUID_REJECT.wrongFieldCount };
  const [time, elapsed, client, codeStatus, bytes, method, url, user, hierarchyPeer] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];

  const timeMatch = /^(\d{1,11})\.(\d{3})$/.exec(time);
  if (timeMatch === null) return { reject: SQUID_REJECT.invalidTime };
  if (!/^\d{1,10}$/.test(elapsed)) return { reject: SQUID_REJECT.invalidElapsed };
  const elapsedMs = Number(elapsed);
  const starttime = Number(timeMatch[1]) * 1000 + Number(timeMatch[2]) - elapsedMs;
  if (starttime < 1 || starttime > MAX_EPOCH_MS) return { reject: SQUID_REJECT.invalidTime };
  if (!isIpAddressText(client)) return { reject: SQUID_REJECT.invalidClient };
  const codeMatch = /^([A-Z_]+)\/(\d{3})$/.exec(codeStatus);
  if (codeMatch === null) return { reject: SQUID_REJECT.invalidStatus };
  if (!/^\d{1,15}$/.test(bytes)) return { reject: SQUID_REJECT.invalidBytes };
  const slash = hierarchyPeer.indexOf('/');
  const peer = slash === -1 ? null : hierarchyPeer.slice(slash + 1);

  const event = requestEvent(
    {
      starttime,
      client,
      method,
      url,
      status: Number(codeMatch[2]),
      code: codeMatch[1] ?? '',
      hierarchy: slash === -1 ? hierarchyPeer : hierarchyPeer.slice(0, slash).replace(/^TIMEOUT_/, ''),
      peer: peer === '-' ? null : peer,
      bytes: Number(bytes),
      user: userName(user),
    },
    SQUID_FORMAT_ID,
    sourcefile,
    sourceline,
  );
  if (event !== null && !('reject' in event)) event.duration = elapsedMs / 1000;
  return event;
}

/** Parses a common or combined access.log line into an event, a reject reason, or null. */
export function parseCommonLine(line: string, sourcefile: string, sourceline: number): ParsedLine {
  const match = COMMON_REGEX.exec(line);
  if (match === null) return { reject: SQUID_REJECT.notCommonLogFormat };
  const [, client, ident, user, day, monthName, year, hour, minute, second, sign, offsetH, offsetM] =
    match as unknown as string[];
  const month = MONTHS.indexOf(monthName ?? '') + 1;
  const offsetMinutes = Number(offsetH) * 60 + Number(offsetM);
  const local = Date.UTC(Number(year), month - 1, Number(day), Number(hour), Number(minute), Number(second));
  const valid =
    month > 0 &&
    Number(hour) <= 23 &&
    Number(minute) <= 59 &&
    Number(second) <= 59 &&
    Number(offsetM) <= 59 &&
    new Date(local).getUTCDate() === Number(day);
  const starttime = local - (sign === '-' ? -1 : 1) * offsetMinutes * 60_000;
  if (!valid || starttime < 1 || starttime > MAX_EPOCH_MS) return { reject: SQUID_REJECT.invalidTime };
  if (!isIpAddressText(client ?? '')) return { reject: SQUID_REJECT.invalidClient };

  const request = (match[13] ?? '').split(' ');
  if (request.length < 2 || request[0] === '' || request[1] === '') {
    return { reject: SQUID_REJECT.invalidRequest };
  }
  const bytes = match[15] ?? '-';
  const event = requestEvent(
    {
      starttime,
      client: client ?? '',
      method: request[0] ?? '',
      url: request[1] ?? '',
      status: Number(match[14]),
      code: match[18] ?? '',
      hierarchy: match[19] ?? null,
      peer: null,
      bytes: bytes === '-' ? null : Number(bytes),
      user: userName(user ?? '-') ?? userName(ident ?? '-'),
    },
    SQUID_COMMON_FORMAT_ID,
    sourcefile,
    sourceline,
  );
  if (event !== null && !('reject' in event) && match[17] !== undefined && match[17] !== '-') {
    event.useragent = match[17];
  }
  return event;
}

function firstLine(sample: FileSample): string | undefined {
  return sample.lines.find((line) => line.trim() !== '');
}

export const squidFormat: InputFormat = {
  id: SQUID_FORMAT_ID,
  description: "Squid access.log in Squid's native format",
  recognisedBy: 'a first line "epoch.millis elapsed client CODE/status ..."',
  example:
    '1713520802.250    120 10.1.2.3 TCP_TUNNEL/200 5120 CONNECT c2.example.net:443 - HIER_DIRECT/203.0.113.7 -',
  providesDirection: false,

  detect(sample: FileSample): boolean {
    const first = firstLine(sample);
    return first !== undefined && NATIVE_START.test(first);
  },

  async load(context: LoadContext): Promise<LoadResult> {
    const result = await loadTextLines(context, {
      formatId: SQUID_FORMAT_ID,
      sourcefile: context.sample.path,
      referenceMs: 0,
    });
    return textLinesLoadResult(result, ['request without a server host', 'requests without a server host']);
  },
};

export const squidCommonFormat: InputFormat = {
  id: SQUID_COMMON_FORMAT_ID,
  description: 'Squid access.log in common or combined log format',
  recognisedBy:
    'common log format lines whose requests name absolute URLs or CONNECT host:port, or end in CODE:HIERARCHY',
  example:
    '10.1.2.3 - alice [19/Apr/2024:10:00:02 +0000] "CONNECT c2.example.net:443 HTTP/1.1" 200 5120 TCP_TUNNEL:HIER_DIRECT',
  providesDirection: false,

  detect(sample: FileSample): boolean {
    const first = firstLine(sample);
    if (first === undefined || !COMMON_REGEX.test(first)) return false;
    // A web server's own access log has the same layout; a proxy's requests name the server.
    return sample.lines.some((line) => {
      const match = COMMON_REGEX.exec(line);
      if (match === null) return false;
      const [method, target] = (match[13] ?? '').split(' ');
      if (match[18] !== undefined) return true;
      const parsed = parseRequestTarget(method ?? '', target ?? '');
      return parsed !== null && !('reject' in parsed);
    });
  },

  async load(context: LoadContext): Promise<LoadResult> {
    const result = await loadTextLines(context, {
      formatId: SQUID_COMMON_FORMAT_ID,
      sourcefile: context.sample.path,
      referenceMs: 0,
    });
    return textLinesLoadResult(result, ['request without a server host', 'requests without a server host']);
  },
};
