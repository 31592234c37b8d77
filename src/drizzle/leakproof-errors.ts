import { DrizzleQueryError } from 'drizzle-orm/errors';
import { LeakproofError } from '../errors/errors.js';

/** The methods a drizzle prepared query runs statements with, on every engine. */
const RUNNERS = ['execute', 'all', 'get', 'values', 'run'] as const;

type Runner = (...args: unknown[]) => unknown;
type Session = { prepareQuery: (...args: never[]) => object };

/**
 * drizzle's proxy sessions wrap every failed statement in a DrizzleQueryError, which would hide
 * leakproof's own errors from the adapters (an ACQUIRE_TIMEOUT answered 500, not 503 with
 * Retry-After) and from code matching on `error.code`. So the queries this session prepares
 * throw leakproof's errors as they are. The database's own errors are thrown as the engine's
 * drizzle driver throws them: wrapped on MySQL and PostgreSQL (drizzle-orm/mysql2 and
 * node-postgres wrap them), as they are on SQLite (drizzle-orm/better-sqlite3 does not).
 */
export function passLeakproofErrorsOn(session: Session, databaseErrors: 'wrapped' | 'as they are' = 'wrapped'): void {
  const prepare = session.prepareQuery.bind(session) as unknown as (...args: unknown[]) => Record<string, unknown>;
  const unwrapDatabase = databaseErrors === 'as they are';
  session.prepareQuery = (...args: unknown[]) => unwrapping(prepare(...args), unwrapDatabase);
}

function unwrapping<Q extends Record<string, unknown>>(prepared: Q, unwrapDatabase: boolean): Q {
  for (const name of RUNNERS) {
    const run = prepared[name];
    if (typeof run !== 'function') continue;
    Object.defineProperty(prepared, name, {
      value: (...args: unknown[]) => rethrowCause((run as Runner).apply(prepared, args), unwrapDatabase),
      configurable: true,
      writable: true,
    });
  }
  return prepared;
}

function rethrowCause(result: unknown, unwrapDatabase: boolean): unknown {
  if (!(result instanceof Promise)) return result;
  return result.catch((error: unknown) => {
    const cause = error instanceof Error ? error.cause : undefined;
    if (cause instanceof LeakproofError) throw cause;
    throw unwrapDatabase && error instanceof DrizzleQueryError && cause !== undefined ? cause : error;
  });
}
