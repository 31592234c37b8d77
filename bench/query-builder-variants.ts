/**
 * The query-builder rows of the HTTP bench: `GET /item?id=N` through Kysely and through Drizzle,
 * on MySQL/MariaDB and on PostgreSQL, each once on its own usual raw pool and once on leakproof
 * (`leakproof/kysely`, `leakproof/drizzle` under `leakproof/http`), so each pair differs only in
 * what sits under the query builder:
 *
 * - MySQL/MariaDB: Kysely's MysqlDialect on a mysql2 pool, drizzle-orm/mysql2 on a mysql2 promise
 *   pool; leakproof over a mysql2 alias.
 * - PostgreSQL (`-pg`): Kysely's PostgresDialect on a pg Pool, drizzle-orm/node-postgres on a pg
 *   Pool; leakproof over a pg alias (its defaults, as `leakproof-pg`).
 *
 * Both sides of a pair build the same statement, and every row answers the raw driver's JSON
 * (Drizzle's columns keep their SQL names as keys). The servers and handlers are http-variants.ts's.
 *
 * @module
 */
import { eq } from 'drizzle-orm';
import { drizzle as drizzleMysql2 } from 'drizzle-orm/mysql2';
import { int, mysqlTable, varchar } from 'drizzle-orm/mysql-core';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { integer, pgTable, varchar as pgVarchar } from 'drizzle-orm/pg-core';
import { Kysely, MysqlDialect, PostgresDialect } from 'kysely';
import { createPool } from 'mysql2';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { AliasOptions, Databases } from '../src/index.js';
import { addressOptions } from './config.js';
import { TABLE } from './data.js';
import { loadLeakproof, loadQueryBuilder } from './leakproof-build.js';
import type { VariantSettings } from './variant.js';

export const QUERY_BUILDER_VARIANTS = {
  'raw-kysely': 'Kysely + its MysqlDialect on a raw mysql2 pool',
  'raw-kysely-als': 'Kysely + its MysqlDialect on a raw mysql2 pool + AsyncLocalStorage.run',
  'leakproof-kysely': 'Kysely + leakproof/kysely (leakproof/http, mysql2)',
  'raw-drizzle': 'Drizzle (drizzle-orm/mysql2) on a raw mysql2 pool',
  'raw-drizzle-als': 'Drizzle (drizzle-orm/mysql2) on a raw mysql2 pool + AsyncLocalStorage.run',
  'leakproof-drizzle': 'Drizzle + leakproof/drizzle (leakproof/http, mysql2)',
  'raw-kysely-pg': 'Kysely + its PostgresDialect on a raw pg Pool',
  'leakproof-kysely-pg': 'Kysely + leakproof/kysely (leakproof/http, pg)',
  'raw-drizzle-pg': 'Drizzle (drizzle-orm/node-postgres) on a raw pg Pool',
  'leakproof-drizzle-pg': 'Drizzle + leakproof/drizzle (leakproof/http, pg)',
} as const;

export type QueryBuilderVariantName = keyof typeof QUERY_BUILDER_VARIANTS;

/** One row looked up by id, and what closes its pool; `dbs` for the leakproof side. */
export interface ItemSource {
  readonly find: (id: number) => Promise<unknown>;
  readonly dbs?: Databases;
  close(): Promise<void>;
}

interface BenchDb {
  bench_item: { id: number; name: string; price_cents: number; description: string };
}

// Property names are the column names, so Drizzle's rows are the raw drivers' rows.
const mysqlItem = mysqlTable(TABLE, {
  id: int('id').primaryKey(),
  name: varchar('name', { length: 64 }).notNull(),
  price_cents: int('price_cents').notNull(),
  description: varchar('description', { length: 255 }).notNull(),
});

const pgItem = pgTable(TABLE, {
  id: integer('id').primaryKey(),
  name: pgVarchar('name', { length: 64 }).notNull(),
  price_cents: integer('price_cents').notNull(),
  description: pgVarchar('description', { length: 255 }).notNull(),
});

export function isQueryBuilderVariant(name: string): name is QueryBuilderVariantName {
  return Object.hasOwn(QUERY_BUILDER_VARIANTS, name);
}

export async function queryBuilderSource(name: QueryBuilderVariantName, settings: VariantSettings): Promise<ItemSource> {
  const { mysqlUrl, pgUrl, poolSize } = settings;
  switch (name) {
    case 'raw-kysely':
    case 'raw-kysely-als':
      return kyselySource(new MysqlDialect({ pool: createPool({ ...addressOptions(mysqlUrl), connectionLimit: poolSize }) }));
    case 'raw-kysely-pg':
      return kyselySource(new PostgresDialect({ pool: new pg.Pool({ ...addressOptions(pgUrl), max: poolSize }) }));
    case 'raw-drizzle':
    case 'raw-drizzle-als': {
      const pool = mysql.createPool({ ...addressOptions(mysqlUrl), connectionLimit: poolSize });
      const orm = drizzleMysql2(pool);
      return { find: firstOf((id) => orm.select().from(mysqlItem).where(eq(mysqlItem.id, id))), close: () => pool.end() };
    }
    case 'raw-drizzle-pg': {
      const pool = new pg.Pool({ ...addressOptions(pgUrl), max: poolSize });
      const orm = drizzleNodePg(pool);
      return { find: firstOf((id) => orm.select().from(pgItem).where(eq(pgItem.id, id))), close: () => pool.end() };
    }
    case 'leakproof-kysely':
      return leakproofKysely({ url: mysqlUrl, client: 'mysql2', maxConnections: poolSize });
    case 'leakproof-kysely-pg':
      return leakproofKysely({ url: pgUrl, maxConnections: poolSize });
    case 'leakproof-drizzle': {
      const dbs = await leakproofDatabases({ url: mysqlUrl, client: 'mysql2', maxConnections: poolSize });
      const { drizzle } = await loadQueryBuilder('drizzle');
      const orm = drizzle(dbs.get(), { dialect: 'mysql' });
      return { dbs, find: firstOf((id) => orm.select().from(mysqlItem).where(eq(mysqlItem.id, id))), close: () => dbs.close() };
    }
    case 'leakproof-drizzle-pg': {
      const dbs = await leakproofDatabases({ url: pgUrl, maxConnections: poolSize });
      const { drizzle } = await loadQueryBuilder('drizzle');
      const orm = drizzle(dbs.get(), { dialect: 'postgresql' });
      return { dbs, find: firstOf((id) => orm.select().from(pgItem).where(eq(pgItem.id, id))), close: () => dbs.close() };
    }
  }
}

async function leakproofDatabases(alias: AliasOptions): Promise<Databases> {
  const { createDatabases } = await loadLeakproof();
  return createDatabases({ default: alias });
}

function kyselySource(dialect: MysqlDialect | PostgresDialect): ItemSource {
  const kysely = new Kysely<BenchDb>({ dialect });
  return { find: kyselyFind(kysely), close: () => kysely.destroy() };
}

async function leakproofKysely(alias: AliasOptions): Promise<ItemSource> {
  const dbs = await leakproofDatabases(alias);
  const { LeakproofDialect } = await loadQueryBuilder('kysely');
  return { dbs, find: kyselyFind(new Kysely<BenchDb>({ dialect: new LeakproofDialect(dbs.get()) })), close: () => dbs.close() };
}

function kyselyFind(kysely: Kysely<BenchDb>): ItemSource['find'] {
  return (id) =>
    kysely.selectFrom('bench_item').select(['id', 'name', 'price_cents', 'description']).where('id', '=', id).executeTakeFirst();
}

/** The first row of a Drizzle select (the same statement on both sides; the session types differ). */
function firstOf(select: (id: number) => PromiseLike<readonly unknown[]>): ItemSource['find'] {
  return async (id) => (await select(id))[0];
}
