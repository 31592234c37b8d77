/**
 * The shape every real-database test sees, whichever engine and whoever started the server,
 * plus the app users tests connect as.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { adminQuery, runAsAdminOn, type AdminTarget } from './admin-client.js';

/** The server engines the harness can start. */
export type Engine = 'mariadb' | 'postgres';

/** Every engine, in the order tests loop over them. */
export const ENGINES: readonly Engine[] = ['mariadb', 'postgres'];

/** The app user of servers the harness starts. */
export const APP_USER = 'app';

/**
 * The password of every app user. Distinctive on purpose: tests assert that no error message,
 * log line or stats object ever contains it.
 */
export const APP_PASSWORD = 'Lp-app-S3cret-PW-7f3a9';

/** The database the app users own. */
export const TEST_DATABASE = 'leakproof_test';

/** A database server for tests: started by the harness, or an existing one it was pointed at. */
export interface TestServer {
  readonly engine: Engine;
  readonly host: string;
  /** The port app connections use. */
  readonly port: number;
  /** App user URL (`mysql://` or `postgres://`) including the password. */
  readonly url: string;
  /** Superuser URL (`root` / `postgres`), for the harness and for tests that need to kill or inspect. */
  readonly adminUrl: string;
  /** The app user name in `url`. */
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** Graceful shutdown, then the temp dir is removed. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL, like a crash; the data dir stays for `restart()`. */
  kill(): Promise<void>;
  /** Starts again on the same port and data dir and waits until it accepts connections. */
  restart(): Promise<void>;
}

/** A server certificate, its key and the CA that signed it, as file paths (harness TLS). */
export interface ServerTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** Where a server is and how the harness administers it: enough to create users on it. */
export type ServerLocation = Pick<TestServer, 'engine' | 'host' | 'port' | 'adminUrl' | 'database'>;

/** An app user made by `createAppUser`. */
export interface AppUser {
  readonly user: string;
  readonly password: string;
  /** URL for this user on the server's app port and test database, password included. */
  readonly url: string;
}

/**
 * Creates a fresh app user (password `APP_PASSWORD`, all rights on the test database), so a test
 * file sharing a server can count only its own connections. The default name is unique.
 *
 * @example
 * const { url, user } = await createAppUser(server);
 * assert.equal(await countConnections(server, { user }), 0);
 */
export async function createAppUser(server: ServerLocation, name = uniqueUserName()): Promise<AppUser> {
  checkName(name);
  await createUser(server, name, APP_PASSWORD);
  return { user: name, password: APP_PASSWORD, url: appUrl(server, name, APP_PASSWORD) };
}

/** A unique user name, `lp_<pid>_<hex>`: safe unquoted in both engines and traceable to its process. */
export function uniqueUserName(): string {
  return `lp_${process.pid}_${randomBytes(3).toString('hex')}`;
}

/** The URL for `user` on the server's app port and test database. */
export function appUrl(server: Pick<TestServer, 'engine' | 'host' | 'port' | 'database'>, user: string, password: string): string {
  const scheme = server.engine === 'mariadb' ? 'mysql' : 'postgres';
  return `${scheme}://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${server.host}:${server.port}/${server.database}`;
}

/** Creates `user` with `password` and all rights on the test database. */
export async function createUser(server: AdminTarget & { database: string }, user: string, password: string): Promise<void> {
  checkName(user);
  if (server.engine === 'mariadb') {
    await adminQuery(server, "CREATE USER ?@'%' IDENTIFIED BY ?", [user, password]);
    await adminQuery(server, `GRANT ALL ON \`${server.database}\`.* TO ?@'%'`, [user]);
  } else {
    await adminQuery(server, `CREATE ROLE "${user}" LOGIN PASSWORD ${quoteLiteral(password)}`);
  }
}

/**
 * Creates the test database if it is missing and lets every user create tables in it.
 * Safe to race: several test processes may prepare the same external server at once.
 */
export async function prepareTestDatabase(server: AdminTarget & { database: string }): Promise<void> {
  checkName(server.database);
  if (server.engine === 'mariadb') {
    await adminQuery(server, `CREATE DATABASE IF NOT EXISTS \`${server.database}\``);
    return;
  }
  const existing = await adminQuery(server, 'SELECT 1 FROM pg_database WHERE datname = $1', [server.database]);
  if (existing.length === 0) await adminQuery(server, `CREATE DATABASE "${server.database}"`).catch(ignoreDuplicate);
  // PostgreSQL 15 no longer lets PUBLIC create in schema public; a test database should.
  await runAsAdminOn(server, server.database, ['GRANT ALL ON SCHEMA public TO PUBLIC']);
}

function ignoreDuplicate(error: unknown): void {
  const code = (error as { code?: unknown }).code;
  // 42P04 duplicate_database; 23505 when two CREATE DATABASE race on the catalog index.
  if (code !== '42P04' && code !== '23505') throw error;
}

function checkName(name: string): void {
  // Names are interpolated into DDL (neither engine takes parameters there), so allow only these.
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid user/database name ${JSON.stringify(name)}`);
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
