/**
 * PostgreSQL: reads the app's client backends from `pg_stat_activity` (as
 * `src/drivers/postgres/sessions.ts` defines them) and reads the limit for
 * non-superusers (`max_connections` less the superuser and `pg_use_reserved_connections`
 * reserves). Uses pg, one connection, named `leakproof-probe` in `application_name`.
 *
 * @module
 */
import type { Client } from 'pg';
import { importPackage } from '../../drivers/import-package.js';
import { readPostgresSessions } from '../../drivers/postgres/sessions.js';
import { closeWithin, readNumber, type SqlDialect, type SqlRow, type SqlSession } from './sql-session.js';

type Pg = typeof import('pg');

export const PROBE_APPLICATION_NAME = 'leakproof-probe';

// reserved_connections exists from PostgreSQL 16; current_setting(…, true) is NULL before.
const MAX_CONNECTIONS_SQL = `SELECT current_setting('max_connections')::int
    - current_setting('superuser_reserved_connections')::int
    - COALESCE(NULLIF(current_setting('reserved_connections', true), '')::int, 0) AS n`;

export const postgresDialect: SqlDialect = {
  open: openPostgres,
  sessionReader: (filter) => (query) => readPostgresSessions(query, filter),
  maxConnections: (session) => readNumber(session, { sql: MAX_CONNECTIONS_SQL, params: [] }),
};

export async function openPostgres(url: string, timeoutMs: number): Promise<SqlSession> {
  const pg = await importPackage<Pg>('pg', 'postgres:');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, application_name: PROBE_APPLICATION_NAME });
  let dead = false;
  // Listen before connect: a refused or later terminated connection must not be an unhandled 'error'.
  client.on('error', () => (dead = true));
  client.on('end', () => (dead = true));
  await client.connect();
  return postgresSession(client, () => dead);
}

function postgresSession(client: Client, isDead: () => boolean): SqlSession {
  return {
    get dead() {
      return isDead();
    },
    query: async (sql, params) => (await client.query(sql, [...params])).rows as SqlRow[],
    close: () =>
      closeWithin(
        () => client.end(),
        () => (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy(),
      ),
  };
}
