/**
 * Schedules: the times, in epoch milliseconds, at which a series opens its connections. A beacon sleeps
 * by a gap model and may miss beats, run tasking bursts, change its sleep or keep office hours. Benign
 * traffic arrives as a Poisson process or in human browsing sessions.
 */
import { drawGap, type GapModel } from './jitter.js';
import type { Random } from './random.js';

export interface Window {
  /** Epoch milliseconds, inclusive. */
  start: number;
  /** Epoch milliseconds, exclusive. */
  end: number;
}

/** A UTC time-of-day range in hours, such as 8 to 17, and whether it applies on weekdays only. */
export interface Hours {
  from: number;
  to: number;
  weekdaysOnly?: boolean;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Returns true when `time` falls inside the hours (UTC). */
export function withinHours(time: number, hours: Hours): boolean {
  const date = new Date(time);
  const weekday = date.getUTCDay();
  if (hours.weekdaysOnly && (weekday === 0 || weekday === 6)) return false;
  const hour = date.getUTCHours() + date.getUTCMinutes() / 60 + date.getUTCSeconds() / 3600;
  return hour >= hours.from && hour < hours.to;
}

/** Returns the first time at or after `time` when the hours begin. */
export function nextHoursStart(time: number, hours: Hours): number {
  if (withinHours(time, hours)) return time;
  const midnight = Math.floor(time / DAY_MS) * DAY_MS;
  for (let day = 0; day < 8; day += 1) {
    const candidate = midnight + day * DAY_MS + hours.from * HOUR_MS;
    if (candidate >= time && withinHours(candidate, hours)) return candidate;
  }
  // Unreachable for hours with from < to, because every week contains a weekday.
  return Number.POSITIVE_INFINITY;
}

export interface BeaconSchedule {
  model: GapModel;
  /** Share of beats that send nothing, drawn independently per beat. */
  missedShare?: number;
  /** Tasking: after a beat, with probability `share`, `length` extra check-ins follow at `gap` spacing. */
  bursts?: { share: number; minLength: number; maxLength: number; gap: GapModel };
  /** From `atFraction` of the active span on, the implant sleeps by `model` instead. */
  sleepChange?: { atFraction: number; model: GapModel };
  /** The implant is only awake in these hours: a beat outside them waits for their next start. */
  hours?: Hours;
  /** Active span relative to the window; negative values count back from the window's end. */
  activeFromMs?: number;
  activeForMs?: number;
}

/** Resolves a schedule's active span inside the window. */
function activeSpan(window: Window, from?: number, length?: number): Window {
  let start = window.start;
  if (from !== undefined) start = from >= 0 ? window.start + from : window.end + from;
  start = Math.max(window.start, start);
  const end = length === undefined ? window.end : Math.min(window.end, start + length);
  return { start, end };
}

/** Returns the beat times of a beacon; the first beat falls at a random phase within one gap. */
export function beaconTimes(window: Window, schedule: BeaconSchedule, random: Random): number[] {
  const span = activeSpan(window, schedule.activeFromMs, schedule.activeForMs);
  const changeAt =
    schedule.sleepChange === undefined
      ? Number.POSITIVE_INFINITY
      : span.start + schedule.sleepChange.atFraction * (span.end - span.start);
  const times: number[] = [];
  let time = span.start + random.next() * 1000 * drawGap(schedule.model, random);
  while (time < span.end) {
    if (schedule.hours && !withinHours(time, schedule.hours)) {
      // The implant wakes at the start of the hours, at a random phase within one sleep.
      time = nextHoursStart(time, schedule.hours) + random.next() * 1000 * drawGap(schedule.model, random);
      continue;
    }
    const model = time >= changeAt && schedule.sleepChange ? schedule.sleepChange.model : schedule.model;
    if (random.next() >= (schedule.missedShare ?? 0)) {
      times.push(time);
      if (schedule.bursts && random.next() < schedule.bursts.share) {
        const length = random.integer(schedule.bursts.minLength, schedule.bursts.maxLength);
        for (let index = 0; index < length; index += 1) {
          time += 1000 * drawGap(schedule.bursts.gap, random);
          if (time >= span.end) break;
          times.push(time);
        }
      }
    }
    time += Math.max(1, 1000 * drawGap(model, random));
  }
  return times;
}

/** Returns the times of a Poisson process with the given mean gap, optionally only inside `hours`. */
export function poissonTimes(window: Window, meanSeconds: number, random: Random, hours?: Hours): number[] {
  const times: number[] = [];
  let time = window.start + random.exponential(meanSeconds) * 1000;
  while (time < window.end) {
    if (hours === undefined || withinHours(time, hours)) times.push(time);
    time += random.exponential(meanSeconds) * 1000;
  }
  return times;
}

export interface SessionSchedule {
  /** Mean gap between session starts, in seconds (Poisson arrivals). */
  meanSessionGapSeconds: number;
  /** Requests per session: uniform between these, inclusive. */
  minRequests: number;
  maxRequests: number;
  /** Mean gap between requests inside a session, in seconds (exponential). */
  meanRequestGapSeconds: number;
  hours?: Hours;
}

/** Returns the request times of human browsing: Poisson session starts, each a burst of requests. */
export function sessionTimes(window: Window, schedule: SessionSchedule, random: Random): number[] {
  const times: number[] = [];
  for (const start of poissonTimes(window, schedule.meanSessionGapSeconds, random, schedule.hours)) {
    const requests = random.integer(schedule.minRequests, schedule.maxRequests);
    let time = start;
    for (let index = 0; index < requests && time < window.end; index += 1) {
      times.push(time);
      time += 1000 * (0.2 + random.exponential(schedule.meanRequestGapSeconds));
    }
  }
  return times.sort((a, b) => a - b);
}

/**
 * Returns NTP client poll times. The poll interval starts at `minSeconds` and doubles after every
 * `pollsPerStep` polls up to `maxSeconds`, as ntpd and chrony do while the clock settles. RFC 5905's
 * poll exponent from 6 to 10 gives 64 to 1024 s.
 */
export function ntpPollTimes(
  window: Window,
  minSeconds: number,
  maxSeconds: number,
  pollsPerStep: number,
  random: Random,
): number[] {
  const times: number[] = [];
  let interval = minSeconds;
  let polls = 0;
  let time = window.start + random.next() * 1000 * minSeconds;
  while (time < window.end) {
    times.push(time);
    polls += 1;
    if (polls % pollsPerStep === 0) interval = Math.min(maxSeconds, interval * 2);
    // ntpd randomises each poll by a few percent so that clients do not synchronise.
    time += 1000 * interval * random.between(0.98, 1.02);
  }
  return times;
}
