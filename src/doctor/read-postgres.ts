/**
 * PostgreSQL: client backends from `pg_stat_activity`, limits and idle timeouts from
 * `pg_settings`.
 *
 * @module
 */
import type { Queryable, Row } from '../core/database.js';
import type { ServerSession, ServerSnapshot } from './doctor-report.js';
import { rowText } from './row-text.js';

const SETTINGS = ['max_connections', 'superuser_reserved_connections', 'reserved_connections', 'idle_session_timeout', 'idle_in_transaction_session_timeout'];

/** Everything the doctor needs from a PostgreSQL server, read over `db` (one scope, one connection). */
export async function readPostgres(db: Queryable): Promise<ServerSnapshot> {
  const settings = await readSettings(db);
  const [version] = await db.query("SELECT current_setting('server_version') AS version");
  const rows = await db.query(
    `SELECT usename AS "user", host(client_addr) AS host, client_port AS port, datname AS database, state,
            extract(epoch FROM now() - state_change) * 1000 AS "stateAgeMs",
            xact_start IS NOT NULL AS "inTransaction"
       FROM pg_stat_activity
      WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`,
  );
  return {
    product: 'PostgreSQL',
    version: rowText(version?.['version']),
    settings: {
      maxConnections: settings.get('max_connections') ?? 0,
      // Both reserves come out of max_connections (reserved_connections is PostgreSQL 16+).
      reservedConnections: (settings.get('superuser_reserved_connections') ?? 0) + (settings.get('reserved_connections') ?? 0),
      extraSuperuserConnections: 0,
      ...optional('idleSessionTimeoutMs', settings.get('idle_session_timeout')),
      ...optional('idleInTransactionSessionTimeoutMs', settings.get('idle_in_transaction_session_timeout')),
    },
    sessions: rows.map(postgresSession),
    serverWide: rows.length,
    transactionsVisible: true,
  };
}

/** The settings that exist on this version, as numbers (the timeouts are in ms). */
async function readSettings(db: Queryable): Promise<Map<string, number>> {
  const list = SETTINGS.map((name) => `'${name}'`).join(', ');
  const rows = await db.query(`SELECT name, setting FROM pg_settings WHERE name IN (${list})`);
  return new Map(rows.map((row) => [rowText(row['name']), Number(row['setting'])]));
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

/** Without pg_read_all_stats, other roles' sessions show with a NULL state: listed, but hidden. */
function postgresSession(row: Row): ServerSession {
  const state = row['state'] === null || row['state'] === undefined ? undefined : rowText(row['state']);
  const idle = state?.startsWith('idle') === true;
  return {
    user: rowText(row['user']),
    host: state === undefined ? 'hidden' : clientHost(row),
    database: rowText(row['database']),
    state: state ?? 'hidden',
    idleMs: idle ? Math.round(Number(row['stateAgeMs'])) : undefined,
    inTransaction: state === undefined ? undefined : row['inTransaction'] === true,
  };
}

/** A NULL address with port -1 is a Unix-socket client. */
function clientHost(row: Row): string {
  const host = row['host'];
  return host === null || host === undefined ? 'local' : rowText(host);
}
