import { inspect } from 'node:util';
import type { ConnectionSettings, Engine } from '../../drivers/driver.js';
import { maskOptions } from '../../secrets/mask-secrets.js';
import { ConfigError } from '../../errors/errors.js';
import { editDistance } from '../../drivers/option-rules.js';
import { checkDriverConfig } from './driver-config.js';
import { parseDatabaseUrl, type ParsedUrl } from './parse-url.js';

/** Options for one database alias. Every duration is in milliseconds. */
export interface AliasOptions {
  /** `mysql://`, `mariadb://`, `postgres://`, `postgresql://` or `sqlite:` URL. */
  readonly url: string;
  /** Most connections this process opens to this database. Default 10. */
  readonly maxConnections?: number;
  /** How long a request waits for a free connection before `ACQUIRE_TIMEOUT`. Default 10000. */
  readonly acquireTimeout?: number;
  /** How many requests may wait at once; one more gets `QUEUE_FULL` at once. Default 1000. */
  readonly maxWaiting?: number;
  /** Age after which a connection is closed instead of reused; 0 closes it at the end of every request. Default 1800000 (30 min). */
  readonly maxLifetime?: number;
  /** How long a connection may sit idle before it is closed. Default 60000. */
  readonly idleTimeout?: number;
  /** A connection idle longer than this is pinged before reuse; 0 pings before every reuse. Default 500. */
  readonly healthCheckAfter?: number;
  /** How long opening one connection may take. Default 10000. */
  readonly connectTimeout?: number;
  /** Run each request in one transaction: commit when the handler succeeds, roll back otherwise. Default false. */
  readonly transactionPerRequest?: boolean;
  /** When the client leaves, cancel the running statement on the server. Default false. */
  readonly cancelOnAbort?: boolean;
  /** Report a connection still held this long after its request ended; 0 turns it off. Default 0. */
  readonly leakTimeout?: number;
  /**
   * Server-side limit per statement; 0 means none. Default 0. leakproof also gives up on a
   * statement whose answer has not come a grace period after this (a dead network): the
   * connection is closed and the call fails with `STATEMENT_TIMEOUT`.
   */
  readonly statementTimeout?: number;
  /**
   * How long a connection may go on running a statement after its request has ended. Past it
   * the statement is cancelled and the connection closed, so a stalled network or a forgotten
   * statement cannot hold a slot of the budget for ever. Default 10000.
   */
  readonly releaseTimeout?: number;
  /** TCP keep-alive: how long a socket idles before the first probe; 0 turns keep-alive off. Default 15000. */
  readonly keepAliveDelay?: number;
  /**
   * Warn (`LEAKPROOF_BUDGET`) when `maxConnections` is more than this percent of the sessions
   * the server allows this user, all processes together (read on the first connect); 0 turns
   * the warning off. Default 50: two processes would already fill it.
   */
  readonly serverShareWarning?: number;
  /** The `Retry-After` an adapter sends with a 503 for this alias. Default 1000. */
  readonly retryAfter?: number;
  /**
   * How many statements each connection keeps prepared: PostgreSQL named statements (those with
   * parameters), SQLite prepared handles; least recently used dropped first; 0 keeps none.
   * MySQL with client mysql2: 0 unless set; set, statements with scalar parameters go through
   * mysql2's `execute()` (the binary protocol returns FLOAT columns as float32). A statement
   * whose table changed under it is prepared again. Default 100; 0 with `pooler:
   * 'transaction'` unless set (PgBouncer 1.21+ with `max_prepared_statements` supports it).
   */
  readonly statementCache?: number;
  /** Outside any scope, fail with `NO_SCOPE` instead of leasing for one call. Default false. */
  readonly strict?: boolean;
  /**
   * PostgreSQL only: `'transaction'` when the URL points at a pooler in transaction mode
   * (PgBouncer `pool_mode = transaction`, or the like), which hands each transaction to any of
   * its server sessions. leakproof then sends no startup parameters the pooler refuses,
   * enforces `statementTimeout` itself with a cancel, refuses statements whose effect would
   * outlive the transaction on a shared session (`SESSION_STATE`), and skips the server-share
   * warning (the pooler's pool, not this process, takes the server's sessions). Default `'none'`.
   */
  readonly pooler?: 'none' | 'transaction';
  /** MySQL/MariaDB only: which npm driver speaks the protocol. Default `mysql2`. */
  readonly client?: 'mysql2' | 'mariadb';
  /** Passed through to the driver's connect options. */
  readonly driver?: Readonly<Record<string, unknown>>;
}

/** What `createDatabases` takes: per alias, a URL or options. `default` is required. */
export type DatabasesConfig = Readonly<Record<string, string | AliasOptions>>;

/** The validated, frozen options of one alias. */
export interface ResolvedAlias {
  readonly alias: string;
  readonly engine: Engine;
  readonly client: 'mysql2' | 'mariadb' | 'pg' | 'better-sqlite3';
  /** The URL with its password masked. */
  readonly url: string;
  readonly maxConnections: number;
  readonly acquireTimeout: number;
  readonly maxWaiting: number;
  readonly maxLifetime: number;
  readonly idleTimeout: number;
  readonly healthCheckAfter: number;
  readonly connectTimeout: number;
  readonly transactionPerRequest: boolean;
  readonly cancelOnAbort: boolean;
  readonly leakTimeout: number;
  readonly statementTimeout: number;
  readonly releaseTimeout: number;
  readonly keepAliveDelay: number;
  readonly serverShareWarning: number;
  readonly retryAfter: number;
  readonly statementCache: number;
  readonly strict: boolean;
  readonly pooler: 'none' | 'transaction';
  /** Connection settings for the driver; the password in it is not enumerable. */
  readonly settings: ConnectionSettings;
}

const MAX_TIMER = 2_147_483_647;

type NumberRule = { readonly default: number; readonly min: number; readonly max: number };
const NUMBERS = {
  maxConnections: { default: 10, min: 1, max: 10_000 },
  acquireTimeout: { default: 10_000, min: 1, max: MAX_TIMER },
  maxWaiting: { default: 1000, min: 0, max: 1_000_000 },
  maxLifetime: { default: 1_800_000, min: 0, max: MAX_TIMER },
  idleTimeout: { default: 60_000, min: 1, max: MAX_TIMER },
  healthCheckAfter: { default: 500, min: 0, max: MAX_TIMER },
  connectTimeout: { default: 10_000, min: 1, max: MAX_TIMER },
  leakTimeout: { default: 0, min: 0, max: MAX_TIMER },
  statementTimeout: { default: 0, min: 0, max: MAX_TIMER },
  releaseTimeout: { default: 10_000, min: 1, max: MAX_TIMER },
  keepAliveDelay: { default: 15_000, min: 0, max: MAX_TIMER },
  serverShareWarning: { default: 50, min: 0, max: 100 },
  retryAfter: { default: 1000, min: 0, max: MAX_TIMER },
  statementCache: { default: 100, min: 0, max: 10_000 },
} as const satisfies Record<string, NumberRule>;
const BOOLEANS = { transactionPerRequest: false, cancelOnAbort: false, strict: false } as const;
const KNOWN_KEYS = ['url', 'client', 'driver', 'pooler', ...Object.keys(NUMBERS), ...Object.keys(BOOLEANS)];

/**
 * Validates every alias and collects every problem into one `CONFIG_INVALID` error, so a
 * user fixes a config in one round. Nothing connects here.
 */
export function resolveConfig(config: unknown): ReadonlyMap<string, ResolvedAlias> {
  const problems: string[] = [];
  const resolved = new Map<string, ResolvedAlias>();
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ConfigError([`createDatabases expects an object of aliases, got ${describe(config)}`]);
  }
  let entries: [string, unknown][];
  try {
    entries = Object.entries(config);
  } catch {
    throw new ConfigError(['createDatabases could not read its aliases (a getter or a Proxy threw); pass a plain object']);
  }
  if (!entries.some(([alias]) => alias === 'default')) problems.push('no "default" alias (dbs.get() with no argument uses it)');
  for (const [alias, value] of entries) {
    const result = resolveAliasSafely(alias, value, problems);
    if (result !== undefined) resolved.set(alias, result);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return resolved;
}

/**
 * A getter or a Proxy in the options could throw while they are read; that is one more
 * problem with them, never an exception of another kind (its message is not shown: it could
 * hold anything).
 */
function resolveAliasSafely(alias: string, value: unknown, problems: string[]): ResolvedAlias | undefined {
  try {
    return resolveAlias(alias, value, problems);
  } catch {
    problems.push(`${alias}: the options could not be read (a getter or a Proxy threw); pass plain objects`);
    return undefined;
  }
}

function resolveAlias(alias: string, value: unknown, problems: string[]): ResolvedAlias | undefined {
  const at = `${alias}:`;
  const options = typeof value === 'string' ? { url: value } : value;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    problems.push(`${at} expected a URL string or an options object, got ${describe(value)}`);
    return undefined;
  }
  const raw = options as Record<string, unknown>;
  const before = problems.length;
  for (const key of Object.keys(raw)) {
    if (!KNOWN_KEYS.includes(key)) problems.push(`${at} unknown option "${key}"${suggest(key)}`);
  }
  const url = parseUrlOption(at, raw.url, problems);
  const numbers = readNumbers(at, raw, problems);
  const booleans = readBooleans(at, raw, problems);
  const client = readClient(at, raw.client, url, problems);
  const pooler = readPooler(at, raw.pooler, url, problems);
  const driverOptions = readDriverOptions(at, raw.driver, problems);
  if (url !== undefined) checkRelations(at, url, numbers, problems);
  if (url !== undefined && client !== undefined) checkDriverConfig(at, client, url.host, url.params, driverOptions, problems);
  readStatementCache(at, raw.statementCache, url, client, pooler, numbers, problems);
  if (problems.length > before || url === undefined || client === undefined) return undefined;
  const settings = connectionSettings(url, numbers, driverOptions, pooler);
  return Object.freeze({
    alias,
    engine: url.engine,
    client,
    url: maskedUrl(url),
    ...numbers,
    ...booleans,
    pooler,
    settings,
  });
}

function parseUrlOption(at: string, url: unknown, problems: string[]): ParsedUrl | undefined {
  if (typeof url !== 'string' || url === '') {
    problems.push(`${at} "url" must be a non-empty string, got ${describe(url)}`);
    return undefined;
  }
  try {
    return parseDatabaseUrl(url);
  } catch (error) {
    problems.push(`${at} ${(error as Error).message}`);
    return undefined;
  }
}

function readNumbers(at: string, raw: Record<string, unknown>, problems: string[]): Record<keyof typeof NUMBERS, number> {
  const out = {} as Record<keyof typeof NUMBERS, number>;
  for (const [key, rule] of Object.entries(NUMBERS) as [keyof typeof NUMBERS, NumberRule][]) {
    const value = raw[key] ?? rule.default;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      problems.push(`${at} "${key}" must be a whole number of ${unitOf(key)}, got ${describe(value)}`);
    } else if (value < rule.min || value > rule.max) {
      problems.push(`${at} "${key}" must be between ${rule.min} and ${rule.max}, got ${value}`);
    }
    out[key] = typeof value === 'number' ? value : rule.default;
  }
  return out;
}

function unitOf(key: keyof typeof NUMBERS): string {
  if (key === 'maxConnections' || key === 'maxWaiting') return 'connections';
  if (key === 'statementCache') return 'statements';
  return key === 'serverShareWarning' ? 'percent' : 'milliseconds';
}

function readBooleans(at: string, raw: Record<string, unknown>, problems: string[]): Record<keyof typeof BOOLEANS, boolean> {
  const out = {} as Record<keyof typeof BOOLEANS, boolean>;
  for (const [key, fallback] of Object.entries(BOOLEANS) as [keyof typeof BOOLEANS, boolean][]) {
    const value = raw[key] ?? fallback;
    if (typeof value !== 'boolean') problems.push(`${at} "${key}" must be true or false, got ${describe(value)}`);
    out[key] = value === true;
  }
  return out;
}

function readClient(at: string, client: unknown, url: ParsedUrl | undefined, problems: string[]): ResolvedAlias['client'] | undefined {
  if (url === undefined) return undefined;
  if (url.engine === 'postgres' || url.engine === 'sqlite') {
    if (client !== undefined) problems.push(`${at} "client" applies to MySQL/MariaDB URLs only`);
    return url.engine === 'postgres' ? 'pg' : 'better-sqlite3';
  }
  if (client === undefined) return 'mysql2';
  if (client !== 'mysql2' && client !== 'mariadb') {
    problems.push(`${at} "client" must be "mysql2" or "mariadb", got ${describe(client)}`);
    return undefined;
  }
  return client;
}

function readPooler(at: string, pooler: unknown, url: ParsedUrl | undefined, problems: string[]): ResolvedAlias['pooler'] {
  if (pooler === undefined || pooler === 'none') return 'none';
  if (pooler !== 'transaction') {
    problems.push(`${at} "pooler" must be "none" or "transaction", got ${describe(pooler)}`);
    return 'none';
  }
  if (url !== undefined && url.engine !== 'postgres')
    problems.push(`${at} "pooler" applies to PostgreSQL URLs only (PgBouncer and the like)`);
  return pooler;
}

/**
 * PostgreSQL's named statements and SQLite's prepared handles by default; MySQL through mysql2's
 * `execute()` only when set, since the binary protocol reads some values differently (FLOAT as
 * float32). A transaction pooler hands each transaction another server session, which lacks
 * this connection's statements: off there unless set (PgBouncer 1.21+ `max_prepared_statements`).
 */
function readStatementCache(
  at: string,
  given: unknown,
  url: ParsedUrl | undefined,
  client: ResolvedAlias['client'] | undefined,
  pooler: ResolvedAlias['pooler'],
  n: Record<keyof typeof NUMBERS, number>,
  problems: string[],
): void {
  if (url === undefined) return;
  if (url.engine === 'mysql') {
    // Opt-in there: the binary protocol returns FLOAT columns as float32 (1.1 reads 1.100000023841858).
    if (given !== undefined && given !== 0 && client === 'mariadb')
      problems.push(
        `${at} "statementCache" on MySQL/MariaDB needs client "mysql2" (its execute()); the mariadb client's statements are not cached`,
      );
    if (given === undefined || client === 'mariadb') n.statementCache = 0;
  } else if (given === undefined && (pooler === 'transaction' || n.maxLifetime === 0)) {
    // maxLifetime 0: a connection serves one request, so a statement prepared on it is hardly
    // ever used again (measured on PostgreSQL: 1.13x the server's CPU per request with it on).
    n.statementCache = 0;
  }
}

function readDriverOptions(at: string, driver: unknown, problems: string[]): Readonly<Record<string, unknown>> {
  if (driver === undefined) return Object.freeze({});
  if (driver === null || typeof driver !== 'object' || Array.isArray(driver)) {
    problems.push(`${at} "driver" must be an object of driver options, got ${describe(driver)}`);
    return Object.freeze({});
  }
  return Object.freeze({ ...(driver as Record<string, unknown>) });
}

function checkRelations(at: string, url: ParsedUrl, n: Record<keyof typeof NUMBERS, number>, problems: string[]): void {
  if (n.maxLifetime > 0 && n.idleTimeout > n.maxLifetime) {
    problems.push(`${at} "idleTimeout" (${n.idleTimeout}) must not exceed "maxLifetime" (${n.maxLifetime})`);
  }
  if (url.engine === 'sqlite' && url.filename === ':memory:' && (n.maxConnections !== 1 || n.maxLifetime === 0)) {
    problems.push(
      `${at} sqlite::memory: is a separate empty database per connection: set maxConnections: 1 and maxLifetime > 0, or use a file`,
    );
  }
  // Accepting it and ignoring it would promise a limit nobody enforces (a 4.4 s statement ran).
  if (url.engine === 'sqlite' && n.statementTimeout > 0) {
    problems.push(
      `${at} "statementTimeout" cannot be honoured on SQLite: better-sqlite3 runs each statement to its end on the calling thread and cannot interrupt it; leave it 0 (bound the work in SQL instead, e.g. LIMIT)`,
    );
  }
}

function connectionSettings(
  url: ParsedUrl,
  n: Record<keyof typeof NUMBERS, number>,
  driverOptions: Readonly<Record<string, unknown>>,
  pooler: ResolvedAlias['pooler'],
): ConnectionSettings {
  // A transaction pooler refuses statement_timeout as a startup parameter (PgBouncer: FATAL
  // "unsupported startup parameter"); leakproof enforces it with a cancel instead (pool.ts).
  const statementTimeout = pooler === 'transaction' ? 0 : n.statementTimeout;
  const settings = {
    engine: url.engine,
    host: url.host,
    port: url.port,
    user: url.user,
    database: url.database,
    filename: url.filename,
    params: url.params,
    statementTimeout,
    statementCache: n.statementCache,
    driverOptions,
    connectTimeout: n.connectTimeout,
    keepAliveDelay: n.keepAliveDelay,
  };
  // The password is a non-enumerable property: JSON.stringify, spread, inspect and
  // structured logs of the settings never carry it.
  Object.defineProperty(settings, 'password', { value: url.password, enumerable: false });
  // Inspected or serialised, the URL's parameters and the driver options show with their
  // credentials (`?password=`, `driver: { password }`, a TLS key) masked.
  const shown = (): Record<string, unknown> => ({
    ...settings,
    params: maskOptions(settings.params),
    driverOptions: maskOptions(settings.driverOptions),
    password: url.password === undefined ? undefined : '***',
  });
  Object.defineProperty(settings, inspect.custom, { value: shown });
  Object.defineProperty(settings, 'toJSON', { value: () => ({ ...shown(), password: undefined }) });
  return Object.freeze(settings) as ConnectionSettings;
}

function maskedUrl(url: ParsedUrl): string {
  if (url.engine === 'sqlite') return `sqlite:${url.filename ?? ''}`;
  const auth = url.user === undefined ? '' : `${encodeURIComponent(url.user)}${url.password === undefined ? '' : ':***'}@`;
  const port = url.port === undefined ? '' : `:${url.port}`;
  return `${url.scheme}://${auth}${url.host}${port}/${url.database ?? ''}`;
}

function suggest(key: string): string {
  const near = KNOWN_KEYS.find((known) => known.toLowerCase() === key.toLowerCase() || editDistance(known, key) <= 2);
  return near === undefined ? '' : ` (did you mean "${near}"?)`;
}

/** A short description of a bad value that never echoes a long string (it could be a secret). */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 24 ? 'a long string' : JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${value}`;
  return typeof value;
}
