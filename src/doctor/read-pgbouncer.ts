/**
 * PgBouncer, read through its admin console (the `pgbouncer` database): its clients from
 * `SHOW CLIENTS`, its pools from `SHOW POOLS` and `SHOW DATABASES`, its limits from
 * `SHOW CONFIG`. The console's own clients (ours included) are left out.
 *
 * @module
 */
import type { Queryable, Row } from '../core/database.js';
import { PGBOUNCER_CONSOLE } from '../drivers/postgres/pgbouncer-console.js';
import type { PoolerPool, ServerSession, ServerSnapshot } from './doctor-report.js';
import { rowText } from './row-text.js';

/** Everything the doctor needs from PgBouncer, read over `db` (simple queries, one connection). */
export async function readPgbouncer(db: Queryable): Promise<ServerSnapshot> {
  const [version] = await db.query('SHOW VERSION');
  const config = new Map((await db.query('SHOW CONFIG')).map((row) => [rowText(row['key']), rowText(row['value'])]));
  const clients = (await db.query('SHOW CLIENTS')).filter((row) => rowText(row['database']) !== PGBOUNCER_CONSOLE);
  const sizes = new Map((await db.query('SHOW DATABASES')).map((row) => [rowText(row['name']), Number(row['pool_size'])]));
  const pools = (await db.query('SHOW POOLS')).filter((row) => rowText(row['database']) !== PGBOUNCER_CONSOLE);
  const now = Date.now();
  return {
    product: 'PgBouncer',
    version: rowText(version?.['version']).replace(/^PgBouncer\s*/i, ''),
    settings: {
      maxConnections: Number(config.get('max_client_conn') ?? 0),
      reservedConnections: 0,
      extraSuperuserConnections: 0,
      idleSessionTimeoutMs: Number(config.get('client_idle_timeout') ?? 0) * 1000,
    },
    sessions: clients.map((row) => pgbouncerClient(row, now)),
    serverWide: clients.length,
    transactionsVisible: true,
    pools: pools.map((row) => pgbouncerPool(row, sizes)),
  };
}

/**
 * A client linked to a server session is using it (a statement, or a transaction left open);
 * an unlinked one is idle, and in transaction mode outside any transaction (PgBouncer takes
 * the server session back at each transaction's end).
 */
function pgbouncerClient(row: Row, now: number): ServerSession {
  const linked = rowText(row['link']) !== '';
  const waiting = rowText(row['state']) === 'waiting';
  const since = Date.parse(rowText(row['request_time']).replace(' UTC', 'Z').replace(' ', 'T'));
  const idle = !linked && !waiting;
  return {
    user: rowText(row['user']),
    host: rowText(row['addr']) || 'local',
    database: rowText(row['database']),
    state: linked ? 'active' : waiting ? 'waiting' : 'idle',
    idleMs: idle && Number.isFinite(since) ? Math.max(0, now - since) : undefined,
    inTransaction: linked ? undefined : false,
  };
}

function pgbouncerPool(row: Row, sizes: ReadonlyMap<string, number>): PoolerPool {
  const database = rowText(row['database']);
  return {
    database,
    user: rowText(row['user']),
    mode: rowText(row['pool_mode']),
    poolSize: sizes.get(database) ?? 0,
    clientsActive: Number(row['cl_active']),
    clientsWaiting: Number(row['cl_waiting']),
    serversActive: Number(row['sv_active']),
    serversIdle: Number(row['sv_idle']) + Number(row['sv_used']),
    maxWaitMs: Number(row['maxwait']) * 1000 + Math.round(Number(row['maxwait_us']) / 1000),
  };
}
