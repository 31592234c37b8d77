import type { DatabaseConnection, Driver, TransactionSettings } from 'kysely';
import type { Database } from '../core/database.js';
import { UsageError } from '../errors/errors.js';
import { LeakproofConnection } from './leakproof-connection.js';

/**
 * Kysely's driver over one leakproof alias. It owns no connections: acquiring and releasing
 * cost nothing, since the request's scope owns the lease and ends it on every end path.
 * `destroy()` (Kysely's) closes nothing either: `dbs.close()` does.
 */
export class LeakproofDriver implements Driver {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new LeakproofConnection(this.#db);
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    refuseSettings(settings);
    await ours(connection).begin();
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return ours(connection).commit();
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return ours(connection).rollback();
  }

  savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    return ours(connection).savepoint(name);
  }

  rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    return ours(connection).rollbackToSavepoint(name);
  }

  releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    return ours(connection).releaseSavepoint(name);
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {}
}

function ours(connection: DatabaseConnection): LeakproofConnection {
  if (connection instanceof LeakproofConnection) return connection;
  throw new TypeError('leakproof/kysely was handed a connection it did not make');
}

/**
 * leakproof begins every transaction the same way (and nests it as a savepoint under
 * transactionPerRequest, where no isolation level can be set), so settings are refused
 * rather than silently dropped.
 */
function refuseSettings(settings: TransactionSettings): void {
  const asked = [
    settings.isolationLevel && `isolation level "${settings.isolationLevel}"`,
    settings.accessMode && `access mode "${settings.accessMode}"`,
  ].filter(Boolean);
  if (asked.length === 0) return;
  throw new UsageError(
    'QUERY_BUILDER_UNSUPPORTED',
    `a Kysely transaction asked for ${asked.join(' and ')}, which leakproof's transactions do not set; run "SET TRANSACTION ..." as the transaction's first statement where the engine allows it`,
  );
}
