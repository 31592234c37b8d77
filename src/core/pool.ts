import type { Driver, DriverConnection } from '../drivers/driver.js';
import { loadDriver } from '../drivers/load-driver.js';
import type { PoolCondition } from '../observability/channels.js';
import { PoolEvents } from '../observability/pool-events.js';
import type { ResolvedAlias } from './config/options.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { connectFailure } from './connect-failure.js';
import type { Databases } from './databases.js';
import { BudgetError, ConnectionError, LeakproofError, UsageError } from './errors.js';
import { emptyCounters, type PoolCounters, type PoolStats } from './pool-stats.js';
import { PooledConnection } from './pooled-connection.js';
import { RESOLVED } from './resolved.js';
import { Waiter, WaitQueue } from './wait-queue.js';

/** At most this many cancel side channels per pool at once; more wait for a slot. */
const MAX_CONCURRENT_CANCELS = 2;
/** How long close() waits for leased connections before destroying them. */
const DEFAULT_CLOSE_GRACE_MS = 10_000;

const isProduction = process.env.NODE_ENV === 'production';

/**
 * The connection pool of one alias. Every state change of a connection is one named method,
 * and waiters meet free connections in one place, `#dispatch`. The budget invariant
 * `idle + busy + connecting <= maxConnections` holds at every step, where `busy` counts
 * connections being checked, used, rolled back or closed.
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
  /** Leased connections, tracked for the shutdown path only. */
  #leased = new Set<PooledConnection>();
  #counters: PoolCounters = emptyCounters();
  /** Effective idle limit: the smaller of idleTimeout and the server's own idle timeout, less a margin. */
  #idleLimit: number;
  #limitsRead = false;
  #reaper: NodeJS.Timeout | undefined;
  /** Cancel side channels open at once; they never count against the budget. */
  readonly #cancels = new ConcurrencyLimit(MAX_CONCURRENT_CANCELS);
  #closed = false;
  #closing: Promise<void> | undefined;
  #onQuiet: (() => void) | undefined;
  /** diagnostics_channel events (observability/channels.ts); free without subscribers. */
  readonly #events: PoolEvents;

  constructor(config: ResolvedAlias, databases: Databases) {
    this.config = config;
    this.#idleLimit = config.idleTimeout;
    this.#waiters = new WaitQueue(config.acquireTimeout, (waiter) => this.#timedOut(waiter));
    this.#events = new PoolEvents(this, databases);
  }

  get #open(): number {
    return this.#idle.length + this.#busy + this.#connecting;
  }

  /** The loaded driver; available once the first connection was opened. */
  get driver(): Driver | undefined {
    return this.#driver;
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
    if (this.#waiters.size === 0) {
      const idle = this.#takeIdle();
      if (idle !== undefined) {
        this.#checkout(idle, waiter);
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
    if (connection === undefined || this.#waiters.size > 0) return undefined;
    const now = Date.now();
    if (now - connection.idleSince > this.config.healthCheckAfter || connection.isExpired(now) || connection.isUnusable()) return undefined;
    this.#idle.pop();
    this.#busy++;
    connection.state = 'inUse';
    connection.owner = owner;
    this.#leased.add(connection);
    this.#counters.acquired++;
    this.#events.acquired(connection, undefined);
    return connection;
  }

  /** Withdraws a waiter whose request ended; a connection meant for it goes back to the pool. */
  withdraw(waiter: Waiter<PooledConnection>, reason: Error): void {
    this.#waiters.remove(waiter);
    waiter.reject(reason);
  }

  /**
   * Returns a connection exactly once. `discard` closes it instead of reusing it (a command
   * may still be in flight, or a cancel was sent). An open transaction is rolled back first;
   * if that fails the connection is closed. Resolves when the connection is idle or closed.
   */
  release(connection: PooledConnection, owner: object, options?: { discard?: boolean }): Promise<void> {
    if (connection.owner === owner && connection.state === 'closed') {
      // Destroyed by close() after its grace period while the request still held it.
      connection.owner = undefined;
      this.#counters.released++;
      return RESOLVED;
    }
    if (connection.owner !== owner || connection.state !== 'inUse') {
      this.#counters.doubleReleases++;
      if (isProduction) return RESOLVED;
      return Promise.reject(new UsageError('RELEASED_TWICE', `connection ${connection.serverId} of pool "${this.config.alias}" was released twice`));
    }
    connection.owner = undefined;
    this.#counters.released++;
    this.#events.released(connection, options?.discard === true);
    if (options?.discard === true || connection.isUnusable()) {
      this.#counters.discarded++;
      return this.#close(connection, false);
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

  /**
   * Cancels the statement running on a leased connection over the driver's side channel.
   * At most MAX_CONCURRENT_CANCELS run at once; the side channel never counts against the
   * budget. Never rejects.
   */
  async cancel(connection: PooledConnection): Promise<void> {
    const driver = this.#driver;
    if (driver === undefined) return;
    await this.#cancels.run(() => this.#sendCancel(driver, connection));
  }

  /** The driver's cancel, bounded in time by the driver (SIDE_CHANNEL_TIMEOUT_MS). */
  async #sendCancel(driver: Driver, connection: PooledConnection): Promise<void> {
    await driver.cancel(connection.raw);
    this.#counters.cancels++;
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
    return { open: this.#open, maxConnections: this.config.maxConnections, inUse: this.#busy, idle: this.#idle.length, connecting: this.#connecting, waiting: this.#waiters.size };
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
   * leased ones close as their requests release them. After `graceMs` the rest are destroyed.
   */
  close(graceMs = DEFAULT_CLOSE_GRACE_MS): Promise<void> {
    this.#closing ??= this.#shutdown(graceMs);
    return this.#closing;
  }

  async #shutdown(graceMs: number): Promise<void> {
    this.#closed = true;
    if (this.#reaper !== undefined) clearTimeout(this.#reaper);
    const closedError = new ConnectionError('POOL_CLOSED', `pool "${this.config.alias}" is closing`);
    for (const waiter of this.#waiters.drain()) waiter.reject(closedError);
    const idle = this.#idle.splice(0);
    await Promise.all(idle.map((connection) => this.#closeIdle(connection)));
    if (await this.#quiet(graceMs)) return;
    // Past the grace period, connections still leased are cancelled (a destroyed socket alone
    // leaves its statement running on the server) and destroyed, so close() always ends. They
    // keep their owner, so the late release of their request is not a double release. These
    // cancels all go at once, not two at a time: a MariaDB KILL QUERY was seen to stall for
    // the whole side-channel timeout (2 s) each, which in turns of two made close() take 10 s.
    const driver = this.#driver;
    await Promise.all([...this.#leased].map(async (connection) => {
      if (driver !== undefined) await this.#sendCancel(driver, connection);
      await this.#close(connection, false);
    }));
  }

  #quiet(ms: number): Promise<boolean> {
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

  /** The one place where waiting requests meet free connections and new connections are opened. */
  #dispatch(): void {
    while (this.#waiters.size > 0) {
      const idle = this.#takeIdle();
      if (idle !== undefined) {
        this.#checkout(idle, this.#waiters.shift()!);
      } else if (this.#connecting < this.#waiters.size && this.#open < this.config.maxConnections && !this.#closed) {
        this.#openConnection();
      } else {
        return;
      }
    }
  }

  #timedOut(waiter: Waiter<PooledConnection>): void {
    this.#counters.timeouts++;
    waiter.reject(this.#events.turnedAway(this.#budgetError('ACQUIRE_TIMEOUT', `acquire timed out after ${this.config.acquireTimeout} ms`)));
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

  /** Hands an idle connection to a waiter, pinging it first if it idled past healthCheckAfter. */
  #checkout(connection: PooledConnection, waiter: Waiter<PooledConnection>): void {
    this.#busy++;
    connection.state = 'checking';
    if (Date.now() - connection.idleSince <= this.config.healthCheckAfter) {
      this.#hand(connection, waiter);
      return;
    }
    connection.raw.ping().then(
      () => this.#hand(connection, waiter),
      () => this.#failHealthCheck(connection, waiter),
    );
  }

  #failHealthCheck(connection: PooledConnection, waiter: Waiter<PooledConnection>): void {
    this.#counters.healthCheckFailures++;
    this.#counters.discarded++;
    void this.#close(connection, false);
    // The request keeps its place at the head of the queue and gets another connection.
    if (!waiter.settled && !this.#closed) this.#waiters.unshift(waiter);
    this.#dispatch();
  }

  /** Gives a connection to a waiter, or back to the pool if the waiter has gone meanwhile. */
  #hand(connection: PooledConnection, waiter: Waiter<PooledConnection>): void {
    connection.state = 'inUse';
    connection.owner = waiter;
    if (!waiter.resolve(connection)) {
      connection.owner = undefined;
      void this.#recycle(connection);
      return;
    }
    this.#leased.add(connection);
    this.#counters.acquired++;
    this.#events.acquired(connection, waiter);
  }

  #openConnection(): void {
    this.#connecting++;
    this.#events.timeConnect(this.#connect()).then(
      (raw) => this.#connected(raw),
      (error: unknown) => this.#connectFailed(error),
    );
  }

  async #connect(): Promise<DriverConnection> {
    const driver = this.#driver ?? (await this.#loadDriver());
    const raw = await driver.connect();
    if (!this.#limitsRead && this.config.maxLifetime > 0) await this.#readServerLimits(driver, raw);
    return raw;
  }

  #loadDriver(): Promise<Driver> {
    this.#driverLoading ??= loadDriver(this.config).then((driver) => (this.#driver = driver));
    // A failed load (package missing) is retried on the next connect rather than cached.
    this.#driverLoading.catch(() => (this.#driverLoading = undefined));
    return this.#driverLoading;
  }

  /** Idle connections must retire before the server's own idle timeout reaps them. */
  async #readServerLimits(driver: Driver, raw: DriverConnection): Promise<void> {
    this.#limitsRead = true;
    try {
      const { idleTimeoutMs } = await driver.readServerLimits(raw);
      if (idleTimeoutMs > 0) this.#idleLimit = Math.min(this.config.idleTimeout, Math.floor(idleTimeoutMs * 0.9));
    } catch {
      this.#limitsRead = false;
    }
  }

  #connected(raw: DriverConnection): void {
    this.#connecting--;
    this.#counters.created++;
    const connection = new PooledConnection(raw, Date.now(), this.config.maxLifetime);
    raw.onBroken(() => this.#onBroken(connection));
    this.#busy++;
    if (this.#closed) {
      void this.#close(connection, true);
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) this.#hand(connection, waiter);
    // Its requester left while it was opening: with maxLifetime 0 nothing may wait idle (I6).
    else if (this.config.maxLifetime === 0) void this.#close(connection, true);
    else this.#makeIdle(connection);
    this.#dispatch();
  }

  #connectFailed(error: unknown): void {
    this.#connecting--;
    const failure = this.#events.connectFailed(this.#connectError(error));
    // The oldest waiter gets the failure; the others keep waiting for their own attempt.
    this.#waiters.shift()?.reject(failure);
    this.#notifyIfQuiet();
    this.#dispatch();
  }

  #connectError(error: unknown): LeakproofError {
    if (error instanceof LeakproofError) return error;
    const kind = this.#driver?.classifyError(error);
    const reason = error instanceof Error ? error.message : String(error);
    if (kind === 'refused') {
      this.#counters.refusals++;
      return this.#budgetError('DATABASE_REFUSED', `the database refused a new connection (${reason}): its max_connections is below the connections in use; keep maxConnections × processes under it`, error);
    }
    this.#counters.connectErrors++;
    return connectFailure(this.config, error);
  }

  async #rollback(connection: PooledConnection): Promise<boolean> {
    connection.state = 'resetting';
    try {
      await connection.raw.query(this.#driver!.sql.rollback);
      this.#counters.rollbacks++;
      connection.state = 'inUse';
      return true;
    } catch {
      this.#counters.discarded++;
      await this.#close(connection, false);
      return false;
    }
  }

  /** After a clean release: back to the pool, or closed if it has reached its lifetime. */
  #recycle(connection: PooledConnection): Promise<void> {
    this.#leased.delete(connection);
    if (this.#closed || this.config.maxLifetime === 0 || connection.isExpired(Date.now()) || connection.isUnusable()) {
      return this.#close(connection, true);
    }
    this.#makeIdle(connection);
    this.#dispatch();
    return RESOLVED;
  }

  #makeIdle(connection: PooledConnection): void {
    this.#busy--;
    connection.state = 'idle';
    connection.idleSince = Date.now();
    this.#idle.push(connection);
    this.#scheduleReaper();
  }

  /** An idle connection leaving the pool: it moves to `busy` (closing) until its socket is closed. */
  #closeIdle(connection: PooledConnection): Promise<void> {
    const index = this.#idle.indexOf(connection);
    if (index !== -1) this.#idle.splice(index, 1);
    this.#busy++;
    return this.#close(connection, !connection.isUnusable());
  }

  async #close(connection: PooledConnection, graceful: boolean): Promise<void> {
    if (connection.state === 'closing' || connection.state === 'closed') return;
    const reason = this.#events.closeReason(connection, this.#closed);
    connection.state = 'closing';
    this.#leased.delete(connection);
    if (graceful) await connection.raw.close();
    else connection.raw.destroy();
    connection.state = 'closed';
    this.#busy--;
    this.#counters.closed++;
    this.#events.closed(connection, reason);
    this.#notifyIfQuiet();
    this.#dispatch();
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
    this.#reaper = setTimeout(() => this.#reap(), Math.max(10, next - now));
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
    const condition = `alias=${s.alias} open=${s.open}/${s.maxConnections} inUse=${s.inUse} idle=${s.idle} waiting=${s.waiting}`;
    return new BudgetError(code, `${what} (${condition})`, { cause, retryAfterMs: this.config.retryAfter });
  }
}
