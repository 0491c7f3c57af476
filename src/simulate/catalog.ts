/**
 * The scenarios of `beaconhunt simulate`, each a named set of labelled series. Addresses are private
 * (RFC 1918, IPv6 unique-local), loopback or documentation ranges (RFC 5737 IPv4, RFC 3849 IPv6), so no
 * generated record points at a real host. C2 server names use the reserved `.example` top-level domain
 * (RFC 2606). Vendor names (Microsoft, ESET, CrowdStrike) appear as text only; their addresses are
 * documentation addresses too.
 */
import type { GapModel } from './jitter.js';
import type { ConnectionState, SeriesPlan } from './model.js';
import type { Random } from './random.js';
import {
  beaconTimes,
  ntpPollTimes,
  poissonTimes,
  sessionTimes,
  type BeaconSchedule,
  type Hours,
} from './timeline.js';

const HOUR_MS = 3_600_000;

/** Benign traffic classes. Tuning profiles and `beaconhunt eval` use these ids. */
export const BENIGN_CLASSES = [
  'cdn-health-check',
  'voip-sip',
  'iot-mqtt',
  'ntp',
  'update-check',
  'edr-heartbeat',
  'browsing',
  'poisson-steady',
  'background',
] as const;
export type BenignClass = (typeof BENIGN_CLASSES)[number];

/** Scenario ids that produce malicious series. */
export const MALICIOUS_SCENARIO_IDS = [
  'art-multi-protocol',
  'art-multi-protocol-loopback',
  'art-irc',
  'art-irc-loopback',
  'art-http-cobalt-ua',
  'art-http-cobalt-ua-loopback',
  'art-dns-beacon',
  'cobalt-strike',
  'sliver',
  'mythic',
  'havoc',
  'long-period',
  'jitter-50',
  'missed-beats-80',
  'tasking-bursts',
  'sleep-change',
  'late-start',
  'cdn-rotating',
  'blocked-c2',
  'keepalive-http',
] as const;

/** Every scenario id, malicious first. Each benign class is also a scenario of the same id. */
export const SCENARIO_IDS = [...MALICIOUS_SCENARIO_IDS, ...BENIGN_CLASSES] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

/** The resolver of the simulated office network. */
export const OFFICE_RESOLVER = '10.20.0.2';

/** Cobalt Strike's default HTTP user agent in its stock profile, an Internet Explorer 9 string. */
const COBALT_STRIKE_USER_AGENT = 'Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; WOW64; Trident/5.0)';
const CURL_USER_AGENT = 'curl/8.5.0';

const POWERSHELL = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';
const RUNDLL32 = 'C:\\Windows\\System32\\rundll32.exe';
const SVCHOST = 'C:\\Windows\\System32\\svchost.exe';
const CHROME = 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe';

/** The Atomic Red Team validation tests run for an hour from 10:00 on the first day. */
const ATOMIC_TEST_START_MS = 10 * HOUR_MS;
const ATOMIC_TEST_LENGTH_MS = HOUR_MS;

const OFFICE_HOURS: Hours = { from: 8, to: 18, weekdaysOnly: true };

type PlanDefaults = Pick<SeriesPlan, 'scenario' | 'malicious' | 'class'>;

/** Returns a `times` function for a beacon schedule. */
function beacon(schedule: BeaconSchedule): SeriesPlan['times'] {
  return (window, random) => beaconTimes(window, schedule, random);
}

/** Builds a plan with the defaults most series share, overridden by `fields`. */
function plan(
  defaults: PlanDefaults,
  fields: Omit<SeriesPlan, keyof PlanDefaults | 'times' | 'proxied' | 'process' | 'username'> & {
    times?: SeriesPlan['times'];
    schedule?: BeaconSchedule;
    proxied?: boolean;
    process?: string | null;
    username?: string | null;
  },
): SeriesPlan {
  const { schedule, times, ...rest } = fields;
  const resolvedTimes = times ?? (schedule ? beacon(schedule) : undefined);
  if (resolvedTimes === undefined) throw new Error(`series ${fields.id} has neither times nor a schedule`);
  return {
    ...defaults,
    proxied: false,
    process: null,
    username: null,
    ...rest,
    times: resolvedTimes,
  };
}

function malicious(scenario: string): PlanDefaults {
  return { scenario, malicious: true, class: scenario };
}

function benign(benignClass: BenignClass): PlanDefaults {
  return { scenario: benignClass, malicious: false, class: benignClass };
}

/** Multi-protocol beaconing by curl to ports 80, 443 and 53 on one server, every 30 s ± 10 %. */
function artMultiProtocol(loopback: boolean): SeriesPlan[] {
  const scenario = loopback ? 'art-multi-protocol-loopback' : 'art-multi-protocol';
  const source = loopback ? '127.0.0.1' : '10.20.1.50';
  const server = loopback ? '127.0.0.1' : '203.0.113.10';
  const model: GapModel = { kind: 'symmetric', seconds: 30, jitter: 0.1 };
  const schedule: BeaconSchedule = {
    model,
    activeFromMs: ATOMIC_TEST_START_MS,
    activeForMs: ATOMIC_TEST_LENGTH_MS,
  };
  const common = {
    sourceip: source,
    computer: 'lnx-dev01',
    destinations: [server],
    protocol: 'tcp' as const,
    process: '/usr/bin/curl',
    username: 'atomic',
    model,
    schedule,
  };
  const http = (port: number) => ({
    method: 'GET' as const,
    host: port === 80 ? server : `${server}:${port}`,
    uris: ['/'],
    userAgent: CURL_USER_AGENT,
    mimeType: 'text/html',
  });
  return [
    plan(malicious(scenario), {
      ...common,
      id: `${scenario}-80`,
      title: `curl beaconing to ${server}:80 over HTTP (Atomic Red Team multi-protocol test)`,
      destinationport: 80,
      application: 'http',
      http: http(80),
      requestBytes: [78, 78],
      responseBytes: [612, 612],
    }),
    plan(malicious(scenario), {
      ...common,
      id: `${scenario}-443`,
      title: `curl beaconing to ${server}:443 over TLS without a server name (Atomic Red Team multi-protocol test)`,
      destinationport: 443,
      application: 'tls',
      requestBytes: [517, 517],
      responseBytes: [1400, 1500],
    }),
    plan(malicious(scenario), {
      ...common,
      id: `${scenario}-53`,
      title: `curl beaconing to ${server}:53 over TCP with HTTP inside (Atomic Red Team multi-protocol test)`,
      destinationport: 53,
      application: 'http',
      http: http(53),
      requestBytes: [81, 81],
      responseBytes: [612, 612],
    }),
  ];
}

/** IRC C2: nc connects to port 6667 every 60 s ± 10 %, registers and sends a PRIVMSG. */
function artIrc(loopback: boolean): SeriesPlan[] {
  const scenario = loopback ? 'art-irc-loopback' : 'art-irc';
  const model: GapModel = { kind: 'symmetric', seconds: 60, jitter: 0.1 };
  return [
    plan(malicious(scenario), {
      id: scenario,
      title: loopback
        ? 'nc connecting to an IRC server on 127.0.0.1:6667 (Atomic Red Team IRC test)'
        : 'nc connecting to an external IRC server over IPv6 (Atomic Red Team IRC test)',
      sourceip: loopback ? '127.0.0.1' : 'fd20:1::15',
      computer: 'lnx-dev01',
      destinations: [loopback ? '127.0.0.1' : '2001:db8:6667::1'],
      destinationport: 6667,
      protocol: 'tcp',
      application: 'other',
      service: 'irc',
      process: '/usr/bin/nc',
      username: 'atomic',
      requestBytes: [96, 120],
      responseBytes: [400, 700],
      model,
      schedule: { model, activeFromMs: ATOMIC_TEST_START_MS, activeForMs: ATOMIC_TEST_LENGTH_MS },
    }),
  ];
}

/** HTTP beaconing by powershell.exe to /pixel.gif with Cobalt Strike's user agent, every 30 s ± 10 %. */
function artHttpCobaltUserAgent(loopback: boolean): SeriesPlan[] {
  const scenario = loopback ? 'art-http-cobalt-ua-loopback' : 'art-http-cobalt-ua';
  const server = loopback ? '127.0.0.1' : '203.0.113.20';
  const model: GapModel = { kind: 'symmetric', seconds: 30, jitter: 0.1 };
  return [
    plan(malicious(scenario), {
      id: scenario,
      title: `powershell.exe requesting /pixel.gif from ${server}:80 with the Cobalt Strike user agent`,
      sourceip: loopback ? '127.0.0.1' : '10.20.1.60',
      computer: 'WS060',
      destinations: [server],
      destinationport: 80,
      protocol: 'tcp',
      application: 'http',
      http: {
        method: 'GET',
        host: server,
        uris: ['/pixel.gif'],
        userAgent: COBALT_STRIKE_USER_AGENT,
        mimeType: 'image/gif',
      },
      process: POWERSHELL,
      username: 'CORP\\tester',
      requestBytes: [240, 240],
      responseBytes: [43, 43],
      // Invoke-WebRequest uses the system proxy for an external server, and bypasses it for loopback.
      proxied: !loopback,
      model,
      schedule: { model, activeFromMs: ATOMIC_TEST_START_MS, activeForMs: ATOMIC_TEST_LENGTH_MS },
    }),
  ];
}

/** Lower-case letters and digits, as random DNS labels use. */
const LABEL_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomLabel(random: Random, length: number): string {
  let label = '';
  for (let index = 0; index < length; index += 1) label += random.pick([...LABEL_ALPHABET]);
  return label;
}

/**
 * Atomic Red Team T1071.004 DNS beacon: a TXT query for atomicredteam.<random>.example.com every 30 s
 * changed by a whole percentage from −20 to +19, for 30 minutes, to the office resolver.
 */
function artDnsBeacon(): SeriesPlan[] {
  const model: GapModel = { kind: 'percent-steps', seconds: 30, minPercent: -20, maxPercent: 19 };
  return [
    plan(malicious('art-dns-beacon'), {
      id: 'art-dns-beacon',
      title:
        'TXT queries for atomicredteam.<random>.example.com to the office resolver (Atomic Red Team T1071.004)',
      sourceip: '10.20.1.61',
      computer: 'WS061',
      destinations: [OFFICE_RESOLVER],
      destinationport: 53,
      protocol: 'udp',
      application: 'dns',
      dns: {
        queryName: (random) => `atomicredteam.${randomLabel(random, 12)}.example.com`,
        qtype: 'TXT',
        answers: [],
      },
      domain: 'example.com',
      process: POWERSHELL,
      username: 'CORP\\tester',
      requestBytes: [62, 62],
      responseBytes: [62, 120],
      model,
      schedule: { model, activeFromMs: 14 * HOUR_MS, activeForMs: 30 * 60_000 },
      notes: [
        'every query name is unique: group by registered domain',
        'destination is the internal resolver',
      ],
    }),
  ];
}

/** Builds a TLS beacon to one C2 server name, the shape most framework and hard-case series share. */
function tlsBeacon(
  scenario: string,
  fields: {
    id: string;
    title: string;
    host: number;
    server: string;
    servername: string;
    model: GapModel;
    schedule?: Partial<BeaconSchedule>;
    process?: string;
    notes?: string[];
    destinations?: string[];
    state?: (random: Random) => ConnectionState;
    proxied?: boolean;
  },
): SeriesPlan {
  return plan(malicious(scenario), {
    id: fields.id,
    title: fields.title,
    sourceip: `10.20.1.${fields.host}`,
    computer: `WS${String(fields.host).padStart(3, '0')}`,
    destinations: fields.destinations ?? [fields.server],
    destinationport: 443,
    protocol: 'tcp',
    application: 'tls',
    servername: fields.servername,
    domain: registeredDomain(fields.servername),
    process: fields.process ?? RUNDLL32,
    username: `CORP\\user${fields.host}`,
    requestBytes: [300, 340],
    responseBytes: [90, 160],
    proxied: fields.proxied ?? true,
    model: fields.model,
    schedule: { model: fields.model, ...fields.schedule },
    ...(fields.state ? { state: fields.state } : {}),
    ...(fields.notes ? { notes: fields.notes } : {}),
  });
}

/** Returns the last two labels of a name, which are the registered domain for every name passed here. */
function registeredDomain(name: string): string {
  return name.split('.').slice(-2).join('.');
}

function cobaltStrike(): SeriesPlan[] {
  const fixed: GapModel = { kind: 'subtractive', seconds: 60, jitter: 0 };
  const jittered: GapModel = { kind: 'subtractive', seconds: 60, jitter: 0.5 };
  return [
    plan(malicious('cobalt-strike'), {
      id: 'cobalt-strike-default',
      title: 'Cobalt Strike HTTP beacon, default sleep 60 s, no jitter, stock profile URIs',
      sourceip: '10.20.1.15',
      computer: 'WS015',
      destinations: ['203.0.113.50'],
      destinationport: 80,
      protocol: 'tcp',
      application: 'http',
      http: {
        method: 'GET',
        host: 'metrics.pixel-cdn.example',
        uris: ['/pixel.gif', '/__utm.gif', '/ga.js', '/dpixel'],
        userAgent: COBALT_STRIKE_USER_AGENT,
        mimeType: 'image/gif',
      },
      domain: 'pixel-cdn.example',
      process: RUNDLL32,
      username: 'CORP\\user15',
      requestBytes: [290, 310],
      responseBytes: [0, 0],
      proxied: true,
      model: fixed,
      schedule: { model: fixed },
    }),
    tlsBeacon('cobalt-strike', {
      id: 'cobalt-strike-jitter-50',
      title: 'Cobalt Strike HTTPS beacon, sleep 60 s with 50% subtractive jitter',
      host: 16,
      server: '203.0.113.51',
      servername: 'updates.cloud-sync.example',
      model: jittered,
    }),
  ];
}

function frameworks(id: 'sliver' | 'mythic' | 'havoc'): SeriesPlan[] {
  if (id === 'sliver') {
    const model: GapModel = { kind: 'additive', seconds: 60, maxExtraSeconds: 30 };
    return [
      tlsBeacon('sliver', {
        id: 'sliver',
        title: 'Sliver HTTPS beacon, 60 s plus up to 30 s added jitter',
        host: 17,
        server: '203.0.113.52',
        servername: 'api.telemetry-hub.example',
        model,
        process: 'C:\\Users\\user17\\AppData\\Local\\Temp\\svc-update.exe',
      }),
    ];
  }
  if (id === 'mythic') {
    const model: GapModel = { kind: 'symmetric', seconds: 10, jitter: 0.23 };
    return [
      plan(malicious('mythic'), {
        id: 'mythic',
        title: 'Mythic HTTP agent, 10 s ± 23 %',
        sourceip: '10.20.1.18',
        computer: 'WS018',
        destinations: ['203.0.113.53'],
        destinationport: 80,
        protocol: 'tcp',
        application: 'http',
        http: {
          method: 'POST',
          host: 'sync.office-docs.example',
          uris: ['/data'],
          userAgent: 'Mozilla/5.0 (Windows NT 6.3; Trident/7.0; rv:11.0) like Gecko',
          mimeType: 'text/plain',
        },
        domain: 'office-docs.example',
        process: 'C:\\ProgramData\\apollo.exe',
        username: 'CORP\\user18',
        requestBytes: [420, 460],
        responseBytes: [60, 90],
        proxied: true,
        model,
        schedule: { model },
      }),
    ];
  }
  const model: GapModel = { kind: 'symmetric', seconds: 2, jitter: 0.15 };
  return [
    tlsBeacon('havoc', {
      id: 'havoc',
      title: 'Havoc demon over HTTPS, 2 s ± 15 %',
      host: 19,
      server: '203.0.113.54',
      servername: 'cdn.static-host.example',
      model,
      process: 'C:\\Users\\Public\\demon.x64.exe',
    }),
    tlsBeacon('havoc', {
      id: 'havoc-working-hours',
      title: 'Havoc demon over HTTPS, 2 s ± 15 %, awake 08:00-17:00 UTC only',
      host: 20,
      server: '203.0.113.55',
      servername: 'portal.static-host.example',
      model,
      schedule: { hours: { from: 8, to: 17 } },
      process: 'C:\\Users\\Public\\demon.x64.exe',
      notes: ['working hours only: 08:00-17:00 UTC every day'],
    }),
  ];
}

function hardCases(id: ScenarioId): SeriesPlan[] {
  switch (id) {
    case 'long-period':
      return [
        tlsBeacon('long-period', {
          id: 'long-period-1h',
          title: 'HTTPS beacon every hour, 10% subtractive jitter',
          host: 70,
          server: '203.0.113.60',
          servername: 'hourly.report-sync.example',
          model: { kind: 'subtractive', seconds: 3600, jitter: 0.1 },
          notes: ['needs --duration 7d and a 7-day window to show more than 24 beats'],
        }),
        tlsBeacon('long-period', {
          id: 'long-period-8h',
          title: 'HTTPS beacon every 8 hours, 5% symmetric jitter',
          host: 70,
          server: '203.0.113.61',
          servername: 'shift.report-sync.example',
          model: { kind: 'symmetric', seconds: 8 * 3600, jitter: 0.05 },
          notes: ['needs --duration 7d: 3 beats a day'],
        }),
        tlsBeacon('long-period', {
          id: 'long-period-24h',
          title: 'HTTPS beacon once a day, 2% symmetric jitter',
          host: 70,
          server: '203.0.113.62',
          servername: 'daily.report-sync.example',
          model: { kind: 'symmetric', seconds: 24 * 3600, jitter: 0.02 },
          notes: ['needs --duration 7d: 1 beat a day'],
        }),
      ];
    case 'jitter-50':
      return [
        tlsBeacon('jitter-50', {
          id: 'jitter-50',
          title: 'HTTPS beacon, 300 s ± 50 % symmetric jitter',
          host: 71,
          server: '203.0.113.63',
          servername: 'jitter.wide-sleep.example',
          model: { kind: 'symmetric', seconds: 300, jitter: 0.5 },
        }),
      ];
    case 'missed-beats-80':
      return [
        tlsBeacon('missed-beats-80', {
          id: 'missed-beats-80',
          title: 'HTTPS beacon, 60 s with 10% subtractive jitter, 80% of beats missed',
          host: 72,
          server: '203.0.113.64',
          servername: 'sparse.check-in.example',
          model: { kind: 'subtractive', seconds: 60, jitter: 0.1 },
          schedule: { missedShare: 0.8 },
          notes: ['80% missed beats: gaps are multiples of the period'],
        }),
      ];
    case 'tasking-bursts':
      return [
        tlsBeacon('tasking-bursts', {
          id: 'tasking-bursts',
          title: 'HTTPS beacon, 60 s with 20% subtractive jitter, with tasking bursts of 1-5 s gaps',
          host: 73,
          server: '203.0.113.65',
          servername: 'tasks.job-queue.example',
          model: { kind: 'subtractive', seconds: 60, jitter: 0.2 },
          schedule: {
            bursts: {
              share: 0.03,
              minLength: 5,
              maxLength: 20,
              gap: { kind: 'uniform', minSeconds: 1, maxSeconds: 5 },
            },
          },
          notes: ['3% of beats start a burst of 5-20 check-ins 1-5 s apart'],
        }),
      ];
    case 'sleep-change':
      return [
        tlsBeacon('sleep-change', {
          id: 'sleep-change',
          title: 'HTTPS beacon that changes its sleep from 300 s to 30 s halfway (10% subtractive jitter)',
          host: 74,
          server: '203.0.113.66',
          servername: 'ops.sleep-switch.example',
          model: { kind: 'subtractive', seconds: 300, jitter: 0.1 },
          schedule: {
            sleepChange: { atFraction: 0.5, model: { kind: 'subtractive', seconds: 30, jitter: 0.1 } },
          },
          notes: ['sleep 300 s in the first half of the window, 30 s in the second'],
        }),
      ];
    case 'late-start':
      return [
        tlsBeacon('late-start', {
          id: 'late-start',
          title: 'HTTPS beacon, 60 s ± 10 %, installed 3 hours before the data ends',
          host: 75,
          server: '203.0.113.67',
          servername: 'new.fresh-implant.example',
          model: { kind: 'symmetric', seconds: 60, jitter: 0.1 },
          schedule: { activeFromMs: -3 * HOUR_MS },
          notes: ['starts 3 hours before the end of the window'],
        }),
      ];
    case 'cdn-rotating':
      return [
        tlsBeacon('cdn-rotating', {
          id: 'cdn-rotating',
          title:
            'HTTPS beacon to one server name behind a CDN that answers from 8 addresses, 120 s with 20% subtractive jitter',
          host: 76,
          server: '203.0.113.100',
          servername: 'assets.edge-fronted.example',
          destinations: Array.from({ length: 8 }, (_, index) => `203.0.113.${100 + index}`),
          model: { kind: 'subtractive', seconds: 120, jitter: 0.2 },
          notes: ['each connection goes to one of 8 CDN addresses: key by server name'],
        }),
      ];
    case 'blocked-c2':
      return [
        tlsBeacon('blocked-c2', {
          id: 'blocked-c2',
          title: 'C2 blocked at the firewall: SYN-only attempts every 60 s, dropped (S0) or rejected (REJ)',
          host: 77,
          server: '203.0.113.70',
          servername: 'blocked.sinkholed-c2.example',
          model: { kind: 'subtractive', seconds: 60, jitter: 0.1 },
          state: (random) => (random.next() < 0.7 ? 'S0' : 'REJ'),
          proxied: false,
          notes: ['no connection completes, so there is no TLS server name, payload or proxy record'],
        }),
      ];
    case 'keepalive-http':
      return [
        plan(malicious('keepalive-http'), {
          id: 'keepalive-http',
          title: 'HTTP beacon polling every 30 s (10% subtractive jitter) over one keep-alive connection',
          sourceip: '10.20.1.78',
          computer: 'WS078',
          destinations: ['203.0.113.71'],
          destinationport: 80,
          protocol: 'tcp',
          application: 'http',
          http: {
            method: 'GET',
            host: 'poll.long-lived.example',
            uris: ['/api/v1/poll'],
            userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
            mimeType: 'application/json',
          },
          domain: 'long-lived.example',
          process: RUNDLL32,
          username: 'CORP\\user78',
          requestBytes: [180, 200],
          responseBytes: [40, 60],
          keepAlive: true,
          proxied: true,
          model: { kind: 'subtractive', seconds: 30, jitter: 0.1 },
          schedule: { model: { kind: 'subtractive', seconds: 30, jitter: 0.1 } },
          notes: ['one connection carries every request: only HTTP and proxy logs show the period'],
        }),
      ];
    default:
      return [];
  }
}

function cdnHealthCheck(): SeriesPlan[] {
  const defaults = benign('cdn-health-check');
  const probe = (
    id: string,
    title: string,
    balancer: string,
    server: string,
    seconds: number,
    userAgent: string,
    uri: string,
  ): SeriesPlan =>
    plan(defaults, {
      id,
      title,
      sourceip: balancer,
      computer: server === '10.20.3.20' ? 'app01' : 'app02',
      destinations: [server],
      destinationport: 80,
      protocol: 'tcp',
      application: 'http',
      http: { method: 'GET', host: server, uris: [uri], userAgent, mimeType: 'text/plain' },
      process: '/usr/sbin/nginx',
      requestBytes: [120, 120],
      responseBytes: [2, 2],
      model: { kind: 'fixed', seconds },
      schedule: { model: { kind: 'fixed', seconds } },
      notes: ['inbound probe from an external load balancer to an internal server'],
    });
  const keepAliveModel: GapModel = { kind: 'symmetric', seconds: 30, jitter: 0.01 };
  return [
    probe(
      'health-check-elb',
      'Load-balancer health probe every 30 s (ELB-HealthChecker)',
      '198.51.100.10',
      '10.20.3.20',
      30,
      'ELB-HealthChecker/2.0',
      '/health',
    ),
    probe(
      'health-check-google',
      'Load-balancer health probe every 5 s (GoogleHC)',
      '198.51.100.11',
      '10.20.3.21',
      5,
      'GoogleHC/1.0',
      '/healthz',
    ),
    plan(defaults, {
      id: 'health-check-keepalive',
      title: 'Application server keep-alive to an external monitoring endpoint every 30 s',
      sourceip: '10.20.3.22',
      computer: 'app03',
      destinations: ['198.51.100.12'],
      destinationport: 443,
      protocol: 'tcp',
      application: 'tls',
      // An APM agent's keep-alive to its vendor; an in-house monitor needs an allowlist entry instead.
      servername: 'trace.agent.datadoghq.com',
      domain: 'datadoghq.com',
      process: '/usr/bin/java',
      username: 'svc-app',
      requestBytes: [210, 210],
      responseBytes: [180, 180],
      model: keepAliveModel,
      schedule: { model: keepAliveModel },
    }),
  ];
}

function voipSip(): SeriesPlan[] {
  const defaults = benign('voip-sip');
  const phone = (
    id: string,
    title: string,
    port: number,
    protocol: 'udp' | 'tcp',
    seconds: number,
  ): SeriesPlan => {
    const model: GapModel = { kind: 'symmetric', seconds, jitter: 0.01 };
    return plan(defaults, {
      id,
      title,
      sourceip: `10.20.6.${port === 5060 ? 10 : port === 5061 ? 11 : 12}`,
      computer: `phone-${port}`,
      destinations: ['198.51.100.20'],
      destinationport: port,
      protocol,
      application: port === 443 ? 'tls' : 'other',
      service: 'sip',
      ...(port === 443 ? { servername: 'sip.ringcentral.com', domain: 'ringcentral.com' } : {}),
      process: port === 443 ? 'C:\\Program Files\\Softphone\\softphone.exe' : null,
      requestBytes: [520, 560],
      responseBytes: [380, 420],
      model,
      schedule: { model },
    });
  };
  return [
    phone('voip-sip-udp', 'SIP REGISTER refresh over UDP 5060 every 30 s', 5060, 'udp', 30),
    phone('voip-sip-tls', 'SIP REGISTER refresh over TLS on TCP 5061 every 60 s', 5061, 'tcp', 60),
    phone('voip-sip-443', 'SIP REGISTER refresh tunnelled over TCP 443 every 45 s', 443, 'tcp', 45),
  ];
}

function iotMqtt(): SeriesPlan[] {
  const defaults = benign('iot-mqtt');
  const plain: GapModel = { kind: 'fixed', seconds: 60 };
  const tls: GapModel = { kind: 'fixed', seconds: 300 };
  return [
    plan(defaults, {
      id: 'iot-mqtt-1883',
      title: 'Sensor publishing MQTT telemetry on 1883 every 60 s, constant size',
      sourceip: '10.20.5.10',
      computer: 'sensor-10',
      destinations: ['198.51.100.30'],
      destinationport: 1883,
      protocol: 'tcp',
      application: 'other',
      service: 'mqtt',
      requestBytes: [128, 128],
      responseBytes: [4, 4],
      model: plain,
      schedule: { model: plain },
    }),
    plan(defaults, {
      id: 'iot-mqtt-8883',
      title: 'Gateway publishing MQTT over TLS on 8883 to a cloud IoT endpoint every 300 s, constant size',
      sourceip: '10.20.5.11',
      computer: 'gateway-11',
      destinations: ['198.51.100.31'],
      destinationport: 8883,
      protocol: 'tcp',
      application: 'tls',
      servername: 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com',
      domain: 'amazonaws.com',
      requestBytes: [512, 512],
      responseBytes: [64, 64],
      model: tls,
      schedule: { model: tls },
    }),
  ];
}

function ntp(): SeriesPlan[] {
  return [
    plan(benign('ntp'), {
      id: 'ntp',
      title: 'NTP client polling from 64 s up to 1024 s',
      sourceip: '10.20.1.5',
      computer: 'WS005',
      destinations: ['198.51.100.123'],
      destinationport: 123,
      protocol: 'udp',
      application: 'other',
      service: 'ntp',
      process: SVCHOST,
      username: 'NT AUTHORITY\\LOCAL SERVICE',
      requestBytes: [48, 48],
      responseBytes: [48, 48],
      model: { kind: 'fixed', seconds: 1024 },
      times: (window, random) => ntpPollTimes(window, 64, 1024, 8, random),
      notes: ['poll interval doubles from 64 s to 1024 s after every 8 polls'],
    }),
  ];
}

function updateCheck(): SeriesPlan[] {
  const defaults = benign('update-check');
  const check = (
    id: string,
    title: string,
    host: number,
    server: string,
    servername: string,
    model: GapModel,
    process: string,
  ): SeriesPlan =>
    plan(defaults, {
      id,
      title,
      sourceip: `10.20.1.${host}`,
      computer: `WS${String(host).padStart(3, '0')}`,
      destinations: [server],
      destinationport: 443,
      protocol: 'tcp',
      application: 'tls',
      servername,
      domain: registeredDomain(servername),
      process,
      username: 'NT AUTHORITY\\SYSTEM',
      requestBytes: [900, 1400],
      responseBytes: [2000, 12_000],
      proxied: true,
      model,
      schedule: { model },
    });
  return [
    check(
      'update-windows',
      'Windows Update scan every 4 h ± 25 %',
      30,
      '198.51.100.40',
      'fe2.update.microsoft.com',
      { kind: 'symmetric', seconds: 4 * 3600, jitter: 0.25 },
      SVCHOST,
    ),
    check(
      'update-delivery-optimization',
      'Delivery Optimization check-in every 30 min ± 10 %',
      30,
      '198.51.100.41',
      'kv601.prod.do.dsp.mp.microsoft.com',
      { kind: 'symmetric', seconds: 1800, jitter: 0.1 },
      SVCHOST,
    ),
    check(
      'update-eset',
      'ESET antivirus module update check every 60 min',
      31,
      '198.51.100.42',
      'update.eset.com',
      { kind: 'subtractive', seconds: 3600, jitter: 0.05 },
      'C:\\Program Files\\ESET\\ESET Security\\ekrn.exe',
    ),
  ];
}

function edrHeartbeat(): SeriesPlan[] {
  const defaults = benign('edr-heartbeat');
  const heartbeat = (
    id: string,
    title: string,
    server: string,
    servername: string,
    seconds: number,
    process: string,
  ): SeriesPlan => {
    const model: GapModel = { kind: 'symmetric', seconds, jitter: 0.01 };
    return plan(defaults, {
      id,
      title,
      sourceip: '10.20.1.31',
      computer: 'WS031',
      destinations: [server],
      destinationport: 443,
      protocol: 'tcp',
      application: 'tls',
      servername,
      domain: registeredDomain(servername),
      process,
      username: 'NT AUTHORITY\\SYSTEM',
      requestBytes: [700, 760],
      responseBytes: [300, 340],
      model,
      schedule: { model },
    });
  };
  return [
    heartbeat(
      'edr-crowdstrike',
      'CrowdStrike Falcon sensor heartbeat every 300 s',
      '198.51.100.50',
      'ts01-b.cloudsink.net',
      300,
      'C:\\Program Files\\CrowdStrike\\CSFalconService.exe',
    ),
    heartbeat(
      'edr-defender',
      'Microsoft Defender for Endpoint heartbeat every 60 s',
      '198.51.100.51',
      'winatp-gw-weu.microsoft.com',
      60,
      'C:\\Program Files\\Windows Defender Advanced Threat Protection\\MsSense.exe',
    ),
  ];
}

function browsing(): SeriesPlan[] {
  const defaults = benign('browsing');
  const sites = [
    { server: '192.0.2.80', name: 'news.example.org' },
    { server: '192.0.2.81', name: 'wiki.example.org' },
    { server: '192.0.2.82', name: 'shop.example.org' },
  ];
  const users = [40, 41];
  return users.flatMap((host) =>
    sites.map((site, index) =>
      plan(defaults, {
        id: `browsing-${host}-${site.name.split('.')[0] ?? index}`,
        title: `Human browsing of ${site.name}: sessions of bursty requests in office hours`,
        sourceip: `10.20.1.${host}`,
        computer: `WS${String(host).padStart(3, '0')}`,
        destinations: [site.server],
        destinationport: 443,
        protocol: 'tcp',
        application: 'tls',
        servername: site.name,
        domain: 'example.org',
        process: CHROME,
        username: `CORP\\user${host}`,
        requestBytes: [400, 2400],
        responseBytes: [2000, 90_000],
        proxied: true,
        model: null,
        times: (window, random) =>
          sessionTimes(
            window,
            {
              meanSessionGapSeconds: 1800 + 600 * index,
              minRequests: 2,
              maxRequests: 25,
              meanRequestGapSeconds: 6,
              hours: OFFICE_HOURS,
            },
            random,
          ),
      }),
    ),
  );
}

function poissonSteady(): SeriesPlan[] {
  return [
    plan(benign('poisson-steady'), {
      id: 'poisson-steady',
      title: 'Steady all-day Poisson traffic, mean gap 60 s, constant request and response sizes',
      sourceip: '10.20.1.90',
      computer: 'WS090',
      destinations: ['198.51.100.90'],
      destinationport: 443,
      protocol: 'tcp',
      application: 'tls',
      servername: 'feeds.newswire.example',
      domain: 'newswire.example',
      process: 'C:\\Program Files\\Ticker\\ticker.exe',
      username: 'CORP\\user90',
      requestBytes: [512, 512],
      responseBytes: [2048, 2048],
      proxied: true,
      model: null,
      times: (window, random) => poissonTimes(window, 60, random),
      notes: ['random in time: must not score as a beacon despite constant sizes'],
    }),
  ];
}

/** Ports and protocols of background traffic, with the share of hosts that use them. */
const BACKGROUND_SERVICES: readonly {
  port: number;
  protocol: 'tcp' | 'udp';
  application: 'tls' | 'other';
}[] = [
  { port: 443, protocol: 'tcp', application: 'tls' },
  { port: 443, protocol: 'tcp', application: 'tls' },
  { port: 993, protocol: 'tcp', application: 'other' },
  { port: 22, protocol: 'tcp', application: 'other' },
  { port: 3478, protocol: 'udp', application: 'other' },
];

/** Background hosts, each talking to a pool of destinations at random times; destinationip is null. */
const BACKGROUND_HOSTS = 24;

function background(): SeriesPlan[] {
  const plans: SeriesPlan[] = [];
  for (let host = 1; host <= BACKGROUND_HOSTS; host += 1) {
    const service = BACKGROUND_SERVICES[host % BACKGROUND_SERVICES.length] ?? BACKGROUND_SERVICES[0];
    if (service === undefined) continue;
    const destinations = Array.from({ length: 4 + (host % 5) }, (_, index) =>
      index % 2 === 0
        ? `192.0.2.${((host * 7 + index * 13) % 200) + 20}`
        : `198.51.100.${((host * 11 + index * 5) % 100) + 130}`,
    );
    const meanSeconds = 240 + 60 * (host % 7);
    plans.push(
      plan(benign('background'), {
        id: `background-${String(host).padStart(2, '0')}`,
        title: `Background host 10.20.2.${host}: random traffic to ${destinations.length} servers`,
        sourceip: `10.20.2.${host}`,
        computer: `WS2${String(host).padStart(2, '0')}`,
        destinations,
        destinationport: service.port,
        protocol: service.protocol,
        application: service.application,
        ...(service.application === 'tls'
          ? { servername: `site${host}.example.org`, domain: 'example.org' }
          : {}),
        process: CHROME,
        username: `CORP\\bg${host}`,
        requestBytes: [200, 3000],
        responseBytes: [500, 60_000],
        model: null,
        times: (window, random) => poissonTimes(window, meanSeconds, random),
      }),
    );
  }
  return plans;
}

/** Returns the series plans of one scenario. */
export function scenarioPlans(id: ScenarioId): SeriesPlan[] {
  switch (id) {
    case 'art-multi-protocol':
      return artMultiProtocol(false);
    case 'art-multi-protocol-loopback':
      return artMultiProtocol(true);
    case 'art-irc':
      return artIrc(false);
    case 'art-irc-loopback':
      return artIrc(true);
    case 'art-http-cobalt-ua':
      return artHttpCobaltUserAgent(false);
    case 'art-http-cobalt-ua-loopback':
      return artHttpCobaltUserAgent(true);
    case 'art-dns-beacon':
      return artDnsBeacon();
    case 'cobalt-strike':
      return cobaltStrike();
    case 'sliver':
    case 'mythic':
    case 'havoc':
      return frameworks(id);
    case 'cdn-health-check':
      return cdnHealthCheck();
    case 'voip-sip':
      return voipSip();
    case 'iot-mqtt':
      return iotMqtt();
    case 'ntp':
      return ntp();
    case 'update-check':
      return updateCheck();
    case 'edr-heartbeat':
      return edrHeartbeat();
    case 'browsing':
      return browsing();
    case 'poisson-steady':
      return poissonSteady();
    case 'background':
      return background();
    default:
      return hardCases(id);
  }
}

export function isScenarioId(id: string): id is ScenarioId {
  return (SCENARIO_IDS as readonly string[]).includes(id);
}
