import type { ConnectionSettings, Driver, DriverConnection } from '../driver.js';
import { mysqlTransactionSql } from '../transaction-sql.js';
import { classifyMysqlError, isMysqlStatementTimeout, wasMysqlCancelled } from './mysql-errors.js';
import { killConnection, killQuery, readMysqlLimits } from './mysql-session.js';

/**
 * What both MySQL-family drivers share: only how a connection is opened differs between the
 * `mysql2` and `mariadb` packages. A cancel is a `KILL QUERY` run on another connection of
 * the same pool, so it never takes a session beyond the budget.
 */
export function mysqlDriver(
  packageName: 'mysql2' | 'mariadb',
  settings: ConnectionSettings,
  open: (settings: ConnectionSettings) => Promise<DriverConnection>,
): Driver {
  return Object.freeze({
    engine: 'mysql',
    packageName,
    connect: () => open(settings),
    readServerLimits: readMysqlLimits,
    cancelBy: 'session',
    cancel: (target: DriverConnection, via?: DriverConnection) => killQuery(target.serverId, via),
    endSession: killConnection,
    wasCancelled: wasMysqlCancelled,
    isStatementTimeout: isMysqlStatementTimeout,
    classifyError: classifyMysqlError,
    sql: mysqlTransactionSql,
  });
}
