/**
 * The ground truth that `beaconhunt simulate` writes beside its logs as labels.json, and that
 * `beaconhunt eval` reads. Fields may be added in later versions, but none are renamed or removed
 * without raising LABELS_VERSION.
 */

export const LABELS_GENERATOR = 'beaconhunt simulate';
export const LABELS_VERSION = 1;

/** One labelled series: the connections of one client to one C2 server or benign service. */
export interface LabelledSeries {
  /** Unique kebab-case id, such as "cobalt-strike-default". */
  id: string;
  /** The scenario id that produced the series (`--scenario`). */
  scenario: string;
  title: string;
  malicious: boolean;
  /** For malicious series the scenario id, for benign ones one of BENIGN_CLASSES. */
  class: string;
  sourceip: string;
  /** The one destination address, or null when the series reaches several (see destinationips). */
  destinationip: string | null;
  /** Every destination address, present only when there are several. */
  destinationips?: string[];
  destinationport: number | null;
  /** TLS SNI or HTTP Host, when the series has one. */
  servername: string | null;
  /** Registered domain of servername or of the DNS queries, such as "example.com". */
  domain: string | null;
  /** Executable that opens the connections, as Sysmon's Image names it. */
  process: string | null;
  /** Account that runs the process, as Sysmon's User names it. */
  username?: string | null;
  protocol: 'tcp' | 'udp';
  /** The intended sleep in seconds, or null for traffic without a period (Poisson, human browsing). */
  periodSeconds: number | null;
  /** The jitter model in words, such as "subtractive 0.5" or "none"; null without a period. */
  jitter: string | null;
  /** Connections (conn.log rows, flow records, Sysmon Event ID 3 records). */
  events: number;
  /** Application requests: HTTP requests, DNS queries; equal to events unless requests share a connection. */
  requests: number;
  /** Records that each written format holds for this series, by format id (0 when a format cannot see it). */
  eventsByFormat: Record<string, number>;
  /** Epoch milliseconds of the first and last connection, or null when the window contains none. */
  firstSeenEpochMs: number | null;
  lastSeenEpochMs: number | null;
  /** Facts about the series that a detector should know, such as "80% missed beats". */
  notes?: string[];
}

export interface Labels {
  generator: typeof LABELS_GENERATOR;
  version: typeof LABELS_VERSION;
  seed: number;
  /** Window of the generated data, ISO 8601 UTC. */
  start: string;
  end: string;
  /** Added network delay: each connection starts up to this many milliseconds after its scheduled time. */
  timestampNoiseMs: number;
  scenarios: string[];
  formats: string[];
  series: LabelledSeries[];
}
