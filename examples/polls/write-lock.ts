/**
 * One write transaction at a time, for SQLite.
 *
 * SQLite lets one connection write at a time, and better-sqlite3 waits for the lock
 * synchronously (up to `busy_timeout`). Two requests' transactions on two connections of one
 * pool can interleave between awaits; the second writer then blocks the event loop waiting
 * for a lock that only the first, now frozen, could release — a 5 s stall and SQLITE_BUSY.
 * Queueing write transactions here, asynchronously, avoids that. MySQL and PostgreSQL lock
 * rows on the server and need no such queue.
 */
export class WriteLock {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after every earlier `fn` has settled. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn, fn);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
