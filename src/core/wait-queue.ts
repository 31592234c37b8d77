/**
 * A FIFO of requests waiting for a connection. Each waiter is settled exactly once: handed a
 * connection, timed out, rejected, or withdrawn by its request. A withdrawn waiter never
 * receives a connection, so one that arrives late goes back to the pool instead of leaking
 * (mysqljs/mysql#1877, brianc/node-postgres#3543).
 *
 * @module
 */
import { detached } from '../drivers/detached.js';

export class Waiter<T> {
  readonly promise: Promise<T>;
  #resolve!: (value: T) => void;
  #reject!: (error: Error) => void;
  #settled = false;
  /** Set while the waiter sits in a queue, so removal is O(1) amortised. */
  queued = false;
  /** When the queue times it out (ms since the epoch); set when it is queued. */
  deadline = Infinity;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Returns false if the waiter was already settled (the caller keeps the value). */
  resolve(value: T): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.#resolve(value);
    return true;
  }

  reject(error: Error): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.#reject(error);
    return true;
  }
}

/**
 * FIFO queue with one timeout for every waiter. Settled waiters are skipped lazily instead of
 * spliced out. Waiters are queued in arrival order with the same timeout, so their deadlines
 * ascend from head to tail and one timer, armed for the oldest, serves them all: no timer per
 * waiter, which under load would be one more timer (and async resource) per request.
 */
export class WaitQueue<T> {
  readonly #timeoutMs: number;
  readonly #onTimeout: (waiter: Waiter<T>) => void;
  /** Slots behind the head are emptied: a settled waiter must not keep its request's objects alive. */
  #items: (Waiter<T> | undefined)[] = [];
  #head = 0;
  #live = 0;
  #timer: NodeJS.Timeout | undefined;

  /** `onTimeout` is called for a waiter still queued `timeoutMs` after it was pushed; it is removed first. Infinity: waiters never time out. */
  constructor(timeoutMs: number, onTimeout: (waiter: Waiter<T>) => void) {
    this.#timeoutMs = timeoutMs;
    this.#onTimeout = onTimeout;
  }

  /** Waiters still waiting. */
  get size(): number {
    return this.#live;
  }

  push(waiter: Waiter<T>): void {
    waiter.queued = true;
    waiter.deadline = Date.now() + this.#timeoutMs;
    this.#items.push(waiter);
    this.#live++;
    this.#armTimer(waiter.deadline);
  }

  /**
   * Puts a waiter back at the head (its connection failed a health check). It keeps its
   * deadline, which is the oldest, so the order of deadlines still holds.
   */
  unshift(waiter: Waiter<T>): void {
    waiter.queued = true;
    if (this.#head > 0) this.#items[--this.#head] = waiter;
    else this.#items.unshift(waiter);
    this.#live++;
    this.#armTimer(waiter.deadline);
  }

  /** The oldest waiter still waiting, removed from the queue. */
  shift(): Waiter<T> | undefined {
    const waiter = this.#peek();
    if (waiter !== undefined) this.#takeHead(waiter);
    this.#compact();
    return waiter;
  }

  /** Removes a waiter wherever it is (withdrawal). */
  remove(waiter: Waiter<T>): void {
    if (!waiter.queued) return;
    this.#take(waiter);
    // The slot is emptied when the head passes it, or now if nobody else waits: a withdrawn
    // waiter must not keep its request reachable from an idle pool.
    this.#compact();
  }

  /** Removes and returns every waiter still waiting, and stops the timer. */
  drain(): Waiter<T>[] {
    const out: Waiter<T>[] = [];
    for (let waiter = this.shift(); waiter !== undefined; waiter = this.shift()) out.push(waiter);
    return out;
  }

  /** The oldest waiter still queued, left in place; settled ones before it are dropped. */
  #peek(): Waiter<T> | undefined {
    while (this.#head < this.#items.length) {
      const waiter = this.#items[this.#head];
      if (waiter !== undefined && waiter.queued) return waiter;
      this.#items[this.#head++] = undefined;
    }
    return undefined;
  }

  #take(waiter: Waiter<T>): void {
    waiter.queued = false;
    this.#live--;
  }

  /** Takes the waiter at the head (the one `#peek` returned) out of the queue. */
  #takeHead(waiter: Waiter<T>): void {
    this.#items[this.#head++] = undefined;
    this.#take(waiter);
  }

  #compact(): void {
    if (this.#live === 0) {
      this.#items = [];
      this.#head = 0;
      this.#stopTimer();
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head).filter((w) => w?.queued === true);
      this.#head = 0;
    }
  }

  /** Arms the timer for `deadline` unless it is already armed (for an earlier or equal one). */
  #armTimer(deadline: number): void {
    if (this.#timer !== undefined || deadline === Infinity) return;
    // Not unref'd: a script whose only work left is waiting for a connection must get its
    // ACQUIRE_TIMEOUT rather than exit in the middle of the wait. The timer exists only while
    // someone waits.
    // Armed in leakproof's own context: it outlives the request that happened to arm it.
    this.#timer = detached(() => setTimeout(() => this.#expire(), Math.max(1, deadline - Date.now())));
  }

  #stopTimer(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Times out every waiter whose deadline has passed, oldest first, then re-arms for the next. */
  #expire(): void {
    this.#timer = undefined;
    const now = Date.now();
    for (let waiter = this.#peek(); waiter !== undefined && waiter.deadline <= now; waiter = this.#peek()) {
      this.#takeHead(waiter);
      this.#onTimeout(waiter);
    }
    this.#compact();
    const next = this.#peek();
    if (next !== undefined) this.#armTimer(next.deadline);
  }
}
