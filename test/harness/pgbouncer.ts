/**
 * A throwaway PgBouncer (Debian's `pgbouncer`) in front of a harness PostgreSQL: its own temp
 * dir, a free port, the pool mode and pool size a test asks for, and its admin console for
 * counting its clients (`SHOW CLIENTS`) and server sessions (`SHOW SERVERS`). Run as the
 * `postgres` OS user when we are root: PgBouncer refuses to run as root.
 *
 * @example
 * const bouncer = await startPgbouncer(server, { poolMode: 'transaction', poolSize: 5 });
 * const dbs = createDatabases({ default: { url: bouncer.url, pooler: 'transaction' } });
 * assert.equal(await bouncer.clients(), 0);
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { chown, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';
import { serverUser } from './postgres-server.js';
import { ServerProcess } from './server-process.js';
import { TempDir } from './temp-dir.js';
import type { TestServer } from './test-server.js';

export const PGBOUNCER_BINARY = '/usr/sbin/pgbouncer';
const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 15_000;

export interface PgbouncerOptions {
  readonly poolMode?: 'transaction' | 'session';
  /** Server sessions per user and database (`default_pool_size`). Default 5. */
  readonly poolSize?: number;
}

/** A running PgBouncer for one PostgreSQL server and its app user. */
export interface Pgbouncer {
  readonly port: number;
  /** The server's app URL with PgBouncer's port: what the app connects to. */
  readonly url: string;
  /** PgBouncer's client connections of the app user on the test database. */
  clients(): Promise<number>;
  /** PgBouncer's server sessions for the app user, by state (`active`, `idle`, `used`, ...). */
  servers(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

export function pgbouncerMissing(): string | undefined {
  return existsSync(PGBOUNCER_BINARY) ? undefined : `${PGBOUNCER_BINARY} (Debian package pgbouncer)`;
}

export async function startPgbouncer(server: TestServer, options: PgbouncerOptions = {}): Promise<Pgbouncer> {
  const runAs = serverUser();
  const dir = await TempDir.create('leakproof-pgbouncer-', runAs);
  const port = await freePort();
  await writeOwned(join(dir.path, 'users.txt'), `"${server.user}" "${server.password}"\n`, runAs);
  await writeOwned(join(dir.path, 'pgbouncer.ini'), iniFile(server, port, options, join(dir.path, 'users.txt')), runAs);
  const bouncer = new ServerProcess({
    name: 'pgbouncer',
    command: PGBOUNCER_BINARY,
    args: [join(dir.path, 'pgbouncer.ini')],
    logFile: join(dir.path, 'pgbouncer.log'),
    stopSignal: 'SIGTERM', // immediate shutdown: closes clients and servers
    ...(runAs ? { runAs } : {}),
  });
  bouncer.start();
  const url = withPort(server.url, port);
  const admin = new AdminConsole({ host: HOST, port, user: server.user, password: server.password });
  try {
    await bouncer.waitReady(() => admin.ready(), READY_TIMEOUT_MS);
  } catch (error) {
    await admin.end();
    await bouncer.stop();
    await dir.remove();
    throw error;
  }
  const rows = (command: string): Promise<Record<string, unknown>[]> => admin.show(command);
  const ours = (row: Record<string, unknown>): boolean => row['user'] === server.user && row['database'] === server.database;
  return {
    port,
    url,
    clients: async () => (await rows('SHOW CLIENTS')).filter(ours).length,
    servers: async () => {
      const counts: Record<string, number> = {};
      for (const row of (await rows('SHOW SERVERS')).filter(ours)) counts[String(row['state'])] = (counts[String(row['state'])] ?? 0) + 1;
      return counts;
    },
    stop: async () => {
      await admin.end();
      await bouncer.stop();
      await dir.remove();
    },
  };
}

function iniFile(server: TestServer, port: number, options: PgbouncerOptions, authFile: string): string {
  return [
    '[databases]',
    `${server.database} = host=${server.host} port=${server.port} dbname=${server.database}`,
    '[pgbouncer]',
    `listen_addr = ${HOST}`,
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = md5',
    `auth_file = ${authFile}`,
    `admin_users = ${server.user}`,
    `pool_mode = ${options.poolMode ?? 'transaction'}`,
    `default_pool_size = ${options.poolSize ?? 5}`,
    'max_client_conn = 500',
    // Clients of the tests come and go by the hundred; their lines would drown the log.
    'log_connections = 0',
    'log_disconnections = 0',
    '',
  ].join('\n');
}

async function writeOwned(path: string, text: string, owner: { uid: number; gid: number } | undefined): Promise<void> {
  await writeFile(path, text, { mode: 0o600 });
  if (owner) await chown(path, owner.uid, owner.gid);
}

function withPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.port = String(port);
  return parsed.toString();
}

/** One connection to PgBouncer's admin console (simple queries only), opened on first use. */
class AdminConsole {
  readonly #config: pg.ClientConfig;
  #client: pg.Client | undefined;

  constructor(target: { host: string; port: number; user: string; password: string }) {
    this.#config = { ...target, database: 'pgbouncer' };
  }

  async ready(): Promise<boolean> {
    await this.show('SHOW VERSION');
    return true;
  }

  async show(command: string): Promise<Record<string, unknown>[]> {
    try {
      this.#client ??= await this.#connect();
      return (await this.#client.query(command)).rows as Record<string, unknown>[];
    } catch (error) {
      await this.end();
      throw error;
    }
  }

  async end(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client(this.#config);
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }
}
