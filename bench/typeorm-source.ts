/**
 * The TypeORM rows (orm-variants.ts): a DataSource with an EntitySchema, no decorators.
 *
 * @module
 */
import { DataSource, EntitySchema } from 'typeorm';
import { columnsAs, type Item } from './item-columns.js';
import { TABLE } from './data.js';
import type { ItemSource } from './query-builder-variants.js';

type Engine = 'mysql' | 'pg';

const typeormItem = new EntitySchema<Item>({
  name: 'BenchItem',
  tableName: TABLE,
  columns: columnsAs(({ integer, primary, length }) => ({ type: integer ? 'int' : 'varchar', primary, length })),
});

export async function typeormSource(engine: Engine, url: string, poolSize: number): Promise<ItemSource> {
  // synchronize and migrationsRun are TypeORM's defaults, spelled out: the table is the bench's.
  const common = { url, entities: [typeormItem], poolSize, logging: false, synchronize: false, migrationsRun: false };
  // installExtensions off: no CREATE EXTENSION at start (none of these columns needs one anyway).
  const dataSource = new DataSource(
    engine === 'pg' ? { ...common, type: 'postgres', installExtensions: false } : { ...common, type: 'mysql' },
  );
  await dataSource.initialize();
  const items = dataSource.getRepository(typeormItem);
  return {
    find: async (id) => (await items.findOneBy({ id })) ?? undefined,
    close: () => dataSource.destroy(),
  };
}
