/**
 * Human durations for the command line (`30s`, `500ms`, `2m`, `1.5h`). The library speaks
 * milliseconds only; this is the one place text becomes a number of ms.
 *
 * @module
 */

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)$/;

/**
 * Milliseconds in `text`, rounded to a whole ms. A bare `0` is allowed; any other number needs
 * a unit, because `--duration 30` could mean seconds or milliseconds.
 *
 * @example
 * parseDuration('30s')  // 30000
 * parseDuration('0.5s') // 500
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const match = DURATION.exec(trimmed);
  if (match === null) {
    const hint = /^\d+(\.\d+)?$/.test(trimmed)
      ? `add a unit: ${trimmed}s, ${trimmed}ms or ${trimmed}m`
      : 'use a number with a unit: 500ms, 30s, 2m, 1h';
    throw new RangeError(`"${text}" is not a duration (${hint})`);
  }
  return Math.round(Number(match[1]) * UNITS[match[2]!]!);
}

/**
 * A duration as people write it: the largest unit that keeps it exact, up to two of them.
 *
 * @example
 * formatDuration(2000)   // '2s'
 * formatDuration(500)    // '500ms'
 * formatDuration(90_000) // '1m30s'
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms % 1000 !== 0) return ms % 100 === 0 ? `${ms / 1000}s` : `${ms}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds}s`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  const rest = seconds % 60;
  return `${Math.floor(seconds / 60)}m${rest === 0 ? '' : `${rest}s`}`;
}
