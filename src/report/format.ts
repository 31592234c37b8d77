/**
 * Number and time formatting shared by the text and HTML reports, so both say the same thing
 * in the same words.
 *
 * @module
 */
import type { ProbeResult } from '../probe/probe-result.js';

/** The source's limit and its value: `max_connections 151`, or PgBouncer's `max_client_conn 100`. */
export function formatLimit(database: ProbeResult['database']): string {
  const name = database.kind === 'pgbouncer' ? 'max_client_conn' : 'max_connections';
  return `${name} ${database.maxConnections === undefined ? 'unknown' : formatCount(database.maxConnections)}`;
}

/** `1234` → `1,234`. */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** A duration for people: `250 ms`, `1.5 s`, `10 s`, `2 min 5 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${trimZero((ms / 1000).toFixed(1))} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`;
}

/** A point in the run, always in seconds with one decimal so columns line up: `3.2 s`. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A latency: one decimal below 10 ms, whole milliseconds above, seconds past one second. */
export function formatLatency(ms: number): string {
  if (ms >= 1000) return `${trimZero((ms / 1000).toFixed(2))} s`;
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/** `0.2` → `20%`. */
export function formatPercent(ratio: number): string {
  return `${trimZero((ratio * 100).toFixed(1))}%`;
}

function trimZero(fixed: string): string {
  return fixed.replace(/\.0+$/, '');
}
