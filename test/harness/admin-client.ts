/**
 * The harness's own privileged connection to a test server: one per admin URL per process,
 * opened lazily, reopened after the server was killed or restarted, and never keeping the
 * process alive.
 *
 * @module
 */
import { createConnection, type Connection as MysqlConnection } from 'mysql2/promise';
import pg from 'pg';
import type { Socket } from 'node:net';
import type { Engine } from './test-server.js';

/** What the admin client needs to know about a server. */
export interface AdminTarget {
  readonly engine: Engine;
  readonly adminUrl: string;
}

/** A row as the drivers return it. */
export type Row = Record<string, unknown>;

/** Identifies harness sessions in `pg_stat_activity` (MariaDB has no equivalent without performance_schema). */
export const HARNESS_APPLICATION_NAME = 'leakproof-test-harness';

const CONNECT_TIMEOUT_MS = 5000;

interface AdminConnection {
  readonly engine: Engine;
  /** The session ended (server gone, or it was killed); a new one is needed. */
  readonly dead: boolean;
  // Function properties, not methods: they are passed around unbound.
  readonly query: (sql: string, params: readonly unknown[]) => Promise<Row[]>;
  readonly close: () => Promise<void>;
}

// Idle sockets are unreferenced, so nothing needs closing at exit: they die with the process.
const connections = new Map<string, Promise<AdminConnection>>();

/**
 * Runs `sql` on the server's admin connection. If that connection died (server killed,
 * restarted, or it killed us), one retry on a fresh connection.
 */
export async function adminQuery(target: AdminTarget, sql: string, params: readonly unknown[] = []): Promise<Row[]> {
  const connection = await adminConnection(target);
  try {
    return await connection.query(sql, params);
  } catch (error) {
    if (!connection.dead && !isConnectionLoss(error)) throw error;
    forget(target.adminUrl, connection);
    return (await adminConnection(target)).query(sql, params);
  }
}

/** Errors that mean the session is gone, not that the statement was wrong. */
function isConnectionLoss(error: unknown): boolean {
  const { code, fatal, message } = (error ?? {}) as { code?: unknown; fatal?: unknown; message?: unknown };
  if (fatal === true) return true;
  if (typeof code === 'string' && /^(57P0[123]|ECONNRESET|EPIPE|ECONNREFUSED|PROTOCOL_CONNECTION_LOST)$/.test(code)) return true;
  return typeof message === 'string' && /connection (terminated|is closed)|closed state/i.test(message);
}

/** Closes the admin connection for `adminUrl` (before a server stops, or after it was killed). */
export async function closeAdminConnection(adminUrl: string): Promise<void> {
  const pending = connections.get(adminUrl);
  connections.delete(adminUrl);
  const connection = await pending?.catch(() => undefined);
  await connection?.close().catch(() => undefined);
}

/**
 * Opens a short-lived connection as the admin user to another database (PostgreSQL grants are
 * per database), runs `statements` in order, and closes it.
 */
export async function runAsAdminOn(target: AdminTarget, database: string, statements: readonly string[]): Promise<void> {
  const url = new URL(target.adminUrl);
  url.pathname = `/${database}`;
  const connection = await openConnection(target.engine, url.href);
  try {
    for (const sql of statements) await connection.query(sql, []);
  } finally {
    await connection.close();
  }
}

/** Readiness probe: resolves true if a connection as the admin user opens (and then closes it). */
export async function canConnect(target: AdminTarget): Promise<boolean> {
  const connection = await openConnection(target.engine, target.adminUrl);
  await connection.close();
  return true;
}

async function adminConnection(target: AdminTarget): Promise<AdminConnection> {
  const connection = await cachedAdminConnection(target);
  if (!connection.dead) return connection;
  forget(target.adminUrl, connection);
  return cachedAdminConnection(target);
}

function cachedAdminConnection(target: AdminTarget): Promise<AdminConnection> {
  let pending = connections.get(target.adminUrl);
  if (pending === undefined) {
    pending = openAdminConnection(target);
    connections.set(target.adminUrl, pending);
    pending.catch(() => connections.delete(target.adminUrl));
  }
  return pending;
}

async function openAdminConnection(target: AdminTarget): Promise<AdminConnection> {
  const connection = await openConnection(target.engine, target.adminUrl);
  // Test servers may run with tiny idle timeouts; they must not close the harness's session.
  const settings = target.engine === 'mariadb' ? 'SET SESSION wait_timeout = 31536000' : 'SET idle_session_timeout = 0';
  await connection.query(settings, []);
  return connection;
}

function forget(adminUrl: string, connection: AdminConnection): void {
  connections.delete(adminUrl);
  void connection.close().catch(() => undefined);
}

function openConnection(engine: Engine, url: string): Promise<AdminConnection> {
  return engine === 'mariadb' ? openMysql(url) : openPostgres(url);
}

async function openMysql(url: string): Promise<AdminConnection> {
  const connection = await createConnection({ ...urlParts(url, 3306), connectTimeout: CONNECT_TIMEOUT_MS });
  let dead = false;
  connection.on('error', () => (dead = true));
  const socket = mysqlSocket(connection);
  socket.on('close', () => (dead = true));
  return idleUnref(socket, {
    engine: 'mariadb' as const,
    get dead() {
      return dead;
    },
    query: async (sql: string, params: readonly unknown[]) => rowsOf(await connection.query(sql, [...params])),
    close: () => closeMysql(connection),
  });
}

/** The TCP socket under a mysql2 promise connection (untyped in mysql2's declarations). */
export function mysqlSocket(connection: MysqlConnection): Socket {
  return (connection as unknown as { connection: { stream: Socket } }).connection.stream;
}

async function closeMysql(connection: MysqlConnection): Promise<void> {
  // end() waits for the server's goodbye; bound it, then destroy.
  const ended = connection.end().then(
    () => true,
    () => false,
  );
  const timeout = new Promise<boolean>((resolve) => setTimeout(resolve, 2000, false).unref());
  if (!(await Promise.race([ended, timeout]))) connection.destroy();
}

async function openPostgres(url: string): Promise<AdminConnection> {
  const client = new pg.Client({
    ...urlParts(url, 5432),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: HARNESS_APPLICATION_NAME,
  });
  // Before connect: a connection refused or terminated later must not be an unhandled 'error'.
  let dead = false;
  client.on('error', () => (dead = true));
  client.on('end', () => (dead = true));
  await client.connect();
  // Callers may overlap; pg deprecates queueing a query on a busy client (pg 9 refuses it), so
  // each query waits for the one before.
  let tail: Promise<unknown> = Promise.resolve();
  return idleUnref(client.connection.stream as Socket, {
    engine: 'postgres' as const,
    get dead() {
      return dead;
    },
    query: (sql: string, params: readonly unknown[]) => {
      const run = tail.then(() => client.query(sql, [...params]));
      tail = run.catch(() => undefined);
      return run.then((result) => result.rows as Row[]);
    },
    close: () => client.end().catch(() => undefined),
  });
}

/**
 * Unreferences the socket while idle and references it while a query is in flight: idle, it
 * must not keep a test process alive; busy, it must, or Node would exit mid-await.
 */
function idleUnref(socket: Socket, connection: AdminConnection): AdminConnection {
  let inFlight = 0;
  socket.unref();
  return {
    engine: connection.engine,
    get dead() {
      return connection.dead;
    },
    query: async (sql, params) => {
      if (inFlight++ === 0) socket.ref();
      try {
        return await connection.query(sql, params);
      } finally {
        if (--inFlight === 0) socket.unref();
      }
    },
    // Closing waits for the server's goodbye: keep the process alive for it too.
    close: async () => {
      socket.ref();
      await connection.close();
    },
  };
}

function rowsOf(result: unknown): Row[] {
  const [rows] = result as [unknown, unknown];
  return Array.isArray(rows) ? (rows as Row[]) : [];
}

/** Connection options from a URL, decoding the percent-encoded parts. */
export function urlParts(
  url: string,
  defaultPort: number,
): { host: string; port: number; user: string; password: string; database: string | undefined } {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  return {
    host: parsed.hostname,
    port: parsed.port === '' ? defaultPort : Number(parsed.port),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: database === '' ? undefined : database,
  };
}
