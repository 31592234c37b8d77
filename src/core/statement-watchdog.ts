import { detached } from '../drivers/detached.js';
import type { PooledConnection } from './pooled-connection.js';

/** What the watchdog does with a connection whose statement has run too long. */
export interface WatchdogActions {
  /** Past statementTimeout, when the server cannot enforce it (a transaction pooler): cancel it. */
  readonly onLimit?: (connection: PooledConnection) => void;
  /** Past statementTimeout and a grace period: the answer will not come; give the connection up. */
  readonly onOverdue: (connection: PooledConnection) => void;
}

/**
 * The client side of `statementTimeout`. The server stops a statement at `statementTimeout`,
 * so an answer that has not come a grace period later will not come (the network stalled,
 * the server hangs): the connection is given up. Behind a transaction pooler the server has no
 * per-session limit, so the watchdog also cancels the statement at `statementTimeout` itself.
 * One timer per pool, running only while connections are leased, looks at the statements they
 * run; no timer per statement on the query path.
 */
export class StatementWatchdog {
  readonly #limitMs: number;
  readonly #cancelAtMs: number;
  readonly #leased: ReadonlySet<PooledConnection>;
  readonly #actions: WatchdogActions;
  #timer: NodeJS.Timeout | undefined;

  /** `statementTimeoutMs` 0 turns it off; `cancelItself` when no server enforces it. */
  constructor(statementTimeoutMs: number, cancelItself: boolean, leased: ReadonlySet<PooledConnection>, actions: WatchdogActions) {
    this.#limitMs = statementTimeoutMs > 0 ? statementTimeoutMs + backstopGrace(statementTimeoutMs) : 0;
    this.#cancelAtMs = cancelItself ? statementTimeoutMs : 0;
    this.#leased = leased;
    this.#actions = actions;
  }

  /** How long after its start a statement is given up on; 0 when there is no limit. */
  get limitMs(): number {
    return this.#limitMs;
  }

  /** Called whenever a connection is leased: starts watching if nobody is. */
  watch(): void {
    if (this.#limitMs === 0 || this.#timer !== undefined) return;
    // A cancel at the limit itself wants a finer look than the backstop's quarter of it.
    const every = this.#cancelAtMs > 0 ? Math.max(50, Math.floor(this.#cancelAtMs / 10)) : Math.max(100, Math.floor(this.#limitMs / 4));
    this.#timer = detached(() => setInterval(() => this.#check(), every));
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #check(): void {
    if (this.#leased.size === 0) return this.stop();
    const now = Date.now();
    for (const connection of this.#leased) {
      const since = connection.commandSince;
      if (since === 0 || connection.abandoned !== undefined) continue;
      if (since < now - this.#limitMs) this.#actions.onOverdue(connection);
      else if (this.#cancelAtMs > 0 && !connection.cancelledAtLimit && since < now - this.#cancelAtMs) {
        connection.cancelledAtLimit = true;
        this.#actions.onLimit?.(connection);
      }
    }
  }
}

/** A server's timeout error arrives within milliseconds; a second (or a quarter more) is plenty. */
function backstopGrace(statementTimeoutMs: number): number {
  return Math.max(1000, Math.ceil(statementTimeoutMs / 4));
}
