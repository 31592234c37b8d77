import { detached } from './detached.js';
import type { PooledConnection } from './pooled-connection.js';

/**
 * The client-side backstop of `statementTimeout`: the server stops a statement at
 * `statementTimeout`, so an answer that has not come a grace period later will not come (the
 * network stalled, the server hangs). One timer per pool, running only while connections are
 * leased, looks at the statements they run; no timer per statement on the query path.
 */
export class StatementWatchdog {
  readonly #limitMs: number;
  readonly #leased: ReadonlySet<PooledConnection>;
  readonly #onOverdue: (connection: PooledConnection) => void;
  #timer: NodeJS.Timeout | undefined;

  /** `statementTimeoutMs` 0 turns it off. */
  constructor(statementTimeoutMs: number, leased: ReadonlySet<PooledConnection>, onOverdue: (connection: PooledConnection) => void) {
    this.#limitMs = statementTimeoutMs > 0 ? statementTimeoutMs + backstopGrace(statementTimeoutMs) : 0;
    this.#leased = leased;
    this.#onOverdue = onOverdue;
  }

  /** How long after its start a statement is given up on; 0 when there is no limit. */
  get limitMs(): number {
    return this.#limitMs;
  }

  /** Called whenever a connection is leased: starts watching if nobody is. */
  watch(): void {
    if (this.#limitMs === 0 || this.#timer !== undefined) return;
    this.#timer = detached(() => setInterval(() => this.#check(), Math.max(100, Math.floor(this.#limitMs / 4))));
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #check(): void {
    if (this.#leased.size === 0) return this.stop();
    const overdueBefore = Date.now() - this.#limitMs;
    for (const connection of this.#leased) {
      if (connection.commandSince !== 0 && connection.commandSince < overdueBefore && connection.abandoned === undefined) this.#onOverdue(connection);
    }
  }
}

/** A server's timeout error arrives within milliseconds; a second (or a quarter more) is plenty. */
function backstopGrace(statementTimeoutMs: number): number {
  return Math.max(1000, Math.ceil(statementTimeoutMs / 4));
}
