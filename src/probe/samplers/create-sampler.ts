/**
 * Picks and opens the sampler for a database URL by its scheme.
 *
 * @module
 */
import { DEFAULT_METRIC, samplerKindOf } from '../probe-config.js';
import { mysqlDialect } from './mysql-sampler.js';
import { pgbouncerDialect } from './pgbouncer-sampler.js';
import { postgresDialect } from './postgres-sampler.js';
import { PrometheusSampler } from './prometheus-sampler.js';
import type { Sampler, SessionFilter } from './sampler.js';
import { SqlSampler } from './sql-sampler.js';

/**
 * Opens a sampler: `mysql://` / `mariadb://` (PROCESSLIST), `postgres://` / `postgresql://`
 * (pg_stat_activity; PgBouncer's SHOW CLIENTS when the database is `pgbouncer`, its console),
 * or `http(s)://` (a Prometheus page). Rejects with the driver's error
 * when it cannot connect; the caller masks and wraps it.
 *
 * @example
 * const sampler = await createSampler('postgres://monitor:pw@db/app', { database: 'app' });
 * const open = await sampler.sample();
 * await sampler.close();
 */
export async function createSampler(dbUrl: string, filter: SessionFilter, options: { metric?: string } = {}): Promise<Sampler> {
  const kind = samplerKindOf(new URL(dbUrl));
  switch (kind) {
    case 'mysql':
      return SqlSampler.open(kind, mysqlDialect, dbUrl, filter);
    case 'postgres':
      return SqlSampler.open(kind, postgresDialect, dbUrl, filter);
    case 'pgbouncer':
      return SqlSampler.open(kind, pgbouncerDialect, dbUrl, filter);
    case 'prometheus':
      return PrometheusSampler.open(dbUrl, options.metric ?? DEFAULT_METRIC);
    default:
      throw new Error('unsupported database URL scheme');
  }
}
