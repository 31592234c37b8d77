/**
 * One lease's commands in the order they were issued (FIFO), one at a time: a connection runs
 * one statement at a time, so a request's concurrent calls take turns on it. The first command
 * starts without a closure or a promise of the queue's own (this is the per-query path).
 */
export class CommandQueue {
  #waiting: (() => void)[] = [];
  #pending = 0;

  /** Commands queued or running. */
  get pending(): number {
    return this.#pending;
  }

  /** Counts a new command in; true if none is ahead of it, so the caller starts it now. */
  enter(): boolean {
    return this.#pending++ === 0;
  }

  /** For a command `enter()` said must wait: `start` runs when its turn comes. */
  wait<T>(start: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push(() => void start().then(resolve, reject));
    });
  }

  /** The running command is over: the next one starts. True when no command is left. */
  next(): boolean {
    if (--this.#pending === 0) return true;
    this.#waiting.shift()!();
    return false;
  }
}
