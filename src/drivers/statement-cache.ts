/**
 * Which statements one connection keeps prepared on the server: a bounded LRU from SQL text to
 * a server-side name. Names come from a counter and are never given twice, so a statement
 * evicted (and deallocated) can never be mistaken for a new one of the same name.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';

export class StatementCache {
  readonly #size: number;
  /** Unique to this connection: behind a pooler another client's statements may share the server session. */
  readonly #prefix = `leakproof_${randomBytes(4).toString('hex')}_`;
  readonly #names = new Map<string, string>();
  #next = 0;

  constructor(size: number) {
    this.#size = size;
  }

  /** The name `sql` is (or will be) prepared under, and a name to deallocate if one was evicted for it. */
  nameFor(sql: string): { name: string; evicted: string | undefined } {
    const known = this.#names.get(sql);
    if (known !== undefined) {
      // Most recently used last: Map keeps insertion order.
      this.#names.delete(sql);
      this.#names.set(sql, known);
      return { name: known, evicted: undefined };
    }
    const name = `${this.#prefix}${++this.#next}`;
    this.#names.set(sql, name);
    if (this.#names.size <= this.#size) return { name, evicted: undefined };
    const [oldest, evicted] = this.#names.entries().next().value as [string, string];
    this.#names.delete(oldest);
    return { name, evicted };
  }

  /** Stops using `sql`'s prepared statement; returns its name so it can be deallocated. */
  forget(sql: string): string | undefined {
    const name = this.#names.get(sql);
    this.#names.delete(sql);
    return name;
  }

  has(sql: string): boolean {
    return this.#names.has(sql);
  }

  get size(): number {
    return this.#names.size;
  }
}
