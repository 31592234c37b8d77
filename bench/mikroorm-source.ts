/**
 * The MikroORM rows (orm-variants.ts): an EntitySchema, a fork of the EntityManager per request.
 *
 * @module
 */
import { EntitySchema as MikroEntitySchema } from '@mikro-orm/core';
import { TABLE } from './data.js';
import { columnsAs, type Item } from './item-columns.js';
import type { ItemSource } from './query-builder-variants.js';

type Engine = 'mysql' | 'pg';

const mikroItem = new MikroEntitySchema<Item>({
  name: 'BenchItem',
  tableName: TABLE,
  properties: columnsAs(({ integer, primary, length }) => ({ type: integer ? 'integer' : 'string', primary, length })),
});

export async function mikroOrmSource(engine: Engine, url: string, poolSize: number): Promise<ItemSource> {
  const options = {
    // The database name comes from the URL's path.
    clientUrl: url,
    entities: [mikroItem],
    pool: { min: 0, max: poolSize },
    debug: false,
    // On by default: CREATE DATABASE when it is missing. The bench's database is there.
    ensureDatabase: false,
    // No metadata cache written to ./temp, no file globbing: the schema above is all there is.
    discovery: { warnWhenNoEntities: false, disableDynamicFileAccess: true },
  };
  // Each engine's package is loaded only by its own row.
  const { MikroORM } = engine === 'pg' ? await import('@mikro-orm/postgresql') : await import('@mikro-orm/mysql');
  const orm = await MikroORM.init(options);
  return {
    // A fresh identity map per request, as the docs require (the global EntityManager refuses to be used).
    find: async (id) => (await orm.em.fork().findOne(mikroItem, { id })) ?? undefined,
    close: () => orm.close(true),
  };
}
