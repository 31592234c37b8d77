import type { DrizzleConfig, TablesRelationalConfig } from 'drizzle-orm';
import { SQLiteAsyncDialect, type SQLiteTransactionConfig } from 'drizzle-orm/sqlite-core';
import {
  SQLiteProxyTransaction,
  SqliteRemoteDatabase,
  SQLiteRemoteSession,
  type AsyncBatchRemoteCallback,
  type AsyncRemoteCallback,
} from 'drizzle-orm/sqlite-proxy';
import type { Database } from '../core/database.js';
import { refuseTransactionConfig, sessionParts } from './drizzle-config.js';
import { passLeakproofErrorsOn } from './leakproof-errors.js';

type Schema = Record<string, unknown>;
type Relations = ReturnType<typeof sessionParts>['relations'];

/** How Drizzle reads rows on SQLite (no date types to read as text there). */
const ARRAY_ROWS = { rowMode: 'array' } as const;

/** leakproof's SQLite transactions begin IMMEDIATE, so asking for that is no change. */
const LEAKPROOF_BEGIN = { behavior: 'immediate' };

/**
 * Statements through the scope's connection, answered as drizzle's sqlite-proxy expects: rows
 * as arrays (`all`, `values`), one row array or undefined (`get`), and for `run` the changes
 * and the inserted rowid under better-sqlite3's names. Inside a transaction body they join it
 * through the async context.
 */
function sqliteCalls(db: Database): AsyncRemoteCallback {
  return async (sql, params, method) => {
    if (method === 'run') {
      const { rowsAffected, insertId } = await db.execute(sql, params);
      return { rows: [], changes: rowsAffected, lastInsertRowid: insertId ?? 0 };
    }
    const rows = await db.query(sql, params, ARRAY_ROWS);
    // `get` answers its one row, or nothing: drizzle maps an empty array to a row of undefineds.
    return { rows: method === 'get' ? (rows[0] as unknown[]) : rows };
  };
}

/**
 * `orm.batch([...])`: the statements one after another in one leakproof transaction (a savepoint
 * inside another, or under `transactionPerRequest`), all or none, as drizzle's batching drivers
 * (libsql, D1) run a batch; each answered as it would be alone.
 */
function sqliteBatch(db: Database, calls: AsyncRemoteCallback): AsyncBatchRemoteCallback {
  return (statements) =>
    db.transaction(async () => {
      const answers: { rows: unknown[] }[] = [];
      for (const { sql, params, method } of statements) answers.push(await calls(sql, params, method));
      return answers;
    });
}

/** drizzle's sqlite-proxy session, with transactions and batches that are leakproof's. */
class LeakproofSqliteSession extends SQLiteRemoteSession<Schema, TablesRelationalConfig> {
  readonly #db: Database;
  readonly #dialect: SQLiteAsyncDialect;
  readonly #relations: Relations;

  constructor(db: Database, dialect: SQLiteAsyncDialect, parts: ReturnType<typeof sessionParts>) {
    const calls = sqliteCalls(db);
    super(calls, dialect, parts.relations, sqliteBatch(db, calls), { logger: parts.logger });
    this.#db = db;
    // drizzle-orm/better-sqlite3 throws the database's errors as they are: so does this session.
    passLeakproofErrorsOn(this, 'as they are');
    this.#dialect = dialect;
    this.#relations = parts.relations;
  }

  override transaction<T>(
    body: (tx: SQLiteProxyTransaction<Schema, TablesRelationalConfig>) => Promise<T>,
    config?: SQLiteTransactionConfig,
  ): Promise<T> {
    refuseTransactionConfig(config, LEAKPROOF_BEGIN);
    return this.#db.transaction(() => body(new LeakproofSqliteTransaction(this.#db, this.#dialect, this, this.#relations, 0)));
  }
}

/** A nested transaction is a nested leakproof transaction: a savepoint. */
class LeakproofSqliteTransaction extends SQLiteProxyTransaction<Schema, TablesRelationalConfig> {
  readonly #db: Database;
  readonly #dialect: SQLiteAsyncDialect;
  readonly #session: LeakproofSqliteSession;
  readonly #relations: Relations;
  readonly #depth: number;

  constructor(db: Database, dialect: SQLiteAsyncDialect, session: LeakproofSqliteSession, relations: Relations, depth: number) {
    super('async', dialect, session, relations, depth);
    this.#db = db;
    this.#dialect = dialect;
    this.#session = session;
    this.#relations = relations;
    this.#depth = depth;
  }

  override transaction<T>(body: (tx: SQLiteProxyTransaction<Schema, TablesRelationalConfig>) => Promise<T>): Promise<T> {
    return this.#db.transaction(() =>
      body(new LeakproofSqliteTransaction(this.#db, this.#dialect, this.#session, this.#relations, this.#depth + 1)),
    );
  }
}

/** Drizzle's SQLite database (async, as every leakproof call is) over a leakproof alias. */
export function sqliteDrizzle<S extends Schema>(db: Database, config: DrizzleConfig<S>): SqliteRemoteDatabase<S> {
  const dialect = new SQLiteAsyncDialect({ casing: config.casing });
  const parts = sessionParts(config);
  // The relational config is built from `S` at run time; its static type is drizzle's to infer.
  return new SqliteRemoteDatabase<S>('async', dialect, new LeakproofSqliteSession(db, dialect, parts) as never, parts.relations as never);
}
