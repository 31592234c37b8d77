import { resolveConfig, type DatabasesConfig, type ResolvedAlias } from './config/options.js';
import { Database } from './database.js';
import { UsageError } from '../errors/errors.js';
import { Pool } from './pool.js';
import type { PoolStats } from './pool-stats.js';
import { RESOLVED } from './resolved.js';
import type { RequestInfo } from './request-info.js';
import { Scope } from './scope.js';

export interface ScopeOptions {
  /** Shown in messages and leak reports, e.g. `nightly cleanup`; defaults to `METHOD /path` of `request`. */
  readonly label?: string;
  /** The HTTP request the scope serves (adapters set it): leak reports give its method and path. */
  readonly request?: RequestInfo;
}

export interface CloseOptions {
  /** How long to wait for leased connections to come back before destroying them, in ms. Default 10000. */
  readonly gracePeriod?: number;
}

/**
 * The databases of one application: a pool per alias and the scopes that lease from them.
 * Created by `createDatabases`; frozen.
 */
export class Databases {
  readonly #pools: ReadonlyMap<string, Pool>;
  readonly #handles: ReadonlyMap<string, Database>;
  readonly #outside = <T>(fn: () => Promise<T>): Promise<T> => this.run(fn);

  /** @internal Use `createDatabases`. */
  constructor(config: ReadonlyMap<string, ResolvedAlias>) {
    const pools = new Map<string, Pool>();
    const handles = new Map<string, Database>();
    for (const [alias, options] of config) {
      const pool = new Pool(options, this);
      pools.set(alias, pool);
      handles.set(alias, new Database(pool, this.#outside));
    }
    this.#pools = pools;
    this.#handles = handles;
  }

  /** The aliases configured. */
  get aliases(): readonly string[] {
    return [...this.#pools.keys()];
  }

  /** The handle of an alias (`default` when omitted). Throws `UNKNOWN_ALIAS` for one not configured. */
  get(alias = 'default'): Database {
    const handle = this.#handles.get(alias);
    if (handle === undefined) {
      throw new UsageError('UNKNOWN_ALIAS', `no database alias "${alias}" (configured: ${this.aliases.join(', ')})`);
    }
    return handle;
  }

  /** The validated options of an alias, password masked. */
  options(alias = 'default'): ResolvedAlias {
    return this.#pool(alias).config;
  }

  /**
   * Runs `fn` in a scope of its own, for work outside HTTP (jobs, scripts, tests): its
   * connections are released, and a `transactionPerRequest` transaction is settled, before the
   * returned promise settles.
   *
   * @example
   * await dbs.run(async () => {
   *   await dbs.get().execute('DELETE FROM session WHERE expires < ?', [Date.now()]);
   * });
   */
  run<T>(fn: () => Promise<T> | T, options: ScopeOptions = {}): Promise<T> {
    const scope = new Scope(options.label, options.request);
    let result: Promise<T> | T;
    try {
      result = scope.run(fn);
    } catch (error) {
      return failRun(scope, error);
    }
    // One `then` when nothing is left to settle: each promise costs on Node 20 (see resolved.ts).
    return Promise.resolve(result).then(
      (value) => finishRun(scope, value),
      (error: unknown) => failRun(scope, error),
    );
  }

  /**
   * A new scope, for adapters: run the handler with `scope.run()`, settle a per-request
   * transaction with `scope.complete()`, and call `scope.end()` exactly when the request ends.
   */
  createScope(options: ScopeOptions = {}): Scope {
    return new Scope(options.label, options.request);
  }

  /** A fresh snapshot per alias. */
  stats(): Record<string, PoolStats> {
    const out: Record<string, PoolStats> = {};
    for (const [alias, pool] of this.#pools) out[alias] = pool.stats();
    return out;
  }

  /**
   * Drains and closes every pool: waiting requests fail with `POOL_CLOSED`, idle connections
   * close now, leased ones as their requests end (destroyed after `gracePeriod`).
   */
  async close(options: CloseOptions = {}): Promise<void> {
    await Promise.all([...this.#pools.values()].map((pool) => pool.close(options.gracePeriod)));
  }

  #pool(alias: string): Pool {
    this.get(alias);
    return this.#pools.get(alias)!;
  }
}

/** Commits a per-request transaction and releases; synchronous when neither has anything to wait for. */
function finishRun<T>(scope: Scope, value: T): T | Promise<T> {
  const completing = scope.complete(true);
  if (completing !== RESOLVED)
    return completing.then(
      () => endRun(scope, value),
      (error: unknown) => failRun(scope, error),
    );
  return endRun(scope, value);
}

function endRun<T>(scope: Scope, value: T): T | Promise<T> {
  const ending = scope.end('finished');
  return ending === RESOLVED ? value : ending.then(() => value);
}

async function failRun(scope: Scope, error: unknown): Promise<never> {
  await scope.complete(false).catch(() => undefined);
  await scope.end('failed');
  throw error;
}

/**
 * Creates the databases of an application from a URL or options per alias. Every option is
 * checked here, and every problem is reported at once in one `CONFIG_INVALID` error. Nothing
 * connects until a request first queries.
 *
 * @example
 * const dbs = createDatabases({
 *   default: { url: process.env.DATABASE_URL ?? 'sqlite:./db.sqlite3', maxConnections: 20 },
 *   replica: 'mysql://app@replica:3306/app',
 * });
 */
export function createDatabases(config: DatabasesConfig): Databases {
  const databases = new Databases(resolveConfig(config));
  Object.freeze(databases);
  return databases;
}
