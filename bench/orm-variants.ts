/**
 * The ORM rows of the HTTP bench: `GET /item?id=N` through the ORMs a user would pick instead of
 * leakproof, each on MariaDB/MySQL (the mysql2 driver) and on PostgreSQL (pg), written the way
 * each one's documentation writes a primary-key lookup. They have no leakproof counterpart: the
 * report sets each engine's leakproof/http row beside them as a peer (http-run.ts `PEERS`).
 *
 * - TypeORM 1.x (`typeorm-*`): a DataSource (`url`) with an EntitySchema (no decorators) and
 *   `repository.findOneBy({ id })`; `poolSize` is the pool (mysql2's connectionLimit, pg's max).
 * - Sequelize 6 (`sequelize-*`): host, port and the dialect by name, `sequelize.define` and
 *   `Model.findByPk(id, { raw: true })`; `pool.max` is the pool. Its pg dialect needs pg-hstore.
 * - MikroORM 6 (`mikroorm-*`; 7 needs Node 22): `clientUrl`, an EntitySchema, a fork of the
 *   EntityManager per request (what its RequestContext middleware does) and
 *   `em.findOne(schema, { id })`; `pool: { min: 0, max }` is knex's pool (its default min is 2;
 *   the raw pools start empty too).
 *
 * Every ORM reads the existing `bench_item` (properties named as its columns, so each answers the
 * raw driver's JSON, byte for byte) with query logging off, and none runs a schema sync, a
 * migration, an extension install or a CREATE DATABASE against it. The handler is
 * http-variants.ts's raw one.
 *
 * Each ORM is in a file of its own (typeorm-source.ts, sequelize-source.ts, mikroorm-source.ts),
 * imported only by the server process that runs its row.
 *
 * @module
 */
import type { ItemSource } from './query-builder-variants.js';
import type { VariantSettings } from './variant.js';

export const ORM_VARIANTS = {
  'typeorm-mysql': 'TypeORM (EntitySchema, findOneBy) on mysql2',
  'typeorm-pg': 'TypeORM (EntitySchema, findOneBy) on pg',
  'sequelize-mysql': 'Sequelize (findByPk, raw) on mysql2',
  'sequelize-pg': 'Sequelize (findByPk, raw) on pg',
  'mikroorm-mysql': 'MikroORM (EntitySchema, em.fork().findOne) on mysql2',
  'mikroorm-pg': 'MikroORM (EntitySchema, em.fork().findOne) on pg',
} as const;

export type OrmVariantName = keyof typeof ORM_VARIANTS;

type Engine = 'mysql' | 'pg';

export function isOrmVariant(name: string): name is OrmVariantName {
  return Object.hasOwn(ORM_VARIANTS, name);
}

export async function ormSource(name: OrmVariantName, settings: VariantSettings): Promise<ItemSource> {
  const engine: Engine = name.endsWith('-pg') ? 'pg' : 'mysql';
  const url = engine === 'pg' ? settings.pgUrl : settings.mysqlUrl;
  // Loaded by the row that uses it only: every server process of the bench imports this file,
  // and three ORMs in each would grow every variant's heap (and its GC work) alike.
  if (name.startsWith('typeorm-')) return (await import('./typeorm-source.js')).typeormSource(engine, url, settings.poolSize);
  if (name.startsWith('sequelize-')) return (await import('./sequelize-source.js')).sequelizeSource(engine, url, settings.poolSize);
  return (await import('./mikroorm-source.js')).mikroOrmSource(engine, url, settings.poolSize);
}
