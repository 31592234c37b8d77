import type { ResolvedAlias } from './config/options.js';
import type { Driver } from '../drivers/driver.js';

/**
 * Loads the driver module for an alias on first use, so an application pulls in only the npm
 * package of the databases it actually uses.
 */
export async function loadDriver(config: ResolvedAlias): Promise<Driver> {
  switch (config.client) {
    case 'mysql2':
      return (await import('../drivers/mysql/mysql2-driver.js')).createMysql2Driver(config.settings);
    case 'mariadb':
      return (await import('../drivers/mysql/mariadb-driver.js')).createMariadbDriver(config.settings);
    case 'pg':
      return (await import('../drivers/postgres/pg-driver.js')).createPgDriver(config.settings);
    case 'better-sqlite3':
      return (await import('../drivers/sqlite/better-sqlite3-driver.js')).createBetterSqlite3Driver(config.settings);
  }
}
