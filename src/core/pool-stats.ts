/**
 * A snapshot of one alias's pool. `open = idle + inUse + connecting` and `open <= maxConnections`
 * at every step. `inUse` includes connections being health-checked, rolled back or closed,
 * because the server still counts them.
 */
export interface PoolStats {
  readonly alias: string;
  readonly maxConnections: number;
  /** Connections the server sees from this pool right now. */
  readonly open: number;
  readonly inUse: number;
  readonly idle: number;
  /** Connections being opened. */
  readonly connecting: number;
  /** Requests waiting for a connection. */
  readonly waiting: number;
  /** Connections opened since the pool was created. */
  readonly created: number;
  /** Connections closed since the pool was created. */
  readonly closed: number;
  /** Leases handed to requests. */
  readonly acquired: number;
  /** Leases returned. */
  readonly released: number;
  /** Requests that gave up after `acquireTimeout` (`ACQUIRE_TIMEOUT`). */
  readonly timeouts: number;
  /** Requests turned away because `maxWaiting` were already waiting (`QUEUE_FULL`). */
  readonly queueFull: number;
  /** Connections the database refused for its own limit (`DATABASE_REFUSED`). */
  readonly refusals: number;
  /** Other failures to open a connection (`CONNECTION_FAILED`). */
  readonly connectErrors: number;
  /** Idle connections that failed the ping before reuse and were replaced. */
  readonly healthCheckFailures: number;
  /** Transactions found open on release and rolled back. */
  readonly rollbacks: number;
  /** Connections closed instead of reused: broken, busy, cancelled, or failed to roll back. */
  readonly discarded: number;
  /** Connections that died on their own: killed on the server, server restart, network. */
  readonly lost: number;
  /** Cancels sent to the server (a cancel request, `KILL QUERY`), counted as they go out: their client left, or leakproof gave up on the statement. */
  readonly cancels: number;
  /**
   * Connections leakproof gave up on because their statement did not come back: past
   * statementTimeout and its grace, or releaseTimeout after the request ended (a stalled
   * network). The statement was cancelled and the connection closed.
   */
  readonly abandoned: number;
  /**
   * Sessions whose socket was cut while their statement may still have run, ended on the server
   * by another connection of the pool (`KILL CONNECTION`, `pg_terminate_backend`) before their
   * slot was given to another connection.
   */
  readonly sessionsEnded: number;
  /**
   * Cut sessions that could not be seen ending within 5 s (no connection to look with, or a dead
   * network): their slot was freed anyway, so the server may briefly have counted one more.
   */
  readonly sessionEndTimeouts: number;
  /** Connections still held `leakTimeout` ms after their request ended. */
  readonly leaks: number;
  /** Releases of a connection that was not held (a bug; throws outside production). */
  readonly doubleReleases: number;
}

export type PoolCounters = {
  -readonly [K in Exclude<keyof PoolStats, 'alias' | 'maxConnections' | 'open' | 'inUse' | 'idle' | 'connecting' | 'waiting'>]: number;
};

export function emptyCounters(): PoolCounters {
  return {
    created: 0,
    closed: 0,
    acquired: 0,
    released: 0,
    timeouts: 0,
    queueFull: 0,
    refusals: 0,
    connectErrors: 0,
    healthCheckFailures: 0,
    rollbacks: 0,
    discarded: 0,
    lost: 0,
    cancels: 0,
    abandoned: 0,
    sessionsEnded: 0,
    sessionEndTimeouts: 0,
    leaks: 0,
    doubleReleases: 0,
  };
}
