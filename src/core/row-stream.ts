import type { DriverConnection, DriverRowStream, FieldInfo, RowMode } from '../drivers/driver.js';
import { SIDE_CHANNEL_TIMEOUT_MS, settleWithin } from '../drivers/time-bound.js';
import { isBounded, watchCall, type CallOptions, type CallTarget } from './call-options.js';
import { ConfigError } from '../errors/errors.js';

type Row = Record<string, unknown>;

/** Options of `db.stream()`. */
export interface StreamOptions {
  /**
   * Rows read at a time: per round trip on PostgreSQL (a cursor fetch), per pause of the
   * socket on MySQL/MariaDB, per turn of the event loop on SQLite. It bounds the rows held in
   * memory. Default 100.
   */
  readonly batchSize?: number;
  /**
   * `'array'`: each row an array of its values in column order (the stream's `fields` names the
   * columns once the first rows are read). Default `'object'`.
   */
  readonly rowMode?: RowMode;
  /** Dates and times as the server's text, as `query`'s option of that name. Default false. */
  readonly dateStrings?: boolean;
}

/** What a lease gives a stream when its turn comes (not part of the public API). */
export interface StreamControl {
  /** Cancels the statement on the server; resolves whether the cancel was sent. Never rejects. */
  cancel(): Promise<boolean>;
  /** The connection holds a half-read result: cut its socket on release instead of reusing it. */
  discard(): void;
}

/** What a lease needs of a stream it runs (not part of the public API). */
export interface LeaseStream {
  /** Whether the stream needs its consumer to make progress, so that a statement queued behind it could wait forever. */
  readonly needsConsumer: boolean;
  /** The stream's turn on the connection; resolves once it no longer uses it, rejects with a read error. */
  run(raw: DriverConnection, control: StreamControl): Promise<void>;
  /** The request's scope ended: stop reading; `abortive` when the client is gone (timeout, shutdown). */
  stop(error: Error, abortive: boolean): void;
}

/** Starts the stream's command on the right lease; settles when the command is over. */
export type StreamOpener = (stream: LeaseStream) => Promise<void>;

const DEFAULT_BATCH_SIZE = 100;
const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });
const noop = (): void => {};

/**
 * `new`: not iterated yet. `waiting`: queued on the lease, acquiring or opening. `open`: rows
 * can be read. `closing`: stopped early, the driver is closing. `done`: the connection is free.
 */
type Phase = 'new' | 'waiting' | 'open' | 'closing' | 'done';

/**
 * The rows of one statement, read a batch at a time with the driver's own row streaming, as an
 * async iterator (`for await`, `Readable.from`). Nothing runs until the first `next()`. The
 * stream then holds the request's connection, as a command in flight, until the rows end, the
 * consumer stops (`break` calls `return()`), a read fails, or the request's scope ends; an
 * aborted request makes a pending `next()` reject at once with `REQUEST_ENDED`.
 *
 * @example
 * const dbs = createDatabases({ default: 'sqlite:./db.sqlite3' });
 * let votes = 0;
 * for await (const row of dbs.get().stream<{ votes: number }>('SELECT votes FROM choice', [], { batchSize: 500 })) {
 *   votes += row.votes;
 * }
 */
// It is a LeaseStream to its lease too, by shape: those members are internal and left out of the .d.ts.
export class RowStream<R extends object = Row> implements AsyncIterableIterator<R> {
  readonly #sql: string;
  readonly #params: readonly unknown[] | undefined;
  readonly #batchSize: number;
  readonly #rowMode: RowMode;
  readonly #dateStrings: boolean;
  readonly #open: StreamOpener;
  #phase: Phase = 'new';
  #rows: R[] = [];
  #index = 0;
  /** Serialises next() and return() calls that must wait. */
  #turn: Promise<unknown> = Promise.resolve();
  #driver: DriverRowStream | undefined;
  #control: StreamControl | undefined;
  #reading: Promise<unknown> | undefined;
  #command: Promise<void> | undefined;
  #attached = deferred<void>();
  #finished: { resolve(): void; reject(error: unknown): void } | undefined;
  #closing: Promise<void> | undefined;
  /** Set by a scope end: what later reads reject with. */
  #stopped: Error | undefined;
  #abortive = false;
  #returned = false;
  /** Rejects the read in flight, if any. */
  #interrupt: ((error: Error) => void) | undefined;
  /** The call's own timeout or signal, and who it is for; watched from the first row asked for. */
  readonly #bound: CallOptions | undefined;
  readonly #target: CallTarget;
  #unwatch: (() => void) | undefined;

  /** @internal Use `db.stream()`. */
  constructor(
    sql: string,
    params: readonly unknown[] | undefined,
    options: (StreamOptions & CallOptions) | undefined,
    target: CallTarget,
    open: StreamOpener,
  ) {
    this.#sql = sql;
    this.#params = params;
    this.#batchSize = batchSizeOf(options);
    this.#rowMode = options?.rowMode ?? 'object';
    this.#dateStrings = options?.dateStrings === true;
    this.#bound = isBounded(options) ? options : undefined;
    this.#target = target;
    this.#open = open;
  }

  /** The result's columns in order, known once the first row was read; undefined before. */
  get fields(): readonly FieldInfo[] | undefined {
    return this.#driver?.fields;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The next row. Rejects with the driver's error, or `REQUEST_ENDED` once the request has ended. */
  next(): Promise<IteratorResult<R, undefined>> {
    if (this.#index < this.#rows.length) return Promise.resolve({ done: false, value: this.#rows[this.#index++]! });
    return this.#inTurn(() => this.#nextBatch());
  }

  /**
   * Stops early (`break` in a `for await` calls it): the connection is freed, left clean for
   * the next statement. Resolves once that is done.
   */
  return(): Promise<IteratorReturnResult<undefined>> {
    this.#dropRows();
    // From now on the close goes on by itself: statements after this call wait for it.
    this.#returned = true;
    return this.#inTurn(async () => {
      if (this.#phase === 'new') {
        this.#phase = 'done';
      } else if (this.#phase === 'waiting') {
        // Still queued or opening: `run` sees this and closes (or never opens) the stream.
        this.#phase = 'closing';
        await this.#attached.promise.catch(noop);
      } else if (this.#phase === 'open') {
        void this.#closeEarly();
      }
      await this.#closing;
      return DONE;
    });
  }

  get needsConsumer(): boolean {
    return !this.#returned && (this.#phase === 'waiting' || this.#phase === 'open');
  }

  /** @internal */
  async run(raw: DriverConnection, control: StreamControl): Promise<void> {
    if (this.#stopped !== undefined || this.#phase !== 'waiting') {
      this.#phase = 'done';
      return this.#attached.resolve();
    }
    const finished = new Promise<void>((resolve, reject) => (this.#finished = { resolve, reject }));
    this.#control = control;
    this.#driver = await raw.stream(this.#sql, this.#params, {
      batchSize: this.#batchSize,
      rowMode: this.#rowMode,
      dateStrings: this.#dateStrings,
    });
    // A return() may have come while the driver was opening (TypeScript cannot see it change across the await).
    const returned = (this.#phase as Phase) === 'closing';
    this.#phase = 'open';
    this.#attached.resolve();
    if (this.#stopped !== undefined) this.#halt();
    else if (returned) void this.#closeEarly();
    return finished;
  }

  /** @internal */
  stop(error: Error, abortive: boolean): void {
    if (this.#phase === 'done' || this.#stopped !== undefined) return;
    this.#stopped = error;
    this.#abortive = abortive;
    this.#dropRows();
    this.#interrupt?.(error);
    if (this.#driver !== undefined) this.#halt();
  }

  /**
   * After a scope end: close the driver's stream. A MySQL result cannot be abandoned, so after
   * an abort its statement is killed and what is in flight read (milliseconds, measured), which
   * keeps the connection; if that takes longer than a side channel may, the connection is
   * given up instead (its socket is cut on release).
   */
  #halt(): void {
    const slow = this.#abortive && !this.#driver!.closesCleanly;
    // Killed first: nobody waits for the rest, and the read in flight may be a slow row.
    if (slow && this.#phase === 'open') void this.#control!.cancel();
    if (this.#phase === 'open') void this.#closeEarly();
    const closing = this.#closing;
    if (slow && closing !== undefined) {
      void settleWithin(closing, SIDE_CHANNEL_TIMEOUT_MS).then((outcome) => {
        if (outcome === 'settled') return;
        this.#control!.discard();
        this.#finish();
      });
    }
  }

  #dropRows(): void {
    this.#rows = [];
    this.#index = 0;
  }

  #inTurn<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.#turn.then(work);
    this.#turn = turn.catch(noop);
    return turn;
  }

  async #nextBatch(): Promise<IteratorResult<R, undefined>> {
    if (this.#index < this.#rows.length) return { done: false, value: this.#rows[this.#index++]! };
    if (this.#stopped !== undefined) throw this.#stopped;
    if (this.#phase === 'new') this.#start();
    else if (this.#phase !== 'waiting' && this.#phase !== 'open') return DONE;
    const rows = await this.#interruptible(this.#read());
    if (rows === undefined) return DONE;
    this.#rows = rows;
    this.#index = 1;
    return { done: false, value: rows[0]! };
  }

  #start(): void {
    this.#phase = 'waiting';
    // Stopped like a request that ended abortively: a pending read rejects, the statement is stopped.
    if (this.#bound !== undefined) this.#unwatch = watchCall(this.#bound, this.#target, (error) => this.stop(error, true));
    const command = this.#open(this);
    this.#command = command;
    // A command that fails before its turn (request ended, budget) fails the first read.
    command.catch((error: unknown) => {
      this.#phase = 'done';
      this.#attached.reject(error);
    });
  }

  async #read(): Promise<R[] | undefined> {
    await this.#attached.promise;
    const driver = this.#driver;
    if (driver === undefined || this.#phase !== 'open') return undefined;
    const reading = driver.read();
    this.#reading = reading;
    try {
      const rows = await reading;
      if (rows === undefined) this.#finish();
      return rows as R[] | undefined;
    } catch (error) {
      this.#fail(error);
      // The lease's command rejects with the error translated (a lost connection becomes CONNECTION_FAILED).
      await this.#command;
      throw error;
    } finally {
      this.#reading = undefined;
    }
  }

  /**
   * A pending read rejects as soon as the scope ends; its own outcome is dropped. (Not a
   * `Promise.race` with one long-lived stop promise: every race would leave a reaction on it
   * that keeps its batch of rows alive.)
   */
  #interruptible<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#interrupt = reject;
      void work.then(resolve, reject).finally(() => {
        if (this.#interrupt === reject) this.#interrupt = undefined;
      });
    });
  }

  #closeEarly(): Promise<void> {
    this.#phase = 'closing';
    this.#closing = this.#closeDriver();
    return this.#closing;
  }

  async #closeDriver(): Promise<void> {
    await this.#reading?.catch(noop);
    if (this.#phase !== 'closing') return;
    const control = this.#control!;
    try {
      await this.#driver!.close(() => control.cancel());
    } catch {
      control.discard();
    }
    this.#finish();
  }

  #finish(): void {
    if (this.#phase === 'done') return;
    this.#phase = 'done';
    this.#unwatch?.();
    this.#finished?.resolve();
  }

  #fail(error: unknown): void {
    if (this.#phase === 'done') return;
    this.#phase = 'done';
    this.#unwatch?.();
    this.#finished?.reject(error);
  }
}

function batchSizeOf(options: StreamOptions | undefined): number {
  const size = options?.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isSafeInteger(size) || size < 1) throw new ConfigError([`stream batchSize must be a positive integer, got ${String(size)}`]);
  return size;
}

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(noop);
  return { promise, resolve, reject };
}
