/**
 * Idle sessions that occupy connection slots, so a MariaDB server can refuse app connections
 * at a limit below its minimum `max_connections` of 10.
 *
 * @module
 */
import { createConnection, type Connection } from 'mysql2/promise';
import { mysqlSocket } from './admin-client.js';

/** The user ballast sessions log in as; connection counts leave it out. */
export const BALLAST_USER = 'lp_ballast';

/** A set of held-open sessions on one server. */
export class Ballast {
  readonly #url: string;
  readonly #count: number;
  #connections: Connection[] = [];

  /** `url` logs in as `BALLAST_USER` on the app port; `count` sessions are held. */
  constructor(url: string, count: number) {
    this.#url = url;
    this.#count = count;
  }

  /** Opens the sessions (after every server start: a restart drops them). */
  async open(): Promise<void> {
    await this.close();
    for (let i = 0; i < this.#count; i++) this.#connections.push(await openIdleSession(this.#url));
  }

  /** Closes the sessions without waiting for the server. Idempotent. */
  async close(): Promise<void> {
    for (const connection of this.#connections) connection.destroy();
    this.#connections = [];
  }
}

async function openIdleSession(url: string): Promise<Connection> {
  const connection = await createConnection({ uri: url, connectTimeout: 5000 });
  // A dead ballast session (server killed) must not crash the process with an unhandled 'error'.
  connection.on('error', () => undefined);
  // The server's wait_timeout may be tiny in a test; ballast must outlive it.
  await connection.query('SET SESSION wait_timeout = 31536000');
  mysqlSocket(connection).unref();
  return connection;
}
