/**
 * Kysely over leakproof: each statement runs on the current request's connection, leased from
 * its scope and released on every end path. Outside a scope the same rule as `db.query`
 * applies (a lease per statement, or `NO_SCOPE` when the alias is `strict`).
 *
 * - The adapter, query compiler and introspector are Kysely's own for the alias's engine
 *   (MySQL for `mysql:`/`mariadb:`, PostgreSQL, SQLite).
 * - `transaction().execute()`, `startTransaction()` and savepoints are leakproof
 *   transactions: nested under `transactionPerRequest`, rolled back on a throw or an abort,
 *   REQUEST_ENDED after the request ended. Isolation levels are refused (QUERY_BUILDER_UNSUPPORTED).
 * - Inside a transaction, statements issued through the Kysely instance rather than `trx` are
 *   another call of the same request: they wait for the transaction to end (await one inside
 *   the transaction and it waits forever). Use `trx`.
 * - `.stream()` reads through `db.stream()`; `kysely.destroy()` closes nothing (`dbs.close()` does).
 *
 * @example
 * import { Kysely, type Generated } from 'kysely';
 * import { createDatabases } from 'leakproof';
 * import { LeakproofDialect } from 'leakproof/kysely';
 *
 * interface DB { poll: { id: Generated<number>; question: string } }
 * const dbs = createDatabases({ default: 'sqlite:./db.sqlite3' });
 * const kysely = new Kysely<DB>({ dialect: new LeakproofDialect(dbs.get()) });
 * const polls = await dbs.run(() => kysely.selectFrom('poll').selectAll().execute());
 *
 * @module
 */
import {
  MysqlAdapter,
  MysqlIntrospector,
  MysqlQueryCompiler,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type QueryCompiler,
} from 'kysely';
import type { Database } from '../core/database.js';
import type { Engine } from '../drivers/driver.js';
import { LeakproofDriver } from './leakproof-driver.js';

type IntrospectedDb = Parameters<Dialect['createIntrospector']>[0];

interface EngineParts {
  adapter(): DialectAdapter;
  compiler(): QueryCompiler;
  introspector(db: IntrospectedDb): DatabaseIntrospector;
}

/**
 * Kysely 0.29's SQLite adapter declares one connection at a time, and Kysely then holds a mutex
 * across the whole Kysely instance from acquire to release: every request of the process would
 * queue behind one, and a `startTransaction()` never committed would hold it for ever. Over
 * leakproof each request has its own connection (and leakproof orders SQLite's writers), so
 * the mutex has nothing to protect. An own property rather than a subclass's override: Kysely
 * 0.28's adapter has no such member (its mutex was in its own SQLite driver), and one class
 * cannot override it there and here.
 */
function leakproofSqliteAdapter(): DialectAdapter {
  return Object.defineProperty(new SqliteAdapter(), 'supportsMultipleConnections', { get: () => true });
}

/** Kysely's own pieces for each engine leakproof speaks. */
const ENGINE_PARTS: Readonly<Record<Engine, EngineParts>> = {
  mysql: { adapter: () => new MysqlAdapter(), compiler: () => new MysqlQueryCompiler(), introspector: (db) => new MysqlIntrospector(db) },
  postgres: {
    adapter: () => new PostgresAdapter(),
    compiler: () => new PostgresQueryCompiler(),
    introspector: (db) => new PostgresIntrospector(db),
  },
  sqlite: {
    adapter: leakproofSqliteAdapter,
    compiler: () => new SqliteQueryCompiler(),
    introspector: (db) => new SqliteIntrospector(db),
  },
};

/**
 * A Kysely `Dialect` over one leakproof alias (`dbs.get()` or `dbs.get('replica')`); its engine
 * is the alias URL's.
 *
 * @example
 * const kysely = new Kysely<DB>({ dialect: new LeakproofDialect(dbs.get()) });
 */
export class LeakproofDialect implements Dialect {
  readonly #db: Database;
  readonly #parts: EngineParts;

  constructor(db: Database) {
    this.#db = db;
    this.#parts = ENGINE_PARTS[db.engine];
  }

  createDriver(): Driver {
    return new LeakproofDriver(this.#db);
  }

  createQueryCompiler(): QueryCompiler {
    return this.#parts.compiler();
  }

  createAdapter(): DialectAdapter {
    return this.#parts.adapter();
  }

  createIntrospector(db: IntrospectedDb): DatabaseIntrospector {
    return this.#parts.introspector(db);
  }
}
