/**
 * The one request-end detector every adapter shares, built on what was measured on Node 20
 * (shared/research/anchors-runtime.md §3):
 *
 * - the response's `close` event fires both on completion and on a premature close; which one
 *   it was is told by `writableEnded` (and, on HTTP/2, by the stream's reset code, because a
 *   cancelled HTTP/2 stream reports `finish` too);
 * - a pipelined request whose socket dies before its turn never gets `close` on its response,
 *   only the socket's `close` does fire, so that is the fallback, removed again once the
 *   response closes so keep-alive sockets do not pile up listeners;
 * - `req` `close`, `req.aborted` and framework hooks are not used: they fire after every POST
 *   body, or not at all on some paths.
 *
 * Every adapter starts a request with `beginRequest` on the raw `req`/`res` its framework
 * wraps, and tells the returned `RequestLifecycle` when the handler settled.
 *
 * @module
 */
import type { Http2ServerResponse } from 'node:http2';
import type { Readable } from 'node:stream';
import type { Databases } from '../../core/databases.js';
import { ScopeError } from '../../errors/errors.js';
import { requestText, withoutQuery, type RequestInfo } from '../../core/request-info.js';
import { RESOLVED } from '../../core/resolved.js';
import type { EndReason, Scope } from '../../core/scope.js';
import { liveRequests, type LiveEntry, type LiveRequest, type LiveRequests } from './live-requests.js';
import { sendAnswer } from './send-answer.js';
import type { AnyRequest, AnyResponse } from './any-request.js';

/** How the response ended, as the detector saw it. */
export type ResponseEnd = 'finished' | 'aborted';

/**
 * Calls `onEnd` exactly once, when the response has completed or the client has gone. The
 * listeners hold only what they need; they never read the async store, which is gone by then.
 */
export function watchResponseEnd(req: AnyRequest, res: AnyResponse, onEnd: (how: ResponseEnd) => void): void {
  const socket = req.socket;
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    res.removeListener('close', finish);
    socket?.removeListener('close', finish);
    onEnd(completed(res) ? 'finished' : 'aborted');
  };
  res.once('close', finish);
  if (socket == null || socket.destroyed) {
    // The socket died before the handler ran (a pipelined request behind a dead one).
    process.nextTick(finish);
  } else {
    socket.once('close', finish);
  }
}

function completed(res: AnyResponse): boolean {
  if (!res.writableEnded) return false;
  const stream = (res as Http2ServerResponse).stream as { rstCode?: number } | undefined;
  return stream?.rstCode === undefined || stream.rstCode === 0;
}

/**
 * `source.pipe(res)` leaves the source's errors unhandled: a `db.stream()` source fails with
 * REQUEST_ENDED when the client leaves, and with no listener that error would crash the
 * process; a source failing mid-response would leave the response hanging. So every source
 * piped into the response gets a listener that hands the error to `onError` and cuts the
 * response off, unless something else (`pipeline`, the handler) listens for its errors too,
 * or the response is already over.
 */
export function guardPipedSources(res: AnyResponse, onError: (error: unknown) => void): void {
  (res as NodeJS.EventEmitter).on('pipe', (source: Readable) => {
    const onSourceError = (error: unknown): void => {
      if (source.listenerCount('error') > 1 || res.destroyed || res.writableEnded) return;
      onError(error);
      res.destroy();
    };
    source.on('error', onSourceError);
  });
}

function logSourceError(error: unknown): void {
  console.error('leakproof: a stream piped into the response failed; the response was cut off:', error);
}

export interface BeginRequestOptions {
  /**
   * leakproof's own deadline for the request in ms: when it passes, the scope ends as
   * `timeout` and `onTimeout` answers. 0 or undefined: none.
   */
  readonly requestTimeout?: number | undefined;
  /**
   * Answers a timed-out request the framework's way. Default: the raw response gets the
   * error's answer (`503`, `Retry-After: 1`), or is cut off if it had started.
   */
  readonly onTimeout?: ((error: ScopeError) => void) | undefined;
  /**
   * Told of an error of a stream piped into the response (`source.pipe(res)`) while the
   * response is still open; the response is then cut off. Default: logged.
   */
  readonly onPipedSourceError?: ((error: unknown) => void) | undefined;
}

/**
 * What every adapter does first for a request, on the raw `req`/`res`: a scope of its own,
 * the end detector, the request deadline, and an entry in the live requests that a graceful
 * shutdown ends. Run the handler with `lifecycle.scope.run()`.
 */
export function beginRequest(dbs: Databases, req: AnyRequest, res: AnyResponse, options: BeginRequestOptions = {}): RequestLifecycle {
  const lifecycle = new RequestLifecycle(dbs, requestInfo(req), res);
  watchResponseEnd(req, res, (how) => lifecycle.responseEnded(how));
  // Every adapter: Express handlers pipe into `res` as often as node:http ones do.
  guardPipedSources(res, options.onPipedSourceError ?? logSourceError);
  const ms = options.requestTimeout ?? 0;
  if (ms > 0) lifecycle.startTimeout(ms, options.onTimeout ?? ((error) => sendAnswer(res, error.answer)));
  return lifecycle;
}

/**
 * The one `transactionPerRequest` rule of every adapter: the request's transaction commits
 * only when the handler settled without throwing **and** its answer is a 2xx or 3xx; any
 * other answer (a 4xx the handler chose, a 5xx from an error handler) rolls it back, as a
 * throw or a client that left does.
 */
export function answerCommits(status: number): boolean {
  return status >= 200 && status < 400;
}

/** Whether a handler returned something to wait for (a promise or any thenable). */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/** Method and path for messages and leak reports; the query string may carry tokens, so it is left out. */
export function requestInfo(req: AnyRequest): RequestInfo {
  return { method: req.method ?? 'GET', path: withoutQuery(req.url ?? '/') };
}

/** `METHOD /path`, for the error log. */
export function requestLabel(req: AnyRequest): string {
  return requestText(requestInfo(req));
}

/**
 * Joins the two halves of a request's end: the response ending and the handler settling.
 * A normal end waits for both, so work the handler does after sending (and a per-request
 * transaction's COMMIT) still has its connection. An abort ends the scope at once: its signal
 * fires, new queries fail, and the connection is released as soon as no command is in flight.
 */
export class RequestLifecycle implements LiveRequest {
  readonly scope: Scope;
  readonly response: AnyResponse | undefined;
  readonly #live: LiveRequests;
  readonly #entry: LiveEntry;
  #responseEnded = false;
  #settling: Promise<void> | undefined;
  #handlerSettled = false;
  #handlerFailed = false;
  #settlesWithResponse: (() => boolean) | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(dbs: Databases, request: RequestInfo, response?: AnyResponse) {
    this.scope = dbs.createScope({ request });
    this.response = response;
    this.#live = liveRequests(dbs);
    this.#entry = this.#live.add(this);
  }

  /**
   * For frameworks that give no promise for the handler (Express, a synchronous Fastify
   * handler): the handler counts as settled when the response finishes, failed if `failed()`
   * says so then. `awaitsHandler()` undoes it once a handler promise turns up.
   */
  settlesWithResponse(failed: () => boolean): void {
    this.#settlesWithResponse = failed;
  }

  /** The handler returned a promise: the normal end waits for it after all. */
  awaitsHandler(): void {
    this.#settlesWithResponse = undefined;
  }

  /** The response finished, or the request ended early for `reason`. */
  responseEnded(how: ResponseEnd | Exclude<EndReason, 'finished' | 'failed'>): void {
    if (this.#responseEnded) return;
    this.#responseEnded = true;
    clearTimeout(this.#timer);
    if (how !== 'finished') this.#end(how);
    else if (this.#settlesWithResponse !== undefined && this.#settling === undefined) this.#settleWithResponse(this.#settlesWithResponse());
    else if (this.#handlerSettled) this.#end(this.#handlerFailed ? 'failed' : 'finished');
  }

  /**
   * The handler's promise settled. Settles the per-request transaction first (commit on
   * success, rollback on failure); rejects if the commit failed. Later calls return the first
   * call's promise.
   */
  handlerSettled(failed: boolean): Promise<void> {
    this.#settling ??= this.#settle(failed);
    return this.#settling;
  }

  /** Shutdown: ends the scope as `shutdown` (signal aborted, transaction rolled back) and cuts the response off. */
  shutdown(): void {
    this.responseEnded('shutdown');
    this.response?.destroy();
  }

  /** @internal Used by `beginRequest`. */
  startTimeout(ms: number, onTimeout: (error: ScopeError) => void): void {
    this.#timer = setTimeout(() => {
      const error = new ScopeError(
        'REQUEST_TIMEOUT',
        `the request (${this.scope.label ?? ''}) timed out after ${ms} ms; its work was stopped`,
        { retryAfterMs: 1000 },
      );
      this.responseEnded('timeout');
      onTimeout(error);
    }, ms);
    this.#timer.unref();
  }

  /** Without a transaction to settle it is synchronous and returns the shared resolved promise. */
  #settle(failed: boolean): Promise<void> {
    this.#handlerFailed = failed;
    const completing = this.scope.ended ? RESOLVED : this.scope.complete(!failed);
    if (completing === RESOLVED) {
      this.#settled();
      return RESOLVED;
    }
    return completing.then(
      () => this.#settled(),
      (error: unknown) => {
        this.#handlerFailed = true;
        this.#settled();
        throw error;
      },
    );
  }

  #settled(): void {
    // Set only now: a response that ends while the COMMIT runs must not end the scope under it.
    this.#handlerSettled = true;
    if (this.#responseEnded && !this.scope.ended) this.#end(this.#handlerFailed ? 'failed' : 'finished');
  }

  #settleWithResponse(failed: boolean): void {
    // The response is already out, so a failed COMMIT can only be reported.
    const settling = this.handlerSettled(failed);
    if (settling === RESOLVED) return;
    settling.catch((error: unknown) => {
      process.emitWarning(
        `leakproof: the per-request transaction of ${this.scope.label ?? 'a request'} failed to commit after its response was sent: ${String(error)}`,
        { code: 'LEAKPROOF_COMMIT' },
      );
    });
  }

  #end(reason: EndReason): void {
    this.#live.remove(this.#entry);
    clearTimeout(this.#timer);
    const ending = this.scope.end(reason);
    if (ending === RESOLVED) return;
    ending.catch((error: unknown) => {
      process.emitWarning(`leakproof: releasing the connections of ${this.scope.label ?? 'a request'} failed: ${String(error)}`, {
        code: 'LEAKPROOF_RELEASE',
      });
    });
  }
}
