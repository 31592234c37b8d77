/**
 * A FIFO of requests waiting for a connection. Each waiter is settled exactly once: handed a
 * connection, timed out, rejected, or withdrawn by its request. A withdrawn waiter never
 * receives a connection, so one that arrives late goes back to the pool instead of leaking
 * (mysqljs/mysql#1877, brianc/node-postgres#3543).
 *
 * @module
 */

export class Waiter<T> {
  readonly promise: Promise<T>;
  #resolve!: (value: T) => void;
  #reject!: (error: Error) => void;
  #timer: NodeJS.Timeout | undefined;
  #settled = false;
  /** Set while the waiter sits in a queue, so removal is O(1) amortised. */
  queued = false;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Rejects with `onTimeout()` after `ms` unless settled first. The timer never keeps the process alive. */
  startTimer(ms: number, onTimeout: () => void): void {
    this.#timer = setTimeout(onTimeout, ms);
    this.#timer.unref();
  }

  /** Returns false if the waiter was already settled (the caller keeps the value). */
  resolve(value: T): boolean {
    if (!this.#settle()) return false;
    this.#resolve(value);
    return true;
  }

  reject(error: Error): boolean {
    if (!this.#settle()) return false;
    this.#reject(error);
    return true;
  }

  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    return true;
  }
}

/** FIFO queue; settled waiters are skipped lazily instead of spliced out. */
export class WaitQueue<T> {
  #items: Waiter<T>[] = [];
  #head = 0;
  #live = 0;

  /** Waiters still waiting. */
  get size(): number {
    return this.#live;
  }

  push(waiter: Waiter<T>): void {
    waiter.queued = true;
    this.#items.push(waiter);
    this.#live++;
  }

  /** Puts a waiter back at the head (its connection failed a health check). */
  unshift(waiter: Waiter<T>): void {
    waiter.queued = true;
    if (this.#head > 0) this.#items[--this.#head] = waiter;
    else this.#items.unshift(waiter);
    this.#live++;
  }

  /** The oldest waiter still waiting, removed from the queue. */
  shift(): Waiter<T> | undefined {
    while (this.#head < this.#items.length) {
      const waiter = this.#items[this.#head++];
      if (waiter !== undefined && waiter.queued) {
        this.#take(waiter);
        this.#compact();
        return waiter;
      }
    }
    this.#compact();
    return undefined;
  }

  /** Removes a waiter wherever it is (timeout, withdrawal). */
  remove(waiter: Waiter<T>): void {
    if (waiter.queued) this.#take(waiter);
  }

  /** Removes and returns every waiter still waiting. */
  drain(): Waiter<T>[] {
    const out: Waiter<T>[] = [];
    for (let waiter = this.shift(); waiter !== undefined; waiter = this.shift()) out.push(waiter);
    return out;
  }

  #take(waiter: Waiter<T>): void {
    waiter.queued = false;
    this.#live--;
  }

  #compact(): void {
    if (this.#live === 0) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head).filter((w) => w.queued);
      this.#head = 0;
    }
  }
}
