import type { DrizzleConfig, TablesRelationalConfig } from 'drizzle-orm';
import { MySqlDialect, type Mode, type MySqlPreparedQueryConfig, type MySqlTransactionConfig } from 'drizzle-orm/mysql-core';
import { MySqlProxyTransaction, MySqlRemoteDatabase, MySqlRemoteSession, type RemoteCallback } from 'drizzle-orm/mysql-proxy';
import type { Database } from '../core/database.js';
import { refuseTransactionConfig, sessionParts } from './drizzle-config.js';
import { passLeakproofErrorsOn } from './leakproof-errors.js';
import { DRIZZLE_RAW_ROWS, DRIZZLE_ROWS } from './drizzle-rows.js';
import { withRowIterator } from './mysql-iterator.js';

type Schema = Record<string, unknown>;
type Relations = ReturnType<typeof sessionParts>['relations'];

/** Statements that answer rows, for `db.execute(sql)` (whose statement Drizzle does not classify). */
const ANSWERS_ROWS = /^[\s(]*(?:select|with|show|values|table|describe|desc|explain)\b/i;

/**
 * Statements through the scope's connection, answered in the shapes drizzle's mysql2 session
 * gives: arrays for the rows Drizzle maps (`all`); for `execute`, `[header, fields]` after a
 * write (`insertId`, `affectedRows`, which `$returningId()` reads, and mysql2's `changedRows`)
 * and `[rows, fields]` after a raw SELECT. Inside a transaction body they join it through the
 * async context.
 */
function mysqlCalls(db: Database): RemoteCallback {
  return async (sql, params, method) => {
    if (method === 'all') return { rows: await db.query(sql, params, DRIZZLE_ROWS) };
    if (ANSWERS_ROWS.test(sql)) return { rows: [await db.query(sql, params, DRIZZLE_RAW_ROWS), []] };
    const { rowsAffected, insertId, rowsChanged } = await db.execute(sql, params);
    const id = Number(insertId ?? 0);
    const header =
      rowsChanged === undefined
        ? { affectedRows: rowsAffected, insertId: id }
        : { affectedRows: rowsAffected, insertId: id, changedRows: rowsChanged };
    return { rows: [header, []] };
  };
}

/** drizzle's mysql-proxy session, with transactions that are leakproof's and a row iterator. */
class LeakproofMySqlSession extends MySqlRemoteSession<Schema, TablesRelationalConfig> {
  readonly #db: Database;
  readonly #dialect: MySqlDialect;
  readonly #relations: Relations;

  /** drizzle-orm/mysql2's mode, which its transactions' relational queries build with too. */
  readonly relationalMode: Mode;

  constructor(db: Database, dialect: MySqlDialect, parts: ReturnType<typeof sessionParts>, mode: Mode) {
    super(mysqlCalls(db), dialect, parts.relations, { logger: parts.logger });
    this.#db = db;
    this.relationalMode = mode;
    passLeakproofErrorsOn(this);
    this.#dialect = dialect;
    this.#relations = parts.relations;
  }

  override prepareQuery<T extends MySqlPreparedQueryConfig>(
    ...[query, fields, mapper, ...rest]: Parameters<MySqlRemoteSession<Schema, TablesRelationalConfig>['prepareQuery']>
  ) {
    const prepared = super.prepareQuery<T>(query, fields, mapper, ...rest);
    return withRowIterator(this.#db, prepared, query, fields, mapper);
  }

  override transaction<T>(
    body: (tx: MySqlProxyTransaction<Schema, TablesRelationalConfig>) => Promise<T>,
    config?: MySqlTransactionConfig,
  ): Promise<T> {
    refuseTransactionConfig(config);
    return this.#db.transaction(() => body(new LeakproofMySqlTransaction(this.#db, this.#dialect, this, this.#relations, 0)));
  }
}

/** A nested transaction is a nested leakproof transaction: a savepoint. */
class LeakproofMySqlTransaction extends MySqlProxyTransaction<Schema, TablesRelationalConfig> {
  readonly #db: Database;
  readonly #dialect: MySqlDialect;
  readonly #session: LeakproofMySqlSession;
  readonly #relations: Relations;
  readonly #depth: number;

  constructor(db: Database, dialect: MySqlDialect, session: LeakproofMySqlSession, relations: Relations, depth: number) {
    super(dialect, session as never, relations, depth, session.relationalMode);
    this.#db = db;
    this.#dialect = dialect;
    this.#session = session;
    this.#relations = relations;
    this.#depth = depth;
  }

  override transaction<T>(body: (tx: MySqlProxyTransaction<Schema, TablesRelationalConfig>) => Promise<T>): Promise<T> {
    return this.#db.transaction(() =>
      body(new LeakproofMySqlTransaction(this.#db, this.#dialect, this.#session, this.#relations, this.#depth + 1)),
    );
  }
}

/** Drizzle's MySQL/MariaDB database over a leakproof alias. */
export function mysqlDrizzle<S extends Schema>(db: Database, config: DrizzleConfig<S>, mode: Mode): MySqlRemoteDatabase<S> {
  const dialect = new MySqlDialect({ casing: config.casing });
  const parts = sessionParts(config);
  // The relational config is built from `S` at run time; its static type is drizzle's to infer.
  return new MySqlRemoteDatabase<S>(dialect, new LeakproofMySqlSession(db, dialect, parts, mode) as never, parts.relations as never, mode);
}
