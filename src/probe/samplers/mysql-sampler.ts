/**
 * MySQL / MariaDB: counts sessions in `information_schema.PROCESSLIST` (readable by every user;
 * without the PROCESS privilege a user sees only its own sessions, so filter by that user then),
 * and reads `@@max_connections`. Uses mysql2, one connection.
 *
 * @module
 */
import type { Connection } from 'mysql2/promise';
import { importPackage } from '../../drivers/import-package.js';
import type { SessionFilter } from './sampler.js';
import { closeWithin, type SqlCondition, type SqlDialect, type SqlRow, type SqlSession, readNumber } from './sql-session.js';

type Mysql2 = typeof import('mysql2/promise');

/**
 * Server threads and sessions on their way out are not connections an app holds: the
 * replication and scheduler threads, half-open handshakes, and sessions already killed.
 */
const NOT_CLIENT_SESSIONS = `p.ID <> CONNECTION_ID()
  AND p.COMMAND NOT IN ('Daemon', 'Binlog Dump', 'Binlog Dump GTID', 'Killed')
  AND p.USER NOT IN ('system user', 'event_scheduler', 'unauthenticated user')`;

export const mysqlDialect: SqlDialect = {
  open: openMysql,
  count: (session, filter) => readNumber(session, mysqlCountQuery(filter)),
  maxConnections: (session) => readNumber(session, { sql: 'SELECT @@max_connections AS n', params: [] }),
};

/** The count query for `filter`; exported for tests. */
export function mysqlCountQuery(filter: SessionFilter): SqlCondition {
  const where = [NOT_CLIENT_SESSIONS];
  const params: unknown[] = [];
  if (filter.user !== undefined) {
    where.push('p.USER = ?');
    params.push(filter.user);
  }
  if (filter.database !== undefined) {
    where.push('p.DB = ?');
    params.push(filter.database);
  }
  if (filter.host !== undefined) {
    // HOST is `address:port` for TCP clients and `localhost` for socket clients.
    where.push("(p.HOST = ? OR p.HOST LIKE CONCAT(?, ':%'))");
    params.push(filter.host, filter.host.replaceAll('\\', '\\\\').replaceAll('%', '\\%').replaceAll('_', '\\_'));
  }
  return { sql: `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST p WHERE ${where.join(' AND ')}`, params };
}

async function openMysql(url: string, timeoutMs: number): Promise<SqlSession> {
  const mysql = await importPackage<Mysql2>('mysql2/promise', 'mysql:');
  // mysql2 parses the URL itself (host, port, user, password, database, ?options).
  const connection = await mysql.createConnection({ uri: url.replace(/^mariadb:/i, 'mysql:'), connectTimeout: timeoutMs });
  return mysqlSession(connection);
}

function mysqlSession(connection: Connection): SqlSession {
  let dead = false;
  // An 'error' event with no listener would crash the process; a broken session is just replaced.
  connection.on('error', () => (dead = true));
  connection.on('end', () => (dead = true));
  return {
    get dead() {
      return dead;
    },
    query: async (sql, params) => {
      const [rows] = await connection.query(sql, [...params]);
      return rows as SqlRow[];
    },
    close: async () => {
      dead = true;
      await closeWithin(() => connection.end(), () => connection.destroy());
    },
  };
}
