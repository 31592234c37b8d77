import type { DriverConnection, Engine, ExecuteResult, FieldInfo, ReadOptions, RowMode } from '../drivers/driver.js';
import { ScopeError } from '../errors/errors.js';
import type { Lease } from './lease.js';
import type { Pool } from './pool.js';
import type { CallOptions } from './call-options.js';
import { RowStream, type StreamOptions } from './row-stream.js';
import { sessionStateError } from './session-state.js';
import { currentContext, Scope, type Context } from './scope.js';
import type { TransactionFrame } from './transaction-frame.js';

export type Row = Record<string, unknown>;
export type Params = readonly unknown[];

/** Options of one `query` call: the call's bounds, and how its rows come back. */
export interface QueryOptions extends CallOptions {
  /**
   * `'array'`: each row is an array of its values in column order, and the result carries its
   * columns as `fields`, so two columns of the same name both survive (a join's `id`s). What
   * query builders read joined rows with. Default `'object'`.
   */
  readonly rowMode?: RowMode;
  /**
   * Dates and times as the server's text instead of the driver's `Date`s (and pg's interval
   * objects): MySQL/MariaDB DATETIME, TIMESTAMP and DATE (`'2026-01-02 03:04:05.678'`);
   * PostgreSQL timestamp, timestamptz, date, interval and their arrays. What Drizzle's date
   * columns read, so they parse them the same in every time zone. SQLite stores dates as text
   * or numbers already. Default false (the driver's own parsing).
   */
  readonly dateStrings?: boolean;
}

/** The rows of a `rowMode: 'array'` query: arrays in column order, with the columns as `fields`. */
export type ArrayRows<R extends unknown[] = unknown[]> = R[] & { readonly fields: readonly FieldInfo[] };

/** A query's rows in the mode its options ask for. */
function queryIn(sql: string, params: Params | undefined, options: QueryOptions | undefined): (raw: DriverConnection) => Promise<object[]> {
  const read = options?.dateStrings === true ? TEXT_DATES : undefined;
  if (options?.rowMode !== 'array') return (raw) => raw.query(sql, params, read);
  return (raw) => raw.queryArrays(sql, params, read).then(({ rows, fields }) => withFields(rows, fields));
}

const TEXT_DATES: ReadOptions = { dateStrings: true };

/**
 * `fields` is not enumerable: the rows stay equal to a plain array of them (what a query
 * builder hands on as its raw answer, drizzle's `.values()`), and only code asking for it sees it.
 */
function withFields(rows: unknown[][], fields: readonly FieldInfo[]): ArrayRows {
  return Object.defineProperty(rows, 'fields', { value: fields, enumerable: false }) as ArrayRows;
}

/** The query surface shared by a database handle and a transaction handle. */
export interface Queryable {
  /**
   * Runs a statement and returns its rows. Placeholders are the driver's own (`?` or `$1`).
   * `options.timeout` / `options.signal` bound this one call (see `CallOptions`).
   *
   * @example
   * // Give up after 2 s, or as soon as the client leaves:
   * const rows = await db.query('SELECT * FROM report WHERE day = ?', [day], { timeout: 2000, signal: currentScope()?.signal });
   * // Rows as arrays, duplicate column names kept: [[1, 2]] and fields [{ name: 'id' }, { name: 'id' }]
   * const pairs = await db.query<[number, number]>('SELECT 1 AS id, 2 AS id', [], { rowMode: 'array' });
   */
  query<R extends unknown[] = unknown[]>(
    sql: string,
    params: Params | undefined,
    options: QueryOptions & { readonly rowMode: 'array' },
  ): Promise<ArrayRows<R>>;
  query<R extends object = Row>(sql: string, params?: Params, options?: QueryOptions): Promise<R[]>;
  /** Runs a statement and returns `{ rowsAffected, insertId }`; `options` as for `query`. */
  execute(sql: string, params?: Params, options?: CallOptions): Promise<ExecuteResult>;
  /**
   * Runs `body` in a transaction on the request's connection: COMMIT when it resolves, ROLLBACK
   * when it throws. Nested calls use savepoints. Calls made inside `body` through `db` join the
   * transaction as well as calls through `tx`.
   */
  transaction<T>(body: (tx: Transaction) => Promise<T>): Promise<T>;
  /**
   * Streams the rows of a statement with the driver's own row streaming (a cursor on
   * PostgreSQL, which needs the `pg-cursor` package), reading `batchSize` rows at a time,
   * so memory stays flat however many rows come. Nothing runs until the first row is asked
   * for. The stream then holds the request's connection until the last row was read, the loop
   * stopped early (`break`, a throw), or the request ended (a pending read then rejects with
   * `REQUEST_ENDED`). Meanwhile other statements of the same request on this alias fail with
   * `STREAM_OPEN`: waiting for the stream from inside a loop over it would never end.
   *
   * @example
   * import http from 'node:http';
   * import { once } from 'node:events';
   * import { Readable, Transform } from 'node:stream';
   * import { pipeline } from 'node:stream/promises';
   * import { createDatabases, currentScope } from 'leakproof';
   * import { withDatabases } from 'leakproof/http';
   *
   * const dbs = createDatabases({ default: 'sqlite:./db.sqlite3' });
   * const db = dbs.get();
   * http.createServer(withDatabases(dbs, async (req, res) => {
   *   res.setHeader('content-type', 'application/x-ndjson');
   *   if (req.url === '/polls.ndjson') {
   *     const lines = new Transform({ writableObjectMode: true, transform: (row, _enc, done) => done(null, JSON.stringify(row) + '\n') });
   *     await pipeline(Readable.from(db.stream('SELECT id, question FROM poll ORDER BY id')), lines, res);
   *     return;
   *   }
   *   // Row by row; the signal aborts when the client leaves (its response never drains then).
   *   for await (const row of db.stream<{ id: number }>('SELECT id FROM poll')) {
   *     if (!res.write(`${row.id}\n`)) await once(res, 'drain', { signal: currentScope()!.signal });
   *   }
   *   res.end();
   * })).listen(3000);
   */
  stream<R extends object = Row>(sql: string, params?: Params, options?: StreamOptions & CallOptions): RowStream<R>;
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

  query<R extends unknown[] = unknown[]>(
    sql: string,
    params: Params | undefined,
    options: QueryOptions & { readonly rowMode: 'array' },
  ): Promise<ArrayRows<R>>;
  query<R extends object = Row>(sql: string, params?: Params, options?: QueryOptions): Promise<R[]>;
  query(sql: string, params?: Params, options?: QueryOptions): Promise<object[]> {
    const refused = sessionStateError(this.#pool.config, sql);
    if (refused !== undefined) return Promise.reject(refused);
    const context = currentContext();
    if (context === undefined) return this.#withoutScope(() => this.query(sql, params, options));
    return context.scope.leaseFor(this.#pool).command(context.frame, queryIn(sql, params, options), options);
  }

  execute(sql: string, params?: Params, options?: CallOptions): Promise<ExecuteResult> {
    const refused = sessionStateError(this.#pool.config, sql);
    if (refused !== undefined) return Promise.reject(refused);
    const context = currentContext();
    if (context === undefined) return this.#withoutScope(() => this.execute(sql, params, options));
    return context.scope.leaseFor(this.#pool).command(context.frame, (raw) => raw.execute(sql, params), options);
  }

  transaction<T>(body: (tx: Transaction) => Promise<T>): Promise<T> {
    const context = currentContext();
    if (context === undefined) return this.#withoutScope(() => this.transaction(body));
    return runTransaction(context, this.#pool, body);
  }

  stream<R extends object = Row>(sql: string, params?: Params, options?: StreamOptions & CallOptions): RowStream<R> {
    const refused = sessionStateError(this.#pool.config, sql);
    if (refused !== undefined) throw refused;
    const context = currentContext();
    const pool = this.#pool;
    const target = { alias: this.alias, retryAfterMs: pool.config.retryAfter };
    if (context !== undefined)
      return new RowStream<R>(sql, params, options, target, (stream) => context.scope.leaseFor(pool).stream(context.frame, stream));
    // Outside a scope the stream gets a one-off scope of its own, which ends when the stream does.
    return new RowStream<R>(sql, params, options, target, (stream) =>
      this.#withoutScope(() => currentContext()!.scope.leaseFor(pool).stream(undefined, stream)),
    );
  }

  #withoutScope<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#pool.config.strict) {
      return Promise.reject(
        new ScopeError(
          'NO_SCOPE',
          `a query on alias "${this.alias}" ran outside any request scope and the alias is strict; run it inside dbs.run() or a request handler`,
        ),
      );
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

  query<R extends unknown[] = unknown[]>(
    sql: string,
    params: Params | undefined,
    options: QueryOptions & { readonly rowMode: 'array' },
  ): Promise<ArrayRows<R>>;
  query<R extends object = Row>(sql: string, params?: Params, options?: QueryOptions): Promise<R[]>;
  query(sql: string, params?: Params, options?: QueryOptions): Promise<object[]> {
    const refused = sessionStateError(this.#lease.pool.config, sql);
    if (refused !== undefined) return Promise.reject(refused);
    return this.#lease.command(this.#frame, queryIn(sql, params, options), options);
  }

  execute(sql: string, params?: Params, options?: CallOptions): Promise<ExecuteResult> {
    const refused = sessionStateError(this.#lease.pool.config, sql);
    if (refused !== undefined) return Promise.reject(refused);
    return this.#lease.command(this.#frame, (raw) => raw.execute(sql, params), options);
  }

  transaction<T>(body: (tx: Transaction) => Promise<T>): Promise<T> {
    // The scope's lease for this pool is this one: a scope keeps its leases until it is gone.
    const lease = this.#lease;
    return lease.transaction(this.#frame, (frame) => body(new Transaction(lease, frame)));
  }

  stream<R extends object = Row>(sql: string, params?: Params, options?: StreamOptions & CallOptions): RowStream<R> {
    const refused = sessionStateError(this.#lease.pool.config, sql);
    if (refused !== undefined) throw refused;
    const { alias, retryAfter } = this.#lease.pool.config;
    return new RowStream<R>(sql, params, options, { alias, retryAfterMs: retryAfter }, (stream) => this.#lease.stream(this.#frame, stream));
  }
}

function runTransaction<T>(context: Context, pool: Pool, body: (tx: Transaction) => Promise<T>): Promise<T> {
  const lease = (context.scope satisfies Scope).leaseFor(pool);
  return lease.transaction(context.frame, (frame) => body(new Transaction(lease, frame)));
}
