/**
 * Synthetic connection series with known labels: beacons with the jitter of real frameworks, and benign
 * traffic that is random in time. Addresses come from the documentation ranges (RFC 5737) and a private
 * office network, so nothing generated points at a real host.
 */
import { emptyEvent, type ConnectionEvent } from '../model/event.js';
import { Random } from './random.js';

export interface SeriesSpec {
  label: string;
  malicious: boolean;
  sourceip: string;
  destinationip: string;
  destinationport: number;
  protocol: 'tcp' | 'udp';
  servername?: string;
  username?: string;
  /** Gap generator in seconds. */
  nextGap: (random: Random) => number;
  /** Bytes sent by the client per connection. */
  requestBytes: (random: Random) => number;
  responseBytes: (random: Random) => number;
  /** Share of connections dropped at random, to model missed beats. */
  missedShare?: number;
}

export interface GenerateOptions {
  start: number;
  durationMs: number;
  seed: number;
}

/** Cobalt Strike-style subtractive jitter: sleep uniform in [S(1 − j), S]. */
export function subtractiveJitter(sleepSeconds: number, jitter: number) {
  return (random: Random): number => random.between(sleepSeconds * (1 - jitter), sleepSeconds);
}

/** Empire- and PoshC2-style symmetric jitter: sleep uniform in [S(1 − j), S(1 + j)]. */
export function symmetricJitter(sleepSeconds: number, jitter: number) {
  return (random: Random): number => random.between(sleepSeconds * (1 - jitter), sleepSeconds * (1 + jitter));
}

export function poissonGaps(meanSeconds: number) {
  return (random: Random): number => random.exponential(meanSeconds);
}

export function constant(value: number) {
  return (): number => value;
}

export function uniformInteger(min: number, max: number) {
  return (random: Random): number => random.integer(min, max);
}

/** Generates one series' events over the window, in time order. */
export function generateSeries(
  spec: SeriesSpec,
  options: GenerateOptions,
  random: Random,
): ConnectionEvent[] {
  const events: ConnectionEvent[] = [];
  const end = options.start + options.durationMs;
  let time = options.start + random.between(0, 1000 * spec.nextGap(random));
  while (time < end) {
    if (random.next() >= (spec.missedShare ?? 0)) events.push(connection(spec, time, random));
    time += Math.max(1, 1000 * spec.nextGap(random));
  }
  return events;
}

function connection(spec: SeriesSpec, time: number, random: Random): ConnectionEvent {
  const event = emptyEvent('', 0);
  event.starttime = Math.round(time);
  event.sourceip = spec.sourceip;
  event.sourceport = random.integer(49_152, 65_535);
  event.destinationip = spec.destinationip;
  event.destinationport = spec.destinationport;
  event.protocol = spec.protocol;
  event.username = spec.username ?? null;
  event.servername = spec.servername ?? null;
  event.sourcebytes = Math.round(spec.requestBytes(random));
  event.destinationbytes = Math.round(spec.responseBytes(random));
  event.duration = random.between(0.05, 1.5);
  event.connstate = 'SF';
  if (spec.destinationport === 53) event.service = 'dns';
  else if (spec.servername) event.service = 'ssl';
  return event;
}

/** The scenarios written into the repository's sample data: two beacons and four kinds of benign traffic. */
export const SAMPLE_SCENARIOS: readonly SeriesSpec[] = [
  {
    label: 'HTTPS beacon, 60 s sleep, 20% subtractive jitter (Cobalt Strike style)',
    malicious: true,
    sourceip: '10.20.1.15',
    destinationip: '203.0.113.50',
    destinationport: 443,
    protocol: 'tcp',
    servername: 'cdn-assets.example.net',
    username: 'CORP\\jdoe',
    nextGap: subtractiveJitter(60, 0.2),
    requestBytes: uniformInteger(310, 330),
    responseBytes: uniformInteger(120, 4000),
  },
  {
    label: 'HTTP beacon, 300 s sleep, 10% symmetric jitter, 15% missed beats',
    malicious: true,
    sourceip: '10.20.1.22',
    destinationip: '198.51.100.7',
    destinationport: 8080,
    protocol: 'tcp',
    username: 'CORP\\asmith',
    nextGap: symmetricJitter(300, 0.1),
    requestBytes: constant(212),
    responseBytes: uniformInteger(90, 110),
    missedShare: 0.15,
  },
  {
    label: 'Web browsing: random gaps averaging 60 s',
    malicious: false,
    sourceip: '10.20.1.30',
    destinationip: '192.0.2.80',
    destinationport: 443,
    protocol: 'tcp',
    servername: 'news.example.org',
    username: 'CORP\\bwong',
    nextGap: poissonGaps(60),
    requestBytes: uniformInteger(400, 2400),
    responseBytes: uniformInteger(2000, 90_000),
  },
  {
    label: 'Mail client: random gaps averaging 10 min',
    malicious: false,
    sourceip: '10.20.1.31',
    destinationip: '192.0.2.25',
    destinationport: 143,
    protocol: 'tcp',
    nextGap: poissonGaps(600),
    requestBytes: uniformInteger(80, 900),
    responseBytes: uniformInteger(200, 40_000),
  },
  {
    label: 'DNS lookups to the office resolver: random gaps averaging 90 s',
    malicious: false,
    sourceip: '10.20.1.15',
    destinationip: '10.20.0.2',
    destinationport: 53,
    protocol: 'udp',
    nextGap: poissonGaps(90),
    requestBytes: uniformInteger(30, 60),
    responseBytes: uniformInteger(60, 300),
  },
  {
    label: 'NTP client polling every 1024 s',
    malicious: false,
    sourceip: '10.20.1.5',
    destinationip: '198.51.100.123',
    destinationport: 123,
    protocol: 'udp',
    nextGap: constant(1024),
    requestBytes: constant(48),
    responseBytes: constant(48),
  },
];

/** Generates every scenario and merges them into one time-ordered list. */
export function generateEvents(specs: readonly SeriesSpec[], options: GenerateOptions): ConnectionEvent[] {
  const random = new Random(options.seed);
  const events = specs.flatMap((spec) => generateSeries(spec, options, random));
  return events.sort((a, b) => a.starttime - b.starttime);
}
