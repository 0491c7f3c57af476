/** Turns series plans into connections: schedule, network delay, addresses, ports, sizes and payloads. */
import type { ConnectionState, HttpRequest, SeriesPlan, SimConnection } from './model.js';
import { Random, streamSeed } from './random.js';
import type { Window } from './timeline.js';

export interface GenerateSettings {
  seed: number;
  window: Window;
  /** Each connection starts up to this many milliseconds after its scheduled time (network delay). */
  timestampNoiseMs: number;
}

/** Lowest ephemeral port (IANA dynamic range, RFC 6335), the range Windows and most stacks use. */
const EPHEMERAL_MIN = 49_152;
const EPHEMERAL_MAX = 65_535;

function drawBytes(random: Random, bounds: readonly [number, number]): number {
  return random.integer(bounds[0], bounds[1]);
}

/** Returns the scheduled times of a plan shifted by network delay, kept inside the window, ascending. */
function delayedTimes(plan: SeriesPlan, settings: GenerateSettings, random: Random): number[] {
  const times = plan
    .times(settings.window, random)
    .map((time) => Math.floor(time + random.next() * settings.timestampNoiseMs));
  return times.filter((time) => time < settings.window.end).sort((a, b) => a - b);
}

function httpRequest(plan: SeriesPlan, time: number, random: Random): HttpRequest {
  const template = plan.http;
  if (template === undefined) throw new Error(`series ${plan.id} has no HTTP template`);
  return {
    time,
    method: template.method,
    host: template.host,
    uri: random.pick(template.uris),
    userAgent: template.userAgent,
    mimeType: template.mimeType,
    status: 200,
    requestBytes: drawBytes(random, plan.requestBytes),
    responseBytes: drawBytes(random, plan.responseBytes),
  };
}

function serviceOf(plan: SeriesPlan): string | null {
  if (plan.application === 'tls') return 'ssl';
  if (plan.application === 'http') return 'http';
  if (plan.application === 'dns') return 'dns';
  return plan.service ?? null;
}

/** Builds one connection of `plan` at `time` carrying `requests` (HTTP) or a DNS query. */
function connection(
  plan: SeriesPlan,
  seriesIndex: number,
  time: number,
  queryIndex: number,
  random: Random,
): SimConnection {
  const state: ConnectionState = plan.state ? plan.state(random) : 'SF';
  const answered = state === 'SF';
  const destinationip =
    plan.destinations.length === 1 ? (plan.destinations[0] as string) : random.pick(plan.destinations);
  const base: SimConnection = {
    series: seriesIndex,
    starttime: time,
    sourceip: plan.sourceip,
    sourceport: random.integer(EPHEMERAL_MIN, EPHEMERAL_MAX),
    destinationip,
    destinationport: plan.destinationport,
    protocol: plan.protocol,
    durationMs: answered ? random.integer(20, 1500) : 0,
    sourcebytes: 0,
    destinationbytes: 0,
    connstate: state,
    service: answered ? serviceOf(plan) : null,
    servername: answered && plan.application === 'tls' ? (plan.servername ?? null) : null,
    requests: [],
    dns: null,
    process: plan.process,
    username: plan.username,
    computer: plan.computer,
    proxied: plan.proxied && answered,
  };
  if (!answered) return base;
  if (plan.application === 'http') {
    const request = httpRequest(plan, time, random);
    base.requests = [request];
    base.sourcebytes = request.requestBytes;
    base.destinationbytes = request.responseBytes;
    return base;
  }
  base.sourcebytes = drawBytes(random, plan.requestBytes);
  base.destinationbytes = drawBytes(random, plan.responseBytes);
  if (plan.application === 'dns' && plan.dns) {
    base.durationMs = random.integer(1, 80);
    base.dns = {
      query: plan.dns.queryName(random, queryIndex),
      qtype: plan.dns.qtype,
      answers: plan.dns.answers,
      transactionId: random.integer(0, 65_535),
    };
  }
  return base;
}

/** Builds the single keep-alive connection that carries every request of a keep-alive series. */
function keepAliveConnection(
  plan: SeriesPlan,
  seriesIndex: number,
  times: readonly number[],
  random: Random,
): SimConnection[] {
  const first = times[0];
  const last = times.at(-1);
  if (first === undefined || last === undefined) return [];
  const connectionBase = connection(plan, seriesIndex, first, 0, random);
  const requests = times.map((time) => httpRequest(plan, time, random));
  return [
    {
      ...connectionBase,
      durationMs: last - first + random.integer(200, 900),
      requests,
      sourcebytes: requests.reduce((sum, request) => sum + request.requestBytes, 0),
      destinationbytes: requests.reduce((sum, request) => sum + request.responseBytes, 0),
    },
  ];
}

/** Generates the connections of one series from a random stream of its own (streamSeed). */
export function generatePlan(
  plan: SeriesPlan,
  seriesIndex: number,
  settings: GenerateSettings,
): SimConnection[] {
  const random = new Random(streamSeed(settings.seed, plan.id));
  const times = delayedTimes(plan, settings, random);
  if (plan.keepAlive) return keepAliveConnection(plan, seriesIndex, times, random);
  return times.map((time, index) => connection(plan, seriesIndex, time, index, random));
}

/** Generates every plan and merges the connections into start-time order; ties keep series order. */
export function generateConnections(
  plans: readonly SeriesPlan[],
  settings: GenerateSettings,
): SimConnection[] {
  const all = plans.flatMap((plan, index) => generatePlan(plan, index, settings));
  return all.sort((a, b) => a.starttime - b.starttime || a.series - b.series);
}
