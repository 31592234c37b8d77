/**
 * PgBouncer: counts the app's clients in its admin console's `SHOW CLIENTS` (every client
 * but those of the console itself, ours among them) and reads `max_client_conn` from
 * `SHOW CONFIG`. Behind PgBouncer the app's connections end at PgBouncer: a leaked one is a
 * client that stays, whatever PgBouncer does with the server sessions behind it. The console
 * takes simple queries only, so the filter is applied here, not in SQL.
 *
 * @module
 */
import { PGBOUNCER_CONSOLE } from '../../drivers/postgres/pgbouncer-console.js';
import { openPostgres } from './postgres-sampler.js';
import type { SessionFilter } from './sampler.js';
import type { SqlDialect, SqlRow } from './sql-session.js';

export const pgbouncerDialect: SqlDialect = {
  open: openPostgres,
  count: async (session, filter) => (await session.query('SHOW CLIENTS', [])).filter((row) => isAppClient(row, filter)).length,
  maxConnections: async (session) => {
    const setting = (await session.query('SHOW CONFIG', [])).find((row) => text(row['key']) === 'max_client_conn');
    return Number(setting?.['value']);
  },
};

/** True for a client of a pooled database that `filter` selects; exported for tests. */
export function isAppClient(row: SqlRow, filter: SessionFilter): boolean {
  const database = text(row['database']);
  if (database === PGBOUNCER_CONSOLE) return false;
  if (filter.database !== undefined && database !== filter.database) return false;
  if (filter.user !== undefined && text(row['user']) !== filter.user) return false;
  return filter.host === undefined || text(row['addr']) === filter.host;
}

/** The console's name, user and address columns are text; NULL (a missing address) is ''. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
