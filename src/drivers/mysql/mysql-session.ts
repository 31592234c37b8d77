import type { DriverConnection, ServerLimits } from '../driver.js';
import { endAndAwaitGone } from '../end-session.js';

/**
 * The statement that caps every statement of a session, by server flavour: MariaDB has
 * `max_statement_time` in seconds (any statement); MySQL has `max_execution_time` in ms (SELECT only).
 */
export function statementTimeoutSql(serverVersion: string, timeoutMs: number): string {
  const ms = Math.max(1, Math.round(timeoutMs));
  return /mariadb/i.test(serverVersion) ? `SET SESSION max_statement_time = ${ms / 1000}` : `SET SESSION max_execution_time = ${ms}`;
}

/**
 * `wait_timeout` (seconds) is how long the server keeps an idle session. The session value of
 * `max_user_connections` is this account's own limit when it has one, else the global one (0:
 * none); `max_connections` counts every user, plus one kept for a SUPER user.
 */
export async function readMysqlLimits(connection: DriverConnection): Promise<ServerLimits> {
  const rows = await connection.query(
    'SELECT @@wait_timeout AS wait_timeout, @@max_connections AS max_connections, @@max_user_connections AS max_user_connections',
  );
  const row = rows[0] ?? {};
  const seconds = positive(row['wait_timeout']);
  const server = positive(row['max_connections']);
  const user = positive(row['max_user_connections']);
  const [sessionLimit, sessionLimitName] =
    user > 0 && (server === 0 || user < server) ? [user, 'max_user_connections'] : [server, 'max_connections'];
  return { idleTimeoutMs: seconds * 1000, sessionLimit, sessionLimitName };
}

function positive(value: unknown): number {
  const n = Number(value ?? 0);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/**
 * Cancels the statement running on thread `threadId` with `KILL QUERY` run on `via`. The
 * session survives (unlike `KILL`), and a KILL QUERY that arrives after its statement finished
 * does no harm: the server clears it when the session's next command starts (measured on
 * MariaDB 10.11: 0 failures in 200 late kills). Never rejects: a failed KILL (no such thread)
 * means there was nothing to stop.
 */
export async function killQuery(threadId: number, via: DriverConnection | undefined): Promise<void> {
  if (via === undefined || !Number.isSafeInteger(threadId) || threadId <= 0) return;
  await via.execute(`KILL QUERY ${threadId}`).catch(() => undefined);
}

/**
 * Ends thread `threadId` with `KILL CONNECTION` run on `via`; true once the processlist no longer
 * shows it (a killed thread shows as `Killed` until it has ended), false at `deadline`. A thread
 * already gone answers 1094, which is what was wanted. Every user may kill and see its own threads.
 */
export function killConnection(threadId: number, via: DriverConnection, deadline: number): Promise<boolean> {
  if (!Number.isSafeInteger(threadId) || threadId <= 0) return Promise.resolve(true);
  return endAndAwaitGone(
    via,
    () => via.execute(`KILL CONNECTION ${threadId}`),
    async () => (await via.query('SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = ?', [threadId])).length > 0,
    deadline,
  );
}
