/**
 * leakproof for `node:http` (and `node:http2`'s compatibility API).
 *
 * @example
 * import http from 'node:http';
 * import { createDatabases } from 'leakproof';
 * import { withDatabases } from 'leakproof/http';
 *
 * const dbs = createDatabases({ default: 'sqlite:./db.sqlite3' });
 * const db = dbs.get();
 * http.createServer(withDatabases(dbs, async (req, res) => {
 *   const rows = await db.query('SELECT id, question FROM poll');
 *   res.setHeader('content-type', 'application/json');
 *   res.end(JSON.stringify(rows));
 * })).listen(3000);
 *
 * @module
 */
import type { Databases } from '../core/databases.js';
import { LeakproofError } from '../core/errors.js';
import { RESOLVED } from '../core/resolved.js';
import { guardPipedSources, RequestLifecycle, watchResponseEnd, type AnyRequest, type AnyResponse } from './end-of-request.js';

export type Handler<Req extends AnyRequest, Res extends AnyResponse> = (req: Req, res: Res) => unknown;

export interface WithDatabasesOptions<Req extends AnyRequest = AnyRequest, Res extends AnyResponse = AnyResponse> {
  /**
   * leakproof's own deadline per request in ms: when it passes, the scope ends as `timeout`
   * (signal aborted, queries stopped, connection released) and the client gets a 503 if
   * nothing was sent yet. 0 turns it off. Default 0.
   */
  readonly requestTimeout?: number;
  /**
   * Called with an error the handler threw (or a failed per-request commit) before the
   * default answer is sent. Default: logs errors that are not leakproof budget errors.
   */
  readonly onError?: (error: unknown, req: Req, res: Res) => void;
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
  const onError = options.onError ?? logUnexpected;
  const timeout = options.requestTimeout ?? 0;
  return (req, res) => {
    const lifecycle = new RequestLifecycle(dbs.createScope({ label: requestLabel(req) }));
    watchResponseEnd(req, res, (how) => lifecycle.responseEnded(how));
    guardPipedSources(res, (error) => onError(error, req, res));
    if (timeout > 0) startTimeout(lifecycle, res, timeout);
    const succeeded = (): void => {
      const settling = lifecycle.handlerSettled(false);
      if (settling !== RESOLVED) settling.catch((error: unknown) => fail(error, req, res, onError));
    };
    const failed = (error: unknown): void => {
      void lifecycle.handlerSettled(true).catch(() => undefined).then(() => fail(error, req, res, onError));
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

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/** `METHOD /path` for messages and leak reports; the query string may carry tokens, so it is left out. */
function requestLabel(req: AnyRequest): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return `${req.method ?? 'GET'} ${query === -1 ? url : url.slice(0, query)}`;
}

function startTimeout(lifecycle: RequestLifecycle, res: AnyResponse, ms: number): void {
  const timer = setTimeout(() => {
    lifecycle.responseEnded('timeout');
    answer(res, 503, { error: 'REQUEST_TIMEOUT', message: `request timed out after ${ms} ms` }, 1000);
  }, ms);
  timer.unref();
  res.once('close', () => clearTimeout(timer));
}

function fail<Req extends AnyRequest, Res extends AnyResponse>(error: unknown, req: Req, res: Res, onError: (error: unknown, req: Req, res: Res) => void): void {
  try {
    onError(error, req, res);
  } catch (hookError) {
    // The answer must still go out, and nothing may reject unhandled from here.
    console.error('leakproof/http: onError threw:', hookError);
  } finally {
    if (error instanceof LeakproofError) {
      answer(res, error.httpStatus, { error: error.code, message: error.message }, error.retryAfterMs);
    } else {
      answer(res, 500, { error: 'INTERNAL_SERVER_ERROR' }, undefined);
    }
  }
}

/** Sends a JSON error if nothing was sent yet; otherwise cuts the response off. */
function answer(res: AnyResponse, status: number, body: object, retryAfterMs: number | undefined): void {
  if (res.writableEnded || res.destroyed) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (status === 503 && retryAfterMs !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  (res as { writeHead(status: number, headers: Record<string, string>): unknown }).writeHead(status, headers);
  res.end(JSON.stringify(body));
}

function logUnexpected(error: unknown): void {
  if (error instanceof LeakproofError && error.httpStatus === 503) return;
  console.error('leakproof/http: request handler failed:', error);
}

export { watchResponseEnd, guardPipedSources, RequestLifecycle } from './end-of-request.js';
