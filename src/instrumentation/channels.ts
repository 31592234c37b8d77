/**
 * leakproof's `node:diagnostics_channel` events: what the pools do, as it happens, for logs,
 * metrics (`leakproof/prometheus` subscribes to these same channels) and tracing. The channel
 * names are stable. Every payload names its `Databases` and alias, the server's id of the
 * connection, and the pool's condition at that moment; none ever carries a password or a URL.
 * Without a subscriber an event costs one `hasSubscribers` check: no payload is built.
 *
 * @example
 * import { subscribe } from 'leakproof/diagnostics';
 *
 * const stop = subscribe('timeout', (event) => {
 *   console.warn(`${event.alias}: ${event.code} (open ${event.pool.open}/${event.pool.maxConnections}, waiting ${event.pool.waiting})`);
 * });
 * // later: stop();
 *
 * @example
 * // The same with node:diagnostics_channel directly, by channel name:
 * import diagnosticsChannel from 'node:diagnostics_channel';
 * import { CHANNELS, type LeakEvent } from 'leakproof/diagnostics';
 *
 * diagnosticsChannel.subscribe(CHANNELS.leak, (message) => {
 *   const leak = message as LeakEvent;
 *   console.error(`leak: ${leak.method} ${leak.path} holds connection ${leak.serverId}\n${leak.stack}`);
 * });
 *
 * @module
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { BudgetError, ConnectionError } from '../errors/errors.js';

/** The channel of each event kind. Subscribe by these names; they do not change. */
export const CHANNELS = {
  /** A request was handed a connection. */
  acquire: 'leakproof:pool:acquire',
  /** A request gave its connection back. */
  release: 'leakproof:pool:release',
  /** A request was turned away by the budget: `ACQUIRE_TIMEOUT` or `QUEUE_FULL`. */
  timeout: 'leakproof:pool:timeout',
  /** A new physical connection was opened. */
  connect: 'leakproof:pool:connect',
  /** A physical connection was closed, with the reason. */
  close: 'leakproof:pool:close',
  /** A new connection could not be opened: `DATABASE_REFUSED`, `CONNECTION_FAILED` or `TLS_FAILED`. */
  error: 'leakproof:pool:error',
  /** A connection is still held `leakTimeout` ms after its request ended. */
  leak: 'leakproof:pool:leak',
  /** A connection reported as leaked was finally returned. */
  leakReturned: 'leakproof:pool:leak-returned',
} as const;

export type EventKind = keyof typeof CHANNELS;

/** The pool's condition when the event happened (the gauges of `dbs.stats()`). */
export interface PoolCondition {
  readonly open: number;
  readonly maxConnections: number;
  readonly inUse: number;
  readonly idle: number;
  readonly connecting: number;
  readonly waiting: number;
}

/** What every event carries. */
export interface PoolEvent {
  /**
   * The `createDatabases` result the pool belongs to: compare it with yours to filter
   * (`event.databases === dbs`). Typed as a bare object so that this module, which the pools
   * publish through, stands below them.
   */
  readonly databases: object;
  readonly alias: string;
  readonly pool: PoolCondition;
}

export interface AcquireEvent extends PoolEvent {
  /** The server's id of the connection (MySQL `CONNECTION_ID()`, PostgreSQL backend pid). */
  readonly serverId: number;
  /**
   * How long the request waited for it, in ms (0 when an idle connection was taken at once).
   * `undefined` only for a request that started waiting before the first subscriber joined.
   */
  readonly waitMs: number | undefined;
}

export interface ReleaseEvent extends PoolEvent {
  readonly serverId: number;
  /** How long the request held it, in ms; `undefined` if it was leased before the first subscriber joined. */
  readonly heldMs: number | undefined;
  /** A transaction was left open and is being rolled back before reuse. */
  readonly rollback: boolean;
  /** It is closed instead of reused (a statement may still run, it was cancelled, or it broke). */
  readonly discard: boolean;
}

export interface TimeoutEvent extends PoolEvent {
  readonly code: 'ACQUIRE_TIMEOUT' | 'QUEUE_FULL';
  /** The error the request got; its message states the pool's condition. */
  readonly error: BudgetError;
  /** How long the request waited: `acquireTimeout` for `ACQUIRE_TIMEOUT`, 0 for `QUEUE_FULL`. */
  readonly waitMs: number;
}

export interface ConnectEvent extends PoolEvent {
  readonly serverId: number;
  /** From starting to open it to ready for use, in ms (the first one includes loading the driver). */
  readonly durationMs: number;
}

/**
 * Why a connection was closed. `lifetime`: it reached `maxLifetime` (or `maxLifetime` is 0 and
 * its request ended). `idle`: it idled past `idleTimeout` or the server's own idle timeout.
 * `broken`: it died, failed its health check or broke during a statement. `discard`: it was
 * released with an answer still to come (a MySQL stream cut off, a statement given up on after
 * statementTimeout or releaseTimeout), after a PostgreSQL cancel that may still arrive, or its
 * rollback failed.
 * `shutdown`: `dbs.close()`.
 */
export type CloseReason = 'lifetime' | 'idle' | 'broken' | 'discard' | 'shutdown';

export interface CloseEvent extends PoolEvent {
  readonly serverId: number;
  readonly reason: CloseReason;
  /** How long the connection was open, in ms. */
  readonly ageMs: number;
}

export interface ErrorEvent extends PoolEvent {
  readonly code: 'DATABASE_REFUSED' | 'CONNECTION_FAILED' | 'TLS_FAILED';
  /** The error the waiting request got; the URL in its message is masked, its `cause` is the driver's error. */
  readonly error: BudgetError | ConnectionError;
}

export interface LeakEvent extends PoolEvent {
  /** The connection held; `undefined` if the request was still waiting for one. */
  readonly serverId: number | undefined;
  /** The scope's label (an adapter's `METHOD /path`, its query string dropped), or `undefined`. */
  readonly label: string | undefined;
  /** The request's method, when the label is `METHOD /path`. */
  readonly method: string | undefined;
  /** The request's path without its query string, when the label is `METHOD /path`. */
  readonly path: string | undefined;
  /** How long after its request ended the connection was still held, in ms. */
  readonly heldMs: number;
  /** The stack captured when the lease was taken. */
  readonly stack: string | undefined;
}

/** The same fields as the leak it follows; `heldMs` is from the request's end to the return. */
export type LeakReturnedEvent = LeakEvent;

/** The payload of each event kind. */
export interface EventMap {
  acquire: AcquireEvent;
  release: ReleaseEvent;
  timeout: TimeoutEvent;
  connect: ConnectEvent;
  close: CloseEvent;
  error: ErrorEvent;
  leak: LeakEvent;
  leakReturned: LeakReturnedEvent;
}

/**
 * Subscribes `listener` to one kind of event and returns the function that unsubscribes it.
 * Listeners run synchronously inside the pool's own steps: keep them short. One that throws
 * does not interrupt the pool, but `diagnostics_channel` rethrows its error on the next tick
 * as an uncaught exception, so catch inside the listener.
 *
 * @example
 * const stop = subscribe('acquire', (event) => histogram.observe(event.waitMs ?? 0));
 */
export function subscribe<K extends EventKind>(kind: K, listener: (event: EventMap[K]) => void): () => void {
  const name = CHANNELS[kind];
  const handler = (message: unknown): void => listener(message as EventMap[K]);
  diagnosticsChannel.subscribe(name, handler);
  return () => void diagnosticsChannel.unsubscribe(name, handler);
}
