/**
 * The plan of one simulated series and the connections generated from it. A connection carries every
 * detail some output format can show (TLS server name, HTTP requests, a DNS query, the process), and each
 * writer keeps what its format records.
 */
import type { GapModel } from './jitter.js';
import type { Random } from './random.js';
import type { Window } from './timeline.js';

export type ConnectionState = 'SF' | 'S0' | 'REJ';

/** The application protocol of a series, which decides the protocol logs written beside conn.log. */
export type Application = 'tls' | 'http' | 'dns' | 'other';

export interface HttpTemplate {
  method: 'GET' | 'POST';
  /** The Host header. */
  host: string;
  /** URIs used in turn at random. */
  uris: readonly string[];
  userAgent: string | null;
  /** Response MIME type for the proxy log, such as "image/gif". */
  mimeType: string;
}

export interface DnsTemplate {
  /** The query name of the n-th query (n from 0). */
  queryName: (random: Random, index: number) => string;
  qtype: 'A' | 'AAAA' | 'TXT';
  /** Answer records: addresses for A and AAAA, text for TXT. */
  answers: readonly string[];
}

export interface SeriesPlan {
  id: string;
  scenario: string;
  title: string;
  malicious: boolean;
  class: string;
  sourceip: string;
  /** Host name of the client, written as Sysmon's Computer. */
  computer: string;
  /** One address, or several that the series spreads its connections over (a CDN). */
  destinations: readonly string[];
  destinationport: number;
  protocol: 'tcp' | 'udp';
  application: Application;
  /** Zeek's service name for an `other` application, such as "irc" or "ntp". */
  service?: string;
  /** TLS SNI for `tls` series. */
  servername?: string;
  http?: HttpTemplate;
  dns?: DnsTemplate;
  /** Registered domain for the label. */
  domain?: string;
  process: string | null;
  username: string | null;
  /** Bytes sent by the client and by the server per request, uniform between the bounds inclusive. */
  requestBytes: readonly [number, number];
  responseBytes: readonly [number, number];
  /** Connection state of each attempt; defaults to SF. */
  state?: (random: Random) => ConnectionState;
  /** Every request travels over one keep-alive connection, opened at the first request. */
  keepAlive?: boolean;
  /** The client reaches the server through the web proxy, so the proxy log records each request. */
  proxied: boolean;
  /** The series' sleep model for the label; null for traffic without a period. */
  model: GapModel | null;
  /** Returns the scheduled request times in the window, epoch ms, ascending. */
  times: (window: Window, random: Random) => number[];
  notes?: string[];
}

export interface HttpRequest {
  time: number;
  method: string;
  host: string;
  uri: string;
  userAgent: string | null;
  mimeType: string;
  status: number;
  requestBytes: number;
  responseBytes: number;
}

export interface DnsQuery {
  query: string;
  qtype: 'A' | 'AAAA' | 'TXT';
  answers: readonly string[];
  transactionId: number;
}

export interface SimConnection {
  /** Index of the series in the run's series list. */
  series: number;
  /** Epoch milliseconds, whole. */
  starttime: number;
  sourceip: string;
  sourceport: number;
  destinationip: string;
  destinationport: number;
  protocol: 'tcp' | 'udp';
  /** Duration in whole milliseconds, 0 for an attempt that got no response. */
  durationMs: number;
  sourcebytes: number;
  destinationbytes: number;
  connstate: ConnectionState;
  /** Zeek's service name: ssl, http, dns or the series' own; null when the attempt carried no payload. */
  service: string | null;
  servername: string | null;
  requests: HttpRequest[];
  dns: DnsQuery | null;
  process: string | null;
  username: string | null;
  computer: string;
  proxied: boolean;
}
