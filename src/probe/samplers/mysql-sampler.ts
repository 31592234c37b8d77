/**
 * MySQL / MariaDB: reads the app's sessions from `information_schema.PROCESSLIST` (readable by
 * every user; without the PROCESS privilege a user sees only its own sessions, so filter by that
 * user then) as `src/drivers/mysql/sessions.ts` defines them, and `@@max_connections`. Uses
 * mysql2, one connection.
 *
 * @module
 */
import type { Connection } from 'mysql2/promise';
import { importPackage } from '../../drivers/import-package.js';
import { MysqlSessionReader } from '../../drivers/mysql/sessions.js';
import { closeWithin, readNumber, type SqlDialect, type SqlRow, type SqlSession } from './sql-session.js';

type Mysql2 = typeof import('mysql2/promise');

export const mysqlDialect: SqlDialect = {
  open: openMysql,
  sessionReader: (filter) => {
    // One reader per connection: it finds what the user may see once, on the first reading.
    let reader: MysqlSessionReader | undefined;
    return (query) => (reader ??= new MysqlSessionReader(query)).read(filter);
  },
  maxConnections: (session) => readNumber(session, { sql: 'SELECT @@max_connections AS n', params: [] }),
};

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
      await closeWithin(
        () => connection.end(),
        () => connection.destroy(),
      );
    },
  };
}
