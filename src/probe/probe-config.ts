/**
 * `ProbeOptions` → a frozen `ProbeConfig`: defaults merged, every option checked, every problem
 * collected into one `PROBE_USAGE` error, passwords masked. The unmasked database URL is kept
 * beside it, for the sampler only.
 *
 * @module
 */
import { ProbeError } from '../errors/errors.js';
import { PGBOUNCER_CONSOLE } from '../drivers/postgres/pgbouncer-console.js';
import { maskHeaders, maskUrl } from '../secrets/mask-secrets.js';
import type { DisconnectShape, ProbeConfig, ProbeOptions, SamplerKind } from './probe-result.js';

/** Every disconnect shape the load engine knows. */
export const DISCONNECT_SHAPES: readonly DisconnectShape[] = [
  'abort-before-response',
  'abort-mid-body',
  'abort-post-body',
  'pipelined-socket-death',
];

/** The gauge a Prometheus sampler sums when no `metric` is given. */
export const DEFAULT_METRIC = 'leakproof_connections_open';

/** The defaults, milliseconds everywhere. `requests` applies only when `durationMs` is not given. */
export const PROBE_DEFAULTS = Object.freeze({
  method: 'GET',
  concurrency: 50,
  requests: 500,
  rounds: 3,
  pauseMs: 2000,
  abortRatio: 0.2,
  abortAfterMs: 50,
  shapes: Object.freeze(['abort-before-response'] as DisconnectShape[]),
  sampleIntervalMs: 75,
  settlePointsMs: Object.freeze([500, 2000, 10_000]),
  allowedIdle: 'learned' as const,
  requestTimeoutMs: 10_000,
});

/** A validated configuration, and what only the probe itself may see. */
export interface ResolvedProbe {
  readonly config: ProbeConfig;
  /** The database URL as given, password included: for the sampler, never for output. */
  readonly dbUrl: string;
  /** The target URL as given (it may carry credentials too). */
  readonly targetUrl: string;
  readonly samplerKind: SamplerKind;
}

const KNOWN_KEYS = new Set([
  'url',
  'method',
  'headers',
  'body',
  'concurrency',
  'requests',
  'durationMs',
  'rounds',
  'pauseMs',
  'abortRatio',
  'abortAfterMs',
  'shapes',
  'db',
  'sampleIntervalMs',
  'settlePointsMs',
  'allowedIdle',
  'maxConnections',
  'filter',
  'requestTimeoutMs',
  'metric',
  'acceptNoEffect',
]);
/** Headers the load engine sets itself; a user value would break keep-alive or framing. */
const MANAGED_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect', 'host']);
const HOUR_MS = 3_600_000;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * Checks `options` and merges the defaults; throws `ProbeError('PROBE_USAGE')` listing every
 * problem.
 */
export function resolveProbeConfig(options: ProbeOptions): ResolvedProbe {
  const problems: string[] = [];
  const raw = (options ?? {}) as Partial<Record<string, unknown>>;
  for (const key of Object.keys(raw)) if (!KNOWN_KEYS.has(key)) problems.push(`unknown option "${key}"`);
  const targetUrl = checkTargetUrl(raw['url'], problems);
  const dbUrl = typeof raw['db'] === 'string' ? raw['db'] : '';
  const samplerKind = checkDbUrl(raw['db'], problems);
  const config = buildConfig(raw, targetUrl, dbUrl, samplerKind, problems);
  if (problems.length > 0) throw new ProbeError('PROBE_USAGE', problems);
  return { config: deepFreeze(config), dbUrl, targetUrl, samplerKind: samplerKind! };
}

function buildConfig(
  raw: Partial<Record<string, unknown>>,
  url: string,
  dbUrl: string,
  kind: SamplerKind | undefined,
  problems: string[],
): ProbeConfig {
  const n = (key: string, fallback: number | undefined, min: number, max: number, integer = true): number | undefined =>
    checkNumber(raw, key, fallback, { min, max, integer }, problems);
  const requestTimeoutMs = n('requestTimeoutMs', PROBE_DEFAULTS.requestTimeoutMs, 1, 10 * 60_000)!;
  const durationMs = n('durationMs', undefined, 1, 24 * HOUR_MS);
  const method = checkMethod(raw['method'], problems);
  const config: ProbeConfig = {
    url: maskUrl(url),
    method,
    headers: maskHeaders(checkHeaders(raw['headers'], problems)),
    body: checkBody(raw['body'], method, problems),
    concurrency: n('concurrency', PROBE_DEFAULTS.concurrency, 1, 10_000)!,
    requests: durationMs === undefined ? n('requests', PROBE_DEFAULTS.requests, 1, 10_000_000) : undefined,
    durationMs,
    rounds: n('rounds', PROBE_DEFAULTS.rounds, 1, 1000)!,
    pauseMs: n('pauseMs', PROBE_DEFAULTS.pauseMs, 0, HOUR_MS)!,
    abortRatio: n('abortRatio', PROBE_DEFAULTS.abortRatio, 0, 1, false)!,
    abortAfterMs: n('abortAfterMs', PROBE_DEFAULTS.abortAfterMs, 0, requestTimeoutMs - 1)!,
    shapes: checkShapes(raw['shapes'], problems),
    db: maskUrl(dbUrl),
    sampleIntervalMs: n('sampleIntervalMs', PROBE_DEFAULTS.sampleIntervalMs, 10, 60_000)!,
    settlePointsMs: checkSettlePoints(raw['settlePointsMs'], problems),
    allowedIdle: raw['allowedIdle'] === 'learned' ? 'learned' : (n('allowedIdle', undefined, 0, 100_000) ?? PROBE_DEFAULTS.allowedIdle),
    maxConnections: n('maxConnections', undefined, 1, 100_000),
    filter: checkFilter(raw['filter'], dbUrl, kind, problems),
    requestTimeoutMs,
    ...checkMetric(raw['metric'], kind, problems),
    ...checkFlag(raw, 'acceptNoEffect', problems),
  };
  if (raw['durationMs'] !== undefined && raw['requests'] !== undefined) problems.push('give "requests" or "durationMs", not both');
  return config;
}

function checkFlag(raw: Partial<Record<string, unknown>>, key: 'acceptNoEffect', problems: string[]): { acceptNoEffect?: boolean } {
  const value = raw[key];
  if (value === undefined) return {};
  if (typeof value !== 'boolean') {
    problems.push(`"${key}" must be true or false, got ${JSON.stringify(value)}`);
    return {};
  }
  return { [key]: value };
}

function checkTargetUrl(value: unknown, problems: string[]): string {
  const url = parseUrl(value);
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    problems.push(
      `"url" must be an http:// or https:// URL of the server to load${typeof value === 'string' ? `, got ${JSON.stringify(maskUrl(value).slice(0, 200))}` : ''}`,
    );
    return typeof value === 'string' ? value : '';
  }
  return value as string;
}

function checkDbUrl(value: unknown, problems: string[]): SamplerKind | undefined {
  const url = parseUrl(value);
  const kind = url === undefined ? undefined : samplerKindOf(url);
  if (kind === undefined) {
    const shown = typeof value === 'string' ? `, got ${JSON.stringify(maskUrl(value).slice(0, 200))}` : '';
    problems.push(`"db" must be a mysql://, mariadb://, postgres://, postgresql:// URL or an http(s):// Prometheus metrics URL${shown}`);
  } else if (kind !== 'prometheus' && url!.hostname === '') {
    problems.push('"db" has no host');
  }
  return kind;
}

/** Which sampler a database URL calls for, from its scheme. */
export function samplerKindOf(url: URL): SamplerKind | undefined {
  switch (url.protocol) {
    case 'mysql:':
    case 'mariadb:':
      return 'mysql';
    case 'postgres:':
    case 'postgresql:':
      return url.pathname === `/${PGBOUNCER_CONSOLE}` ? 'pgbouncer' : 'postgres';
    case 'http:':
    case 'https:':
      return 'prometheus';
    default:
      return undefined;
  }
}

function checkNumber(
  raw: Partial<Record<string, unknown>>,
  key: string,
  fallback: number | undefined,
  range: { min: number; max: number; integer: boolean },
  problems: string[],
): number | undefined {
  const value = raw[key];
  if (value === undefined) return fallback;
  const ok = typeof value === 'number' && Number.isFinite(value) && (!range.integer || Number.isInteger(value));
  if (!ok || value < range.min || value > range.max) {
    problems.push(
      `"${key}" must be ${range.integer ? 'an integer' : 'a number'} from ${range.min} to ${range.max}, got ${JSON.stringify(value)}`,
    );
    return fallback ?? range.min;
  }
  return value;
}

function checkMethod(value: unknown, problems: string[]): string {
  if (value === undefined) return PROBE_DEFAULTS.method;
  if (typeof value !== 'string' || !/^[A-Za-z]{1,20}$/.test(value) || /^(connect|trace)$/i.test(value)) {
    problems.push(`"method" must be an HTTP method such as GET or POST, got ${JSON.stringify(value)}`);
    return PROBE_DEFAULTS.method;
  }
  return value.toUpperCase();
}

function checkHeaders(value: unknown, problems: string[]): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push('"headers" must be an object of header names to string values');
    return {};
  }
  const headers: Record<string, string> = {};
  for (const [name, header] of Object.entries(value)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) problems.push(`header name ${JSON.stringify(name)} is not a valid token`);
    else if (MANAGED_HEADERS.has(name.toLowerCase())) problems.push(`header "${name}" is set by the probe itself`);
    else if (typeof header !== 'string' || /[\r\n]/.test(header)) problems.push(`header "${name}" must be a single-line string`);
    else headers[name.toLowerCase()] = header;
  }
  return headers;
}

function checkBody(value: unknown, method: string, problems: string[]): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') problems.push('"body" must be a string');
  else if (method === 'HEAD') problems.push('a HEAD request cannot have a "body"');
  else return value;
  return undefined;
}

function checkShapes(value: unknown, problems: string[]): readonly DisconnectShape[] {
  if (value === undefined) return PROBE_DEFAULTS.shapes;
  if (!Array.isArray(value) || value.length === 0) {
    problems.push(`"shapes" must be a non-empty list of: ${DISCONNECT_SHAPES.join(', ')}`);
    return PROBE_DEFAULTS.shapes;
  }
  const unknown = value.filter((shape) => !DISCONNECT_SHAPES.includes(shape as DisconnectShape));
  if (unknown.length > 0)
    problems.push(
      `unknown disconnect shape(s) ${unknown.map((shape) => JSON.stringify(shape)).join(', ')} (known: ${DISCONNECT_SHAPES.join(', ')})`,
    );
  return [...new Set(value as DisconnectShape[])];
}

function checkSettlePoints(value: unknown, problems: string[]): readonly number[] {
  if (value === undefined) return PROBE_DEFAULTS.settlePointsMs;
  const ok =
    Array.isArray(value) &&
    value.length > 0 &&
    value.length <= 20 &&
    value.every((point, i) => Number.isInteger(point) && point > 0 && point <= HOUR_MS && (i === 0 || point > (value[i - 1] as number)));
  // A count taken the moment the load stops is high even on a correct server, hence > 0.
  if (!ok)
    problems.push(`"settlePointsMs" must be 1 to 20 rising whole numbers of ms, each > 0 and <= ${HOUR_MS}, got ${JSON.stringify(value)}`);
  return ok ? [...(value as number[])] : PROBE_DEFAULTS.settlePointsMs;
}

/**
 * The sessions to count. Default: the SQL samplers count the sessions on the URL's database
 * (all sessions when the URL names none); an explicit `{}` counts every client session.
 */
function checkFilter(value: unknown, dbUrl: string, kind: SamplerKind | undefined, problems: string[]): ProbeConfig['filter'] {
  // PgBouncer's URL names its console, not the app's database: its default is every app client.
  if (value === undefined) return kind === 'prometheus' || kind === 'pgbouncer' ? {} : defaultFilter(dbUrl);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push('"filter" must be an object with optional user, database and host');
    return {};
  }
  const filter: Record<string, string> = {};
  for (const [key, field] of Object.entries(value)) {
    if (key !== 'user' && key !== 'database' && key !== 'host') problems.push(`unknown filter key "${key}" (use user, database or host)`);
    else if (typeof field !== 'string' || field === '') problems.push(`filter "${key}" must be a non-empty string`);
    else filter[key] = field;
  }
  if (kind === 'prometheus' && Object.keys(filter).length > 0)
    problems.push('"filter" applies to mysql:// and postgres:// samplers only; pick the series with "metric" instead');
  return filter;
}

function defaultFilter(dbUrl: string): ProbeConfig['filter'] {
  const database = parseUrl(dbUrl)?.pathname.replace(/^\//, '');
  return database ? { database: decodeURIComponent(database) } : {};
}

function checkMetric(value: unknown, kind: SamplerKind | undefined, problems: string[]): { metric?: string } {
  if (kind !== 'prometheus') {
    if (value !== undefined) problems.push('"metric" applies to a Prometheus (http:// or https://) "db" only');
    return {};
  }
  if (value === undefined) return { metric: DEFAULT_METRIC };
  if (typeof value === 'string' && METRIC_NAME.test(value)) return { metric: value };
  problems.push(`"metric" must be a Prometheus metric name, got ${JSON.stringify(value)}`);
  return { metric: DEFAULT_METRIC };
}

function parseUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function deepFreeze<T extends object>(value: T): T {
  for (const field of Object.values(value)) if (typeof field === 'object' && field !== null) deepFreeze(field as object);
  return Object.freeze(value);
}
