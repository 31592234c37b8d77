/**
 * The query-builder rows of the HTTP bench: `GET /item?id=N` through Kysely and through Drizzle,
 * each once on its own usual raw pool (Kysely's MysqlDialect on a mysql2 pool, drizzle-orm/mysql2
 * on a mysql2 promise pool) and once on leakproof (`leakproof/kysely`, `leakproof/drizzle` under
 * `leakproof/http`), so each pair differs only in what sits under the query builder. Both sides
 * of a pair build the same statement. The servers and handlers are http-variants.ts's.
 *
 * @module
 */
import { eq } from 'drizzle-orm';
import { drizzle as drizzleMysql2 } from 'drizzle-orm/mysql2';
import { int, mysqlTable, varchar } from 'drizzle-orm/mysql-core';
import { Kysely, MysqlDialect } from 'kysely';
import { createPool } from 'mysql2';
import mysql from 'mysql2/promise';
import type { Databases } from '../src/index.js';
import { addressOptions } from './config.js';
import { TABLE } from './data.js';
import { loadLeakproof, loadQueryBuilder } from './leakproof-build.js';

export const QUERY_BUILDER_VARIANTS = {
  'raw-kysely': 'Kysely + its MysqlDialect on a raw mysql2 pool',
  'raw-kysely-als': 'Kysely + its MysqlDialect on a raw mysql2 pool + AsyncLocalStorage.run',
  'leakproof-kysely': 'Kysely + leakproof/kysely (leakproof/http, mysql2)',
  'raw-drizzle': 'Drizzle (drizzle-orm/mysql2) on a raw mysql2 pool',
  'raw-drizzle-als': 'Drizzle (drizzle-orm/mysql2) on a raw mysql2 pool + AsyncLocalStorage.run',
  'leakproof-drizzle': 'Drizzle + leakproof/drizzle (leakproof/http, mysql2)',
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

const benchItem = mysqlTable(TABLE, {
  id: int('id').primaryKey(),
  name: varchar('name', { length: 100 }).notNull(),
  priceCents: int('price_cents').notNull(),
  description: varchar('description', { length: 1000 }).notNull(),
});

export function isQueryBuilderVariant(name: string): name is QueryBuilderVariantName {
  return Object.hasOwn(QUERY_BUILDER_VARIANTS, name);
}

export async function queryBuilderSource(name: QueryBuilderVariantName, mysqlUrl: string, poolSize: number): Promise<ItemSource> {
  switch (name) {
    case 'raw-kysely':
    case 'raw-kysely-als': {
      const kysely = new Kysely<BenchDb>({
        dialect: new MysqlDialect({ pool: createPool({ ...addressOptions(mysqlUrl), connectionLimit: poolSize }) }),
      });
      return { find: kyselyFind(kysely), close: () => kysely.destroy() };
    }
    case 'raw-drizzle':
    case 'raw-drizzle-als': {
      const pool = mysql.createPool({ ...addressOptions(mysqlUrl), connectionLimit: poolSize });
      const orm = drizzleMysql2(pool);
      return { find: firstOf((id) => orm.select().from(benchItem).where(eq(benchItem.id, id))), close: () => pool.end() };
    }
    case 'leakproof-kysely': {
      const dbs = await leakproofDatabases(mysqlUrl, poolSize);
      const { LeakproofDialect } = await loadQueryBuilder('kysely');
      return { dbs, find: kyselyFind(new Kysely<BenchDb>({ dialect: new LeakproofDialect(dbs.get()) })), close: () => dbs.close() };
    }
    case 'leakproof-drizzle': {
      const dbs = await leakproofDatabases(mysqlUrl, poolSize);
      const { drizzle } = await loadQueryBuilder('drizzle');
      const orm = drizzle(dbs.get(), { dialect: 'mysql' });
      return { dbs, find: firstOf((id) => orm.select().from(benchItem).where(eq(benchItem.id, id))), close: () => dbs.close() };
    }
  }
}

async function leakproofDatabases(url: string, poolSize: number): Promise<Databases> {
  const { createDatabases } = await loadLeakproof();
  return createDatabases({ default: { url, client: 'mysql2', maxConnections: poolSize } });
}

function kyselyFind(kysely: Kysely<BenchDb>): ItemSource['find'] {
  return (id) =>
    kysely.selectFrom('bench_item').select(['id', 'name', 'price_cents', 'description']).where('id', '=', id).executeTakeFirst();
}

/** The first row of a Drizzle select (the same statement on both sides; the session types differ). */
function firstOf(select: (id: number) => PromiseLike<readonly unknown[]>): ItemSource['find'] {
  return async (id) => (await select(id))[0];
}
