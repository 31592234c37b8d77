import diagnosticsChannel from 'node:diagnostics_channel';
import type { BudgetError, LeakproofError } from '../errors/errors.js';
import type { DriverConnection } from '../drivers/driver.js';
import { CHANNELS, type CloseReason, type LeakEvent, type PoolCondition, type PoolEvent } from './channels.js';

/** Held at module level: a channel object with subscribers must stay reachable on Node 20. */
const acquire = diagnosticsChannel.channel(CHANNELS.acquire);
const release = diagnosticsChannel.channel(CHANNELS.release);
const timeout = diagnosticsChannel.channel(CHANNELS.timeout);
const connect = diagnosticsChannel.channel(CHANNELS.connect);
const close = diagnosticsChannel.channel(CHANNELS.close);
const error = diagnosticsChannel.channel(CHANNELS.error);
const leak = diagnosticsChannel.channel(CHANNELS.leak);
const leakReturned = diagnosticsChannel.channel(CHANNELS.leakReturned);

/** What the publisher reads of a connection (the core's PooledConnection). */
export interface EventConnection {
  readonly serverId: number;
  readonly createdAt: number;
  readonly state: string;
  readonly raw: { inTransaction(): boolean };
  isUnusable(): boolean;
  isExpired(now: number): boolean;
}

/** What the publisher needs of its pool. */
export interface EventSource {
  readonly config: { readonly alias: string; readonly maxLifetime: number; readonly acquireTimeout: number };
  condition(): PoolCondition;
}

/** A leak report's fields besides the common ones (see `LeakEvent`). */
export type LeakDetails = Omit<LeakEvent, keyof PoolEvent>;

const since = (start: number | undefined): number | undefined => (start === undefined ? undefined : performance.now() - start);

/**
 * The publishing side of one pool's events. The pool calls it at each state change; every
 * method first checks its channel's `hasSubscribers`, so without subscribers nothing is
 * measured, allocated or built. Timestamps are kept in weak maps, and only while someone
 * listens, so the pool's own objects carry no extra fields.
 */
export class PoolEvents {
  readonly #source: EventSource;
  readonly #databases: object;
  readonly #alias: string;
  #waitStarts = new WeakMap<object, number>();
  #leasedAt = new WeakMap<EventConnection, number>();
  #discarding = new WeakSet<EventConnection>();

  constructor(source: EventSource, databases: object) {
    this.#source = source;
    this.#databases = databases;
    this.#alias = source.config.alias;
  }

  /** A request starts asking for a connection (the waiter is its token until it has one). */
  waiting(waiter: object): void {
    if (acquire.hasSubscribers) this.#waitStarts.set(waiter, performance.now());
  }

  /** A connection was handed to a request; `waiter` is undefined on the synchronous fast path. */
  acquired(connection: EventConnection, waiter: object | undefined): void {
    if (release.hasSubscribers) this.#leasedAt.set(connection, performance.now());
    if (!acquire.hasSubscribers) return;
    const waitMs = waiter === undefined ? 0 : since(this.#waitStarts.get(waiter));
    acquire.publish({ databases: this.#databases, alias: this.#alias, pool: this.#condition(), serverId: connection.serverId, waitMs });
  }

  /** A request gave its connection back; `discard` when it asked for the connection to be closed. */
  released(connection: EventConnection, discard: boolean): void {
    if (discard && close.hasSubscribers) this.#discarding.add(connection);
    if (!release.hasSubscribers) return;
    const heldMs = since(this.#leasedAt.get(connection));
    const rollback = !discard && connection.raw.inTransaction();
    const discarded = discard || connection.isUnusable();
    release.publish({
      databases: this.#databases,
      alias: this.#alias,
      pool: this.#condition(),
      serverId: connection.serverId,
      heldMs,
      rollback,
      discard: discarded,
    });
  }

  /** A request was turned away by the budget. Returns `failure`, for the pool to reject with. */
  turnedAway(failure: BudgetError): BudgetError {
    if (!timeout.hasSubscribers) return failure;
    const waitMs = failure.code === 'ACQUIRE_TIMEOUT' ? this.#source.config.acquireTimeout : 0;
    timeout.publish({
      databases: this.#databases,
      alias: this.#alias,
      pool: this.#condition(),
      code: failure.code,
      error: failure,
      waitMs,
    });
    return failure;
  }

  /** Opening a connection could not succeed. Returns `failure`, for the pool to reject with. */
  connectFailed(failure: LeakproofError): LeakproofError {
    const code = failure.code;
    if (error.hasSubscribers && (code === 'DATABASE_REFUSED' || code === 'CONNECTION_FAILED' || code === 'TLS_FAILED')) {
      error.publish({ databases: this.#databases, alias: this.#alias, pool: this.#condition(), code, error: failure });
    }
    return failure;
  }

  /** Times a connect. Returns the same promise; reports `connect` when it resolves. */
  timeConnect(opening: Promise<DriverConnection>): Promise<DriverConnection> {
    if (!connect.hasSubscribers) return opening;
    const started = performance.now();
    opening.then(
      (raw) => {
        const durationMs = performance.now() - started;
        connect.publish({ databases: this.#databases, alias: this.#alias, pool: this.#condition(), serverId: raw.serverId, durationMs });
      },
      () => undefined,
    );
    return opening;
  }

  /**
   * Why a connection is being closed, read off its state just before the pool closes it, so
   * the pool's many close paths need no reason argument. `undefined` without subscribers.
   */
  closeReason(connection: EventConnection, poolClosed: boolean): CloseReason | undefined {
    if (!close.hasSubscribers) return undefined;
    if (poolClosed) return 'shutdown';
    // A connection closed while being checked failed its health check.
    if (connection.isUnusable() || connection.state === 'checking') return 'broken';
    // Released with discard, or failed to roll back.
    if (this.#discarding.has(connection) || connection.state === 'resetting') return 'discard';
    if (this.#source.config.maxLifetime === 0 || connection.isExpired(Date.now())) return 'lifetime';
    return connection.state === 'idle' ? 'idle' : 'discard';
  }

  /** A connection was closed; `reason` is what `closeReason` said before the close began. */
  closed(connection: EventConnection, reason: CloseReason | undefined): void {
    if (reason === undefined || !close.hasSubscribers) return;
    const ageMs = Date.now() - connection.createdAt;
    close.publish({
      databases: this.#databases,
      alias: this.#alias,
      pool: this.#condition(),
      serverId: connection.serverId,
      reason,
      ageMs,
    });
  }

  /** A lease still holds its connection `leakTimeout` ms after its request ended. */
  leaked(details: () => LeakDetails): void {
    if (leak.hasSubscribers) leak.publish(this.#leakEvent(details()));
  }

  /** A leaked lease was finally returned. */
  leakReturned(details: () => LeakDetails): void {
    if (leakReturned.hasSubscribers) leakReturned.publish(this.#leakEvent(details()));
  }

  #leakEvent(d: LeakDetails): LeakEvent {
    return {
      databases: this.#databases,
      alias: this.#alias,
      pool: this.#condition(),
      serverId: d.serverId,
      label: d.label,
      method: d.method,
      path: d.path,
      heldMs: d.heldMs,
      stack: d.stack,
    };
  }

  // Payloads are written out field by field, never spread: on Node 20 an object spread plus
  // extra fields takes a slow path (about 3 µs, measured), more than the rest of a lease.
  #condition(): PoolCondition {
    return this.#source.condition();
  }
}
