import type { DriverConnection, ServerLimits } from '../driver.js';
import { endAndAwaitGone } from '../end-session.js';
import { SIDE_CHANNEL_TIMEOUT_MS, settleWithin } from '../time-bound.js';

/** Units PostgreSQL prints a time setting in (`SHOW` / `current_setting`), as milliseconds. */
const TIME_UNITS_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `idle_session_timeout` (PostgreSQL 14+) is how long the server keeps an idle session.
 * `current_setting(…, true)` answers NULL instead of failing on older servers.
 */
export async function readPostgresLimits(connection: DriverConnection): Promise<ServerLimits> {
  const rows = await connection.query(`SELECT current_setting('idle_session_timeout', true) AS idle_session_timeout,
      current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int AS max_connections,
      (SELECT rolconnlimit FROM pg_roles WHERE rolname = current_user) AS role_limit,
      (SELECT datconnlimit FROM pg_database WHERE datname = current_database()) AS database_limit`);
  const row = rows[0] ?? {};
  const value = row['idle_session_timeout'];
  // -1 means no limit for a role or a database.
  const limits: [number, string][] = [
    [Number(row['max_connections']), 'max_connections − superuser_reserved_connections'],
    [Number(row['role_limit']), "the role's CONNECTION LIMIT"],
    [Number(row['database_limit']), "the database's CONNECTION LIMIT"],
  ];
  const [sessionLimit, sessionLimitName] = limits.filter(([n]) => Number.isFinite(n) && n > 0).sort((a, b) => a[0] - b[0])[0] ?? [
    0,
    'max_connections',
  ];
  return { idleTimeoutMs: typeof value === 'string' ? parsePostgresDuration(value) : 0, sessionLimit, sessionLimitName };
}

/** Parses `0`, `500ms`, `30s`, `10min`, `1h`, `2d` (a bare number is in ms); 0 when unreadable. */
export function parsePostgresDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (match === null) return 0;
  const factor = TIME_UNITS_MS[(match[2] ?? '').toLowerCase() || 'ms'];
  return factor === undefined ? 0 : Number(match[1]) * factor;
}

/** What a CancelRequest needs; pg's `Connection` class provides it. */
export interface CancelChannel {
  connect(port: number, host: string): void;
  connect(path: string): void;
  cancel(processID: number, secretKey: number): void;
  once(event: 'connect' | 'end', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  readonly stream: { destroy(): void };
}

export interface CancelTarget {
  readonly host: string;
  readonly port: number;
  readonly processID: number;
  readonly secretKey: number;
}

/**
 * Sends a protocol CancelRequest on a fresh socket. This is not a session: the server reads the
 * 16 bytes, signals the backend and closes the socket, so it never counts against
 * `max_connections`. Resolves once the server has closed it; never rejects.
 */
export async function sendCancelRequest(channel: CancelChannel, target: CancelTarget): Promise<void> {
  const delivered = new Promise<void>((resolve, reject) => {
    channel.once('connect', () => channel.cancel(target.processID, target.secretKey));
    channel.once('end', resolve);
    // `on`, not `once`: a second socket error with no listener would be thrown.
    channel.on('error', reject);
  });
  // Like libpq: a host starting with "/" is a Unix-socket directory.
  if (target.host.startsWith('/')) channel.connect(`${target.host}/.s.PGSQL.${target.port}`);
  else channel.connect(target.port, target.host);
  await settleWithin(delivered, SIDE_CHANNEL_TIMEOUT_MS);
  channel.stream.destroy();
}

/**
 * Ends backend `pid` with `pg_terminate_backend` run on `via`; true once `pg_stat_activity` no
 * longer lists it, false at `deadline`. A role may terminate its own backends; a pid already gone
 * answers false with a warning, which is what was wanted.
 */
export function terminateBackend(pid: number, via: DriverConnection, deadline: number): Promise<boolean> {
  if (!Number.isSafeInteger(pid) || pid <= 0) return Promise.resolve(true);
  return endAndAwaitGone(
    via,
    () => via.query('SELECT pg_terminate_backend($1)', [pid]),
    async () => (await via.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).length > 0,
    deadline,
  );
}
