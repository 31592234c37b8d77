/**
 * PostgreSQL: counts client backends in `pg_stat_activity` and reads the limit for
 * non-superusers (`max_connections` less the superuser and `pg_use_reserved_connections`
 * reserves). Uses pg, one connection, named `leakproof-probe` in `application_name`.
 *
 * @module
 */
import type { Client } from 'pg';
import { importPackage } from '../../drivers/import-package.js';
import type { SessionFilter } from './sampler.js';
import { closeWithin, type SqlCondition, type SqlDialect, type SqlRow, type SqlSession, readNumber } from './sql-session.js';

type Pg = typeof import('pg');

export const PROBE_APPLICATION_NAME = 'leakproof-probe';

// reserved_connections exists from PostgreSQL 16; current_setting(…, true) is NULL before.
const MAX_CONNECTIONS_SQL = `SELECT current_setting('max_connections')::int
    - current_setting('superuser_reserved_connections')::int
    - COALESCE(NULLIF(current_setting('reserved_connections', true), '')::int, 0) AS n`;

export const postgresDialect: SqlDialect = {
  open: openPostgres,
  count: (session, filter) => readNumber(session, postgresCountQuery(filter)),
  maxConnections: (session) => readNumber(session, { sql: MAX_CONNECTIONS_SQL, params: [] }),
};

/** The count query for `filter`; exported for tests. */
export function postgresCountQuery(filter: SessionFilter): SqlCondition {
  const where = ["p.backend_type = 'client backend'", 'p.pid <> pg_backend_pid()'];
  const params: unknown[] = [];
  const add = (sql: (n: string) => string, value: string): void => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (filter.user !== undefined) add((n) => `p.usename = ${n}`, filter.user);
  if (filter.database !== undefined) add((n) => `p.datname = ${n}`, filter.database);
  if (filter.host !== undefined) add((n) => `(host(p.client_addr) = ${n} OR p.client_hostname = ${n})`, filter.host);
  return { sql: `SELECT count(*)::int AS n FROM pg_stat_activity p WHERE ${where.join(' AND ')}`, params };
}

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
    close: () => closeWithin(() => client.end(), () => (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy()),
  };
}
