/** Parsers for option values; each throws a UsageError that names the flag and the accepted form. */
import { InvalidArgumentError } from 'commander';

import { parseDuration } from '../detect/duration.js';

export function parseInteger(flag: string, min = 0) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min) {
      throw new InvalidArgumentError(`${flag} takes a whole number of at least ${min}, got "${text}"`);
    }
    return value;
  };
}

export function parseFraction(flag: string) {
  return (text: string): number => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
      throw new InvalidArgumentError(`${flag} takes a number from 0 to 1, got "${text}"`);
    }
    return value;
  };
}

export function parsePortList(text: string): number[] {
  const ports = text.split(',').map((part) => part.trim());
  return ports.map((port) => {
    const value = Number(port);
    if (!/^\d+$/.test(port) || value > 65_535) {
      throw new InvalidArgumentError(`--ports takes comma-separated ports from 0 to 65535, got "${text}"`);
    }
    return value;
  });
}

export function parseWindow(text: string): number {
  if (text === 'all') return Number.POSITIVE_INFINITY;
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (error) {
    throw new InvalidArgumentError(`${(error as Error).message}; --window also takes "all" for no limit`);
  }
  if (ms === 0) throw new InvalidArgumentError(`--window must be longer than zero, got "${text}"`);
  return ms;
}

const WEEK_MS = 7 * 86_400_000;

/**
 * Parses --retention: the units of --window (ms, s, m, h, d) and also weeks, such as 14d, 36h, 90m or 2w,
 * into milliseconds. Zero is rejected, because it would delete every row older than the newest one.
 */
export function parseRetention(text: string): number {
  const weeks = /^(\d+)w$/.exec(text);
  let ms: number;
  if (weeks !== null) {
    ms = Number(weeks[1]) * WEEK_MS;
    if (!Number.isSafeInteger(ms)) {
      throw new InvalidArgumentError(`--retention "${text}" exceeds ${Number.MAX_SAFE_INTEGER} ms`);
    }
  } else {
    try {
      ms = parseDuration(text);
    } catch (error) {
      throw new InvalidArgumentError(`${(error as Error).message}; --retention also takes weeks, such as 2w`);
    }
  }
  if (ms === 0) throw new InvalidArgumentError(`--retention must be longer than zero, got "${text}"`);
  return ms;
}

/** Accepts epoch milliseconds or an ISO 8601 date-time; a date-time without a zone is read as UTC. */
export function parseTime(text: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  // Accept "2024-04-21 12:00:00" as well as the T form, and read a time without a zone as UTC.
  const isoLike = trimmed.replace(/^(\d{4}-\d{2}-\d{2})[ T]/, '$1T');
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(isoLike);
  const isDateTime = /^\d{4}-\d{2}-\d{2}T/.test(isoLike);
  const isDate = /^\d{4}-\d{2}-\d{2}$/.test(isoLike);
  let value = Number.NaN;
  if (isDate) value = Date.parse(isoLike);
  else if (isDateTime && hasZone) value = Date.parse(isoLike);
  else if (isDateTime) value = Date.parse(`${isoLike}Z`);
  if (Number.isNaN(value) || !isCalendarDate(isoLike)) {
    throw new InvalidArgumentError(
      `--now takes epoch milliseconds or an ISO 8601 time such as 2024-04-21T12:00:00Z, got "${text}"`,
    );
  }
  return value;
}

/** Checks the YYYY-MM-DD at the start of `text` names a real day: Date.parse turns 2026-11-31 into 1 December. */
function isCalendarDate(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
