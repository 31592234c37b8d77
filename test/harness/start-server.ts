/**
 * Starts a dedicated server of either engine with engine-neutral options.
 *
 * @module
 */
import { startMariadb } from './mariadb-server.js';
import { startPostgres } from './postgres-server.js';
import type { Engine, ServerTls, TestServer } from './test-server.js';

/** Options both engines understand. */
export interface StartOptions {
  /** Connections app users may hold before the server refuses (1040 / 53300). */
  maxConnections?: number;
  /**
   * The server closes sessions idle this long: MariaDB `wait_timeout` (rounded up to whole
   * seconds), PostgreSQL `idle_session_timeout`.
   */
  idleTimeoutMs?: number;
  /** Serve TLS with these files. Default: no TLS. */
  tls?: ServerTls;
}

/**
 * A dedicated server for one test file, for what a shared server cannot do: limits, kill,
 * restart, idle timeouts. The caller stops it (and the process exit does, if it forgets).
 *
 * @example
 * const server = await startServer('postgres', { maxConnections: 5 });
 * after(() => server.stop());
 */
export function startServer(engine: Engine, options: StartOptions = {}): Promise<TestServer> {
  const { maxConnections, idleTimeoutMs, tls } = options;
  if (engine === 'postgres') return startPostgres({ maxConnections, idleSessionTimeout: idleTimeoutMs, tls });
  const waitTimeout = idleTimeoutMs === undefined ? undefined : Math.max(1, Math.ceil(idleTimeoutMs / 1000));
  return startMariadb({ maxConnections, waitTimeout, tls });
}
