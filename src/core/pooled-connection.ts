import type { DriverConnection } from '../drivers/driver.js';

/**
 * `idle`: in the pool, free. `checking`: being health-checked on its way to a request.
 * `inUse`: leased by a request. `resetting`: released, rolling back a transaction left open.
 * `closing` / `closed`: leaving the pool. Every state but `closed` counts against the budget,
 * because the server still sees the session until its socket is closed.
 */
export type ConnectionState = 'idle' | 'checking' | 'inUse' | 'resetting' | 'closing' | 'closed';

/** One physical connection with the bookkeeping the pool needs. */
export class PooledConnection {
  readonly raw: DriverConnection;
  readonly createdAt: number;
  /** When it must stop being reused (maxLifetime with jitter); Infinity when it never expires. */
  readonly expiresAt: number;
  state: ConnectionState = 'inUse';
  /** When it last went idle. */
  idleSince = 0;
  /** The lease currently holding it; a release by any other owner is a double release. */
  owner: object | undefined;
  /** Set when the driver reported it dead, or a command saw a connection-class error. */
  broken = false;
  /** Set when it died on its own (server kill, restart), as opposed to being closed by the pool. */
  lost = false;

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
}
