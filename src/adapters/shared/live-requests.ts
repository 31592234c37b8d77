/**
 * The requests of each `Databases` that are still running, so a graceful shutdown can end
 * the ones that outlive its deadline. Kept beside the databases (a `WeakMap`), never in the
 * async store: shutdown runs outside every request.
 *
 * @module
 */
import type { Databases } from '../../core/databases.js';
import type { AnyResponse } from './any-request.js';

/** What shutdown needs of a running request. */
export interface LiveRequest {
  readonly response: AnyResponse | undefined;
  /** Ends the request's scope as `shutdown` and cuts its response off. */
  shutdown(): void;
}

/** A request's place in the list; `remove` takes it out. */
export interface LiveEntry {
  readonly request: LiveRequest;
  previous: LiveEntry | undefined;
  next: LiveEntry | undefined;
}

/**
 * A doubly linked list rather than a `Set`: every request is added and removed once, and on
 * V8 a long-lived `Set` with that churn keeps rebuilding its table, which made every in-flight
 * request's objects survive into the old generation (measured: 100 times the bytes promoted
 * per scavenge, and the major collections that follow).
 */
export class LiveRequests {
  #first: LiveEntry | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(request: LiveRequest): LiveEntry {
    const entry: LiveEntry = { request, previous: undefined, next: this.#first };
    if (this.#first !== undefined) this.#first.previous = entry;
    this.#first = entry;
    this.#size++;
    return entry;
  }

  /** Takes an entry out; a second call for the same entry does nothing. */
  remove(entry: LiveEntry): void {
    if (entry.previous === undefined && this.#first !== entry) return;
    if (entry.previous === undefined) this.#first = entry.next;
    else entry.previous.next = entry.next;
    if (entry.next !== undefined) entry.next.previous = entry.previous;
    entry.previous = entry.next = undefined;
    this.#size--;
  }

  /** The requests running now, as a snapshot (ending one while iterating is safe). */
  snapshot(): LiveRequest[] {
    const out: LiveRequest[] = [];
    for (let entry = this.#first; entry !== undefined; entry = entry.next) out.push(entry.request);
    return out;
  }
}

const live = new WeakMap<Databases, LiveRequests>();

/** The running requests of `dbs` (adapters add to it, ended requests leave it). */
export function liveRequests(dbs: Databases): LiveRequests {
  let requests = live.get(dbs);
  if (requests === undefined) {
    requests = new LiveRequests();
    live.set(dbs, requests);
  }
  return requests;
}
