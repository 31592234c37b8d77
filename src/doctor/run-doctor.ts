/**
 * `runDoctor`: who holds connections on a database server right now, the server's limits,
 * and what looks wrong, as a plain object (`leakproof doctor` renders it, `--json` prints it).
 *
 * @module
 */
import { createDatabases } from '../core/databases.js';
import { parseDatabaseUrl } from '../core/config/parse-url.js';
import { maskUrl } from '../secrets/mask-secrets.js';
import type { DoctorOptions, DoctorReport, ServerSnapshot } from './doctor-report.js';
import { doctorWarnings } from './doctor-warnings.js';
import { readMysql } from './read-mysql.js';
import { PGBOUNCER_CONSOLE } from '../drivers/postgres/pgbouncer-console.js';
import { readPgbouncer } from './read-pgbouncer.js';
import { readPostgres } from './read-postgres.js';
import { summarizeSessions } from './session-summary.js';

export const DOCTOR_DEFAULTS = Object.freeze({ sleepingOlderThanMs: 60_000, connectTimeoutMs: 5000 });

/**
 * Connects once (one connection, closed before this returns), reads the server's own view of
 * its sessions and limits, and returns a report with warnings. The doctor's own session is
 * left out of every count. Throws `CONNECTION_FAILED` (or `DATABASE_REFUSED`) when the server
 * cannot be reached.
 *
 * @example
 * const report = await runDoctor({ db: 'mysql://app:secret@db:3306/app', processes: 4, budget: 50 });
 * for (const warning of report.warnings) console.log(warning.message);
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const engine = checkOptions(options);
  const read = engine === 'mysql' ? readMysql : isPgbouncerConsole(options.db) ? readPgbouncer : readPostgres;
  const dbs = createDatabases({
    default: {
      url: options.db,
      maxConnections: 1,
      maxLifetime: 0,
      connectTimeout: options.connectTimeoutMs ?? DOCTOR_DEFAULTS.connectTimeoutMs,
    },
  });
  try {
    // One scope: every statement runs on the same session, the one excluded from the counts.
    const snapshot = await dbs.run(() => read(dbs.get()));
    return buildReport(maskUrl(options.db), snapshot, options);
  } finally {
    await dbs.close();
  }
}

/** PgBouncer's admin console is the database named `pgbouncer` on its port. */
function isPgbouncerConsole(db: string): boolean {
  return parseDatabaseUrl(db).database === PGBOUNCER_CONSOLE;
}

/** The engine of a valid `options.db`; a `RangeError` for anything else. */
function checkOptions(options: DoctorOptions): 'mysql' | 'postgres' {
  let engine: string;
  try {
    engine = parseDatabaseUrl(options.db).engine;
  } catch (error) {
    throw new RangeError(`runDoctor: ${(error as Error).message}`);
  }
  if (engine === 'sqlite') throw new RangeError('runDoctor: SQLite has no server to ask; give a mysql://, mariadb:// or postgres:// URL');
  if ((options.processes === undefined) !== (options.budget === undefined))
    throw new RangeError('runDoctor: give processes and budget together');
  for (const key of ['processes', 'budget'] as const) {
    const value = options[key];
    if (value !== undefined && (!Number.isInteger(value) || value < 1))
      throw new RangeError(`runDoctor: ${key} must be a whole number >= 1`);
  }
  const threshold = options.sleepingOlderThanMs;
  if (threshold !== undefined && !(threshold >= 0)) throw new RangeError('runDoctor: sleepingOlderThanMs must be >= 0');
  return engine as 'mysql' | 'postgres';
}

function buildReport(db: string, snapshot: ServerSnapshot, options: DoctorOptions): DoctorReport {
  const { settings } = snapshot;
  const connections = summarizeSessions(
    snapshot.sessions,
    options.sleepingOlderThanMs ?? DOCTOR_DEFAULTS.sleepingOlderThanMs,
    snapshot.transactionsVisible,
  );
  const usable = settings.maxConnections - settings.reservedConnections;
  const headroom = { current: snapshot.serverWide, usable, available: usable - snapshot.serverWide, maxUsed: snapshot.maxUsed };
  const budget =
    options.processes === undefined || options.budget === undefined
      ? undefined
      : {
          processes: options.processes,
          perProcess: options.budget,
          total: options.processes * options.budget,
          fits: options.processes * options.budget <= usable,
        };
  const findings = { connections, headroom, ...(budget === undefined ? {} : { budget }) };
  const pools = snapshot.pools === undefined ? {} : { pools: snapshot.pools };
  return {
    db,
    product: snapshot.product,
    version: snapshot.version,
    settings,
    ...findings,
    ...pools,
    warnings: doctorWarnings(snapshot, findings),
  };
}
