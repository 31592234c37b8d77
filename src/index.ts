/**
 * leakproof: request-scoped database connections that cannot leak.
 *
 * @example
 * import { createDatabases, currentScope } from 'leakproof';
 * const dbs = createDatabases({ default: 'sqlite:./db.sqlite3' });
 * await dbs.run(async () => dbs.get().query('SELECT 1 AS one'));
 *
 * @module
 */
export { createDatabases, Databases, type CloseOptions, type ScopeOptions } from './core/databases.js';
export { Database, Transaction, type Queryable, type Row, type Params, type QueryOptions, type ArrayRows } from './core/database.js';
export { RowStream, type StreamOptions } from './core/row-stream.js';
export type { CallOptions } from './core/call-options.js';
export type { RequestInfo } from './core/request-info.js';
export { currentScope, Scope, type RequestScope, type EndReason } from './core/scope.js';
export type { AliasOptions, DatabasesConfig, ResolvedAlias } from './core/config/options.js';
export type { PoolStats } from './core/pool-stats.js';
export type { Engine, ExecuteResult, FieldInfo, RowMode } from './drivers/driver.js';
export {
  LeakproofError,
  ConfigError,
  BudgetError,
  ScopeError,
  ConnectionError,
  StatementError,
  UsageError,
  ERROR_CODES,
  PUBLIC_MESSAGES,
  type ErrorCode,
} from './errors/errors.js';
