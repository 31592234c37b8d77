/**
 * leakproof for Hono on `@hono/node-server`: a middleware that gives each request its scope
 * and runs the handlers after it inside the scope.
 *
 * - The request's end is watched on the raw `c.env.incoming` / `c.env.outgoing` by the
 *   detector every adapter shares; Hono's `c.req.raw.signal` is not used (it misses a
 *   pipelined request whose socket dies, and HTTP/2 stream resets).
 * - The handler has settled when `next()` resolves, before node-server writes the response:
 *   a `transactionPerRequest` transaction is committed then if the answer is a 2xx or 3xx (a
 *   failed COMMIT becomes the error answered), or rolled back if a handler threw (`c.error`)
 *   or answered anything else. A streamed body keeps the
 *   request's connection until its last chunk is written or the client leaves.
 * - Budget errors have `getResponse()`, as `HTTPException` has, so Hono's default error
 *   handler answers them 503 with `Retry-After` (and the code and a generic message only). In
 *   an `onError` of your own: `if (err instanceof LeakproofError) return err.getResponse()`.
 *   Hono logs nothing for these, so the middleware logs the detail of every leakproof error a
 *   handler ended with through `logger` (rate-limited, pino-compatible).
 *
 * @example
 * import { serve } from '@hono/node-server';
 * import { Hono } from 'hono';
 * import { createDatabases } from 'leakproof';
 * import { leakproof } from 'leakproof/hono';
 *
 * const dbs = createDatabases({ default: 'sqlite:./db.sqlite3' });
 * const db = dbs.get();
 * const app = new Hono();
 * app.use(leakproof(dbs));
 * app.get('/polls', async (c) => c.json(await db.query('SELECT id, question FROM poll')));
 * serve({ fetch: app.fetch, port: 3000 });
 *
 * @module
 */
import type { Context, MiddlewareHandler, Next } from 'hono';
import type { Databases } from '../core/databases.js';
import { LeakproofError, UsageError, type ScopeError } from '../errors/errors.js';
import { RESOLVED } from '../core/resolved.js';
import { answerCommits, beginRequest, RequestLifecycle } from './shared/end-of-request.js';
import type { AnyRequest, AnyResponse } from './shared/any-request.js';
import { createErrorLog, type ErrorLog, type Logger } from './shared/error-log.js';
import { holdOffIfShed, holdsOffShed, type HoldOffOptions } from './shared/hold-off.js';

export interface LeakproofHonoOptions extends HoldOffOptions {
  /**
   * leakproof's own deadline per request in ms: when it passes, the scope ends as `timeout`
   * and the request is answered with the `REQUEST_TIMEOUT` error's response (503,
   * `Retry-After: 1`). 0 turns it off. Default 0.
   */
  readonly requestTimeout?: number;
  /**
   * Where `c.env.incoming` / `c.env.outgoing` are missing (not on `@hono/node-server`, e.g.
   * `app.request()` in tests): `'fail'` answers with an `ADAPTER_MISUSED` error; `'scope'` runs
   * the handlers in a scope that ends when they settle (a streamed body cannot use it) and
   * aborts only on `c.req.raw.signal`: enough for tests, not the guarantee of the raw detector.
   * Default `'fail'`.
   */
  readonly outsideNodeServer?: 'fail' | 'scope';
  /** Where the detail of a leakproof error a handler ended with goes; see `leakproof/http`. Default: the console. */
  readonly logger?: Logger | false;
  /** ms between two log lines for the same kind of error. Default 10000. */
  readonly logInterval?: number;
}

/** The middleware: `app.use(leakproof(dbs))`, before the routes that query. */
export function leakproof(dbs: Databases, options: LeakproofHonoOptions = {}): MiddlewareHandler {
  const log = createErrorLog(options);
  const holdOff = holdsOffShed(options);
  return async function leakproofMiddleware(c, next) {
    const raw = rawOf(c);
    if (raw === undefined) {
      if (options.outsideNodeServer !== 'scope') throw misused();
      return scopeWithoutRaw(dbs, c, next, log);
    }
    const { incoming, outgoing } = raw;
    let timedOut: ((error: ScopeError) => void) | undefined;
    const timeout = new Promise<ScopeError>((resolve) => (timedOut = resolve));
    const lifecycle = beginRequest(dbs, incoming, outgoing, { requestTimeout: options.requestTimeout, onTimeout: timedOut });
    const handled = runHandlers(lifecycle, next, c, log, holdOff ? raw : undefined);
    if (!(options.requestTimeout! > 0)) return handled;
    const outcome = await Promise.race([handled, timeout]);
    if (outcome === undefined) return undefined;
    // The handlers go on until their next query fails; whatever they end with is not sent.
    handled.catch(() => undefined);
    return outcome.getResponse();
  };
}

/** `holdOff`: the raw request and response whose connection a shed request's answer holds off. */
async function runHandlers(
  lifecycle: RequestLifecycle,
  next: Next,
  c: Context,
  log: ErrorLog,
  holdOff?: { readonly incoming: AnyRequest; readonly outgoing: AnyResponse },
): Promise<undefined> {
  try {
    await lifecycle.scope.run(next);
  } catch (error) {
    await lifecycle.handlerSettled(true).catch(() => undefined);
    throw error;
  }
  // Hono's compose caught the handler's error and answered it through onError already.
  if (c.error instanceof LeakproofError) log(c.error, `${c.req.method} ${c.req.path}`, c.error.httpStatus);
  if (holdOff !== undefined && c.error !== undefined) holdOffIfShed(c.error, holdOff.incoming, holdOff.outgoing);
  // The shared resolved promise (no transaction to commit) is not awaited: one promise less per request.
  // Committed only for a 2xx/3xx answer the handlers ended with (`answerCommits`).
  const settling = lifecycle.handlerSettled(c.error !== undefined || !answerCommits(c.res.status));
  if (settling !== RESOLVED) await settling;
  return undefined;
}

/** `outsideNodeServer: 'scope'`: the scope lasts as long as the handlers, aborted by the request's signal. */
async function scopeWithoutRaw(dbs: Databases, c: Context, next: Next, log: ErrorLog): Promise<undefined> {
  const lifecycle = new RequestLifecycle(dbs, { method: c.req.method, path: c.req.path });
  const signal = c.req.raw.signal;
  const onAbort = (): void => lifecycle.responseEnded('aborted');
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await runHandlers(lifecycle, next, c, log);
  } finally {
    signal.removeEventListener('abort', onAbort);
    lifecycle.responseEnded('finished');
  }
}

function rawOf(c: Context): { incoming: AnyRequest; outgoing: AnyResponse } | undefined {
  const env = c.env as { incoming?: AnyRequest; outgoing?: AnyResponse } | undefined;
  if (env?.incoming === undefined || env.outgoing === undefined) return undefined;
  return { incoming: env.incoming, outgoing: env.outgoing };
}

function misused(): UsageError {
  return new UsageError(
    'ADAPTER_MISUSED',
    "leakproof/hono needs @hono/node-server: c.env.incoming and c.env.outgoing are missing (serve the app with serve() from @hono/node-server, or pass outsideNodeServer: 'scope' for app.request() in tests)",
  );
}
