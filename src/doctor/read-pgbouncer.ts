/**
 * PgBouncer, read through its admin console (the `pgbouncer` database): its clients from
 * `SHOW CLIENTS`, its pools from `SHOW POOLS` and `SHOW DATABASES`, its limits from
 * `SHOW CONFIG`. The console's own clients (ours included) are left out.
 *
 * @module
 */
import type { Queryable, Row } from '../core/database.js';
import { PGBOUNCER_CONSOLE } from '../drivers/postgres/pgbouncer-console.js';
import { readPgbouncerClients } from '../drivers/postgres/pgbouncer-sessions.js';
import type { SessionRow } from '../drivers/server-session.js';
import { doctorSession } from './doctor-session.js';
import type { PoolerPool, ServerSession, ServerSnapshot } from './doctor-report.js';
import { rowText } from './row-text.js';

/** Everything the doctor needs from PgBouncer, read over `db` (simple queries, one connection). */
export async function readPgbouncer(db: Queryable): Promise<ServerSnapshot> {
  const [version] = await db.query('SHOW VERSION');
  const config = new Map((await db.query('SHOW CONFIG')).map((row) => [rowText(row['key']), rowText(row['value'])]));
  const { sessions } = await readPgbouncerClients((sql) => db.query(sql), {});
  const sizes = new Map((await db.query('SHOW DATABASES')).map((row) => [rowText(row['name']), Number(row['pool_size'])]));
  const pools = (await db.query('SHOW POOLS')).filter((row) => rowText(row['database']) !== PGBOUNCER_CONSOLE);
  return {
    product: 'PgBouncer',
    version: rowText(version?.['version']).replace(/^PgBouncer\s*/i, ''),
    settings: {
      maxConnections: Number(config.get('max_client_conn') ?? 0),
      reservedConnections: 0,
      extraSuperuserConnections: 0,
      idleSessionTimeoutMs: Number(config.get('client_idle_timeout') ?? 0) * 1000,
    },
    sessions: sessions.map(doctorClient),
    serverWide: sessions.length,
    transactionsVisible: true,
    pools: pools.map((row) => pgbouncerPool(row, sizes)),
  };
}

/** The doctor's view of a client: `waiting` kept apart from `active`, since a queue is what it warns about. */
function doctorClient(row: SessionRow): ServerSession {
  return { ...doctorSession(row), state: row.rawState === 'waiting' ? 'waiting' : row.state };
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
