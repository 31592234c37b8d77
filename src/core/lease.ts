import type { DriverConnection, TransactionSql } from '../drivers/driver.js';
import { ConnectionError, LeakproofError } from './errors.js';
import { watchForLeak } from './leak-detector.js';
import type { Pool } from './pool.js';
import type { PooledConnection } from './pooled-connection.js';
import { isAbortive, runInFrame, type EndReason, type Scope } from './scope.js';
import { TransactionFrame } from './transaction-frame.js';
import type { Waiter } from './wait-queue.js';

type Command<T> = (raw: DriverConnection) => Promise<T>;
const noop = (): void => {};
const RESOLVED = Promise.resolve();

/**
 * A request's hold on one pool: one connection, acquired on the first command, used by one
 * command at a time, and released exactly once when the scope has ended and no command is in
 * flight. The release is started from `end()`, which adapters call with the scope object they
 * hold, never from whatever async context happens to emit the end event (the seed's bug).
 */
export class Lease {
  readonly pool: Pool;
  readonly scope: Scope;
  #connection: PooledConnection | undefined;
  /** The token `Pool.release` checks: this lease, or the waiter that obtained the connection. */
  #owner: object | undefined;
  /** Commands running or queued; at most one runs at a time. */
  #pending = 0;
  #queue: (() => void)[] = [];
  #endReason: EndReason | undefined;
  #released: Promise<void> | undefined;
  #onIdle: (() => void) | undefined;
  #cancel: Promise<void> | undefined;
  /** The acquire in progress, so an abort can withdraw it from the pool's queue. */
  #waiter: Waiter<PooledConnection> | undefined;
  /** `transactionPerRequest`: wanted (no BEGIN yet), open, or none. */
  #requestTransaction: 'wanted' | 'open' | 'none';
  #activeTransaction: TransactionFrame | undefined;
  #transactionDone: Promise<void> | undefined;
  #savepoints = 0;
  /** Where the lease was taken, captured only when leak detection is on. */
  #stack: string | undefined;

  constructor(pool: Pool, scope: Scope) {
    this.pool = pool;
    this.scope = scope;
    this.#requestTransaction = pool.config.transactionPerRequest ? 'wanted' : 'none';
    if (pool.config.leakTimeout > 0) this.#stack = new Error('leased here').stack;
  }

  /** Whether a `transactionPerRequest` transaction may need settling. */
  get hasRequestTransaction(): boolean {
    return this.#requestTransaction !== 'none';
  }

  /** The server id of the held connection, if any (for tests and leak reports). */
  get serverId(): number | undefined {
    return this.#connection?.serverId;
  }

  /**
   * Runs one command on the lease's connection, after the ones before it. A call from outside
   * the transaction currently open on this lease waits until that transaction has finished.
   */
  command<T>(frame: TransactionFrame | undefined, run: Command<T>): Promise<T> {
    if (this.#endReason !== undefined) return Promise.reject(this.scope.endedError());
    // The common case takes no extra promise: on Node 20 each one costs under AsyncLocalStorage.
    if (this.#activeTransaction === undefined) return this.#enqueue(run);
    return this.#afterTransaction(frame).then(() => this.#enqueue(run));
  }

  /** Waits until no transaction is open on this lease that `frame` is not part of. */
  async #afterTransaction(frame: TransactionFrame | undefined): Promise<void> {
    while (this.#activeTransaction !== undefined && !TransactionFrame.isWithin(frame, this.#activeTransaction)) {
      await this.#transactionDone;
      this.#assertOpen();
    }
  }

  /** `db.transaction(body)` on this lease: a savepoint when nested, else BEGIN … COMMIT. */
  async transaction<T>(frame: TransactionFrame | undefined, body: (frame: TransactionFrame) => Promise<T>): Promise<T> {
    const outer = TransactionFrame.nearest(frame, this);
    if (outer !== undefined || this.#requestTransaction !== 'none') return this.#savepoint(frame, body);
    this.#assertOpen();
    await this.#afterTransaction(frame);
    return this.#topLevel(frame, body);
  }

  async #topLevel<T>(frame: TransactionFrame | undefined, body: (frame: TransactionFrame) => Promise<T>): Promise<T> {
        const own = new TransactionFrame(this, frame, undefined);
    let done = noop;
    this.#activeTransaction = own;
    this.#transactionDone = new Promise<void>((resolve) => (done = resolve));
    try {
      await this.#enqueue((raw) => raw.query(this.#sql.begin));
      const result = await runInFrame(this.scope, own, () => body(own));
      await this.#enqueue((raw) => raw.query(this.#sql.commit));
      return result;
    } catch (error) {
      // After an abort the release rolls back; otherwise roll back here so the request can go on.
      if (!this.#aborted()) await this.#enqueue((raw) => raw.query(this.#sql.rollback)).catch(noop);
      throw error;
    } finally {
      this.#activeTransaction = undefined;
      done();
    }
  }

  async #savepoint<T>(frame: TransactionFrame | undefined, body: (frame: TransactionFrame) => Promise<T>): Promise<T> {
        const name = `leakproof_sp_${++this.#savepoints}`;
    const own = new TransactionFrame(this, frame, name);
    await this.command(frame, (raw) => raw.query(this.#sql.savepoint(name)));
    try {
      const result = await runInFrame(this.scope, own, () => body(own));
      await this.command(own, (raw) => raw.query(this.#sql.releaseSavepoint(name)));
      return result;
    } catch (error) {
      if (!this.#aborted()) await this.command(own, (raw) => raw.query(this.#sql.rollbackToSavepoint(name))).catch(noop);
      throw error;
    }
  }

  /** Commits or rolls back the `transactionPerRequest` transaction, if one was begun. */
  async completeRequestTransaction(success: boolean): Promise<void> {
    const state = this.#requestTransaction;
    this.#requestTransaction = 'none';
    if (state !== 'open' || this.#aborted()) return;
        await this.#enqueue((raw) => raw.query(success ? this.#sql.commit : this.#sql.rollback));
  }

  /**
   * Ends the lease exactly once. A waiting acquire is withdrawn; after an abort the running
   * statement is cancelled if `cancelOnAbort` is set. The connection is released once no
   * command is in flight; the promise resolves when it is back in the pool or closed.
   */
  end(reason: EndReason): Promise<void> {
    if (this.#released !== undefined) return this.#released;
    this.#endReason = reason;
    if (isAbortive(reason)) this.#stopWork();
    if (this.#pending === 0) {
      this.#released = this.#release();
    } else {
      this.#released = new Promise<void>((resolve) => (this.#onIdle = () => resolve(this.#release())));
      this.#watchForLeak();
    }
    return this.#released;
  }

  #stopWork(): void {
    if (this.#waiter !== undefined) this.pool.withdraw(this.#waiter, this.scope.endedError());
    const connection = this.#connection;
    if (connection !== undefined && this.#pending > 0 && this.pool.config.cancelOnAbort) {
      this.#cancel = this.pool.cancel(connection);
    }
  }

  #release(): Promise<void> {
    const connection = this.#connection;
    const owner = this.#owner;
    if (connection === undefined || owner === undefined) return RESOLVED;
    this.#connection = undefined;
    if (this.#cancel === undefined) return this.pool.release(connection, owner);
    // A cancel may still arrive after its statement finished and hit the next one: discard.
    return this.#cancel.then(() => this.pool.release(connection, owner, { discard: true }));
  }

  /** Starts the command now if none is ahead of it, else queues it behind the others (FIFO). */
  #enqueue<T>(run: Command<T>): Promise<T> {
    if (this.#pending++ === 0) return this.#run(run);
    return new Promise<T>((resolve, reject) => {
      this.#queue.push(() => void this.#run(run).then(resolve, reject));
    });
  }

  async #run<T>(command: Command<T>): Promise<T> {
    try {
      if (this.#aborted()) throw this.scope.endedError();
      const connection = this.#connection ?? this.#tryAcquire() ?? (await this.#acquire());
      if (this.#requestTransaction === 'wanted') {
        this.#requestTransaction = 'open';
        await connection.raw.query(this.#sql.begin);
      }
      return await command(connection.raw);
    } catch (error) {
      throw this.#translate(error);
    } finally {
      this.#next();
    }
  }

  /** After a command: start the next one, or release if the lease has ended and none is left. */
  #next(): void {
    if (--this.#pending > 0) {
      this.#queue.shift()!();
    } else if (this.#onIdle !== undefined) {
      const release = this.#onIdle;
      this.#onIdle = undefined;
      release();
    }
  }

  /** A connection-class error marks the connection broken and becomes CONNECTION_FAILED. */
  #translate(error: unknown): unknown {
    const connection = this.#connection;
    if (connection === undefined || error instanceof LeakproofError || this.pool.driver?.classifyError(error) !== 'connection') return error;
    this.pool.markBroken(connection);
    // A lost connection is an outage, not a bug in the statement: typed, and answered 503.
    return new ConnectionError('CONNECTION_FAILED', `the connection to ${this.pool.config.url} (alias=${this.pool.config.alias}) was lost during a statement: ${(error as Error).message}`, { cause: error, retryAfterMs: this.pool.config.retryAfter });
  }

  #tryAcquire(): PooledConnection | undefined {
    const connection = this.pool.tryAcquire(this);
    if (connection !== undefined) {
      this.#connection = connection;
      this.#owner = this;
    }
    return connection;
  }

  async #acquire(): Promise<PooledConnection> {
    const waiter = this.pool.acquire();
    this.#waiter = waiter;
    try {
      const connection = await waiter.promise;
      this.#connection = connection;
      this.#owner = waiter;
      if (this.#aborted()) throw this.scope.endedError();
      return connection;
    } finally {
      this.#waiter = undefined;
    }
  }

  #aborted(): boolean {
    return this.#endReason !== undefined && isAbortive(this.#endReason);
  }

  #assertOpen(): void {
    if (this.#endReason !== undefined) throw this.scope.endedError();
  }

  /** The driver's SQL. Read only inside commands: the driver is loaded by the first connect. */
  get #sql(): TransactionSql {
    return this.pool.driver!.sql;
  }

  #watchForLeak(): void {
    watchForLeak(this, this.#stack, this.#released!);
  }
}
