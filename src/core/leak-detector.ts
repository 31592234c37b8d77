import type { LeakDetails } from '../instrumentation/pool-events.js';
import type { Pool } from './pool.js';
import { withoutQuery, type RequestInfo } from './request-info.js';

/** What the detector reads of a lease. */
export interface LeakSubject {
  readonly pool: Pool;
  /** The request's label (`GET /polls/1`) and, from an adapter, its method and path. */
  readonly scope: { readonly label: string | undefined; readonly request: RequestInfo | undefined };
  /** The connection held, if any; read at report time. */
  readonly serverId: number | undefined;
}

const noop = (): void => {};

/**
 * `leakTimeout` (HikariCP's leak detection): a lease whose request has ended but which still
 * holds its connection `leakTimeout` ms later is reported with the stack captured when it was
 * leased and the request's method and path, and reported again when it is finally returned.
 * Each report is counted in `stats().leaks`, published on the `leak` / `leakReturned`
 * channels, and emitted as a process warning (`LEAKPROOF_LEAK`, `LEAKPROOF_LEAK_RETURNED`).
 * The timer never keeps the process alive.
 */
export function watchForLeak(lease: LeakSubject, stack: string | undefined, released: Promise<void>): void {
  const ms = lease.pool.config.leakTimeout;
  if (ms === 0) return;
  const endedAt = Date.now();
  const timer = setTimeout(() => reportLeak(lease, stack, endedAt, released), ms);
  timer.unref();
  const stop = (): void => clearTimeout(timer);
  released.then(stop, stop);
}

function reportLeak(lease: LeakSubject, stack: string | undefined, endedAt: number, released: Promise<void>): void {
  const { pool } = lease;
  const request = describeRequest(lease.scope.label, lease.scope.request);
  const serverId = lease.serverId;
  const { label, method, path } = request;
  const details = (): LeakDetails => ({ serverId, label, method, path, heldMs: Date.now() - endedAt, stack });
  pool.countLeak();
  pool.events.leaked(details);
  const what = `connection ${serverId ?? '(acquiring)'} of alias "${pool.config.alias}"`;
  process.emitWarning(
    `${what} is still held ${Date.now() - endedAt} ms after ${request.where} ended; it was leased at:\n${stack ?? '(no stack)'}`,
    { code: 'LEAKPROOF_LEAK', type: 'LeakproofWarning' },
  );
  const returned = (): void => {
    pool.events.leakReturned(details);
    process.emitWarning(`${what} held by ${request.where} was returned ${Date.now() - endedAt} ms after the request ended`, {
      code: 'LEAKPROOF_LEAK_RETURNED',
      type: 'LeakproofWarning',
    });
  };
  released.then(returned, noop);
}

interface RequestDescription {
  readonly label: string | undefined;
  readonly method: string | undefined;
  readonly path: string | undefined;
  /** For messages: `request GET /polls/7`, `scope "nightly job"` or `a scope`. */
  readonly where: string;
}

/** What a leak report says of the request: its method and path when an adapter gave them, else the scope's label. */
export function describeRequest(label: string | undefined, request: RequestInfo | undefined): RequestDescription {
  if (request === undefined)
    return { label, method: undefined, path: undefined, where: label === undefined ? 'a scope' : `scope "${label}"` };
  const { method } = request;
  const path = withoutQuery(request.path);
  return { label: label ?? `${method} ${path}`, method, path, where: `request ${method} ${path}` };
}
