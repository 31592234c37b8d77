/**
 * leakproof for Express 5: a middleware that gives each request its scope, and runs the rest
 * of the middleware chain and the route handlers inside it.
 *
 * - The request's end is watched on the raw `req`/`res` by the detector every adapter
 *   shares, not with `on-finished` (which misses a pipelined request whose socket dies).
 * - Express gives no promise for the chain, so the handler counts as settled when the
 *   response finishes: a `transactionPerRequest` transaction is committed then if the answer
 *   is a 2xx or 3xx, and rolled back for any other (a 4xx, an error answered by an error
 *   handler), the rule of every adapter. Work done after the response has been sent must not
 *   need the database.
 * - Budget errors carry `statusCode` 503 and a `retry-after` header, which Express's default
 *   error handler sends (outside production it also prints the error's stack into the page:
 *   put `leakproofErrorHandler()` after the routes). It answers leakproof's errors with their
 *   code and a generic message, logs the detail (rate-limited, pino-compatible `logger`), and
 *   passes every other error on.
 * - Express 5 does not serve HTTP/2.
 *
 * @example
 * import express from 'express';
 * import { createDatabases } from 'leakproof';
 * import { leakproof, leakproofErrorHandler } from 'leakproof/express';
 *
 * const dbs = createDatabases({ default: 'sqlite:./db.sqlite3' });
 * const db = dbs.get();
 * const app = express();
 * app.use(leakproof(dbs));
 * app.use(express.json());
 * app.get('/polls', async (_req, res) => {
 *   res.json(await db.query('SELECT id, question FROM poll'));
 * });
 * app.use(leakproofErrorHandler());
 * app.listen(3000);
 *
 * @module
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Databases } from '../core/databases.js';
import { LeakproofError } from '../errors/errors.js';
import { answerCommits, beginRequest, requestLabel } from './shared/end-of-request.js';
import { createErrorLog, type ErrorLogOptions } from './shared/error-log.js';
import { holdOffIfShed, holdsOffShed, type HoldOffOptions } from './shared/hold-off.js';

export interface LeakproofExpressOptions {
  /**
   * leakproof's own deadline per request in ms: when it passes, the scope ends as `timeout`
   * and the client gets a 503 (`REQUEST_TIMEOUT`, `Retry-After: 1`) if nothing was sent yet.
   * 0 turns it off. Default 0.
   */
  readonly requestTimeout?: number;
}

/** The middleware: `app.use(leakproof(dbs))`, before the routes and middleware that query. */
export function leakproof(dbs: Databases, options: LeakproofExpressOptions = {}): RequestHandler {
  return function leakproofMiddleware(req, res, next) {
    const lifecycle = beginRequest(dbs, req, res, { requestTimeout: options.requestTimeout });
    lifecycle.settlesWithResponse(() => !answerCommits(res.statusCode));
    lifecycle.scope.run(() => next());
  };
}

/**
 * An error middleware that answers leakproof's errors (503 with `Retry-After` for budget
 * errors, `REQUEST_TIMEOUT` and an unreachable database; 500 for the rest) with their code and
 * a generic message in JSON, logs the detail through `logger` (once per kind of error, then at
 * most once per `logInterval`), and passes every other error to the next error handler untouched.
 */
export function leakproofErrorHandler(options: LeakproofErrorHandlerOptions = {}): ErrorRequestHandler {
  const log = createErrorLog(options);
  const holdOff = holdsOffShed(options);
  return function leakproofErrors(error: unknown, req, res, next) {
    if (!(error instanceof LeakproofError) || res.headersSent) {
      next(error);
      return;
    }
    log(error, requestLabel(req), error.httpStatus);
    const { status, headers, body } = error.answer;
    res.status(status).set(headers).send(body);
    if (holdOff) holdOffIfShed(error, req, res);
  };
}

export interface LeakproofErrorHandlerOptions extends ErrorLogOptions, HoldOffOptions {}
