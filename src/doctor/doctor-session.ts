/**
 * The doctor's view of one server session, the same for every engine and for PgBouncer.
 *
 * @module
 */
import type { SessionRow } from '../drivers/server-session.js';
import type { ServerSession } from './doctor-report.js';

/** The doctor's view of a session: the host without its port, idle age only when idle. */
export function doctorSession(row: SessionRow): ServerSession {
  const idle = row.state === 'idle' || row.state === 'idle in transaction';
  return {
    user: row.user,
    host: hostWithoutPort(row.host),
    database: row.database ?? '',
    state: row.state === 'other' ? row.rawState.toLowerCase() : row.state,
    idleMs: idle ? row.idleMs : undefined,
    inTransaction: row.inTransaction,
  };
}

/**
 * `127.0.0.1:51234` → `127.0.0.1`, `[::1]:51234` → `::1`, `localhost` as it is. MySQL
 * writes IPv6 clients without brackets (`::1:51234`); the port is still the last field.
 */
export function hostWithoutPort(host: string): string {
  const bracketed = /^\[(.*)\]:\d+$/.exec(host);
  if (bracketed !== null) return bracketed[1]!;
  return /:\d+$/.test(host) ? host.replace(/:\d+$/, '') : host;
}
