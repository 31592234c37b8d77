/**
 * leakproof for `node:http` (and `node:http2`'s compatibility API), with the graceful
 * shutdown every adapter uses.
 *
 * @example
 * import http from 'node:http';
 * import { createDatabases } from 'leakproof';
 * import { withDatabases, shutdownOnSignal } from 'leakproof/http';
 *
 * const dbs = createDatabases({ default: 'sqlite:./db.sqlite3' });
 * const db = dbs.get();
 * const server = http.createServer(withDatabases(dbs, async (req, res) => {
 *   const rows = await db.query('SELECT id, question FROM poll');
 *   res.setHeader('content-type', 'application/json');
 *   res.end(JSON.stringify(rows));
 * })).listen(3000);
 * shutdownOnSignal(server, dbs, { deadline: 10_000 });
 *
 * @module
 */
import type { Databases } from '../core/databases.js';
import { LeakproofError } from '../errors/errors.js';
import { RESOLVED } from '../core/resolved.js';
import { answerCommits, beginRequest, isPromiseLike, requestLabel } from './shared/end-of-request.js';
import type { AnyRequest, AnyResponse } from './shared/any-request.js';
import { createErrorLog, type Logger } from './shared/error-log.js';
import { holdOffIfShed, holdsOffShed, type HoldOffOptions } from './shared/hold-off.js';
import { INTERNAL_ERROR_ANSWER, sendAnswer } from './shared/send-answer.js';

export type Handler<Req extends AnyRequest, Res extends AnyResponse> = (req: Req, res: Res) => unknown;

export interface WithDatabasesOptions<Req extends AnyRequest = AnyRequest, Res extends AnyResponse = AnyResponse> extends HoldOffOptions {
  /**
   * leakproof's own deadline per request in ms: when it passes, the scope ends as `timeout`
   * (signal aborted, queries stopped, connection released) and the client gets a 503
   * (`REQUEST_TIMEOUT`, `Retry-After: 1`) if nothing was sent yet. 0 turns it off. Default 0.
   */
  readonly requestTimeout?: number;
  /**
   * Called with an error the handler threw (or a failed per-request commit) before the
   * default answer is sent, after it was logged.
   */
  readonly onError?: (error: unknown, req: Req, res: Res) => void;
  /**
   * Where the detail of an answered error goes (pino-compatible: `error`/`warn` called as
   * `(fields, message)`), once per kind of error and then at most once per `logInterval`;
   * `false` for nothing. The client only ever gets the code and a generic message.
   * `REQUEST_ENDED` (the client left) is not logged. Default: the console.
   */
  readonly logger?: Logger | false;
  /** ms between two log lines for the same kind of error (the second says how many it stands for). Default 10000. */
  readonly logInterval?: number;
}

/**
 * Wraps a request handler so each request runs in its own scope: its connections are leased
 * lazily, and released exactly once whichever way the request ends (finished, handler threw,
 * client gone, timeout, shutdown). Budget errors are answered `503` with `Retry-After`; other
 * errors `500`, unless the handler already started the response, which is then cut off.
 */
export function withDatabases<Req extends AnyRequest, Res extends AnyResponse>(
  dbs: Databases,
  handler: Handler<Req, Res>,
  options: WithDatabasesOptions<Req, Res> = {},
): (req: Req, res: Res) => void {
  const log = createErrorLog(options);
  const holdOff = holdsOffShed(options);
  const onError = (error: unknown, req: Req, res: Res): void => {
    log(error, requestLabel(req), error instanceof LeakproofError ? error.httpStatus : 500);
    options.onError?.(error, req, res);
  };
  return (req, res) => {
    const lifecycle = beginRequest(dbs, req, res, {
      requestTimeout: options.requestTimeout,
      onPipedSourceError: (error) => onError(error, req, res),
    });
    const succeeded = (): void => {
      // Committed only for a 2xx/3xx answer (`answerCommits`): a handler that answers 400 itself rolls back.
      const settling = lifecycle.handlerSettled(!answerCommits(res.statusCode));
      if (settling !== RESOLVED) settling.catch((error: unknown) => fail(error, req, res, onError, holdOff));
    };
    const failed = (error: unknown): void => {
      void lifecycle
        .handlerSettled(true)
        .catch(() => undefined)
        .then(() => fail(error, req, res, onError, holdOff));
    };
    let result: unknown;
    try {
      result = lifecycle.scope.run(() => handler(req, res));
    } catch (error) {
      failed(error);
      return;
    }
    // One `then` per request, none for a synchronous handler (each promise costs on Node 20).
    if (isPromiseLike(result)) result.then(succeeded, failed);
    else succeeded();
  };
}

function fail<Req extends AnyRequest, Res extends AnyResponse>(
  error: unknown,
  req: Req,
  res: Res,
  onError: (error: unknown, req: Req, res: Res) => void,
  holdOff: boolean,
): void {
  try {
    onError(error, req, res);
  } catch (hookError) {
    // The answer must still go out, and nothing may reject unhandled from here.
    console.error('leakproof/http: onError threw:', hookError);
  } finally {
    sendAnswer(res, error instanceof LeakproofError ? error.answer : INTERNAL_ERROR_ANSWER);
    if (holdOff) holdOffIfShed(error, req, res);
  }
}

export { consoleLogger, REQUEST_ERROR_CHANNEL, type Logger, type RequestErrorEvent } from './shared/error-log.js';
export { watchResponseEnd, beginRequest, RequestLifecycle, type ResponseEnd } from './shared/end-of-request.js';
export type { AnyRequest, AnyResponse } from './shared/any-request.js';
export {
  gracefulShutdown,
  shutdownOnSignal,
  type GracefulShutdownOptions,
  type ShutdownOnSignalOptions,
  type ShutdownResult,
  type ShutdownServer,
  type SignalShutdown,
} from './shared/graceful-shutdown.js';
