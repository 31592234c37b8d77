/**
 * `leakproof probe` arguments → `ProbeOptions`. Only what the user typed is passed on; the
 * probe merges its own defaults and checks ranges again (a `PROBE_USAGE` error also exits 2).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DISCONNECT_SHAPES } from '../../probe/probe-config.js';
import type { DisconnectShape, ProbeOptions } from '../../probe/probe-result.js';
import {
  optionDuration,
  optionDurations,
  optionFlag,
  optionInteger,
  optionList,
  optionNumber,
  optionString,
  optionStrings,
  requireOption,
  usage,
  type ParsedCommand,
} from '../args.js';
import { CliUsageError } from '../usage-error.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Reads one option; a usage problem is collected (and undefined returned) instead of thrown. */
type Attempt = <T>(read: () => T) => T | undefined;

/** The variable `--db` falls back to, so a password need appear neither in `ps` nor in shell history. */
export const DB_URL_ENV = 'LEAKPROOF_DB_URL';

/**
 * The probe's options from parsed `probe` arguments; relative `@file` bodies resolve against
 * `cwd`. Every bad option is reported, in one usage error, not just the first.
 */
export function probeOptionsFrom(parsed: ParsedCommand, cwd: string, env: Readonly<Record<string, string | undefined>> = {}): ProbeOptions {
  const problems: string[] = [];
  const attempt = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof CliUsageError)) throw error;
      problems.push(error.message);
      return undefined;
    }
  };
  const url = parsed.positionals[0];
  if (url === undefined) problems.push('missing <url>: the http:// or https:// address to load');
  const db = attempt(() => dbUrl(parsed, env));
  const parts = [loadOptions(parsed, attempt), requestOptions(parsed, cwd, attempt), measureOptions(parsed, attempt)];
  if (problems.length > 0) throw usage(parsed, problems.join('\n'));
  return dropUndefined(Object.assign({ url: url!, db: db! }, ...parts) as Mutable<ProbeOptions>);
}

/** `--db`, else `--db-env NAME`'s variable (e.g. DATABASE_URL), else LEAKPROOF_DB_URL. */
function dbUrl(parsed: ParsedCommand, env: Readonly<Record<string, string | undefined>>): string {
  const given = optionString(parsed, 'db');
  if (given !== undefined) return given;
  const name = optionString(parsed, 'db-env') ?? DB_URL_ENV;
  const value = env[name];
  if (value !== undefined && value !== '') return value;
  if (optionString(parsed, 'db-env') !== undefined) throw usage(parsed, `--db-env ${name}: the variable is not set`);
  return requireOption(parsed, 'db', `where to count connections (mysql://, postgres:// or an http:// metrics URL), or set ${DB_URL_ENV}`);
}

function loadOptions(parsed: ParsedCommand, attempt: Attempt): Partial<Mutable<ProbeOptions>> {
  const requests = attempt(() => optionInteger(parsed, 'requests', { min: 1 }));
  const durationMs = attempt(() => optionDuration(parsed, 'duration', { min: 1 }));
  attempt(() => {
    if (requests !== undefined && durationMs !== undefined) throw usage(parsed, 'give --requests or --duration, not both');
  });
  return {
    concurrency: attempt(() => optionInteger(parsed, 'concurrency', { min: 1, max: 10_000 })),
    requests,
    durationMs,
    rounds: attempt(() => optionInteger(parsed, 'rounds', { min: 1 })),
    pauseMs: attempt(() => optionDuration(parsed, 'pause', { min: 0 })),
    abortRatio: attempt(() => optionNumber(parsed, 'abort-ratio', { min: 0, max: 1 })),
    abortAfterMs: attempt(() => optionDuration(parsed, 'abort-after', { min: 0 })),
    shapes: attempt(() => shapes(parsed)),
  };
}

function requestOptions(parsed: ParsedCommand, cwd: string, attempt: Attempt): Partial<Mutable<ProbeOptions>> {
  const headers = optionStrings(parsed, 'header');
  return {
    method: optionString(parsed, 'method')?.toUpperCase(),
    headers: headers.length === 0 ? undefined : attempt(() => parseHeaders(parsed, headers)),
    body: attempt(() => body(parsed, cwd)),
    requestTimeoutMs: attempt(() => optionDuration(parsed, 'timeout', { min: 1 })),
  };
}

function measureOptions(parsed: ParsedCommand, attempt: Attempt): Partial<Mutable<ProbeOptions>> {
  const filter = dropUndefined({
    user: optionString(parsed, 'db-user'),
    database: optionString(parsed, 'db-database'),
    host: optionString(parsed, 'db-host'),
  });
  return {
    settlePointsMs: attempt(() => settlePoints(parsed)),
    allowedIdle:
      optionString(parsed, 'allowed-idle') === 'learned' ? 'learned' : attempt(() => optionInteger(parsed, 'allowed-idle', { min: 0 })),
    acceptNoEffect: optionFlag(parsed, 'accept-no-effect') ? true : undefined,
    maxConnections: attempt(() => optionInteger(parsed, 'max-connections', { min: 1 })),
    sampleIntervalMs: attempt(() => optionDuration(parsed, 'sample-interval', { min: 10 })),
    metric: optionString(parsed, 'metric'),
    filter: Object.keys(filter).length === 0 ? undefined : filter,
  };
}

function shapes(parsed: ParsedCommand): DisconnectShape[] | undefined {
  const names = optionList(parsed, 'shapes');
  if (names === undefined) return undefined;
  if (names.includes('all')) return [...DISCONNECT_SHAPES];
  const unknown = names.filter((name) => !DISCONNECT_SHAPES.includes(name as DisconnectShape));
  if (unknown.length > 0) throw usage(parsed, `--shapes: unknown shape "${unknown[0]}" (use ${DISCONNECT_SHAPES.join(', ')} or all)`);
  return names as DisconnectShape[];
}

/** Settle points in rising order; 0 is refused: a count read as the load stops is high even on a correct server. */
function settlePoints(parsed: ParsedCommand): number[] | undefined {
  const points = optionDurations(parsed, 'settle');
  if (points === undefined) return undefined;
  if (points.some((point) => point <= 0)) throw usage(parsed, '--settle: every point must be after the load stops (> 0)');
  return [...new Set(points)].sort((a, b) => a - b);
}

/** `-H 'name: value'` lines → a header object. */
function parseHeaders(parsed: ParsedCommand, lines: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, Math.max(colon, 0)).trim();
    if (colon <= 0 || name === '') throw usage(parsed, `--header must look like 'name: value', got "${line}"`);
    headers[name] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** `--body text` as given, `--body @file` read from the file. */
function body(parsed: ParsedCommand, cwd: string): string | undefined {
  const text = optionString(parsed, 'body');
  if (text === undefined || !text.startsWith('@')) return text;
  try {
    return readFileSync(resolve(cwd, text.slice(1)), 'utf8');
  } catch (error) {
    throw usage(parsed, `--body ${text}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
