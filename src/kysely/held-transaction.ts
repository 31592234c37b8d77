import type { Queryable, Transaction } from '../core/database.js';

/** What a rolled-back body rejects with, so that the rollback itself is not taken for a failure. */
const ROLLED_BACK = new Error('rolled back as asked');

/**
 * A leakproof `transaction()` begun by one call and ended by another, as Kysely drives a
 * transaction (begin, statements, commit or rollback) where leakproof takes a body. The body
 * is a promise that waits for `commit()` or `rollback()`, so BEGIN, COMMIT, ROLLBACK and the
 * savepoints stay leakproof's: `transactionPerRequest` nests it, an aborted request rolls it
 * back on release, and its statements fail with REQUEST_ENDED once the request is over.
 */
export class HeldTransaction {
  /** The handle statements of this transaction run on. */
  readonly handle: Transaction;
  readonly #end: (commit: boolean) => void;
  readonly #settled: Promise<void>;

  private constructor(handle: Transaction, end: (commit: boolean) => void, settled: Promise<void>) {
    this.handle = handle;
    this.#end = end;
    this.#settled = settled;
  }

  /** Begins a transaction on `on` (a savepoint when `on` is a transaction); resolves once it is open. */
  static open(on: Queryable): Promise<HeldTransaction> {
    return new Promise((resolve, reject) => {
      let opened = false;
      const outcome: { settled?: Promise<void> } = {};
      outcome.settled = on.transaction(
        (handle) =>
          new Promise<void>((commit, rollBack) => {
            opened = true;
            const end = (ok: boolean): void => (ok ? commit() : rollBack(ROLLED_BACK));
            // The body starts after BEGIN went out, by when `settled` is assigned.
            resolve(new HeldTransaction(handle, end, outcome.settled!));
          }),
      );
      outcome.settled.catch((error: unknown) => {
        // A BEGIN that failed (budget, request ended) fails the begin; later outcomes go to commit/rollback.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        if (!opened) reject(error);
      });
    });
  }

  /** COMMIT (or RELEASE SAVEPOINT); rejects with the COMMIT's own error. */
  commit(): Promise<void> {
    this.#end(true);
    return this.#settled;
  }

  /** ROLLBACK (or ROLLBACK TO SAVEPOINT). */
  async rollback(): Promise<void> {
    this.#end(false);
    await this.#settled.catch((error: unknown) => {
      if (error !== ROLLED_BACK) throw error;
    });
  }
}
