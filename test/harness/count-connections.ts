/**
 * Connection counts from the server's own views (`information_schema.PROCESSLIST`,
 * `pg_stat_activity`), never from the library's bookkeeping: a leak the library does not know
 * about is exactly what these must see.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { mysqlSessionsWhere } from '../../src/drivers/mysql/sessions.js';
import { postgresSessionsWhere } from '../../src/drivers/postgres/sessions.js';
import type { SessionFilter } from '../../src/drivers/server-session.js';
import { adminQuery, urlParts, type Row } from './admin-client.js';
import { BALLAST_USER } from './mariadb-ballast.js';
import type { TestServer } from './test-server.js';

/** Which sessions to look at. */
export interface ConnectionFilter {
  /**
   * Only this user's sessions. Default: the server's app user (`server.user`), so test files
   * sharing a server see only their own. `null`: every client session except the harness's own
   * (admin user and MariaDB ballast).
   */
  user?: string | null;
  /**
   * Leave out MariaDB sessions still in their handshake (`Connect`): a connect the server is
   * refusing for a user limit is listed for a moment and never holds a slot of that limit.
   */
  established?: boolean;
}

/** One client session as the server sees it. */
export interface ServerConnection {
  /** MariaDB thread id / PostgreSQL backend pid (what `killConnection` takes). */
  readonly id: number;
  readonly user: string;
  /** `idle`, `active`, `idle in transaction` (both engines), or PostgreSQL's other states. */
  readonly state: string;
  /** MariaDB's `COMMAND` (`Sleep`, `Query`, ...); absent on PostgreSQL. */
  readonly command?: string;
  /** The statement running now; `null` when idle. */
  readonly query: string | null;
  /**
   * In a transaction. MariaDB can only tell once the transaction touched InnoDB (a bare
   * `BEGIN` is invisible until its first statement).
   */
  readonly inTransaction: boolean;
  /** How long the session has been idle, in ms; absent when it is not idle. */
  readonly idleMs?: number;
  /** What it waits for: MariaDB's `STATE` (`Writing to net`), PostgreSQL's `wait_event` (`ClientRead`); null when nothing. */
  readonly waitingFor: string | null;
}

/** Options for `waitForCount`. */
export interface WaitForCountOptions extends ConnectionFilter {
  /** Give up after this long and return the last count. Default 5000 ms. */
  timeoutMs?: number;
}

const POLL_INTERVAL_MS = 25;
/** InnoDB refreshes its INFORMATION_SCHEMA transaction tables at most this often (plus margin). */
const TRX_CACHE_MS = 110;

/**
 * The number of client sessions on the server, the counting session excluded.
 *
 * @example
 * assert.equal(await countConnections(server), 0);
 */
export async function countConnections(server: TestServer, filter: ConnectionFilter = {}): Promise<number> {
  const { where, params } = sessionFilter(server, filter);
  const view = server.engine === 'mariadb' ? 'information_schema.PROCESSLIST p' : 'pg_stat_activity p';
  const [row] = await adminQuery(server, `SELECT COUNT(*) AS n FROM ${view} WHERE ${where}`, params);
  return Number(row?.['n'] ?? 0);
}

/**
 * The client sessions on the server, the listing session excluded, lowest id first.
 *
 * MariaDB: `inTransaction` comes from `INNODB_TRX`, which InnoDB refreshes at most every
 * 100 ms; this waits until this process's previous read is that old, so sequential reads are
 * current (other processes reading the same server can still make one up to 100 ms stale).
 */
export async function listConnections(server: TestServer, filter: ConnectionFilter = {}): Promise<ServerConnection[]> {
  const rows = server.engine === 'mariadb' ? await mariadbSessions(server, filter) : await postgresSessions(server, filter);
  return rows.sort((a, b) => a.id - b.id);
}

/**
 * Polls the count every 25 ms until `expected` (a number or a predicate) holds or the timeout
 * passes, and returns the last count: the test asserts on it, so a failure shows the number.
 *
 * @example
 * assert.equal(await waitForCount(server, 0, { timeoutMs: 2000 }), 0);
 * assert.ok((await waitForCount(server, (n) => n <= 5)) <= 5);
 */
export async function waitForCount(
  server: TestServer,
  expected: number | ((count: number) => boolean),
  options: WaitForCountOptions = {},
): Promise<number> {
  const done = typeof expected === 'number' ? (count: number) => count === expected : expected;
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  let count = await countConnections(server, options);
  while (!done(count) && Date.now() < deadline) {
    await sleep(POLL_INTERVAL_MS);
    count = await countConnections(server, options);
  }
  return count;
}

/**
 * The WHERE clause (over alias `p`) selecting client sessions, the querying one excluded: the
 * same definition the probe and doctor use (src/drivers/<engine>/sessions.ts), with the user
 * picked here. MariaDB's `Killed` sessions count: a KILL QUERY that reached an idle session
 * leaves it showing `Killed` until its next command, alive and holding a slot.
 */
function sessionFilter(server: TestServer, filter: ConnectionFilter): { where: string; params: unknown[] } {
  const user = filter.user === undefined ? server.user : filter.user;
  const selected: SessionFilter =
    user === null ? { notUsers: server.engine === 'postgres' ? [adminUser(server)] : [adminUser(server), BALLAST_USER] } : { user };
  const { sql, params } = server.engine === 'postgres' ? postgresSessionsWhere(selected) : mysqlSessionsWhere(selected);
  const established = filter.established === true && server.engine === 'mariadb' ? " AND p.COMMAND <> 'Connect'" : '';
  return { where: sql + established, params };
}

const lastTrxRead = new Map<string, number>();

async function mariadbSessions(server: TestServer, filter: ConnectionFilter): Promise<ServerConnection[]> {
  const { where, params } = sessionFilter(server, filter);
  await sleep(Math.max(0, (lastTrxRead.get(server.adminUrl) ?? 0) + TRX_CACHE_MS - Date.now()));
  // INNODB_TRX lists a session's transaction once it touched InnoDB; PROCESSLIST has no flag.
  const rows = await adminQuery(
    server,
    `SELECT p.ID AS id, p.USER AS user, p.COMMAND AS command, p.INFO AS query, p.TIME_MS AS timeMs, p.STATE AS waitingFor,
            t.trx_id IS NOT NULL AS inTransaction
       FROM information_schema.PROCESSLIST p
       LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID
      WHERE ${where}`,
    params,
  );
  lastTrxRead.set(server.adminUrl, Date.now());
  return rows.map(mariadbConnection);
}

function mariadbConnection(row: Row): ServerConnection {
  const command = String(row['command']);
  const inTransaction = Number(row['inTransaction']) === 1;
  const idle = command === 'Sleep';
  return {
    id: Number(row['id']),
    user: String(row['user']),
    state: idle ? (inTransaction ? 'idle in transaction' : 'idle') : 'active',
    command,
    query: idle ? null : ((row['query'] as string | null) ?? null),
    inTransaction,
    waitingFor: (row['waitingFor'] as string | null) || null,
    ...(idle ? { idleMs: Math.round(Number(row['timeMs'])) } : {}),
  };
}

async function postgresSessions(server: TestServer, filter: ConnectionFilter): Promise<ServerConnection[]> {
  const { where, params } = sessionFilter(server, filter);
  const rows = await adminQuery(
    server,
    `SELECT p.pid AS id, p.usename AS "user", p.state, p.query, p.wait_event AS "waitingFor",
            p.state LIKE 'idle in transaction%' OR (p.state = 'active' AND p.xact_start < p.query_start) AS "inTransaction",
            extract(epoch FROM clock_timestamp() - p.state_change) * 1000 AS "idleMs"
       FROM pg_stat_activity p
      WHERE ${where}`,
    params,
  );
  return rows.map(postgresConnection);
}

function postgresConnection(row: Row): ServerConnection {
  const state = (row['state'] as string | null) ?? 'unknown';
  const idle = state.startsWith('idle');
  return {
    id: Number(row['id']),
    user: String(row['user']),
    state,
    query: state === 'active' ? ((row['query'] as string | null) ?? null) : null,
    inTransaction: row['inTransaction'] === true,
    waitingFor: (row['waitingFor'] as string | null) ?? null,
    ...(idle ? { idleMs: Math.round(Number(row['idleMs'])) } : {}),
  };
}

function adminUser(server: TestServer): string {
  return urlParts(server.adminUrl, 0).user;
}
