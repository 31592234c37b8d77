import type { DriverConnection, ServerLimits } from '../driver.js';
import { SIDE_CHANNEL_TIMEOUT_MS, settleWithin } from '../time-bound.js';

/**
 * The statement that caps every statement of a session, by server flavour: MariaDB has
 * `max_statement_time` in seconds (any statement); MySQL has `max_execution_time` in ms (SELECT only).
 */
export function statementTimeoutSql(serverVersion: string, timeoutMs: number): string {
  const ms = Math.max(1, Math.round(timeoutMs));
  return /mariadb/i.test(serverVersion)
    ? `SET SESSION max_statement_time = ${ms / 1000}`
    : `SET SESSION max_execution_time = ${ms}`;
}

/** `wait_timeout` (seconds) is how long the server keeps an idle session. */
export async function readMysqlLimits(connection: DriverConnection): Promise<ServerLimits> {
  const rows = await connection.query('SELECT @@wait_timeout AS wait_timeout');
  const seconds = Number(rows[0]?.['wait_timeout'] ?? 0);
  return { idleTimeoutMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0 };
}

/**
 * Cancels the statement running on thread `threadId` with `KILL QUERY` sent over a short-lived
 * side connection. The session itself survives (unlike `KILL`). Never rejects; after
 * SIDE_CHANNEL_TIMEOUT_MS the side connection is destroyed, whatever state it is in.
 */
export async function killQuery(openSide: () => Promise<DriverConnection>, threadId: number): Promise<void> {
  if (!Number.isSafeInteger(threadId) || threadId <= 0) return;
  let side: DriverConnection | undefined;
  let abandoned = false;
  const work = (async () => {
    side = await openSide();
    if (abandoned) return side.destroy();
    await side.execute(`KILL QUERY ${threadId}`);
  })();
  const outcome = await settleWithin(work, SIDE_CHANNEL_TIMEOUT_MS);
  abandoned = true;
  await finishSide(side, outcome);
}

async function finishSide(side: DriverConnection | undefined, outcome: 'settled' | 'timeout'): Promise<void> {
  if (side === undefined) return;
  if (outcome === 'timeout') side.destroy();
  else await side.close();
}
