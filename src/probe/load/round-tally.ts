/**
 * Counts one round's outcomes into the numbers of a `RoundSummary`.
 *
 * @module
 */
import type { RoundSummary } from '../probe-result.js';
import { percentile } from './percentile.js';
import type { RequestOutcome } from './request-outcome.js';

export type RoundCounts = Pick<RoundSummary, 'requests' | 'ok' | 'errors' | 'disconnects' | 'refusals' | 'statusCounts' | 'latencyMs'>;

export class RoundTally {
  requests = 0;
  ok = 0;
  errors = 0;
  disconnects = 0;
  refusals = 0;
  readonly #statusCounts: Record<string, number> = {};
  readonly #latencies: number[] = [];

  add(outcome: RequestOutcome): void {
    this.requests++;
    if (outcome.kind === 'disconnect') {
      this.disconnects++;
      return;
    }
    if (outcome.refusal) this.refusals++;
    if (outcome.kind === 'error') {
      this.errors++;
      return;
    }
    const key = String(outcome.status);
    this.#statusCounts[key] = (this.#statusCounts[key] ?? 0) + 1;
    this.#latencies.push(outcome.latencyMs);
    if (outcome.status < 400) this.ok++;
    else this.errors++;
  }

  counts(): RoundCounts {
    return {
      requests: this.requests,
      ok: this.ok,
      errors: this.errors,
      disconnects: this.disconnects,
      refusals: this.refusals,
      statusCounts: { ...this.#statusCounts },
      latencyMs: { p50: round1(percentile(this.#latencies, 50)), p99: round1(percentile(this.#latencies, 99)) },
    };
  }
}

function round1(ms: number): number {
  return Math.round(ms * 10) / 10;
}
