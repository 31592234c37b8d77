/**
 * The shapes that go through undici's keep-alive pool: a normal request; one cut off
 * `abortAfterMs` after it was put on the socket unless its response completed first; one cut
 * off after the first chunk of its body. Aborting an in-flight undici request destroys its
 * socket, which is what the server sees as the client going away.
 *
 * A raw dispatch handler rather than `request()`: its `onConnect` says when the request is
 * handed to a connected socket, so the cut is timed from there. Timed from the call instead, a
 * slow connect would eat the delay and the request would be cut before the server saw it.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { mentionsRefusal } from './refusal.js';
import { errorCode, errorText, type RequestOutcome } from './request-outcome.js';
import type { RequestSpec } from './request-spec.js';

export type UndiciMode = 'normal' | 'abort-before-response' | 'abort-mid-body';

/** Why the probe aborted a request: the planned cut, the timeout, or the whole run stopping. */
type AbortReason = 'cut' | 'timeout' | 'stopped';
/** How much of an error body is kept to look for a refusal. */
const KEEP_BYTES = 16 * 1024;

/** Sends one request through `dispatcher` in `mode`; never rejects. */
export function sendWithUndici(dispatcher: Dispatcher, spec: RequestSpec, mode: UndiciMode, stop: AbortSignal): Promise<RequestOutcome> {
  return new Promise((resolve) => {
    const exchange = new Exchange(spec, mode, stop, resolve);
    try {
      dispatcher.dispatch(
        { path: spec.path, method: spec.method as Dispatcher.HttpMethod, headers: spec.headers, body: spec.body ?? null },
        exchange,
      );
    } catch (error) {
      exchange.onError(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

class Exchange implements Dispatcher.DispatchHandlers {
  readonly #spec: RequestSpec;
  readonly #mode: UndiciMode;
  readonly #stop: AbortSignal;
  readonly #resolve: (outcome: RequestOutcome) => void;
  readonly #started = performance.now();
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #kept: Buffer[] = [];
  #abortRequest: ((error?: Error) => void) | undefined;
  #reason: AbortReason | undefined;
  #status = 0;
  #length: number | undefined;
  #received = 0;
  #done = false;

  constructor(spec: RequestSpec, mode: UndiciMode, stop: AbortSignal, resolve: (outcome: RequestOutcome) => void) {
    this.#spec = spec;
    this.#mode = mode;
    this.#stop = stop;
    this.#resolve = resolve;
    this.#timers.push(setTimeout(() => this.#abort('timeout'), spec.timeoutMs));
    stop.addEventListener('abort', this.#onStop, { once: true });
    if (stop.aborted) this.#abort('stopped');
  }

  onConnect(abort: (error?: Error) => void): void {
    this.#abortRequest = abort;
    // Aborted while it waited for a socket: it must not be sent at all.
    if (this.#reason !== undefined) abort(new Error(`probe: ${this.#reason}`));
    else if (this.#mode === 'abort-before-response') this.#timers.push(setTimeout(() => this.#abort('cut'), this.#spec.abortAfterMs));
  }

  onHeaders(statusCode: number, headers: Buffer[] | string[] | null): boolean {
    this.#status = statusCode;
    this.#length = contentLength(headers);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#status >= 400 && this.#received < KEEP_BYTES) this.#kept.push(chunk);
    this.#received += chunk.length;
    const complete = this.#length !== undefined && this.#received >= this.#length;
    // Cut after the first chunk, outside undici's own callback.
    if (this.#mode === 'abort-mid-body' && !complete && this.#reason === undefined) queueMicrotask(() => this.#abort('cut'));
    return true;
  }

  onComplete(): void {
    const text = Buffer.concat(this.#kept).toString('utf8');
    this.#finish({
      kind: 'response',
      status: this.#status,
      refusal: this.#status >= 400 && mentionsRefusal(text),
      latencyMs: performance.now() - this.#started,
    });
  }

  onError(error: Error): void {
    this.#finish(this.#failure(error));
  }

  readonly #onStop = (): void => this.#abort('stopped');

  #abort(reason: AbortReason): void {
    if (this.#done || this.#reason !== undefined) return;
    this.#reason = reason;
    if (this.#abortRequest !== undefined) this.#abortRequest(new Error(`probe: ${reason}`));
    // Not on a socket yet: settle now; onConnect aborts it if it ever gets one.
    else this.#finish(this.#failure(new Error(`probe: ${reason}`)));
  }

  #failure(error: unknown): RequestOutcome {
    if (this.#reason === 'cut' && this.#mode !== 'normal') return { kind: 'disconnect', shape: this.#mode };
    if (this.#reason === 'timeout') return { kind: 'error', code: 'TIMEOUT', refusal: false };
    if (this.#reason === 'stopped') return { kind: 'error', code: 'STOPPED', refusal: false };
    return { kind: 'error', code: errorCode(error), refusal: mentionsRefusal(errorText(error)) };
  }

  #finish(outcome: RequestOutcome): void {
    if (this.#done) return;
    this.#done = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#stop.removeEventListener('abort', this.#onStop);
    this.#resolve(outcome);
  }
}

/** The Content-Length from undici's raw header list (name, value, name, value…). */
function contentLength(headers: Buffer[] | string[] | null): number | undefined {
  if (headers === null) return undefined;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if (String(headers[i]).toLowerCase() === 'content-length') {
      const length = Number(String(headers[i + 1]));
      return Number.isFinite(length) ? length : undefined;
    }
  }
  return undefined;
}
