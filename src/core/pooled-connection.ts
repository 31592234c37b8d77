import type { DriverConnection } from '../drivers/driver.js';

/**
 * `new`: just opened, not placed yet. `idle`: in the pool, free. `checking`: being
 * health-checked on its way to a request or a cancel. `inUse`: leased by a request.
 * `lending`: running a cancel or a session's end for another connection (MySQL `KILL`).
 * `resetting`: released, rolling back a transaction left open. `closing` / `closed`: leaving
 * the pool. Every state but `new`, `idle` and `closed` is counted as busy (idle connections are
 * counted apart); all but `closed` hold a slot of the budget, because the server still sees
 * the session until its socket is closed.
 */
export type ConnectionState = 'new' | 'idle' | 'checking' | 'inUse' | 'lending' | 'resetting' | 'closing' | 'closed';

/** Whether a connection in `state` counts in the pool's busy count (`stats().inUse`). */
export function isBusy(state: ConnectionState): boolean {
  return state !== 'new' && state !== 'idle' && state !== 'closed';
}

/** Why leakproof gave up on a connection whose statement did not come back. */
export type AbandonReason = 'statementTimeout' | 'releaseTimeout';

/** One physical connection with the bookkeeping the pool needs. */
export class PooledConnection {
  readonly raw: DriverConnection;
  readonly createdAt: number;
  /** When it must stop being reused (maxLifetime with jitter); Infinity when it never expires. */
  readonly expiresAt: number;
  state: ConnectionState = 'new';
  /** When it last went idle. */
  idleSince = 0;
  /** The lease currently holding it; a release by any other owner is a double release. */
  owner: object | undefined;
  /** Set when the driver reported it dead, or a command saw a connection-class error. */
  broken = false;
  /** Set when it died on its own (server kill, restart), as opposed to being closed by the pool. */
  lost = false;
  /** How many leases it has served; more than one means it sat idle in the pool in between. */
  leases = 0;
  /** When the statement now running started (ms since the epoch), 0 when none runs; streams are not counted. */
  commandSince = 0;
  /** Set when the statement now running was cancelled at statementTimeout by leakproof (behind a transaction pooler). */
  cancelledAtLimit = false;
  /** Set when leakproof stopped waiting for its statement and closed it. */
  abandoned: AbandonReason | undefined;
  /**
   * An answer may still arrive that nobody will read (a MySQL stream cut off, a rollback or a
   * ping given up on): its socket is cut, since a quit would queue behind that answer.
   */
  inFlight = false;

  constructor(raw: DriverConnection, createdAt: number, maxLifetime: number) {
    this.raw = raw;
    this.createdAt = createdAt;
    // Up to 2.5 % negative jitter, so connections opened together do not all retire together.
    this.expiresAt = maxLifetime > 0 ? createdAt + maxLifetime * (1 - Math.random() * 0.025) : Infinity;
  }

  get serverId(): number {
    return this.raw.serverId;
  }

  isExpired(now: number): boolean {
    return now >= this.expiresAt;
  }

  isUnusable(): boolean {
    return this.broken || this.raw.isBroken();
  }

  /** Whether its socket must be cut rather than closed with the protocol's quit. */
  needsDestroy(): boolean {
    return this.inFlight || this.abandoned !== undefined || this.isUnusable();
  }
}
