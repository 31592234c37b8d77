import { LeakproofError } from '../errors/errors.js';

/** The methods a drizzle prepared query runs statements with, on every engine. */
const RUNNERS = ['execute', 'all', 'get', 'values', 'run'] as const;

type Runner = (...args: unknown[]) => unknown;
type Session = { prepareQuery: (...args: never[]) => object };

/**
 * drizzle wraps every failed statement in a DrizzleQueryError, which would hide leakproof's
 * own errors from the adapters (an ACQUIRE_TIMEOUT answered 500, not 503 with Retry-After) and
 * from code matching on `error.code`. So the queries this session prepares throw leakproof's
 * errors as they are; the database's own errors stay wrapped, as drizzle's drivers have them.
 */
export function passLeakproofErrorsOn(session: Session): void {
  const prepare = session.prepareQuery.bind(session) as unknown as (...args: unknown[]) => Record<string, unknown>;
  session.prepareQuery = (...args: unknown[]) => unwrapping(prepare(...args));
}

function unwrapping<Q extends Record<string, unknown>>(prepared: Q): Q {
  for (const name of RUNNERS) {
    const run = prepared[name];
    if (typeof run !== 'function') continue;
    Object.defineProperty(prepared, name, {
      value: (...args: unknown[]) => rethrowOwn((run as Runner).apply(prepared, args)),
      configurable: true,
      writable: true,
    });
  }
  return prepared;
}

function rethrowOwn(result: unknown): unknown {
  if (!(result instanceof Promise)) return result;
  return result.catch((error: unknown) => {
    const cause = error instanceof Error ? error.cause : undefined;
    throw cause instanceof LeakproofError ? cause : error;
  });
}
