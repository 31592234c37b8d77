/**
 * MySQL / MariaDB: "the app's sessions" from `information_schema.PROCESSLIST`, one definition
 * for the probe's sampler, `doctor` and the test harness. Server threads (replication, the
 * event scheduler, `Daemon`) and half-open handshakes (`unauthenticated user`) are not
 * sessions an app holds and are left out; `Killed` sessions are kept, as `killed`: they still
 * hold a slot until they end. Whether a session is in a transaction comes from
 * `information_schema.INNODB_TRX`, which needs the PROCESS privilege (and sees a transaction
 * only once it touched InnoDB, or began WITH CONSISTENT SNAPSHOT); without it `inTransaction` is
 * undefined.
 *
 * @module
 */
import {
  columnText,
  likeLiteral,
  statementShape,
  type QueryRows,
  type SessionFilter,
  type SessionReading,
  type SessionRow,
  type SessionState,
} from '../server-session.js';

/** Commands of server threads, not client sessions. */
const SERVER_COMMANDS = ['Daemon', 'Binlog Dump', 'Binlog Dump GTID', 'Slave_IO', 'Slave_SQL', 'Slave_worker'];
/** Users of server threads, and of connections still in their handshake. */
const SERVER_USERS = ['system user', 'event_scheduler', 'unauthenticated user'];

/** What the server lets this reader see; found on the first reading. */
export interface MysqlFeatures {
  /** MariaDB's `PROCESSLIST.TIME_MS`; MySQL has whole seconds only. */
  readonly timeMs: boolean;
  /** `INNODB_TRX` readable (PROCESS privilege). */
  readonly transactions: boolean;
}

/** The WHERE clause (over alias `p`) that selects the app's sessions, the reader's own excluded. */
export function mysqlSessionsWhere(filter: SessionFilter): { sql: string; params: unknown[] } {
  const quoted = (list: readonly string[]): string => list.map((item) => `'${item}'`).join(', ');
  const where = ['p.ID <> CONNECTION_ID()', `p.COMMAND NOT IN (${quoted(SERVER_COMMANDS)})`, `p.USER NOT IN (${quoted(SERVER_USERS)})`];
  const params: unknown[] = [];
  if (filter.user !== undefined) {
    where.push('p.USER = ?');
    params.push(filter.user);
  }
  if (filter.notUsers !== undefined && filter.notUsers.length > 0) {
    where.push(`p.USER NOT IN (${filter.notUsers.map(() => '?').join(', ')})`);
    params.push(...filter.notUsers);
  }
  if (filter.database !== undefined) {
    where.push('p.DB = ?');
    params.push(filter.database);
  }
  if (filter.host !== undefined) {
    // HOST is `address:port` for TCP clients and `localhost` for socket clients.
    where.push("(p.HOST = ? OR p.HOST LIKE CONCAT(?, ':%'))");
    params.push(filter.host, likeLiteral(filter.host));
  }
  return { sql: where.join(' AND '), params };
}

/** The statement that lists the app's sessions. */
export function mysqlSessionsQuery(filter: SessionFilter, features: MysqlFeatures): { sql: string; params: unknown[] } {
  const where = mysqlSessionsWhere(filter);
  // Only the first 40 characters of INFO leave the server, and only their first keyword is kept.
  const sql = `SELECT p.ID AS id, p.USER AS user, p.HOST AS host, p.DB AS db, p.COMMAND AS command, p.TIME AS time,
      ${features.timeMs ? 'p.TIME_MS' : 'NULL'} AS timeMs, p.STATE AS state, LEFT(p.INFO, 40) AS info,
      UNIX_TIMESTAMP(NOW(6)) * 1000 AS serverNow
    FROM information_schema.PROCESSLIST p
    WHERE ${where.sql}`;
  return { sql, params: where.params };
}

/** Finds out what this reader may see: TIME_MS (MariaDB) and INNODB_TRX (PROCESS privilege). */
export async function mysqlFeatures(query: QueryRows): Promise<MysqlFeatures> {
  const works = (sql: string): Promise<boolean> =>
    query(sql, []).then(
      () => true,
      () => false,
    );
  const timeMs = await works('SELECT TIME_MS FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()');
  // LIMIT 0 would skip the privilege check, which runs when the table is filled.
  const transactions = await works('SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX');
  return { timeMs, transactions };
}

/**
 * InnoDB refreshes its INFORMATION_SCHEMA transaction tables only when they were not read for
 * 100 ms: a reader polling faster would see the same stale list forever. So INNODB_TRX is read
 * at most this often, and the list kept in between.
 */
const TRX_REFRESH_MS = 120;

/**
 * Reads the app's sessions over one connection, remembering what that connection may see and
 * its last list of open transactions.
 *
 * @example
 * const reader = new MysqlSessionReader(query);
 * const { sessions } = await reader.read({ database: 'app' });
 */
export class MysqlSessionReader {
  readonly #query: QueryRows;
  #features: Promise<MysqlFeatures> | undefined;
  #transactions: { readAt: number; ids: Set<number> } | undefined;

  constructor(query: QueryRows) {
    this.#query = query;
  }

  async read(filter: SessionFilter): Promise<SessionReading> {
    const features = await (this.#features ??= mysqlFeatures(this.#query));
    const { sql, params } = mysqlSessionsQuery(filter, features);
    const rows = await this.#query(sql, params);
    const serverNow = rows.length > 0 ? Number(rows[0]!['serverNow']) : await mysqlServerNow(this.#query);
    const open = features.transactions ? await this.#openTransactions() : undefined;
    return {
      sessions: rows.map((row) => mysqlSessionRow(row, serverNow, open)),
      serverNow,
      transactionsVisible: features.transactions,
      idleResolutionMs: features.timeMs ? 1 : 1000,
    };
  }

  async #openTransactions(): Promise<Set<number>> {
    const last = this.#transactions;
    if (last !== undefined && Date.now() - last.readAt < TRX_REFRESH_MS) return last.ids;
    const rows = await this.#query('SELECT trx_mysql_thread_id AS id FROM information_schema.INNODB_TRX', []);
    this.#transactions = { readAt: Date.now(), ids: new Set(rows.map((row) => Number(row['id']))) };
    return this.#transactions.ids;
  }
}

/** Reads the app's sessions once (`doctor`); a poller keeps a `MysqlSessionReader` instead. */
export function readMysqlSessions(query: QueryRows, filter: SessionFilter): Promise<SessionReading> {
  return new MysqlSessionReader(query).read(filter);
}

async function mysqlServerNow(query: QueryRows): Promise<number> {
  const [row] = await query('SELECT UNIX_TIMESTAMP(NOW(6)) * 1000 AS serverNow', []);
  return Number(row?.['serverNow']);
}

/** One PROCESSLIST row (as `mysqlSessionsQuery` selects it) as a `SessionRow`. */
export function mysqlSessionRow(row: Record<string, unknown>, serverNow: number, openTransactions?: ReadonlySet<number>): SessionRow {
  const command = columnText(row['command']);
  const id = Number(row['id']);
  const inTransaction = openTransactions?.has(id);
  const state = mysqlState(command, inTransaction === true);
  const idle = command === 'Sleep' || command === 'Killed';
  const ms = row['timeMs'] === null || row['timeMs'] === undefined ? Number(row['time']) * 1000 : Number(row['timeMs']);
  const idleMs = idle ? Math.max(0, Math.round(ms)) : undefined;
  return {
    id,
    key: String(id),
    user: columnText(row['user']),
    host: columnText(row['host']) || 'local',
    database: row['db'] === null || row['db'] === undefined ? null : columnText(row['db']),
    state,
    rawState: command,
    waitingFor: columnText(row['state']) || null,
    statement: idle ? null : statementShape(row['info']),
    inTransaction,
    idleMs,
    lastActiveAt: serverNow - (idleMs ?? 0),
    openedAt: undefined,
    transactionStartedAt: undefined,
  };
}

function mysqlState(command: string, inTransaction: boolean): SessionState {
  switch (command) {
    case 'Sleep':
      return inTransaction ? 'idle in transaction' : 'idle';
    case 'Killed':
      return 'killed';
    case 'Connect':
      return 'connecting';
    case 'Query':
    case 'Execute':
    case 'Prepare':
    case 'Fetch':
      return 'active';
    default:
      return 'other';
  }
}
