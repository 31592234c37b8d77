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
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Readable } from 'node:stream';
import { RESOLVED } from '../core/resolved.js';
import type { EndReason, Scope } from '../core/scope.js';

export type AnyRequest = IncomingMessage | Http2ServerRequest;
export type AnyResponse = ServerResponse | Http2ServerResponse;

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

function completed(res: AnyResponse): boolean {
  if (!res.writableEnded) return false;
  const stream = (res as Http2ServerResponse).stream as { rstCode?: number } | undefined;
  return stream?.rstCode === undefined || stream.rstCode === 0;
}

/**
 * Joins the two halves of a request's end: the response ending and the handler settling.
 * A normal end waits for both, so work the handler does after sending (and a per-request
 * transaction's COMMIT) still has its connection. An abort ends the scope at once: its signal
 * fires, new queries fail, and the connection is released as soon as no command is in flight.
 */
export class RequestLifecycle {
  readonly scope: Scope;
  #responseEnded = false;
  #handlerSettled = false;
  #handlerFailed = false;

  constructor(scope: Scope) {
    this.scope = scope;
  }

  /** The response finished, or the request ended early for `reason`. */
  responseEnded(how: ResponseEnd | Exclude<EndReason, 'finished' | 'failed'>): void {
    if (this.#responseEnded) return;
    this.#responseEnded = true;
    if (how !== 'finished') this.#end(how);
    else if (this.#handlerSettled) this.#end(this.#handlerFailed ? 'failed' : 'finished');
  }

  /**
   * The handler's promise settled. Settles the per-request transaction first (commit on
   * success, rollback on failure); rejects if the commit failed. Without one it returns the
   * shared resolved promise, which callers need not wait for.
   */
  handlerSettled(failed: boolean): Promise<void> {
    this.#handlerSettled = true;
    this.#handlerFailed = failed;
    const completing = this.scope.ended ? RESOLVED : this.scope.complete(!failed);
    if (completing === RESOLVED) {
      this.#endIfResponded();
      return RESOLVED;
    }
    return completing.then(
      () => this.#endIfResponded(),
      (error: unknown) => {
        this.#handlerFailed = true;
        this.#endIfResponded();
        throw error;
      },
    );
  }

  #endIfResponded(): void {
    if (this.#responseEnded && !this.scope.ended) this.#end(this.#handlerFailed ? 'failed' : 'finished');
  }

  #end(reason: EndReason): void {
    const ending = this.scope.end(reason);
    if (ending === RESOLVED) return;
    ending.catch((error: unknown) => {
      process.emitWarning(`leakproof: releasing the connections of ${this.scope.label ?? 'a request'} failed: ${String(error)}`, { code: 'LEAKPROOF_RELEASE' });
    });
  }
}
