/**
 * Drizzle over leakproof: `drizzle(db, { schema })` as drizzle-orm's own, each statement on the
 * current request's connection, leased from its scope and released on every end path. Outside
 * a scope the same rule as `db.query` applies (a lease per statement, or `NO_SCOPE` when the
 * alias is `strict`).
 *
 * - Built on drizzle's proxy sessions (pg-proxy, mysql-proxy, sqlite-proxy), whose rows come
 *   back as arrays (`rowMode: 'array'`), so a join's columns of the same name both survive.
 * - `db.transaction()` and nested transactions are leakproof transactions (savepoints when
 *   nested or under `transactionPerRequest`), rolled back on a throw, `tx.rollback()` or an
 *   abort. Transaction config (isolation level, access mode) is refused: QUERY_BUILDER_UNSUPPORTED.
 * - `dialect` ('postgresql' | 'mysql' | 'sqlite', the names drizzle-kit uses) types the result;
 *   it must match the alias URL's engine. Without it the result is the union of the three.
 * - `.iterator()` on MySQL/MariaDB, as drizzle-orm/mysql2 has it, reads through `db.stream()`
 *   (drizzle-orm has no iterator on PostgreSQL or SQLite).
 * - SQLite's `batch([...])` runs its statements in one leakproof transaction, all or none.
 * - Relational queries with `with` on MariaDB need `mode: 'planetscale'` (drizzle-orm/mysql2's
 *   option): the default mode builds LATERAL joins, which MariaDB lacks.
 *
 * @example
 * import { pgTable, serial, text } from 'drizzle-orm/pg-core';
 * import { eq } from 'drizzle-orm';
 * import { createDatabases } from 'leakproof';
 * import { drizzle } from 'leakproof/drizzle';
 *
 * const poll = pgTable('poll', { id: serial('id').primaryKey(), question: text('question').notNull() });
 * const dbs = createDatabases({ default: process.env.DATABASE_URL! });
 * const orm = drizzle(dbs.get(), { schema: { poll }, dialect: 'postgresql' });
 * const rows = await dbs.run(() => orm.select().from(poll).where(eq(poll.id, 1)));
 *
 * @module
 */
import type { DrizzleConfig } from 'drizzle-orm';
import type { Mode as MySqlMode } from 'drizzle-orm/mysql-core';
import type { MySqlRemoteDatabase } from 'drizzle-orm/mysql-proxy';
import type { PgRemoteDatabase } from 'drizzle-orm/pg-proxy';
import type { SqliteRemoteDatabase } from 'drizzle-orm/sqlite-proxy';
import type { Database } from '../core/database.js';
import { ConfigError } from '../errors/errors.js';
import type { Engine } from '../drivers/driver.js';
import { mysqlDrizzle } from './mysql-session.js';
import { pgDrizzle } from './pg-session.js';
import { sqliteDrizzle } from './sqlite-session.js';

type Schema = Record<string, unknown>;

/** drizzle-kit's name for each engine. */
export type DrizzleDialect = 'postgresql' | 'mysql' | 'sqlite';

/** drizzle-orm's config, and the dialect that types the result. */
export interface LeakproofDrizzleConfig<S extends Schema = Record<string, never>> extends DrizzleConfig<S> {
  /** Must be the alias URL's engine; it picks the result's type. */
  readonly dialect?: DrizzleDialect;
  /**
   * MySQL/MariaDB only, drizzle-orm/mysql2's `mode`: `'planetscale'` builds relational queries
   * (`findMany({ with })`) without LATERAL joins, which MariaDB does not have. Default `'default'`.
   */
  readonly mode?: MySqlMode;
}

export type LeakproofPgDatabase<S extends Schema = Record<string, never>> = PgRemoteDatabase<S>;
export type LeakproofMySqlDatabase<S extends Schema = Record<string, never>> = MySqlRemoteDatabase<S>;
export type LeakproofSqliteDatabase<S extends Schema = Record<string, never>> = SqliteRemoteDatabase<S>;
/** What `drizzle()` returns without a `dialect`: narrow it with one. */
export type LeakproofDrizzleDatabase<S extends Schema = Record<string, never>> =
  LeakproofPgDatabase<S> | LeakproofMySqlDatabase<S> | LeakproofSqliteDatabase<S>;

const DIALECT_OF: Readonly<Record<Engine, DrizzleDialect>> = { postgres: 'postgresql', mysql: 'mysql', sqlite: 'sqlite' };

/**
 * A Drizzle database over one leakproof alias (`dbs.get()`), for the alias URL's engine.
 *
 * @example
 * const orm = drizzle(dbs.get(), { schema, dialect: 'mysql' });
 * app.get('/polls/:id', async (req, res) => res.json(await orm.select().from(poll).where(eq(poll.id, Number(req.params.id)))));
 */
export function drizzle<S extends Schema = Record<string, never>>(
  db: Database,
  config: LeakproofDrizzleConfig<S> & { readonly dialect: 'postgresql' },
): LeakproofPgDatabase<S>;
export function drizzle<S extends Schema = Record<string, never>>(
  db: Database,
  config: LeakproofDrizzleConfig<S> & { readonly dialect: 'mysql' },
): LeakproofMySqlDatabase<S>;
export function drizzle<S extends Schema = Record<string, never>>(
  db: Database,
  config: LeakproofDrizzleConfig<S> & { readonly dialect: 'sqlite' },
): LeakproofSqliteDatabase<S>;
export function drizzle<S extends Schema = Record<string, never>>(
  db: Database,
  config?: LeakproofDrizzleConfig<S>,
): LeakproofDrizzleDatabase<S>;
export function drizzle<S extends Schema = Record<string, never>>(
  db: Database,
  config: LeakproofDrizzleConfig<S> = {},
): LeakproofDrizzleDatabase<S> {
  const { dialect, mode, ...drizzleConfig } = config;
  const engineDialect = DIALECT_OF[db.engine];
  if (dialect !== undefined && dialect !== engineDialect) {
    throw new ConfigError([`drizzle() was given dialect "${dialect}" for alias "${db.alias}", whose URL is ${engineDialect}`]);
  }
  if (mode !== undefined && db.engine !== 'mysql') {
    throw new ConfigError([
      `drizzle() was given mode "${mode}" for alias "${db.alias}": a mode is MySQL's only, its URL is ${engineDialect}`,
    ]);
  }
  if (db.engine === 'postgres') return pgDrizzle(db, drizzleConfig);
  if (db.engine === 'mysql') return mysqlDrizzle(db, drizzleConfig, mode ?? 'default');
  return sqliteDrizzle(db, drizzleConfig);
}
