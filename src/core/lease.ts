import type { DriverConnection, TransactionSql } from '../drivers/driver.js';
import { rejection } from '../drivers/rejection.js';
import { detached } from '../drivers/detached.js';
import { ConnectionError, LeakproofError, StatementError, UsageError, type ScopeError } from '../errors/errors.js';
import { watchForLeak } from './leak-detector.js';
import { isBounded, runBounded, type CallOptions } from './call-options.js';
import type { CancelOutcome, Pool } from './pool.js';
import type { PooledConnection } from './pooled-connection.js';
import { RESOLVED } from './resolved.js';
import type { LeaseStream } from './row-stream.js';
import { isAbortive, type EndReason } from './end-reason.js';
import type { RequestInfo } from './request-info.js';
import { CommandQueue } from './command-queue.js';
import { LeaseTransactions, type TransactionHost } from './lease-transactions.js';
import type { TransactionFrame } from './transaction-frame.js';
import type { Waiter } from './wait-queue.js';

type Command<T> = (raw: DriverConnection) => Promise<T>;

/** What a lease needs of the request scope that owns it (the core's Scope). */
export interface LeaseOwner {
  /** A label for messages, such as `GET /polls/1`. */
  readonly label: string | undefined;
  /** The HTTP request it serves, when an adapter made it (leak reports name it). */
  readonly request: RequestInfo | undefined;
  /** The error new work fails with once the scope has ended. */
  endedError(): ScopeError;
  /** Runs `fn` inside the scope with `frame` as its current transaction frame. */
  runIn<T>(frame: TransactionFrame, fn: () => T): T;
}

/**
 * A request's hold on one pool: one connection, acquired on the first command, used by one
 * command at a time, and released exactly once when the scope has ended and no command is in
 * flight. The release is started from `end()`, which adapters call with the scope object they
 * hold, never from whatever async context happens to emit the end event (the seed's bug).
 */
export class Lease {
  readonly pool: Pool;
  readonly scope: LeaseOwner;
  #connection: PooledConnection | undefined;
  /** The token `Pool.release` checks: this lease, or the waiter that obtained the connection. */
  #owner: object | undefined;
  /** Commands running or queued; at most one runs at a time. */
  readonly #commands = new CommandQueue();
  #endReason: EndReason | undefined;
  #released: Promise<void> | undefined;
  #onIdle: (() => void) | undefined;
  #cancel: Promise<CancelOutcome> | undefined;
  /** A command failed because a cancel hit it: the server has consumed that cancel. */
  #cancelHit = false;
  /** releaseTimeout: armed when the lease ends with a command still in flight. */
  #releaseTimer: NodeJS.Timeout | undefined;
  /** The acquire in progress, so an abort can withdraw it from the pool's queue. */
  #waiter: Waiter<PooledConnection> | undefined;
  /** `transactionPerRequest`: wanted (no BEGIN yet), open, or none. */
  /** Made on first use: most requests open no transaction. */
  #transactions: LeaseTransactions | undefined;
  /** The stream queued or running on this lease, if any (at most one: a second is refused). */
  #stream: LeaseStream | undefined;
  /** Commands started on this lease. */
  #started = 0;
  /**
   * The lease's first command, while it runs on a connection that sat idle in the pool: if that
   * connection turns out to have died meanwhile (killed on the server, `wait_timeout`), the
   * command runs again once on another, since nothing of the request happened on the dead one.
   */
  #retryCommand: Command<unknown> | undefined;
  #retryTimed = true;
  /** Where the lease was taken, captured only when leak detection is on. */
  #stack: string | undefined;

  constructor(pool: Pool, scope: LeaseOwner) {
    this.pool = pool;
    this.scope = scope;
    if (pool.config.transactionPerRequest) this.#transactions = new LeaseTransactions(this.#transactionHost(), true);
    if (pool.config.leakTimeout > 0) this.#stack = new Error('leased here').stack;
  }

  /** Whether a `transactionPerRequest` transaction may need settling. */
  get hasRequestTransaction(): boolean {
    return this.#transactions !== undefined && this.#transactions.request !== 'none';
  }

  /** The server id of the held connection, if any (for tests and leak reports). */
  get serverId(): number | undefined {
    return this.#connection?.serverId;
  }

  /**
   * Runs one command on the lease's connection, after the ones before it. A call from outside
   * the transaction currently open on this lease waits until that transaction has finished.
   */
  command<T>(frame: TransactionFrame | undefined, run: Command<T>, options?: CallOptions): Promise<T> {
    if (this.#endReason !== undefined) return Promise.reject(this.scope.endedError());
    if (this.#stream?.needsConsumer === true) return Promise.reject(this.#streamOpenError());
    if (!isBounded(options)) return this.#command(frame, run);
    try {
      return runBounded(options, run, this.#boundedRun(frame));
    } catch (error) {
      return rejection(error);
    }
  }

  /** What a call with a timeout or a signal needs of this lease (call-options.ts). */
  #boundedRun<T>(frame: TransactionFrame | undefined): Parameters<typeof runBounded<T>>[2] {
    const { alias, retryAfter } = this.pool.config;
    return {
      alias,
      retryAfterMs: retryAfter,
      enqueue: (run) => this.#command(frame, run),
      stopRunning: (running) => {
        const connection = this.#connection;
        if (connection !== undefined) void this.pool.stopStatement(connection, running);
      },
      afterStop: (error) => this.#afterCallStopped(error),
    };
  }

  /**
   * A call's statement was cancelled: a MySQL KILL QUERY cannot reach the next statement, and a
   * PostgreSQL cancel that hit (57014) is used up; one that may have missed could still
   * interrupt the next statement, so that connection is replaced before it (or closed at release).
   */
  #afterCallStopped(error: unknown): void {
    const connection = this.#connection;
    const driver = this.pool.driver;
    if (connection === undefined || driver === undefined || driver.cancelBy !== 'request') return;
    if (!driver.wasCancelled(error)) this.pool.markInFlight(connection);
  }

  /** `command` without the open-stream check: for the COMMITs and ROLLBACKs that must wait for a stream. */
  #command<T>(frame: TransactionFrame | undefined, run: Command<T>, timed = true): Promise<T> {
    // The common case takes no extra promise: on Node 20 each one costs under AsyncLocalStorage.
    const transactions = this.#transactions;
    if (transactions?.active === undefined) return this.#enqueue(run, timed);
    return transactions.after(frame).then(() => this.#enqueue(run, timed));
  }

  /**
   * Runs a stream as one long command: queued like any other, holding the connection from its
   * turn until it has ended or was closed. While it needs its consumer (queued or open), other
   * statements fail with STREAM_OPEN rather than wait: from inside a loop over the stream they
   * would wait forever.
   */
  stream(frame: TransactionFrame | undefined, stream: LeaseStream): Promise<void> {
    if (this.#endReason !== undefined) return Promise.reject(this.scope.endedError());
    if (this.#stream?.needsConsumer === true) return Promise.reject(this.#streamOpenError());
    this.#stream = stream;
    // Not timed by the statement watchdog: a stream lasts as long as its consumer reads.
    const done = this.#command(frame, (raw) => this.#runStream(stream, raw), false);
    return done.finally(() => {
      if (this.#stream === stream) this.#stream = undefined;
    });
  }

  #runStream(stream: LeaseStream, raw: DriverConnection): Promise<void> {
    const connection = this.#connection!;
    return stream.run(raw, {
      // The cancelOnAbort cancel of this same statement, if one went out, serves the stream too.
      cancel: () => (this.#cancel ?? this.pool.cancelSoon(connection)).then((outcome) => outcome === 'sent'),
      discard: () => this.pool.markInFlight(connection),
    });
  }

  #streamOpenError(): UsageError {
    return new UsageError(
      'STREAM_OPEN',
      `a statement on alias "${this.pool.config.alias}" was issued while a db.stream() of ${this.scope.label ?? 'this scope'} still holds its connection; finish, break out of or close the stream first (a statement waiting for it inside the loop over it would wait forever)`,
    );
  }

  /** `db.transaction(body)` on this lease: a savepoint when nested, else BEGIN … COMMIT. */
  transaction<T>(frame: TransactionFrame | undefined, body: (frame: TransactionFrame) => Promise<T>): Promise<T> {
    this.#transactions ??= new LeaseTransactions(this.#transactionHost(), false);
    return this.#transactions.run(frame, body);
  }

  /** Commits or rolls back the `transactionPerRequest` transaction, if one was begun. */
  completeRequestTransaction(success: boolean): Promise<void> {
    return this.#transactions?.completeRequest(success) ?? RESOLVED;
  }

  #transactionHost(): TransactionHost {
    return {
      lease: this,
      sql: () => this.#sql,
      runIn: (frame, fn) => this.scope.runIn(frame, fn),
      enqueue: (run) => this.#enqueue(run),
      command: (frame, run) => this.command(frame, run),
      commandIn: (frame, run) => this.#command(frame, run),
      assertMayBegin: () => {
        this.#assertOpen();
        if (this.#stream?.needsConsumer === true) throw this.#streamOpenError();
      },
      assertOpen: () => this.#assertOpen(),
      aborted: () => this.#aborted(),
    };
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
    // A stream nobody may read any more (its scope is over) gives the connection back now.
    this.#stream?.stop(this.scope.endedError(), isAbortive(reason));
    if (this.#commands.pending === 0) {
      this.#released = this.#release();
    } else {
      this.#released = new Promise<void>((resolve) => (this.#onIdle = () => resolve(this.#release())));
      this.#watchForLeak();
      this.#watchRelease();
    }
    return this.#released;
  }

  /**
   * releaseTimeout: a statement still running this long after its request ended is given up
   * on (cancelled, then its socket cut), so a stalled network cannot keep the slot for ever.
   */
  #watchRelease(): void {
    this.#releaseTimer = detached(() =>
      setTimeout(() => {
        const connection = this.#connection;
        if (connection !== undefined) void this.pool.abandon(connection, 'releaseTimeout');
      }, this.pool.config.releaseTimeout),
    );
    this.#releaseTimer.unref();
  }

  #stopWork(): void {
    if (this.#waiter !== undefined) this.pool.withdraw(this.#waiter, this.scope.endedError());
    const connection = this.#connection;
    if (connection !== undefined && this.#commands.pending > 0 && this.pool.config.cancelOnAbort) {
      this.#cancel = this.pool.cancel(connection, () => this.#commands.pending > 0);
    }
  }

  #release(): Promise<void> {
    clearTimeout(this.#releaseTimer);
    const connection = this.#connection;
    const owner = this.#owner;
    if (connection === undefined || owner === undefined) return RESOLVED;
    // Forget the connection and its token (a waiter resolved with it): a scope that is still
    // referenced somewhere must not keep a connection that has gone on to other requests.
    this.#connection = undefined;
    this.#owner = undefined;
    const cancel = this.#cancel;
    if (cancel === undefined) return this.pool.release(connection, owner);
    this.#cancel = undefined;
    // Nothing runs any more: a cancel still waiting for its turn is not sent at all.
    this.pool.withdrawCancel(connection);
    return cancel.then((outcome) => this.pool.release(connection, owner, { discard: outcome === 'sent' && !this.#cancelConsumed() }));
  }

  /**
   * Whether a cancel that was sent can no longer hit a later statement. MySQL clears a late
   * `KILL QUERY` when the session's next command starts. A PostgreSQL cancel that arrived after
   * its statement finished could still interrupt the next one, unless the statement failed
   * with the cancel (57014): then the server has consumed it. Otherwise the connection goes.
   */
  #cancelConsumed(): boolean {
    return this.pool.driver?.cancelBy === 'session' || this.#cancelHit;
  }

  /** Starts the command now if none is ahead of it, else queues it behind the others (FIFO). */
  #enqueue<T>(run: Command<T>, timed = true): Promise<T> {
    if (this.#commands.enter()) return this.#run(run, timed);
    return this.#commands.wait(() => this.#run(run, timed));
  }

  /**
   * Runs one command. The common cases chain plain `then`s and await nothing: on Node 20 each
   * extra promise runs AsyncLocalStorage's hook, and this is the per-query path.
   */
  #run<T>(command: Command<T>, timed: boolean): Promise<T> {
    if (this.#connection?.needsDestroy() === true && !this.#replaceConnection()) return this.#failed(this.#lostInTransaction());
    if (this.#aborted() || this.#transactions?.request === 'wanted') return this.#acquireThenRun(command, timed);
    const connection = this.#connection ?? this.#tryAcquire();
    if (connection !== undefined) return this.#start(connection, command, timed);
    const waiter = this.#wait();
    return waiter.promise.then((acquired) => {
      this.#hold(waiter, acquired);
      return this.#aborted() ? this.#failed(this.scope.endedError()) : this.#start(acquired, command, timed);
    }, this.#failedWaiting);
  }

  /**
   * The held connection is done for (broken, given up on, or with a result still arriving that
   * nobody reads): between commands it is released, and the next command gets another one.
   * Not inside a transaction, which lives and dies with its connection: false then.
   */
  #replaceConnection(): boolean {
    if (this.#transactions?.holdsConnection === true) return false;
    const connection = this.#connection!;
    const owner = this.#owner!;
    this.#connection = undefined;
    this.#owner = undefined;
    void this.pool.release(connection, owner);
    return true;
  }

  #lostInTransaction(): ConnectionError {
    const { alias, retryAfter } = this.pool.config;
    return new ConnectionError(
      'CONNECTION_FAILED',
      `the connection of alias "${alias}" was lost inside a transaction of ${this.scope.label ?? 'this scope'}; the transaction is gone`,
      { retryAfterMs: retryAfter },
    );
  }

  #start<T>(connection: PooledConnection, command: Command<T>, timed: boolean): Promise<T> {
    // Read by the pool's statement watchdog (statementTimeout's client side).
    if (timed) connection.commandSince = Date.now();
    connection.cancelledAtLimit = false;
    this.#retryCommand =
      this.#started++ === 0 &&
      connection.leases > 1 &&
      (this.#transactions === undefined || (this.#transactions.active === undefined && this.#transactions.request === 'none'))
        ? command
        : undefined;
    this.#retryTimed = timed;
    let running: Promise<T>;
    try {
      running = command(connection.raw);
    } catch (error) {
      running = rejection(error);
    }
    return running.then(this.#succeeded as (value: T) => T, this.#failedOrRetry as (error: unknown) => T);
  }

  /** The slow path: wait for a connection (or fail as ended), begin the request's transaction, run. */
  async #acquireThenRun<T>(command: Command<T>, timed: boolean): Promise<T> {
    try {
      if (this.#aborted()) throw this.scope.endedError();
      const connection = this.#connection ?? this.#tryAcquire() ?? (await this.#acquire());
      if (timed) connection.commandSince = Date.now();
      connection.cancelledAtLimit = false;
      if (this.#transactions?.request === 'wanted') {
        this.#transactions.request = 'open';
        await connection.raw.query(this.#sql.begin);
      }
      return await command(connection.raw);
    } catch (error) {
      throw this.#translate(error);
    } finally {
      this.#next();
    }
  }

  readonly #succeeded = (value: unknown): unknown => {
    this.#retryCommand = undefined;
    // Its answer came before leakproof's cancel took: that cancel could still hit the next statement.
    if (this.#connection?.cancelledAtLimit === true) this.pool.markInFlight(this.#connection);
    this.#next();
    return value;
  };

  readonly #failed = (error: unknown): never => {
    const translated = this.#translate(error);
    this.#next();
    throw translated;
  };

  /**
   * `#failed` for a started command: a lease's first command on a connection that died while
   * idle (the user would otherwise get a 503 for a kill they never saw) goes again, once, on
   * another connection, in the same turn.
   */
  readonly #failedOrRetry = (error: unknown): unknown => {
    const retry = this.#retryCommand;
    this.#retryCommand = undefined;
    if (retry === undefined) return this.#failed(error);
    const translated = this.#translate(error);
    if (
      !(translated instanceof ConnectionError) ||
      translated.code !== 'CONNECTION_FAILED' ||
      this.#aborted() ||
      !this.#replaceConnection()
    ) {
      this.#next();
      throw translated;
    }
    return this.#run(retry, this.#retryTimed);
  };

  /** After a command: start the next one, or release if the lease has ended and none is left. */
  #next(): void {
    const connection = this.#connection;
    if (connection !== undefined) connection.commandSince = 0;
    if (this.#commands.next() && this.#onIdle !== undefined) {
      const release = this.#onIdle;
      this.#onIdle = undefined;
      release();
    }
  }

  /**
   * A statement timeout (the server's, or the watchdog's) becomes STATEMENT_TIMEOUT; a
   * connection-class error marks the connection broken and becomes CONNECTION_FAILED.
   */
  #translate(error: unknown): unknown {
    const connection = this.#connection;
    const driver = this.pool.driver;
    if (connection === undefined || error instanceof LeakproofError || driver === undefined) return error;
    if (this.#cancel !== undefined && driver.wasCancelled(error)) this.#cancelHit = true;
    if (
      connection.abandoned !== undefined ||
      driver.isStatementTimeout(error) ||
      (connection.cancelledAtLimit && driver.wasCancelled(error))
    )
      return this.#timeoutError(connection, error);
    if (driver.classifyError(error) !== 'connection') return error;
    this.pool.markBroken(connection);
    // A lost connection is an outage, not a bug in the statement: typed, and answered 503.
    const { url, alias, retryAfter } = this.pool.config;
    const where = alias === 'default' ? url : `${url} (alias "${alias}")`;
    return new ConnectionError('CONNECTION_FAILED', `the connection to ${where} was lost during a statement: ${(error as Error).message}`, {
      cause: error,
      retryAfterMs: retryAfter,
    });
  }

  #timeoutError(connection: PooledConnection, cause: unknown): StatementError {
    const { alias, statementTimeout, releaseTimeout, retryAfter } = this.pool.config;
    const what =
      connection.abandoned === 'releaseTimeout'
        ? `was still running ${releaseTimeout} ms after its request ended; it was cancelled and the connection closed`
        : connection.abandoned === 'statementTimeout'
          ? `got no answer within ${this.pool.statementLimitMs} ms (statementTimeout ${statementTimeout} ms and a grace period): the network or the server is stuck; the connection was closed`
          : `ran past statementTimeout (${statementTimeout} ms) and was stopped ${connection.cancelledAtLimit ? "by leakproof's cancel" : 'by the server'}`;
    return new StatementError('STATEMENT_TIMEOUT', `a statement on alias "${alias}" ${what}`, { cause, retryAfterMs: retryAfter });
  }

  #tryAcquire(): PooledConnection | undefined {
    const connection = this.pool.tryAcquire(this);
    if (connection !== undefined) {
      this.#connection = connection;
      this.#owner = this;
    }
    return connection;
  }

  /** Waits in the pool's queue, withdrawable (`#stopWork`) until the waiter settles. */
  async #acquire(): Promise<PooledConnection> {
    const waiter = this.#wait();
    let connection: PooledConnection;
    try {
      connection = await waiter.promise;
    } catch (error) {
      this.#waiter = undefined;
      throw error;
    }
    this.#hold(waiter, connection);
    if (this.#aborted()) throw this.scope.endedError();
    return connection;
  }

  #wait(): Waiter<PooledConnection> {
    const waiter = this.pool.acquire();
    this.#waiter = waiter;
    return waiter;
  }

  /** Takes the connection a waiter obtained; it is released later even if the request ended meanwhile. */
  #hold(waiter: Waiter<PooledConnection>, connection: PooledConnection): void {
    this.#waiter = undefined;
    this.#connection = connection;
    this.#owner = waiter;
  }

  readonly #failedWaiting = (error: unknown): never => {
    this.#waiter = undefined;
    return this.#failed(error);
  };

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
