/**
 * The better-sqlite3 driver: one database handle per `connect()`.
 *
 * better-sqlite3 is synchronous, so each call runs to completion inside an async method (a
 * throw becomes a rejection). Nothing can run concurrently on a handle, so there is nothing to
 * cancel, and `statementTimeout` does not apply (SQLite has no server to enforce it).
 * Each `:memory:` connection is its own empty database.
 *
 * @module
 */
import type { Database, Options, Statement } from 'better-sqlite3';
import type {
  ArrayResult,
  ConnectionSettings,
  Driver,
  DriverConnection,
  DriverRow,
  DriverRowStream,
  DriverStreamOptions,
  ExecuteResult,
} from '../driver.js';
import { BrokenSignal } from '../broken-signal.js';
import { typedParams } from '../option-rules.js';
import { SQLITE_URL_RULES } from './sqlite-options.js';
import { markConnectError } from '../error-class.js';
import { importPackage } from '../import-package.js';
import { rejection } from '../rejection.js';
import { sqliteTransactionSql } from '../transaction-sql.js';
import { classifySqliteError } from './sqlite-errors.js';
import { SqliteRowStream } from './sqlite-row-stream.js';

type DatabaseConstructor = typeof import('better-sqlite3');

/** How long a statement waits for another connection's lock before SQLITE_BUSY. */
const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/**
 * `lastInsertRowid` is the handle's last inserted rowid, still there after an UPDATE; report it
 * only for a statement that inserts, as MySQL does. (An INSERT behind a `WITH` clause reports none.)
 */
const INSERTS = /^\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*(?:INSERT|REPLACE)\b/i;

/** SQLite has no server-side session id; a process-wide counter stands in for one. */
let lastConnectionId = 0;

/** Loads better-sqlite3 (DRIVER_MISSING if absent) and returns the driver for one alias. */
export async function createBetterSqlite3Driver(settings: ConnectionSettings): Promise<Driver> {
  const Database = await importPackage<DatabaseConstructor>('better-sqlite3', 'sqlite');
  return Object.freeze({
    engine: 'sqlite',
    packageName: 'better-sqlite3',
    connect: async () => SqliteConnection.open(Database, settings),
    readServerLimits: async () => ({ idleTimeoutMs: 0, sessionLimit: 0, sessionLimitName: 'none' }),
    cancelBy: 'none',
    cancel: async () => {},
    wasCancelled: () => false,
    isStatementTimeout: () => false,
    classifyError: classifySqliteError,
    sql: sqliteTransactionSql,
  });
}

class SqliteConnection implements DriverConnection {
  readonly serverId = ++lastConnectionId;
  readonly #db: Database;
  readonly #statements = new Map<string, Statement<unknown[]>>();
  readonly #broken = new BrokenSignal();

  readonly #busyTimeout: number;
  /** Prepared statements kept per handle (statementCache): preparing costs more than running a small statement. */
  readonly #cacheSize: number;

  private constructor(db: Database, busyTimeout: number, cacheSize: number) {
    this.#db = db;
    this.#busyTimeout = busyTimeout;
    this.#cacheSize = cacheSize;
  }

  static open(Database: DatabaseConstructor, settings: ConnectionSettings): SqliteConnection {
    let db: Database | undefined;
    try {
      const { busyTimeout, options } = sqliteOptions(settings);
      db = new Database(settings.filename ?? ':memory:', options);
      // WAL lets readers run while one connection writes; a :memory: or read-only db cannot use it.
      if (!db.memory && !db.readonly) db.pragma('journal_mode = WAL');
      return new SqliteConnection(db, busyTimeout, settings.statementCache);
    } catch (error) {
      db?.close();
      throw markConnectError(error);
    }
  }

  query(sql: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]> {
    return this.#runWhenUnlocked(sql, (statement) => {
      if (statement.reader) return statement.all(...(params ?? [])) as Record<string, unknown>[];
      statement.run(...(params ?? []));
      return [];
    });
  }

  /** `raw()` switches the cached statement to arrays, so it is switched back before the next use. */
  queryArrays(sql: string, params?: readonly unknown[]): Promise<ArrayResult> {
    return this.#runWhenUnlocked(sql, (statement) => {
      if (!statement.reader) {
        statement.run(...(params ?? []));
        return { rows: [], fields: [] };
      }
      const fields = statement.columns().map(({ name }) => ({ name }));
      try {
        return { rows: statement.raw(true).all(...(params ?? [])) as unknown[][], fields };
      } finally {
        statement.raw(false);
      }
    });
  }

  execute(sql: string, params?: readonly unknown[]): Promise<ExecuteResult> {
    return this.#runWhenUnlocked(sql, (statement) => {
      const { changes, lastInsertRowid } = statement.run(...(params ?? []));
      return { rowsAffected: changes, insertId: changes > 0 && INSERTS.test(sql) ? lastInsertRowid : undefined };
    });
  }

  async stream(sql: string, params: readonly unknown[] | undefined, options: DriverStreamOptions): Promise<DriverRowStream> {
    return this.#runWhenUnlocked(sql, (statement) => {
      if (!statement.reader) {
        statement.run(...(params ?? []));
        return SqliteRowStream.empty();
      }
      // An iterating statement cannot leave raw mode until it is done, so arrays get a statement of their own, not the cached one.
      const source = options.rowMode === 'array' ? this.#db.prepare<unknown[]>(sql).raw(true) : statement;
      const fields = statement.columns().map(({ name }) => ({ name }));
      const rows = source.iterate(...(params ?? [])) as Iterator<DriverRow>;
      return SqliteRowStream.open(rows, options.batchSize, fields, (error) => this.#noteFailure(error));
    });
  }

  /**
   * better-sqlite3 waits for a lock held by another connection synchronously, which would freeze
   * the event loop, and with it the very request holding the lock. So SQLite's own busy wait is
   * off (timeout 0) and a busy statement is retried, asynchronously, with a growing pause, until
   * the alias's busy timeout has passed. The first try runs at once and, when it succeeds (the
   * usual case), costs a single resolved promise.
   */
  #runWhenUnlocked<T>(sql: string, work: (statement: Statement<unknown[]>) => T): Promise<T> {
    try {
      return Promise.resolve(this.#run(sql, work));
    } catch (error) {
      if (!isBusy(error)) return rejection(error);
      return this.#retryWhenUnlocked(sql, work, Date.now() + this.#busyTimeout);
    }
  }

  async #retryWhenUnlocked<T>(sql: string, work: (statement: Statement<unknown[]>) => T, deadline: number): Promise<T> {
    for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
      if (Date.now() + pause > deadline) return this.#run(sql, work);
      await new Promise((resolve) => setTimeout(resolve, pause));
      try {
        return this.#run(sql, work);
      } catch (error) {
        if (!isBusy(error)) throw error;
      }
    }
  }

  #run<T>(sql: string, work: (statement: Statement<unknown[]>) => T): T {
    try {
      return work(this.#prepare(sql));
    } catch (error) {
      this.#noteFailure(error);
      throw error;
    }
  }

  #noteFailure(error: unknown): void {
    if (classifySqliteError(error) === 'connection') this.#broken.fire(error);
  }

  /** A bounded cache, least recently used first out (a Map keeps insertion order). */
  #prepare(sql: string): Statement<unknown[]> {
    const cached = this.#statements.get(sql);
    if (cached !== undefined) {
      this.#statements.delete(sql);
      this.#statements.set(sql, cached);
      return cached;
    }
    const statement = this.#db.prepare<unknown[]>(sql);
    if (this.#cacheSize === 0) return statement;
    if (this.#statements.size >= this.#cacheSize) this.#statements.delete(this.#statements.keys().next().value as string);
    this.#statements.set(sql, statement);
    return statement;
  }

  inTransaction(): boolean {
    return this.#db.open && this.#db.inTransaction;
  }

  async ping(): Promise<void> {
    if (!this.#db.open) throw new TypeError('The database connection is not open');
  }

  isBroken(): boolean {
    return this.#broken.broken;
  }

  onBroken(callback: (error: Error) => void): void {
    this.#broken.subscribe(callback);
  }

  async close(): Promise<void> {
    this.destroy();
  }

  /** Closing the handle finalizes its statements; a handle never blocks on close. */
  destroy(): void {
    this.#broken.closing();
    this.#statements.clear();
    try {
      this.#db.close();
    } catch {
      // Already closed.
    }
  }
}

/**
 * The busy timeout comes from `?busy_timeout=` (ms), else 5000, and a `timeout` driver option
 * wins over both. It bounds leakproof's asynchronous retries; SQLite's own, synchronous wait is
 * always 0.
 */
function sqliteOptions(settings: ConnectionSettings): { busyTimeout: number; options: Options } {
  // Typed as better-sqlite3 expects them (checked by createDatabases).
  const { busy_timeout: fromUrl, ...rest } = typedParams(SQLITE_URL_RULES, settings.params);
  const { timeout: fromDriver, ...driverOptions } = settings.driverOptions as Options;
  const busyTimeout = typeof fromDriver === 'number' ? fromDriver : typeof fromUrl === 'number' ? fromUrl : DEFAULT_BUSY_TIMEOUT_MS;
  return { busyTimeout, options: { ...rest, ...driverOptions, timeout: 0 } };
}

/** SQLITE_BUSY and its extended codes, except a stale snapshot, which no retry can cure. */
function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY') && code !== 'SQLITE_BUSY_SNAPSHOT';
}
