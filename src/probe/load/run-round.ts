/**
 * One round of load: `concurrency` workers take request numbers until the round's count is
 * sent or its duration passed, or the run stops. Each request is bounded by its own timeout,
 * so the round is bounded in time as well as in count.
 *
 * @module
 */
import type { DisconnectShape } from '../probe-result.js';
import type { LoadClient } from './load-client.js';
import { planRequest } from './plan-request.js';
import type { RequestKind, RequestOutcome } from './request-outcome.js';

export interface RoundPlan {
  readonly concurrency: number;
  /** Requests to send; undefined when bounded by `durationMs`. */
  readonly requests: number | undefined;
  readonly durationMs: number | undefined;
  readonly abortRatio: number;
  readonly shapes: readonly DisconnectShape[];
}

/** Runs a round; `onOutcome` sees every request's end. Resolves when the last request ended. */
export async function runRound(
  client: LoadClient,
  plan: RoundPlan,
  onOutcome: (outcome: RequestOutcome, kind: RequestKind) => void,
  stop: AbortSignal,
): Promise<void> {
  const deadline = plan.durationMs === undefined ? Infinity : Date.now() + plan.durationMs;
  let next = 0;
  const claim = (): number | undefined => {
    if (stop.aborted || Date.now() >= deadline) return undefined;
    if (plan.requests !== undefined && next >= plan.requests) return undefined;
    return next++;
  };
  const worker = async (): Promise<void> => {
    for (let index = claim(); index !== undefined; index = claim()) {
      const kind = planRequest(index, plan.abortRatio, plan.shapes);
      onOutcome(await client.send(kind), kind);
    }
  };
  const workers = Math.min(plan.concurrency, plan.requests ?? plan.concurrency);
  await Promise.all(Array.from({ length: workers }, worker));
}
