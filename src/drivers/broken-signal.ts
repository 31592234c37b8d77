/**
 * Remembers the first fatal error of one connection and tells the pool about it exactly once.
 *
 * Drivers emit several events for one death (pg: the server's 57P01, then "Connection terminated
 * unexpectedly", then `end`), and a close that leakproof itself started must not look like a death.
 */
export class BrokenSignal {
  #error: Error | undefined;
  #closing = false;
  #callbacks: Array<(error: Error) => void> = [];

  get broken(): boolean {
    return this.#error !== undefined;
  }

  /** Called before leakproof closes the connection: the socket events that follow are expected. */
  closing(): void {
    this.#closing = true;
    this.#callbacks = [];
  }

  /** Records a fatal error; the first one wins and runs the callbacks. */
  fire(error: unknown): void {
    if (this.#error !== undefined || this.#closing) return;
    const fatal = error instanceof Error ? error : new Error(String(error));
    // Formats the stack now: until then V8 keeps every frame's receiver reachable from the
    // error (sockets, commands, and through their async context a request's whole scope).
    void fatal.stack;
    this.#error = fatal;
    for (const callback of this.#callbacks.splice(0)) runIsolated(callback, fatal);
  }

  subscribe(callback: (error: Error) => void): void {
    if (this.#closing) return;
    const error = this.#error;
    if (error === undefined) this.#callbacks.push(callback);
    // Registered after the death: still tell the pool, but not from inside the caller's stack.
    else queueMicrotask(() => runIsolated(callback, error));
  }
}

/**
 * Runs one callback so that its exception cannot break the driver's own event handler
 * (which would leave the package in a half-closed state); the exception is rethrown on the next
 * tick, where it surfaces as the uncaught bug it is.
 */
function runIsolated(callback: (error: Error) => void, error: Error): void {
  try {
    callback(error);
  } catch (bug) {
    process.nextTick(() => {
      throw bug;
    });
  }
}
