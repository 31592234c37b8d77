/**
 * How a scope ended. `finished`: the response was sent and the handler settled. `failed`: the
 * handler threw. `aborted`: the client went away. `timeout`: the request ran out of time.
 * `shutdown`: the server closed it. The last three stop the request's work.
 */
export type EndReason = 'finished' | 'failed' | 'aborted' | 'timeout' | 'shutdown';

/** Whether a scope that ended this way stops its request's work (cancels, rolls back). */
export function isAbortive(reason: EndReason): boolean {
  return reason === 'aborted' || reason === 'timeout' || reason === 'shutdown';
}
