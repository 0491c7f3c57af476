/**
 * Durations written for people, such as the `--window` flag: a whole number followed by a unit, converted
 * to and from milliseconds.
 */
import { UsageError } from '../errors.js';

/** Milliseconds per unit, largest unit first so that formatDuration picks the shortest text. */
const UNIT_MS = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
] as const;

const ACCEPTED_FORMS = 'a whole number followed by ms, s, m, h or d, such as 500ms, 3600s, 90m, 24h or 7d';

const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)$/;

/**
 * Parses a duration such as "24h", "90m", "7d", "3600s" or "500ms" into milliseconds. Units are lower
 * case, the number has no sign, fraction or spaces, and zero is allowed.
 *
 * @throws UsageError when the text has another form or the result exceeds Number.MAX_SAFE_INTEGER ms.
 */
export function parseDuration(text: string): number {
  const match = DURATION_PATTERN.exec(text);
  if (match === null) {
    throw new UsageError(`invalid duration "${text}": use ${ACCEPTED_FORMS}`);
  }

  const [, digits = '', unit = ''] = match;
  const unitMs = UNIT_MS.find(([name]) => name === unit)?.[1] ?? 1;
  const ms = Number(digits) * unitMs;
  if (!Number.isSafeInteger(ms)) {
    throw new UsageError(`invalid duration "${text}": the value exceeds ${Number.MAX_SAFE_INTEGER} ms`);
  }
  return ms;
}

/**
 * Formats milliseconds as the shortest duration text that parseDuration reads back to the same value,
 * using the largest unit that divides `ms` exactly (86400000 gives "1d", 1500 gives "1500ms").
 *
 * @throws RangeError when `ms` is not a non-negative safe integer.
 */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new RangeError(`duration must be a non-negative safe integer of milliseconds, got ${ms}`);
  }
  if (ms === 0) return '0ms';

  for (const [unit, unitMs] of UNIT_MS) {
    if (ms % unitMs === 0) return `${ms / unitMs}${unit}`;
  }
  return `${ms}ms`;
}
