import { withSettings } from '../connect-params.js';
import type { ConnectionSettings, Driver, DriverConnection } from '../driver.js';
import { mysqlTransactionSql } from '../transaction-sql.js';
import { classifyMysqlError } from './mysql-errors.js';
import { killQuery, readMysqlLimits } from './mysql-session.js';

/**
 * What both MySQL-family drivers share: only how a connection is opened differs between the
 * `mysql2` and `mariadb` packages. Cancels go through a short-lived side connection without the
 * statement timeout, so a KILL QUERY is never itself cut short.
 */
export function mysqlDriver(packageName: 'mysql2' | 'mariadb', settings: ConnectionSettings, open: (settings: ConnectionSettings) => Promise<DriverConnection>): Driver {
  const sideSettings = withSettings(settings, { statementTimeout: 0 });
  return Object.freeze({
    engine: 'mysql',
    packageName,
    connect: () => open(settings),
    readServerLimits: readMysqlLimits,
    cancel: (connection: DriverConnection) => killQuery(() => open(sideSettings), connection.serverId),
    classifyError: classifyMysqlError,
    sql: mysqlTransactionSql,
  });
}
