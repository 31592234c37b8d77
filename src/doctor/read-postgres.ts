/**
 * PostgreSQL: the client backends as `src/drivers/postgres/sessions.ts` defines them, limits and idle timeouts from
 * `pg_settings`.
 *
 * @module
 */
import type { Queryable } from '../core/database.js';
import { readPostgresSessions } from '../drivers/postgres/sessions.js';
import type { SessionRow } from '../drivers/server-session.js';
import type { ServerSession, ServerSnapshot } from './doctor-report.js';
import { doctorSession } from './doctor-session.js';
import { rowText } from './row-text.js';

const SETTINGS = [
  'max_connections',
  'superuser_reserved_connections',
  'reserved_connections',
  'idle_session_timeout',
  'idle_in_transaction_session_timeout',
];

/** Everything the doctor needs from a PostgreSQL server, read over `db` (one scope, one connection). */
export async function readPostgres(db: Queryable): Promise<ServerSnapshot> {
  const settings = await readSettings(db);
  const [version] = await db.query("SELECT current_setting('server_version') AS version");
  const reading = await readPostgresSessions((sql, params) => db.query(sql, [...params]), {});
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
    sessions: reading.sessions.map(postgresSession),
    serverWide: reading.sessions.length,
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
function postgresSession(row: SessionRow): ServerSession {
  if (row.state === 'hidden')
    return { user: row.user, host: 'hidden', database: row.database ?? '', state: 'hidden', idleMs: undefined, inTransaction: undefined };
  return { ...doctorSession(row), state: row.state === 'other' ? row.rawState : row.state };
}
