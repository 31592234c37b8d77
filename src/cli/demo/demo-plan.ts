/**
 * The demo's load: abort-heavy, every disconnect shape, short enough to watch. `quick` is
 * for tests and impatient people.
 *
 * @module
 */
import { DISCONNECT_SHAPES } from '../../probe/probe-config.js';
import type { ProbeOptions } from '../../probe/probe-result.js';

export interface DemoPlan {
  readonly concurrency: number;
  readonly roundMs: number;
  readonly rounds: number;
  readonly pauseMs: number;
  readonly abortRatio: number;
  readonly abortAfterMs: number;
  readonly settlePointsMs: readonly number[];
}

/** About 20 s of probing: 3 rounds of 4 s, 40 % of clients leaving. */
export const FULL_PLAN: DemoPlan = {
  concurrency: 20,
  roundMs: 4000,
  rounds: 3,
  pauseMs: 1500,
  abortRatio: 0.4,
  abortAfterMs: 50,
  // The app's idle timeout is 1 s: by the last point its pool must be empty.
  settlePointsMs: [500, 2000, 4000],
};

/** About 6 s. The pause still outlasts the app's 1 s idle timeout, so the floor between rounds shows. */
export const QUICK_PLAN: DemoPlan = {
  ...FULL_PLAN,
  roundMs: 1000,
  rounds: 2,
  settlePointsMs: [500, 2000],
};

/**
 * POSTs a vote to the slow endpoint (a transaction, then a streamed answer), so clients leave
 * while the connection is held for the upload, the transaction, a query or the stream.
 */
export function demoProbeOptions(plan: DemoPlan, target: { port: number; db: string }): ProbeOptions {
  const filter = sessionFilter(target.db);
  return {
    ...(filter === undefined ? {} : { filter }),
    url: `http://127.0.0.1:${target.port}/polls/1/slow`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"choice":1}',
    db: target.db,
    concurrency: plan.concurrency,
    durationMs: plan.roundMs,
    rounds: plan.rounds,
    pauseMs: plan.pauseMs,
    abortRatio: plan.abortRatio,
    abortAfterMs: plan.abortAfterMs,
    shapes: [...DISCONNECT_SHAPES],
    settlePointsMs: [...plan.settlePointsMs],
    allowedIdle: 0,
  };
}

/**
 * On a database server, count the app's own sessions: its user on its database, so other
 * clients of the same server do not blur the count. (A metrics URL needs no filter.)
 */
function sessionFilter(db: string): { user?: string; database?: string } | undefined {
  const url = new URL(db);
  if (url.protocol === 'http:' || url.protocol === 'https:') return undefined;
  const user = decodeURIComponent(url.username);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  return { ...(user === '' ? {} : { user }), ...(database === '' ? {} : { database }) };
}
