/**
 * MariaDB / MySQL: the sessions as `src/drivers/mysql/sessions.ts` defines them (transactions
 * seen when the PROCESS privilege allows), limits from the global variables and status.
 *
 * @module
 */
import type { Queryable } from '../core/database.js';
import { readMysqlSessions } from '../drivers/mysql/sessions.js';
import type { ServerSnapshot } from './doctor-report.js';
import { doctorSession } from './doctor-session.js';
import { rowText } from './row-text.js';

/** Everything the doctor needs from a MariaDB/MySQL server, read over `db` (one scope, one connection). */
export async function readMysql(db: Queryable): Promise<ServerSnapshot> {
  const [variables] = await db.query(
    'SELECT VERSION() AS version, @@GLOBAL.max_connections AS maxConnections, @@GLOBAL.wait_timeout AS waitTimeout',
  );
  const status = await globalStatus(db);
  const reading = await readMysqlSessions((sql, params) => db.query(sql, [...params]), {});
  const version = rowText(variables?.['version']);
  return {
    product: /mariadb/i.test(version) ? 'MariaDB' : 'MySQL',
    version: version.replace(/-MariaDB.*$/i, ''),
    settings: {
      maxConnections: Number(variables?.['maxConnections']),
      reservedConnections: 0,
      // mysqld accepts max_connections + 1 clients; the extra one is for SUPER / CONNECTION ADMIN.
      extraSuperuserConnections: 1,
      waitTimeoutMs: Number(variables?.['waitTimeout']) * 1000,
    },
    sessions: reading.sessions.map(doctorSession),
    // Threads_connected counts this session too.
    serverWide: Math.max(0, (status.get('Threads_connected') ?? 1) - 1),
    maxUsed: status.get('Max_used_connections'),
    transactionsVisible: reading.transactionsVisible,
  };
}

async function globalStatus(db: Queryable): Promise<Map<string, number>> {
  const rows = await db.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Threads_connected', 'Max_used_connections')");
  return new Map(rows.map((row) => [rowText(row['Variable_name']), Number(row['Value'])]));
}
