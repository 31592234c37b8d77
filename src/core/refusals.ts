import { detached } from '../drivers/detached.js';
import type { BudgetError } from '../errors/errors.js';

const FIRST_BACKOFF_MS = 25;
const MAX_BACKOFF_MS = 1000;
const WARNING_INTERVAL_MS = 10_000;

/**
 * What the pool remembers of the database refusing new connections for its own limit (MySQL
 * 1040 / 1203 / 1226, PostgreSQL 53300): several processes share that limit, so a refusal means
 * "the fleet is full", not "this request failed". Requests keep waiting, for a connection this
 * process frees or a later attempt that gets through, within their acquireTimeout; attempts back
 * off (25 ms, doubling to 1 s), one at a time until one gets through, instead of hammering the
 * server; a warning says how often it happened, at most every 10 s.
 */
export class Refusals {
  readonly #alias: string;
  #last: { readonly at: number; readonly error: BudgetError } | undefined;
  #backoff = FIRST_BACKOFF_MS;
  #until = 0;
  /** Refused since the last connection that got through: attempts go one at a time. */
  #full = false;
  #retry: NodeJS.Timeout | undefined;
  #sinceWarning = 0;
  #warnedAt = 0;

  constructor(alias: string) {
    this.#alias = alias;
  }

  /** Records a refusal; `retry` is called when the next attempt may be made. */
  refused(error: BudgetError, retry: () => void): void {
    const now = Date.now();
    this.#last = { at: now, error };
    this.#full = true;
    // Attempts made together are refused together: one round of them backs off once.
    if (now >= this.#until) {
      this.#until = now + this.#backoff;
      this.#backoff = Math.min(this.#backoff * 2, MAX_BACKOFF_MS);
    }
    if (this.#retry === undefined) {
      this.#retry = detached(() =>
        setTimeout(() => {
          this.#retry = undefined;
          retry();
        }, this.#until - now),
      );
    }
    this.#warn(now, error);
  }

  /** A connection got through: the fleet has room again. */
  connected(): void {
    this.#backoff = FIRST_BACKOFF_MS;
    this.#until = 0;
    this.#full = false;
  }

  /** Whether a new connection may be attempted now, with `connecting` attempts already under way. */
  mayConnect(connecting: number): boolean {
    if (!this.#full) return true;
    return connecting === 0 && Date.now() >= this.#until;
  }

  /** The refusal a waiter that started at `since` should fail with instead of ACQUIRE_TIMEOUT, if one came while it waited. */
  since(since: number): BudgetError | undefined {
    return this.#last !== undefined && this.#last.at >= since ? this.#last.error : undefined;
  }

  stop(): void {
    clearTimeout(this.#retry);
    this.#retry = undefined;
  }

  #warn(now: number, error: BudgetError): void {
    this.#sinceWarning++;
    if (now - this.#warnedAt < WARNING_INTERVAL_MS) return;
    const count = this.#sinceWarning;
    this.#warnedAt = now;
    this.#sinceWarning = 0;
    process.emitWarning(
      `alias "${this.#alias}": the database refused ${count} new connection${count === 1 ? '' : 's'} for its own limit since the last warning; requests wait for this process's connections instead, and get 503 past acquireTimeout. The processes sharing the database ask for more than it allows: lower maxConnections per process (leakproof doctor --processes N prints a budget). ${error.message}`,
      { code: 'LEAKPROOF_REFUSED', type: 'LeakproofWarning' },
    );
  }
}
