/**
 * The Sequelize rows (orm-variants.ts): `sequelize.define` over the existing table, never synced.
 *
 * @module
 */
import { DataTypes, Sequelize } from 'sequelize';
import { serverAddress } from './config.js';
import { TABLE } from './data.js';
import { columnsAs } from './item-columns.js';
import type { ItemSource } from './query-builder-variants.js';

type Engine = 'mysql' | 'pg';

export function sequelizeSource(engine: Engine, url: string, poolSize: number): ItemSource {
  const { host, port, user, password, database } = serverAddress(url);
  // The dialect by name rather than from the URL's scheme: a mariadb: URL would pick the mariadb connector.
  const sequelize = new Sequelize(database ?? '', user ?? '', password, {
    host,
    port,
    dialect: engine === 'pg' ? 'postgres' : 'mysql',
    logging: false,
    pool: { max: poolSize },
  });
  const attributes = columnsAs(({ integer, primary, length }) => ({
    type: integer ? DataTypes.INTEGER : DataTypes.STRING(length),
    primaryKey: primary === true,
    allowNull: false,
  }));
  const items = sequelize.define('BenchItem', attributes, { tableName: TABLE, timestamps: false });
  // Nothing calls sequelize.sync(): the model only reads the table that is there.
  return {
    find: async (id) => (await items.findByPk(id, { raw: true })) ?? undefined,
    close: () => sequelize.close(),
  };
}
