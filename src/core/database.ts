import type { Engine, ExecuteResult } from '../drivers/driver.js';
import { ScopeError } from './errors.js';
import type { Lease } from './lease.js';
import type { Pool } from './pool.js';
import { currentContext, Scope, type Context } from './scope.js';
import type { TransactionFrame } from './transaction-frame.js';

export type Row = Record<string, unknown>;
export type Params = readonly unknown[];

/** The query surface shared by a database handle and a transaction handle. */
export interface Queryable {
  /** Runs a statement and returns its rows. Placeholders are the driver's own (`?` or `$1`). */
  query<R extends Row = Row>(sql: string, params?: Params): Promise<R[]>;
  /** Runs a statement and returns `{ rowsAffected, insertId }`. */
  execute(sql: string, params?: Params): Promise<ExecuteResult>;
  /**
   * Runs `body` in a transaction on the request's connection: COMMIT when it resolves, ROLLBACK
   * when it throws. Nested calls use savepoints. Calls made inside `body` through `db` join the
   * transaction as well as calls through `tx`.
   */
  transaction<T>(body: (tx: Transaction) => Promise<T>): Promise<T>;
}

/**
 * One database alias, as handlers use it: `dbs.get()`. Inside a request scope each call runs on
 * that request's own connection; outside any scope a call leases a connection for itself alone
 * (or fails with `NO_SCOPE` when the alias is `strict`).
 *
 * @example
 * const db = dbs.get();
 * const [poll] = await db.query('SELECT * FROM poll WHERE id = ?', [id]);
 */
export class Database implements Queryable {
  readonly alias: string;
  readonly engine: Engine;
  readonly #pool: Pool;
  readonly #outside: <T>(fn: () => Promise<T>) => Promise<T>;

  /** @internal `outside` runs a call in a one-off scope (`dbs.run`). */
  constructor(pool: Pool, outside: <T>(fn: () => Promise<T>) => Promise<T>) {
    this.alias = pool.config.alias;
    this.engine = pool.config.engine;
    this.#pool = pool;
    this.#outside = outside;
  }

  query<R extends Row = Row>(sql: string, params?: Params): Promise<R[]> {
    const context = currentContext();
    if (context === undefined) return this.#withoutScope(() => this.query<R>(sql, params));
    return context.scope.leaseFor(this.#pool).command(context.frame, (raw) => raw.query(sql, params) as Promise<R[]>);
  }

  execute(sql: string, params?: Params): Promise<ExecuteResult> {
    const context = currentContext();
    if (context === undefined) return this.#withoutScope(() => this.execute(sql, params));
    return context.scope.leaseFor(this.#pool).command(context.frame, (raw) => raw.execute(sql, params));
  }

  transaction<T>(body: (tx: Transaction) => Promise<T>): Promise<T> {
    const context = currentContext();
    if (context === undefined) return this.#withoutScope(() => this.transaction(body));
    return runTransaction(context, this.#pool, body);
  }

  #withoutScope<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#pool.config.strict) {
      return Promise.reject(new ScopeError('NO_SCOPE', `a query on alias "${this.alias}" ran outside any request scope and the alias is strict; run it inside dbs.run() or a request handler`));
    }
    return this.#outside(fn);
  }
}

/**
 * The handle a transaction body receives. It is bound to its transaction explicitly, so it
 * works even in callbacks that lost the async context.
 */
export class Transaction implements Queryable {
  readonly #lease: Lease;
  readonly #frame: TransactionFrame;

  /** @internal */
  constructor(lease: Lease, frame: TransactionFrame) {
    this.#lease = lease;
    this.#frame = frame;
  }

  query<R extends Row = Row>(sql: string, params?: Params): Promise<R[]> {
    return this.#lease.command(this.#frame, (raw) => raw.query(sql, params) as Promise<R[]>);
  }

  execute(sql: string, params?: Params): Promise<ExecuteResult> {
    return this.#lease.command(this.#frame, (raw) => raw.execute(sql, params));
  }

  transaction<T>(body: (tx: Transaction) => Promise<T>): Promise<T> {
    return runTransaction({ scope: this.#lease.scope, frame: this.#frame }, this.#lease.pool, body);
  }
}

function runTransaction<T>(context: Context, pool: Pool, body: (tx: Transaction) => Promise<T>): Promise<T> {
  const lease = (context.scope satisfies Scope).leaseFor(pool);
  return lease.transaction(context.frame, (frame) => body(new Transaction(lease, frame)));
}
