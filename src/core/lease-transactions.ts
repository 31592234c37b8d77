import type { DriverConnection, TransactionSql } from '../drivers/driver.js';
import { TransactionFrame } from './transaction-frame.js';

type Command<T> = (raw: DriverConnection) => Promise<T>;
const noop = (): void => {};

/** What a lease's transactions need of the lease: its command queue and its state. */
export interface TransactionHost {
  /** The lease itself: the identity its frames carry. */
  readonly lease: object;
  /** The driver's SQL; read only inside commands (the driver is loaded by the first connect). */
  sql(): TransactionSql;
  /** Runs `fn` inside the request's scope with `frame` as its current transaction frame. */
  runIn<T>(frame: TransactionFrame, fn: () => T): T;
  /** Queues a statement behind those before it. */
  enqueue<T>(run: Command<T>): Promise<T>;
  /** A call's statement, with every check a call gets (ended scope, open stream). */
  command<T>(frame: TransactionFrame | undefined, run: Command<T>): Promise<T>;
  /** A statement of `frame` without the open-stream check (a COMMIT waits for a stream). */
  commandIn<T>(frame: TransactionFrame | undefined, run: Command<T>): Promise<T>;
  /** Throws if no new transaction may begin: the scope has ended, or a stream needs its consumer. */
  assertMayBegin(): void;
  /** Throws once the scope has ended. */
  assertOpen(): void;
  /** Whether the request was aborted: the release then rolls back, nothing is rolled back here. */
  aborted(): boolean;
}

/**
 * The transactions of one lease: `db.transaction()` (BEGIN … COMMIT, a savepoint when nested)
 * and the `transactionPerRequest` transaction. Calls from outside the transaction open on the
 * lease wait until it has finished instead of slipping into it.
 */
export class LeaseTransactions {
  /** `transactionPerRequest`: `wanted` until the first statement begins it, `open`, then `none` once settled. */
  request: 'wanted' | 'open' | 'none';
  /** The top-level `db.transaction()` open on the lease, if any. */
  active: TransactionFrame | undefined;
  readonly #host: TransactionHost;
  #done: Promise<void> | undefined;
  #savepoints = 0;

  constructor(host: TransactionHost, perRequest: boolean) {
    this.#host = host;
    this.request = perRequest ? 'wanted' : 'none';
  }

  /** Whether a transaction lives on the lease's connection now, so the connection cannot be swapped. */
  get holdsConnection(): boolean {
    return this.active !== undefined || this.request === 'open';
  }

  /** Waits until no transaction is open on the lease that `frame` is not part of. */
  async after(frame: TransactionFrame | undefined): Promise<void> {
    while (this.active !== undefined && !TransactionFrame.isWithin(frame, this.active)) {
      await this.#done;
      this.#host.assertOpen();
    }
  }

  /** `db.transaction(body)`: a savepoint when nested (or inside the request's transaction), else BEGIN … COMMIT. */
  async run<T>(frame: TransactionFrame | undefined, body: (frame: TransactionFrame) => Promise<T>): Promise<T> {
    const outer = TransactionFrame.nearest(frame, this.#host.lease);
    if (outer !== undefined || this.request !== 'none') return this.#savepoint(frame, body);
    this.#host.assertMayBegin();
    await this.after(frame);
    return this.#topLevel(frame, body);
  }

  /** Commits or rolls back the `transactionPerRequest` transaction, if one was begun. */
  async completeRequest(success: boolean): Promise<void> {
    const state = this.request;
    this.request = 'none';
    if (state !== 'open' || this.#host.aborted()) return;
    const { commit, rollback } = this.#host.sql();
    await this.#host.enqueue((raw) => raw.query(success ? commit : rollback));
  }

  async #topLevel<T>(frame: TransactionFrame | undefined, body: (frame: TransactionFrame) => Promise<T>): Promise<T> {
    const host = this.#host;
    const own = new TransactionFrame(host.lease, frame, undefined);
    let done = noop;
    this.active = own;
    this.#done = new Promise<void>((resolve) => (done = resolve));
    try {
      await host.enqueue((raw) => raw.query(host.sql().begin));
      const result = await host.runIn(own, () => body(own));
      await host.enqueue((raw) => raw.query(host.sql().commit));
      return result;
    } catch (error) {
      // After an abort the release rolls back; otherwise roll back here so the request can go on.
      if (!host.aborted()) await host.enqueue((raw) => raw.query(host.sql().rollback)).catch(noop);
      throw error;
    } finally {
      this.active = undefined;
      done();
    }
  }

  async #savepoint<T>(frame: TransactionFrame | undefined, body: (frame: TransactionFrame) => Promise<T>): Promise<T> {
    const host = this.#host;
    const name = `leakproof_sp_${++this.#savepoints}`;
    const own = new TransactionFrame(host.lease, frame, name);
    await host.command(frame, (raw) => raw.query(host.sql().savepoint(name)));
    try {
      const result = await host.runIn(own, () => body(own));
      await host.commandIn(own, (raw) => raw.query(host.sql().releaseSavepoint(name)));
      return result;
    } catch (error) {
      if (!host.aborted()) await host.commandIn(own, (raw) => raw.query(host.sql().rollbackToSavepoint(name))).catch(noop);
      throw error;
    }
  }
}
