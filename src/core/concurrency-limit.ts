/**
 * Runs async tasks with at most `limit` of them at once; the others wait their turn in
 * arrival order. Used for the pool's cancel side channels, so an abort storm cannot open a
 * side connection per aborted request.
 *
 * @module
 */
export class ConcurrencyLimit {
  readonly #limit: number;
  #running = 0;
  #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#running++;
    try {
      return await task();
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }
}
