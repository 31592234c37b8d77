import { AsyncLocalStorage } from 'node:async_hooks';
import { ScopeError } from '../errors/errors.js';
import { isAbortive, type EndReason } from './end-reason.js';
import { Lease } from './lease.js';
import { requestText, type RequestInfo } from './request-info.js';
import type { Pool } from './pool.js';
import { RESOLVED } from './resolved.js';
import type { TransactionFrame } from './transaction-frame.js';

export type { EndReason } from './end-reason.js';

/** What handler code sees of its request's scope through `currentScope()`. */
export interface RequestScope {
  /** Aborted when the request ends early: client gone, timeout, or shutdown. */
  readonly signal: AbortSignal;
  /** Whether the scope has ended. */
  readonly ended: boolean;
  /** How it ended, once it has. */
  readonly endReason: EndReason | undefined;
  /** A label for messages, such as `GET /polls/1`. */
  readonly label: string | undefined;
  /** The HTTP request it serves, when an adapter made it. */
  readonly request: RequestInfo | undefined;
}

/** What the async store holds: the request's scope and, inside `transaction()`, its frame. */
export interface Context {
  readonly scope: Scope;
  readonly frame: TransactionFrame | undefined;
}

const storage = new AsyncLocalStorage<Context>();

/** The scope of the request (or `dbs.run`) the caller runs in, or `undefined` outside one. */
export function currentScope(): RequestScope | undefined {
  return storage.getStore()?.scope;
}

/** @internal The whole async context: scope and transaction frame. */
export function currentContext(): Context | undefined {
  return storage.getStore();
}

/** @internal Runs `fn` with `frame` as the current transaction frame of `scope`. */
export function runInFrame<T>(scope: Scope, frame: TransactionFrame, fn: () => T): T {
  return storage.run({ scope, frame }, fn);
}

/**
 * One request's hold on the databases: at most one lease per pool, acquired lazily, and one
 * `end()` that runs exactly once. Adapters keep the scope object itself and end it from their
 * close listeners; they never look it up through the async store, which is gone on abort.
 */
// It is its leases' LeaseOwner too, by shape: those members are internal and left out of the .d.ts.
export class Scope implements RequestScope, Context {
  readonly label: string | undefined;
  readonly request: RequestInfo | undefined;
  readonly frame = undefined;
  #leases: Lease[] = [];
  #endReason: EndReason | undefined;
  #ending: Promise<void> | undefined;
  #controller: AbortController | undefined;

  constructor(label?: string, request?: RequestInfo) {
    this.label = label ?? (request === undefined ? undefined : requestText(request));
    this.request = request;
  }

  get scope(): Scope {
    return this;
  }

  /** Created on first use: most requests never look at it. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#endReason !== undefined && isAbortive(this.#endReason)) this.#controller.abort(this.endedError());
    }
    return this.#controller.signal;
  }

  get ended(): boolean {
    return this.#endReason !== undefined;
  }

  get endReason(): EndReason | undefined {
    return this.#endReason;
  }

  /** Runs `fn` inside this scope: every database call in it uses this scope's leases. */
  run<T>(fn: () => T): T {
    return storage.run(this, fn);
  }

  /** @internal This scope's lease on `pool`, created on first use; never throws. */
  leaseFor(pool: Pool): Lease {
    const leases = this.#leases;
    for (let i = 0; i < leases.length; i++) if (leases[i]!.pool === pool) return leases[i]!;
    const lease = new Lease(pool, this);
    leases.push(lease);
    // A lease asked for after the end is born ended: its commands reject with REQUEST_ENDED
    // (as a rejected promise, never a synchronous throw) and it never acquires.
    if (this.#endReason !== undefined) void lease.end(this.#endReason);
    return lease;
  }

  /**
   * Settles the per-request transaction of every lease (`transactionPerRequest`): commit when
   * the handler succeeded, roll back when it failed. Call before `end`.
   */
  complete(success: boolean): Promise<void> {
    if (!this.#leases.some((lease) => lease.hasRequestTransaction)) return RESOLVED;
    return this.#completeAll(success);
  }

  async #completeAll(success: boolean): Promise<void> {
    const errors: unknown[] = [];
    for (const lease of this.#leases) {
      await lease.completeRequestTransaction(success).catch((error: unknown) => errors.push(error));
    }
    if (errors.length > 0) throw errors[0];
  }

  /**
   * Ends the scope exactly once; later calls return the same promise. Resolves when every
   * lease has been released (after the commands in flight finished).
   */
  end(reason: EndReason): Promise<void> {
    if (this.#ending !== undefined) return this.#ending;
    this.#endReason = reason;
    if (isAbortive(reason)) this.#controller?.abort(this.endedError());
    const leases = this.#leases;
    if (leases.length === 0) this.#ending = RESOLVED;
    else if (leases.length === 1) this.#ending = leases[0]!.end(reason);
    else this.#ending = Promise.all(leases.map((lease) => lease.end(reason))).then(() => undefined);
    return this.#ending;
  }

  /** @internal Runs `fn` inside this scope with `frame` as its current transaction frame. */
  runIn<T>(frame: TransactionFrame, fn: () => T): T {
    return runInFrame(this, frame, fn);
  }

  /** @internal The error new work in an ended scope fails with. */
  endedError(): ScopeError {
    const where = this.label === undefined ? '' : ` (${this.label})`;
    return new ScopeError('REQUEST_ENDED', `the request${where} has ended (${this.#endReason ?? 'ending'}); its database work was stopped`);
  }
}
