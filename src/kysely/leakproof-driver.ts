import type { DatabaseConnection, Driver, TransactionSettings } from 'kysely';
import type { Database } from '../core/database.js';
import { UsageError } from '../errors/errors.js';
import { RESOLVED } from '../core/resolved.js';
import { LeakproofConnection } from './leakproof-connection.js';

/** Free connection objects kept at most: as many as were ever in use at once, up to this. */
const MAX_FREE = 1024;

/**
 * Kysely's driver over one leakproof alias. It owns no connections: acquiring and releasing
 * cost nothing, since the request's scope owns the lease and ends it on every end path.
 * `destroy()` (Kysely's) closes nothing either: `dbs.close()` does.
 */
export class LeakproofDriver implements Driver {
  readonly #db: Database;
  /**
   * Connection objects Kysely gave back, handed out again. Kysely's runtime driver adds every
   * connection object it has not seen to a WeakSet; a new object per query made that set, and
   * the garbage collector's work on it, grow with the traffic.
   */
  readonly #free: LeakproofConnection[] = [];

  constructor(db: Database) {
    this.#db = db;
  }

  async init(): Promise<void> {}

  // Plain functions, not async ones: Kysely awaits each per query, and under AsyncLocalStorage
  // on Node 20 every promise an async function adds costs (counted in bench/kysely-promises.ts).
  acquireConnection(): Promise<DatabaseConnection> {
    return Promise.resolve(this.#free.pop() ?? new LeakproofConnection(this.#db));
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

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    if (connection instanceof LeakproofConnection && connection.idle && this.#free.length < MAX_FREE) this.#free.push(connection);
    return RESOLVED;
  }

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
