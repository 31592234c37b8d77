import type { Driver, DriverConnection } from '../drivers/driver.js';
import { loadDriver } from './load-driver.js';
import { SIDE_CHANNEL_TIMEOUT_MS, settleWithin } from '../drivers/time-bound.js';
import type { PoolCondition } from '../instrumentation/channels.js';
import { PoolEvents } from '../instrumentation/pool-events.js';
import type { ResolvedAlias } from './config/options.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { connectFailure } from './connect-failure.js';
import { DeadlineExceeded, withDeadline } from './deadline.js';
import { detached } from '../drivers/detached.js';
import { BudgetError, ConnectionError, LeakproofError, UsageError } from '../errors/errors.js';
import { emptyCounters, type PoolCounters, type PoolStats } from './pool-stats.js';
import { isBusy, PooledConnection, type AbandonReason, type ConnectionState } from './pooled-connection.js';
import { Refusals } from './refusals.js';
import { warnOfServerShare } from './server-share.js';
import { RESOLVED } from './resolved.js';
import { StatementWatchdog } from './statement-watchdog.js';
import { Waiter, WaitQueue } from './wait-queue.js';

/** At most this many PostgreSQL CancelRequest sockets at once (they are not sessions). */
const MAX_CONCURRENT_CANCEL_REQUESTS = 4;
/** How long close() waits for leased connections before destroying them. */
const DEFAULT_CLOSE_GRACE_MS = 10_000;
/** How long an abandoned statement's cancel may take to bring it back before the socket is cut. */
const ABANDON_GRACE_MS = 1000;
/** How long a cut session's slot is held at most while another connection ends it on the server. */
const SESSION_END_TIMEOUT_MS = 5000;

const isProduction = process.env.NODE_ENV === 'production';

/** What a cancel did: sent to the server, or skipped (nothing ran any more, or no connection could carry it in time). */
export type CancelOutcome = 'sent' | 'skipped';

/**
 * The connection pool of one alias. Every state change of a connection is one named method,
 * and waiters meet free connections in one place, `#dispatch`. The budget invariant
 * `idle + busy + connecting <= maxConnections` holds at every step, where `busy` counts
 * connections being checked, used, lent to a cancel, rolled back or closed: the server counts
 * all of them, and a cancel on MySQL takes a connection of this budget, never one beside it.
 */
export class Pool {
  readonly config: ResolvedAlias;
  #driver: Driver | undefined;
  #driverLoading: Promise<Driver> | undefined;
  /** Free connections; the most recently used last (LIFO), so spares age out. */
  #idle: PooledConnection[] = [];
  #busy = 0;
  #connecting = 0;
  readonly #waiters: WaitQueue<PooledConnection>;
  /**
   * MySQL cancels waiting for a connection of the pool to run their KILL QUERY on; served
   * first. They wait as long as their statement runs (the first connection freed serves them
   * all) and are withdrawn when it ends; callers that need a bound set their own.
   */
  readonly #cancelWaiters = new WaitQueue<PooledConnection>(Infinity, noop);
  /** Leased connections: for the shutdown path and the statement watchdog. */
  #leased = new Set<PooledConnection>();
  #counters: PoolCounters = emptyCounters();
  /** Effective idle limit: the smaller of idleTimeout and the server's own idle timeout, less a margin. */
  #idleLimit: number;
  #limitsRead = false;
  #reaper: NodeJS.Timeout | undefined;
  readonly #cancelRequests = new ConcurrencyLimit(MAX_CONCURRENT_CANCEL_REQUESTS);
  /** Cancels not sent yet, by the connection they are for: how to withdraw each. */
  readonly #pendingCancels = new Map<PooledConnection, () => void>();
  readonly #watchdog: StatementWatchdog;
  /**
   * Most connections requests may hold at once. On MySQL with cancelOnAbort one connection of
   * the budget is kept back for KILL QUERY: when every connection runs a statement whose client
   * has left (an abort storm), a cancel that has to wait for one of them to end comes too late.
   */
  readonly #requestLimit: number;
  /** Connections on their way to a request through a health check (not leased yet). */
  #checkingForRequests = 0;
  readonly #refusals: Refusals;
  #closed = false;
  #closing: Promise<void> | undefined;
  #onQuiet: (() => void) | undefined;
  /** diagnostics_channel events (instrumentation/channels.ts); free without subscribers. */
  readonly #events: PoolEvents;

  /** `databases`: the `createDatabases` result this pool belongs to, named in its events. */
  constructor(config: ResolvedAlias, databases: object) {
    this.config = config;
    this.#idleLimit = config.idleTimeout;
    this.#refusals = new Refusals(config.alias);
    this.#requestLimit =
      config.engine === 'mysql' && config.cancelOnAbort && config.maxConnections > 1 ? config.maxConnections - 1 : config.maxConnections;
    this.#waiters = new WaitQueue(config.acquireTimeout, (waiter) => this.#timedOut(waiter));
    this.#watchdog = new StatementWatchdog(config.statementTimeout, config.pooler === 'transaction', this.#leased, {
      onLimit: (connection) => void this.stopStatement(connection, () => connection.state === 'inUse' && connection.commandSince !== 0),
      onOverdue: (connection) => void this.abandon(connection, 'statementTimeout'),
    });
    this.#events = new PoolEvents(this, databases);
  }

  get #open(): number {
    return this.#idle.length + this.#busy + this.#connecting;
  }

  /** The loaded driver; available once the first connection was opened. */
  get driver(): Driver | undefined {
    return this.#driver;
  }

  /** How long a statement may go unanswered before it is given up on (statementTimeout plus a grace); 0 for no limit. */
  get statementLimitMs(): number {
    return this.#watchdog.limitMs;
  }

  /**
   * Asks for a connection. The returned waiter resolves with a connection leased to it (the
   * waiter is the lease's token for `release`), or rejects with a typed budget error.
   */
  acquire(): Waiter<PooledConnection> {
    const waiter = new Waiter<PooledConnection>();
    this.#events.waiting(waiter);
    if (this.#closed) {
      waiter.reject(new ConnectionError('POOL_CLOSED', `pool "${this.config.alias}" is closed`));
      return waiter;
    }
    if (this.#mayServeAtOnce()) {
      const idle = this.#takeIdle();
      if (idle !== undefined) {
        // Never queued, but a health check on the way must not make it wait past its acquireTimeout.
        waiter.deadline = Date.now() + this.config.acquireTimeout;
        this.#checkout(idle, waiter, this.#waiters);
        return waiter;
      }
    }
    // Waiters served by connections already being opened are not queued behind the budget.
    if (this.#open >= this.config.maxConnections && this.#waiters.size - this.#connecting >= this.config.maxWaiting) {
      this.#counters.queueFull++;
      waiter.reject(this.#events.turnedAway(this.#budgetError('QUEUE_FULL', `wait queue full (maxWaiting=${this.config.maxWaiting})`)));
      return waiter;
    }
    this.#waiters.push(waiter);
    this.#dispatch();
    return waiter;
  }

  /**
   * The fast path: the most recently used idle connection, synchronously, if nobody is waiting
   * and it needs no health check. `owner` becomes the token for `release`.
   */
  tryAcquire(owner: object): PooledConnection | undefined {
    const connection = this.#idle[this.#idle.length - 1];
    // A closing pool may still hold a spare for cancels: never for a request.
    if (connection === undefined || this.#closed || !this.#mayServeAtOnce()) return undefined;
    const now = Date.now();
    if (this.#needsHealthCheck(connection, now) || connection.isExpired(now) || connection.isUnusable()) return undefined;
    this.#idle.pop();
    this.#lease(connection, owner);
    this.#events.acquired(connection, undefined);
    return connection;
  }

  /** Withdraws a waiter whose request ended; a connection meant for it goes back to the pool. */
  withdraw(waiter: Waiter<PooledConnection>, reason: Error): void {
    this.#waiters.remove(waiter);
    waiter.reject(reason);
  }

  /**
   * Returns a connection exactly once. `discard` closes it instead of reusing it. An open
   * transaction is rolled back first; if that fails the connection is closed. Resolves when
   * the connection is idle, or closed and gone from the server.
   */
  release(connection: PooledConnection, owner: object, options?: { discard?: boolean }): Promise<void> {
    if (connection.owner === owner && connection.state === 'closed') {
      // Destroyed by close() or given up on while the request still held it.
      connection.owner = undefined;
      this.#counters.released++;
      return RESOLVED;
    }
    if (connection.owner !== owner || connection.state !== 'inUse') {
      this.#counters.doubleReleases++;
      if (isProduction) return RESOLVED;
      return Promise.reject(
        new UsageError('RELEASED_TWICE', `connection ${connection.serverId} of pool "${this.config.alias}" was released twice`),
      );
    }
    connection.owner = undefined;
    this.#counters.released++;
    // Its statement is over: a cancel of it still waiting for its turn is not sent at all.
    if (this.#pendingCancels.size > 0) this.withdrawCancel(connection);
    this.#events.released(connection, options?.discard === true);
    if (options?.discard === true || connection.needsDestroy()) {
      this.#counters.discarded++;
      return this.#close(connection);
    }
    if (connection.raw.inTransaction()) return this.#rollbackThenRecycle(connection);
    return this.#recycle(connection);
  }

  async #rollbackThenRecycle(connection: PooledConnection): Promise<void> {
    if (await this.#rollback(connection)) await this.#recycle(connection);
  }

  /** Marks a leased connection unusable after a connection-class error; it is closed on release. */
  markBroken(connection: PooledConnection): void {
    connection.broken = true;
  }

  /** A leased connection holds a result nobody will read: its socket is cut on release. */
  markInFlight(connection: PooledConnection): void {
    connection.inFlight = true;
  }

  /**
   * Cancels the statement running on a leased connection, if `stillRunning()` says one still
   * runs when the cancel's turn comes. PostgreSQL: a CancelRequest (no session). MySQL: a
   * `KILL QUERY` run on another connection of this pool (an idle one, a new one if the budget
   * has room, else the next one released), so the server never sees more than the budget.
   * Bounded by SIDE_CHANNEL_TIMEOUT_MS per step. Never rejects.
   */
  cancel(connection: PooledConnection, stillRunning: () => boolean): Promise<CancelOutcome> {
    const driver = this.#driver;
    if (driver === undefined || driver.cancelBy === 'none') return Promise.resolve('skipped');
    return detached(() =>
      driver.cancelBy === 'request'
        ? this.#cancelRequest(driver, connection, stillRunning)
        : this.#cancelOnLoan(driver, connection, stillRunning),
    );
  }

  /**
   * Drops a cancel of `connection` that has not been sent yet: its statement has finished, so
   * its lease need not wait for a turn (or, on MySQL, for a connection to carry it).
   */
  withdrawCancel(connection: PooledConnection): void {
    this.#pendingCancels.get(connection)?.();
  }

  #cancelRequest(driver: Driver, connection: PooledConnection, stillRunning: () => boolean): Promise<CancelOutcome> {
    let withdraw!: () => void;
    const withdrawn = new Promise<CancelOutcome>((resolve) => (withdraw = () => resolve('skipped')));
    this.#pendingCancels.set(connection, withdraw);
    const sending = this.#cancelRequests.run(async () => {
      if (this.#pendingCancels.get(connection) !== withdraw || !stillRunning()) return 'skipped';
      this.#pendingCancels.delete(connection);
      // Counted as it goes out: the statement can fail with the cancel's error before the side
      // channel's own exchange is over, and stats() read then must already show it.
      this.#counters.cancels++;
      await settleWithin(driver.cancel(connection.raw), SIDE_CHANNEL_TIMEOUT_MS);
      return 'sent';
    });
    return Promise.race([sending, withdrawn]).finally(() => {
      if (this.#pendingCancels.get(connection) === withdraw) this.#pendingCancels.delete(connection);
    });
  }

  async #cancelOnLoan(driver: Driver, connection: PooledConnection, stillRunning: () => boolean): Promise<CancelOutcome> {
    // A budget of one has no second connection to carry the cancel, and never will.
    if (!stillRunning() || this.config.maxConnections === 1) return 'skipped';
    const via = await this.#borrowForCancel(connection);
    if (via === undefined) return 'skipped';
    try {
      if (!stillRunning()) return 'skipped';
      // Counted as it goes out, as a cancel request is.
      this.#counters.cancels++;
      if ((await settleWithin(driver.cancel(connection.raw, via.raw), SIDE_CHANNEL_TIMEOUT_MS)) === 'timeout') {
        // The KILL still runs on the server: cut, and kept in the budget until the server has let it go.
        via.broken = true;
        via.inFlight = true;
      }
      return 'sent';
    } finally {
      this.#endLoan(via);
    }
  }

  /** A connection of the pool to run a cancel of `target` on, or undefined if none came in time or the cancel was withdrawn. */
  async #borrowForCancel(target: PooledConnection): Promise<PooledConnection | undefined> {
    const waiter = new Waiter<PooledConnection>();
    const withdraw = (): void => {
      this.#cancelWaiters.remove(waiter);
      waiter.reject(new Error('the cancel was withdrawn'));
    };
    this.#pendingCancels.set(target, withdraw);
    this.#cancelWaiters.push(waiter);
    this.#dispatch();
    try {
      return await waiter.promise;
    } catch {
      return undefined;
    } finally {
      if (this.#pendingCancels.get(target) === withdraw) this.#pendingCancels.delete(target);
    }
  }

  /**
   * Gives up on a leased connection whose statement did not come back in time: past
   * statementTimeout and its grace, or releaseTimeout after its request ended. The statement
   * is cancelled on the server, and if it still has not come back soon after, the socket is cut,
   * which fails the statement; the lease then releases it and it is closed.
   */
  async abandon(connection: PooledConnection, reason: AbandonReason): Promise<void> {
    if (connection.abandoned !== undefined || connection.state !== 'inUse') return;
    connection.abandoned = reason;
    this.#counters.abandoned++;
    const running = (): boolean => connection.state === 'inUse' && connection.owner !== undefined;
    // The cancel gets a short while (through a dead network it cannot arrive at all) and goes on
    // by itself after the socket is cut: it still stops the statement if the server is there.
    const cancelled = this.cancel(connection, running).then((outcome) =>
      outcome === 'sent' ? this.#until(() => !running(), ABANDON_GRACE_MS) : undefined,
    );
    await settleWithin(cancelled, ABANDON_GRACE_MS);
    if (running()) connection.raw.destroy();
  }

  /**
   * Stops the statement a call runs on a leased connection (its own timeout or signal): cancels
   * it on the server, and gives the connection up if it has not come back soon after.
   */
  async stopStatement(connection: PooledConnection, running: () => boolean): Promise<void> {
    if ((await this.#cancelWithin(connection, running, SIDE_CHANNEL_TIMEOUT_MS)) === 'sent')
      await this.#until(() => !running(), ABANDON_GRACE_MS);
    if (running()) await this.abandon(connection, 'statementTimeout');
  }

  /** `cancel`, given up on (and withdrawn, if not sent yet) after `ms`. */
  async #cancelWithin(connection: PooledConnection, stillRunning: () => boolean, ms: number): Promise<CancelOutcome> {
    const cancelling = this.cancel(connection, stillRunning);
    if ((await settleWithin(cancelling, ms)) === 'settled') return cancelling;
    this.withdrawCancel(connection);
    return 'skipped';
  }

  /** A cancel for a caller that cannot wait long (a stream closing early): bounded by SIDE_CHANNEL_TIMEOUT_MS. */
  cancelSoon(connection: PooledConnection): Promise<CancelOutcome> {
    return this.#cancelWithin(connection, () => connection.state === 'inUse', SIDE_CHANNEL_TIMEOUT_MS);
  }

  /** Waits until `done()` says so, or `ms` have passed. */
  #until(done: () => boolean, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const deadline = Date.now() + ms;
      const poll = (): void => {
        if (done() || Date.now() >= deadline) resolve();
        else setTimeout(poll, 20).unref();
      };
      poll();
    });
  }

  /** Counts a leak reported by a lease. */
  countLeak(): void {
    this.#counters.leaks++;
  }

  /** The pool's event publisher, for the reports made outside the pool (leaks). */
  get events(): PoolEvents {
    return this.#events;
  }

  /** The gauges of `stats()` alone: what every event carries, built without the counters. */
  condition(): PoolCondition {
    return {
      open: this.#open,
      maxConnections: this.config.maxConnections,
      inUse: this.#busy,
      idle: this.#idle.length,
      connecting: this.#connecting,
      waiting: this.#waiters.size,
    };
  }

  stats(): PoolStats {
    return {
      alias: this.config.alias,
      maxConnections: this.config.maxConnections,
      open: this.#open,
      inUse: this.#busy,
      idle: this.#idle.length,
      connecting: this.#connecting,
      waiting: this.#waiters.size,
      ...this.#counters,
    };
  }

  /**
   * Stops handing out connections: waiters fail with POOL_CLOSED, idle connections close, and
   * leased ones close as their requests release them. After `graceMs` the rest are cancelled
   * and closed.
   */
  close(graceMs = DEFAULT_CLOSE_GRACE_MS): Promise<void> {
    this.#closing ??= this.#shutdown(graceMs);
    return this.#closing;
  }

  async #shutdown(graceMs: number): Promise<void> {
    this.#closed = true;
    if (this.#reaper !== undefined) clearTimeout(this.#reaper);
    this.#refusals.stop();
    const closedError = new ConnectionError('POOL_CLOSED', `pool "${this.config.alias}" is closing`);
    for (const waiter of this.#waiters.drain()) waiter.reject(closedError);
    const idle = this.#idle.splice(0);
    const spare = idle.pop();
    if (spare !== undefined && this.#keepsSpare()) this.#idle.push(spare);
    else if (spare !== undefined) idle.push(spare);
    await Promise.all(idle.map((connection) => this.#closeIdle(connection)));
    if (await this.#quiet(graceMs)) return;
    // Past the grace period, connections still leased have their statement cancelled (a
    // socket cut alone leaves it running on the server) and are closed, so close() always
    // ends. They keep their owner, so the late release of their request is not a double release.
    await Promise.all(
      [...this.#leased].map(async (connection) => {
        await this.#cancelWithin(connection, () => connection.state === 'inUse', SIDE_CHANNEL_TIMEOUT_MS);
        await this.#close(connection);
      }),
    );
    // The spare kept for those cancels closes last; its quit is bounded like every other.
    await this.#closeSparesIfDone();
    await this.#quiet(SIDE_CHANNEL_TIMEOUT_MS);
  }

  #quiet(ms: number): Promise<boolean> {
    void this.#closeSparesIfDone();
    if (this.#open === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#onQuiet = undefined;
        resolve(false);
      }, ms);
      timer.unref();
      this.#onQuiet = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  /**
   * The one place where waiting requests and cancels meet free connections and new ones are
   * opened. Cancels go first: each frees a connection that requests are waiting for.
   */
  #dispatch(): void {
    for (;;) {
      const queue = this.#cancelWaiters.size > 0 ? this.#cancelWaiters : this.#waiters;
      if (queue.size === 0 || (queue === this.#waiters && !this.#requestSlotFree())) return;
      const idle = this.#takeIdle();
      if (idle !== undefined) {
        this.#checkout(idle, queue.shift()!, queue);
      } else if (
        this.#connecting < this.#cancelWaiters.size + this.#waiters.size &&
        this.#open < this.config.maxConnections &&
        (!this.#closed || queue === this.#cancelWaiters) &&
        this.#refusals.mayConnect(this.#connecting)
      ) {
        this.#openConnection();
      } else {
        return;
      }
    }
  }

  /** Nobody is queued ahead and a request slot is free: a request may be served without queueing. */
  #mayServeAtOnce(): boolean {
    return this.#waiters.size === 0 && this.#cancelWaiters.size === 0 && this.#requestSlotFree();
  }

  #requestSlotFree(): boolean {
    return this.#leased.size + this.#checkingForRequests < this.#requestLimit;
  }

  /** A waiter's acquireTimeout passed: DATABASE_REFUSED if the database refused us meanwhile, else ACQUIRE_TIMEOUT. */
  #timedOut(waiter: Waiter<PooledConnection>): void {
    const refusal = this.#refusals.since(waiter.deadline - this.config.acquireTimeout);
    if (refusal !== undefined) {
      waiter.reject(refusal);
      return;
    }
    this.#counters.timeouts++;
    waiter.reject(
      this.#events.turnedAway(this.#budgetError('ACQUIRE_TIMEOUT', `acquire timed out after ${this.config.acquireTimeout} ms`)),
    );
  }

  /** Pops the most recently used idle connection that may still be reused. */
  #takeIdle(): PooledConnection | undefined {
    const now = Date.now();
    for (let connection = this.#idle.pop(); connection !== undefined; connection = this.#idle.pop()) {
      if (!connection.isExpired(now) && !connection.isUnusable()) return connection;
      void this.#closeIdle(connection);
    }
    return undefined;
  }

  /**
   * Hands an idle connection to a waiter, pinging it first if it idled past healthCheckAfter.
   * The ping is bounded by connectTimeout, and the waiter keeps its own deadline meanwhile.
   */
  #checkout(connection: PooledConnection, waiter: Waiter<PooledConnection>, queue: WaitQueue<PooledConnection>): void {
    this.#move(connection, 'checking');
    if (!this.#needsHealthCheck(connection, Date.now())) {
      this.#hand(connection, waiter, queue);
      return;
    }
    const stopDeadline = this.#keepDeadline(waiter, queue);
    const forRequest = queue === this.#waiters ? 1 : 0;
    this.#checkingForRequests += forRequest;
    withDeadline(connection.raw.ping(), this.config.connectTimeout).then(
      () => {
        stopDeadline();
        this.#checkingForRequests -= forRequest;
        this.#hand(connection, waiter, queue);
      },
      () => {
        stopDeadline();
        this.#checkingForRequests -= forRequest;
        this.#failHealthCheck(connection, waiter, queue);
      },
    );
  }

  /**
   * Idle longer than healthCheckAfter; 0 checks every reuse, even one in the millisecond the
   * connection came back (a release can land just after its response reached the client).
   */
  #needsHealthCheck(connection: PooledConnection, now: number): boolean {
    const { healthCheckAfter } = this.config;
    return healthCheckAfter === 0 || now - connection.idleSince > healthCheckAfter;
  }

  /** A waiter taken off its queue for a health check still times out when its deadline comes. */
  #keepDeadline(waiter: Waiter<PooledConnection>, queue: WaitQueue<PooledConnection>): () => void {
    if (queue !== this.#waiters || waiter.deadline === Infinity) return noop;
    const timer = detached(() =>
      setTimeout(
        () => {
          if (!waiter.settled) this.#timedOut(waiter);
        },
        Math.max(1, waiter.deadline - Date.now()),
      ),
    );
    return () => clearTimeout(timer);
  }

  #failHealthCheck(connection: PooledConnection, waiter: Waiter<PooledConnection>, queue: WaitQueue<PooledConnection>): void {
    this.#counters.healthCheckFailures++;
    this.#counters.discarded++;
    connection.broken = true;
    void this.#close(connection);
    // The waiter keeps its place at the head of its queue and gets another connection.
    if (!waiter.settled && (!this.#closed || queue === this.#cancelWaiters)) queue.unshift(waiter);
    this.#dispatch();
  }

  /** Gives a connection to a waiter, or back to the pool if the waiter has gone meanwhile. */
  #hand(connection: PooledConnection, waiter: Waiter<PooledConnection>, queue: WaitQueue<PooledConnection>): void {
    if (queue === this.#cancelWaiters) {
      this.#move(connection, 'lending');
      if (!waiter.resolve(connection)) this.#endLoan(connection);
      return;
    }
    this.#move(connection, 'inUse');
    connection.owner = waiter;
    if (!waiter.resolve(connection)) {
      connection.owner = undefined;
      void this.#recycle(connection);
      return;
    }
    this.#lease(connection, waiter);
    this.#events.acquired(connection, waiter);
  }

  #lease(connection: PooledConnection, owner: object): void {
    connection.leases++;
    this.#move(connection, 'inUse');
    connection.owner = owner;
    this.#leased.add(connection);
    this.#counters.acquired++;
    this.#watchdog.watch();
  }

  /** A connection lent to a cancel comes back: idle again, or closed if it is done for. */
  #endLoan(connection: PooledConnection): void {
    this.#move(connection, 'inUse');
    void this.#recycle(connection);
  }

  #openConnection(): void {
    this.#connecting++;
    // In leakproof's own async context (detached.ts): the connection will serve many requests.
    void detached(() =>
      this.#events.timeConnect(this.#connect()).then(
        (raw) => this.#connected(raw),
        (error: unknown) => this.#connectFailed(error),
      ),
    );
  }

  /**
   * Opens one connection, session set-up and the first read of the server's limits included,
   * within connectTimeout: a server that accepts the socket and then says nothing must not
   * hold a slot of the budget. A connection that arrives too late is closed at once.
   */
  async #connect(): Promise<DriverConnection> {
    const driver = this.#driver ?? (await this.#loadDriver());
    const opening = (async () => {
      const raw = await driver.connect();
      if (!this.#limitsRead) await this.#readServerLimits(driver, raw);
      return raw;
    })();
    return withDeadline(opening, this.config.connectTimeout, (late) => late.destroy());
  }

  #loadDriver(): Promise<Driver> {
    this.#driverLoading ??= loadDriver(this.config).then((driver) => (this.#driver = driver));
    // A failed load (package missing) is retried on the next connect rather than cached.
    this.#driverLoading.catch(() => (this.#driverLoading = undefined));
    return this.#driverLoading;
  }

  /**
   * Read once per pool: idle connections must retire before the server's own idle timeout
   * reaps them, and a budget that takes most of the server's limit leaves no room for the
   * other processes sharing it.
   */
  async #readServerLimits(driver: Driver, raw: DriverConnection): Promise<void> {
    this.#limitsRead = true;
    try {
      const limits = await driver.readServerLimits(raw);
      if (limits.idleTimeoutMs > 0) this.#idleLimit = Math.min(this.config.idleTimeout, Math.floor(limits.idleTimeoutMs * 0.9));
      warnOfServerShare(this.config, limits);
    } catch {
      this.#limitsRead = false;
    }
  }

  #connected(raw: DriverConnection): void {
    this.#connecting--;
    this.#counters.created++;
    this.#refusals.connected();
    const connection = new PooledConnection(raw, Date.now(), this.config.maxLifetime);
    raw.onBroken(() => this.#onBroken(connection));
    this.#move(connection, 'inUse');
    const cancel = this.#cancelWaiters.shift();
    if (cancel !== undefined) this.#hand(connection, cancel, this.#cancelWaiters);
    else this.#connectedForRequest(connection);
    this.#dispatch();
  }

  #connectedForRequest(connection: PooledConnection): void {
    if (this.#closed) {
      void this.#close(connection);
      return;
    }
    const waiter = this.#requestSlotFree() ? this.#waiters.shift() : undefined;
    if (waiter !== undefined) this.#hand(connection, waiter, this.#waiters);
    // Its requester left while it was opening: with maxLifetime 0 nothing may wait idle (I6).
    else if (this.config.maxLifetime === 0) void this.#close(connection);
    else this.#makeIdle(connection);
  }

  #connectFailed(error: unknown): void {
    this.#connecting--;
    const failure = this.#events.connectFailed(this.#connectError(error));
    if (failure instanceof BudgetError && failure.code === 'DATABASE_REFUSED') {
      // The fleet is full, not the request's fault: it goes on waiting (refusals.ts).
      this.#refusals.refused(failure, () => this.#dispatch());
    } else {
      // The oldest waiter gets the failure; the others keep waiting for their own attempt.
      (this.#cancelWaiters.shift() ?? this.#waiters.shift())?.reject(failure);
    }
    this.#notifyIfQuiet();
    this.#dispatch();
  }

  #connectError(error: unknown): LeakproofError {
    if (error instanceof LeakproofError) return error;
    const kind = error instanceof DeadlineExceeded ? 'connection' : this.#driver?.classifyError(error);
    const reason = error instanceof Error ? error.message : String(error);
    if (kind === 'refused') {
      this.#counters.refusals++;
      return this.#budgetError(
        'DATABASE_REFUSED',
        `the database refused a new connection (${reason}): its max_connections is below the connections in use; keep maxConnections × processes under it`,
        error,
      );
    }
    this.#counters.connectErrors++;
    return connectFailure(this.config, error);
  }

  /** Rolls back a transaction left open, within the time a statement or a connect may take. */
  async #rollback(connection: PooledConnection): Promise<boolean> {
    this.#move(connection, 'resetting');
    try {
      await withDeadline(connection.raw.query(this.#driver!.sql.rollback), Math.max(this.config.connectTimeout, this.#watchdog.limitMs));
      this.#counters.rollbacks++;
      this.#move(connection, 'inUse');
      return true;
    } catch {
      this.#counters.discarded++;
      connection.inFlight = true;
      await this.#close(connection);
      return false;
    }
  }

  /** After a clean release: back to the pool, or closed if it has reached its lifetime. */
  #recycle(connection: PooledConnection): Promise<void> {
    this.#leased.delete(connection);
    if (connection.isUnusable()) return this.#close(connection);
    // A cancel waiting for a connection gets this one before anything else (even one at the
    // end of its life): it frees another connection, and opening one for it may not fit the budget.
    const cancel = this.#cancelWaiters.shift();
    if (cancel !== undefined) {
      this.#hand(connection, cancel, this.#cancelWaiters);
      return RESOLVED;
    }
    if (this.config.maxLifetime === 0 || connection.isExpired(Date.now()) || (this.#closed && !this.#keepsSpare()))
      return this.#close(connection);
    this.#makeIdle(connection);
    this.#dispatch();
    return RESOLVED;
  }

  /**
   * The one place a connection changes state. The busy count (connections neither idle nor
   * closed, which `stats().inUse` reports) follows from the state, so it cannot drift.
   */
  #move(connection: PooledConnection, to: ConnectionState): void {
    this.#busy += Number(isBusy(to)) - Number(isBusy(connection.state));
    connection.state = to;
  }

  /** A closing pool keeps one idle connection while requests still hold theirs: on MySQL a cancel needs one. */
  #keepsSpare(): boolean {
    return this.#driver?.cancelBy === 'session' && this.#leased.size > 0 && this.#idle.length === 0;
  }

  #makeIdle(connection: PooledConnection): void {
    this.#move(connection, 'idle');
    connection.idleSince = Date.now();
    this.#idle.push(connection);
    this.#scheduleReaper();
  }

  /** An idle connection leaving the pool: it moves to `busy` (closing) until it is gone from the server. */
  #closeIdle(connection: PooledConnection): Promise<void> {
    const index = this.#idle.indexOf(connection);
    if (index !== -1) this.#idle.splice(index, 1);
    return this.#close(connection);
  }

  /**
   * Closes a connection. Its slot of the budget is freed only once the server has let the
   * session go: the protocol's quit waits for the server to close the socket. A connection
   * that is dead, abandoned or mid-result has its socket cut instead.
   */
  async #close(connection: PooledConnection): Promise<void> {
    if (connection.state === 'closing' || connection.state === 'closed') return;
    const reason = this.#events.closeReason(connection, this.#closed);
    this.#move(connection, 'closing');
    this.#leased.delete(connection);
    if (connection.needsDestroy()) await this.#cut(connection);
    else await connection.raw.close();
    this.#move(connection, 'closed');
    this.#counters.closed++;
    this.#events.closed(connection, reason);
    void this.#closeSparesIfDone();
    this.#notifyIfQuiet();
    this.#dispatch();
  }

  /**
   * Cuts a connection's socket. If its statement may still run (abandoned, or an answer in
   * flight), the server keeps the session until that statement ends, so its slot stays taken
   * until another connection of the pool has ended the session and seen it gone, within
   * SESSION_END_TIMEOUT_MS (past that, through a dead network say, the slot is freed). Not
   * behind a transaction pooler (its ids are not the server's), nor with a budget of one (no
   * second connection to look with), nor for a connection that died on its own.
   */
  async #cut(connection: PooledConnection): Promise<void> {
    connection.raw.destroy();
    const mayRun = connection.inFlight || connection.abandoned !== undefined;
    if (!mayRun || connection.lost || this.config.maxConnections === 1 || this.config.pooler === 'transaction') return;
    const seen = await this.#endOnServer(connection);
    if (seen === true) this.#counters.sessionsEnded++;
    else if (seen === false) this.#counters.sessionEndTimeouts++;
  }

  /** Ends a cut connection's session from another connection of the pool: whether it was seen gone, undefined if the driver cannot. */
  async #endOnServer(connection: PooledConnection): Promise<boolean | undefined> {
    const driver = this.#driver;
    if (driver?.endSession === undefined) return undefined;
    // A KILL QUERY of it still waiting for a carrier is moot now.
    this.withdrawCancel(connection);
    const deadline = Date.now() + SESSION_END_TIMEOUT_MS;
    const borrowing = this.#borrowForCancel(connection);
    if ((await settleWithin(borrowing, SESSION_END_TIMEOUT_MS)) === 'timeout') this.withdrawCancel(connection);
    const via = await borrowing;
    if (via === undefined) return false;
    const ending = driver.endSession(connection.serverId, via.raw, deadline);
    const settled = (await settleWithin(ending, Math.max(1, deadline - Date.now()))) === 'settled';
    const seen = settled ? await ending.catch(() => undefined) : undefined;
    // A look that failed or still runs leaves `via` unfit for reuse: it is cut instead.
    if (seen === undefined) via.broken = true;
    this.#endLoan(via);
    return seen === true;
  }

  /** A closed pool kept one idle connection for cancels; once no request holds one, it goes too. */
  async #closeSparesIfDone(): Promise<void> {
    if (!this.#closed || this.#leased.size > 0 || this.#cancelWaiters.size > 0 || this.#idle.length === 0) return;
    await Promise.all(this.#idle.splice(0).map((connection) => this.#close(connection)));
  }

  #onBroken(connection: PooledConnection): void {
    if (connection.lost || connection.state === 'closing' || connection.state === 'closed') return;
    connection.lost = true;
    connection.broken = true;
    this.#counters.lost++;
    // Only an idle connection is ours to close now; a leased one is closed when released.
    if (connection.state === 'idle') void this.#closeIdle(connection);
  }

  #notifyIfQuiet(): void {
    if (this.#onQuiet !== undefined && this.#open === 0) {
      const notify = this.#onQuiet;
      this.#onQuiet = undefined;
      notify();
    }
  }

  /** One timer for the whole pool, set for the earliest idle or lifetime deadline. */
  #scheduleReaper(): void {
    if (this.#reaper !== undefined || this.#idle.length === 0) return;
    const now = Date.now();
    let next = Infinity;
    for (const connection of this.#idle) next = Math.min(next, connection.idleSince + this.#idleLimit, connection.expiresAt);
    this.#reaper = detached(() => setTimeout(() => this.#reap(), Math.max(10, next - now)));
    this.#reaper.unref();
  }

  #reap(): void {
    this.#reaper = undefined;
    const now = Date.now();
    for (const connection of [...this.#idle]) {
      if (now - connection.idleSince >= this.#idleLimit || connection.isExpired(now)) void this.#closeIdle(connection);
    }
    this.#scheduleReaper();
  }

  #budgetError(code: 'ACQUIRE_TIMEOUT' | 'QUEUE_FULL' | 'DATABASE_REFUSED', what: string, cause?: unknown): BudgetError {
    const s = this.stats();
    // Connections still opening are part of `open`: without them, open=10/10 inUse=0 idle=0 reads as a contradiction.
    const connecting = s.connecting > 0 ? ` connecting=${s.connecting}` : '';
    const condition = `alias=${s.alias} open=${s.open}/${s.maxConnections} inUse=${s.inUse} idle=${s.idle}${connecting} waiting=${s.waiting}`;
    return new BudgetError(code, `${what} (${condition})`, { cause, retryAfterMs: this.config.retryAfter });
  }
}

const noop = (): void => {};
