/**
 * MariaDB / MySQL: sessions from `information_schema.PROCESSLIST`, transactions from
 * `information_schema.INNODB_TRX` (when the PROCESS privilege allows), limits from the global
 * variables and status.
 *
 * @module
 */
import type { Queryable, Row } from '../core/database.js';
import type { ServerSession, ServerSnapshot } from './doctor-report.js';
import { rowText } from './row-text.js';

/** Server threads that are not client connections. */
const NOT_CLIENTS = new Set(['Daemon', 'Binlog Dump', 'Binlog Dump GTID', 'Slave_IO', 'Slave_SQL', 'Slave_worker']);
const SYSTEM_USERS = new Set(['system user', 'event_scheduler']);

/** Everything the doctor needs from a MariaDB/MySQL server, read over `db` (one scope, one connection). */
export async function readMysql(db: Queryable): Promise<ServerSnapshot> {
  const [variables] = await db.query('SELECT VERSION() AS version, @@GLOBAL.max_connections AS maxConnections, @@GLOBAL.wait_timeout AS waitTimeout');
  const status = await globalStatus(db);
  const inTransaction = await threadsInTransaction(db);
  const rows = await db.query('SELECT * FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID()');
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
    sessions: rows.filter(isClient).map((row) => mysqlSession(row, inTransaction)),
    // Threads_connected counts this session too.
    serverWide: Math.max(0, (status.get('Threads_connected') ?? 1) - 1),
    maxUsed: status.get('Max_used_connections'),
    transactionsVisible: inTransaction !== undefined,
  };
}

async function globalStatus(db: Queryable): Promise<Map<string, number>> {
  const rows = await db.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Threads_connected', 'Max_used_connections')");
  return new Map(rows.map((row) => [rowText(row['Variable_name']), Number(row['Value'])]));
}

/** Thread ids with an open InnoDB transaction, or undefined without the PROCESS privilege. */
async function threadsInTransaction(db: Queryable): Promise<Set<number> | undefined> {
  try {
    const rows = await db.query('SELECT trx_mysql_thread_id AS id FROM information_schema.INNODB_TRX');
    return new Set(rows.map((row) => Number(row['id'])));
  } catch {
    return undefined;
  }
}

function isClient(row: Row): boolean {
  return !NOT_CLIENTS.has(rowText(row['COMMAND'])) && !SYSTEM_USERS.has(rowText(row['USER']));
}

function mysqlSession(row: Row, inTransaction: Set<number> | undefined): ServerSession {
  const command = rowText(row['COMMAND']);
  const inTx = inTransaction?.has(Number(row['ID']));
  const idle = command === 'Sleep';
  return {
    user: rowText(row['USER']),
    host: hostWithoutPort(rowText(row['HOST'])),
    database: rowText(row['DB']),
    state: idle ? (inTx === true ? 'idle in transaction' : 'idle') : commandState(command),
    // MariaDB has TIME_MS; MySQL only whole seconds.
    idleMs: idle ? Math.round(row['TIME_MS'] === undefined ? Number(row['TIME']) * 1000 : Number(row['TIME_MS'])) : undefined,
    inTransaction: inTx,
  };
}

function commandState(command: string): string {
  if (command === 'Query' || command === 'Execute') return 'active';
  if (command === 'Connect') return 'connecting';
  return command.toLowerCase();
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
