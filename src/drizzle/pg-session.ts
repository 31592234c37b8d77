import { PgDialect } from 'drizzle-orm/pg-core';
import { PgProxyTransaction, PgRemoteDatabase, PgRemoteSession, type RemoteCallback } from 'drizzle-orm/pg-proxy';
import type { PgTransactionConfig } from 'drizzle-orm/pg-core';
import type { DrizzleConfig, TablesRelationalConfig } from 'drizzle-orm';
import type { Database } from '../core/database.js';
import { refuseTransactionConfig, sessionParts } from './drizzle-config.js';
import { DRIZZLE_RAW_ROWS, DRIZZLE_ROWS } from './drizzle-rows.js';
import { passLeakproofErrorsOn } from './leakproof-errors.js';

type Schema = Record<string, unknown>;

/**
 * Statements through the scope's connection: arrays for the rows Drizzle maps (`all`), object
 * rows for `db.execute(sql)`, dates as text in both. Inside a transaction body they join it through the async context.
 */
function pgCalls(db: Database): RemoteCallback {
  return async (sql, params, method) => ({
    rows: method === 'all' ? await db.query(sql, params, DRIZZLE_ROWS) : await db.query(sql, params, DRIZZLE_RAW_ROWS),
  });
}

/** drizzle's pg-proxy session, with transactions that are leakproof's. */
class LeakproofPgSession extends PgRemoteSession<Schema, TablesRelationalConfig> {
  readonly #db: Database;
  readonly #relations: ReturnType<typeof sessionParts>['relations'];

  constructor(db: Database, dialect: PgDialect, parts: ReturnType<typeof sessionParts>) {
    super(pgCalls(db), dialect, parts.relations, { logger: parts.logger });
    this.#db = db;
    passLeakproofErrorsOn(this);
    this.#relations = parts.relations;
  }

  override transaction<T>(
    body: (tx: PgProxyTransaction<Schema, TablesRelationalConfig>) => Promise<T>,
    config?: PgTransactionConfig,
  ): Promise<T> {
    refuseTransactionConfig(config);
    return this.#db.transaction(() => body(new LeakproofPgTransaction(this.#db, this.dialect, this, this.#relations, 0)));
  }
}

/** A nested transaction is a nested leakproof transaction: a savepoint. */
class LeakproofPgTransaction extends PgProxyTransaction<Schema, TablesRelationalConfig> {
  readonly #db: Database;
  readonly #dialect: PgDialect;
  readonly #session: LeakproofPgSession;

  constructor(
    db: Database,
    dialect: PgDialect,
    session: LeakproofPgSession,
    relations: ReturnType<typeof sessionParts>['relations'],
    nestedIndex: number,
  ) {
    super(dialect, session, relations, nestedIndex);
    this.#db = db;
    this.#dialect = dialect;
    this.#session = session;
  }

  override transaction<T>(body: (tx: PgProxyTransaction<Schema, TablesRelationalConfig>) => Promise<T>): Promise<T> {
    return this.#db.transaction(() =>
      body(new LeakproofPgTransaction(this.#db, this.#dialect, this.#session, this.schema, this.nestedIndex + 1)),
    );
  }
}

/** Drizzle's PostgreSQL database over a leakproof alias. */
export function pgDrizzle<S extends Schema>(db: Database, config: DrizzleConfig<S>): PgRemoteDatabase<S> {
  const dialect = new PgDialect({ casing: config.casing });
  const parts = sessionParts(config);
  // The relational config is built from `S` at run time; its static type is drizzle's to infer.
  return new PgRemoteDatabase<S>(dialect, new LeakproofPgSession(db, dialect, parts) as never, parts.relations as never);
}
