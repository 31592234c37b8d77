import type { DriverConnection } from '../drivers/driver.js';
import { detached } from '../drivers/detached.js';
import { ConfigError, StatementError } from '../errors/errors.js';

/** Options of one `query`, `execute` or `stream` call. */
export interface CallOptions {
  /**
   * Most ms the call may take, waiting for a connection included. Past it the statement is
   * cancelled on the server (or never sent, if it had not started) and the call fails with
   * `STATEMENT_TIMEOUT`. The connection stays usable.
   */
  readonly timeout?: number;
  /**
   * Aborting it cancels the statement on the server (or it is never sent) and the call fails
   * with `STATEMENT_CANCELLED`, whose `cause` is the signal's reason.
   */
  readonly signal?: AbortSignal;
}

type Command<T> = (raw: DriverConnection) => Promise<T>;

/** What a bounded call needs of its lease. */
export interface BoundedRun<T> extends CallTarget {
  /** Queues the command on the lease, like any other. */
  enqueue(run: Command<T>): Promise<T>;
  /** Stops the statement now running for this call; `running()` says whether it still runs. */
  stopRunning(running: () => boolean): void;
  /** After a stopped call's statement settled: `error` is what it failed with, if anything. */
  afterStop(error: unknown): void;
}

const MAX_TIMER = 2_147_483_647;

/** Whether a call has a bound at all; the hot path skips everything below when it has none. */
export function isBounded(options: CallOptions | undefined): options is CallOptions {
  return options !== undefined && (options.timeout !== undefined || options.signal !== undefined);
}

/**
 * Runs `run` under the call's timeout and signal. A call stopped while it waits for its turn
 * fails at once and its statement is never sent; one stopped while its statement runs fails
 * once the statement has stopped, so the connection is free when the caller hears of it.
 */
export function runBounded<T>(options: CallOptions, run: Command<T>, lease: BoundedRun<T>): Promise<T> {
  checkCallOptions(options);
  const { signal, timeout } = options;
  if (signal?.aborted === true) return Promise.reject(cancelled(lease, signal.reason));
  return new Promise<T>((resolve, reject) => {
    let stopped: StatementError | undefined;
    let running = false;
    let done = false;
    const finish = (): void => {
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const stop = (error: StatementError): void => {
      if (done || stopped !== undefined) return;
      stopped = error;
      if (running) return lease.stopRunning(() => running && !done);
      finish();
      reject(error);
    };
    const timer = timeout === undefined ? undefined : detached(() => setTimeout(() => stop(timedOut(lease, timeout)), timeout));
    const onAbort = (): void => stop(cancelled(lease, signal!.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    const guarded: Command<T> = (raw) => {
      const reason = stopped;
      if (reason !== undefined) return Promise.reject(reason);
      running = true;
      return run(raw);
    };
    lease.enqueue(guarded).then(
      (value) => {
        if (done) return;
        finish();
        if (stopped === undefined) return resolve(value);
        lease.afterStop(undefined);
        reject(stopped);
      },
      (error: unknown) => {
        if (done) return;
        finish();
        // The lease's own errors (typed, or the driver's), passed on as they are.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        if (stopped === undefined) return reject(error);
        if (running) lease.afterStop(error);
        reject(stopped);
      },
    );
  });
}

/** Who a call is for, in its errors. */
export interface CallTarget {
  readonly alias: string;
  readonly retryAfterMs: number;
}

/**
 * For a long call (a stream): calls `stop` with the typed error when the timeout passes or
 * the signal aborts. Returns the function that stops watching.
 */
export function watchCall(options: CallOptions, target: CallTarget, stop: (error: StatementError) => void): () => void {
  checkCallOptions(options);
  const { signal, timeout } = options;
  const onAbort = (): void => stop(cancelled(target, signal!.reason));
  if (signal?.aborted === true) {
    queueMicrotask(onAbort);
    return noop;
  }
  const timer = timeout === undefined ? undefined : detached(() => setTimeout(() => stop(timedOut(target, timeout)), timeout));
  signal?.addEventListener('abort', onAbort, { once: true });
  return () => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
}

const noop = (): void => {};

export function checkCallOptions(options: CallOptions): void {
  const { timeout, signal } = options;
  const problems: string[] = [];
  if (timeout !== undefined && (!Number.isSafeInteger(timeout) || timeout < 1 || timeout > MAX_TIMER))
    problems.push(`call option "timeout" must be a whole number of ms between 1 and ${MAX_TIMER}, got ${String(timeout)}`);
  if (signal !== undefined && !(signal instanceof AbortSignal)) problems.push('call option "signal" must be an AbortSignal');
  if (problems.length > 0) throw new ConfigError(problems);
}

function timedOut(lease: CallTarget, ms: number): StatementError {
  return new StatementError(
    'STATEMENT_TIMEOUT',
    `a statement on alias "${lease.alias}" ran past its call's timeout (${ms} ms) and was stopped`,
    { retryAfterMs: lease.retryAfterMs },
  );
}

function cancelled(lease: CallTarget, reason: unknown): StatementError {
  return new StatementError('STATEMENT_CANCELLED', `a statement on alias "${lease.alias}" was cancelled by its call's signal`, {
    cause: reason,
    retryAfterMs: lease.retryAfterMs,
  });
}
