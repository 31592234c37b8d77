/**
 * PgBouncer: reads the app's clients from its admin console's `SHOW CLIENTS`, as
 * `src/drivers/postgres/pgbouncer-sessions.ts` defines them, and `max_client_conn` from
 * `SHOW CONFIG`.
 *
 * @module
 */
import { isAppClient, readPgbouncerClients } from '../../drivers/postgres/pgbouncer-sessions.js';
import { openPostgres } from './postgres-sampler.js';
import type { SqlDialect } from './sql-session.js';

export { isAppClient };

export const pgbouncerDialect: SqlDialect = {
  open: openPostgres,
  sessionReader: (filter) => (query) => readPgbouncerClients(query, filter),
  maxConnections: async (session) => {
    const setting = (await session.query('SHOW CONFIG', [])).find((row) => row['key'] === 'max_client_conn');
    return Number(setting?.['value']);
  },
};
