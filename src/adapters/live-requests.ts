/**
 * The requests of each `Databases` that are still running, so a graceful shutdown can end
 * the ones that outlive its deadline. Kept beside the databases (a `WeakMap`), never in the
 * async store: shutdown runs outside every request.
 *
 * @module
 */
import type { Databases } from '../core/databases.js';
import type { AnyResponse } from './end-of-request.js';

/** What shutdown needs of a running request. */
export interface LiveRequest {
  readonly response: AnyResponse | undefined;
  /** Ends the request's scope as `shutdown` and cuts its response off. */
  shutdown(): void;
}

const live = new WeakMap<Databases, Set<LiveRequest>>();

/** The running requests of `dbs` (a live set: adapters add to it, ended requests leave it). */
export function liveRequests(dbs: Databases): Set<LiveRequest> {
  let requests = live.get(dbs);
  if (requests === undefined) {
    requests = new Set();
    live.set(dbs, requests);
  }
  return requests;
}
