/**
 * PgBouncer's admin console: the database named `pgbouncer` on PgBouncer's port. Its clients
 * are operators and tools (doctor, the probe), never the app.
 *
 * @module
 */
export const PGBOUNCER_CONSOLE = 'pgbouncer';
