/**
 * Which requests of a round leave early, and how. Deterministic, so runs are comparable: the
 * aborted ones are spread evenly (request i is aborted when ⌊(i+1)·ratio⌋ > ⌊i·ratio⌋), and
 * take the shapes in turn.
 *
 * @module
 */
import type { DisconnectShape } from '../probe-result.js';
import type { RequestKind } from './request-outcome.js';

/** The kind of the `index`-th request of a round. */
export function planRequest(index: number, abortRatio: number, shapes: readonly DisconnectShape[]): RequestKind {
  const before = Math.floor(index * abortRatio);
  if (Math.floor((index + 1) * abortRatio) === before) return 'normal';
  return shapes[before % shapes.length] ?? 'normal';
}
