/**
 * Sends the probe's requests: normal ones and the early-leaving ones, through one undici
 * keep-alive pool sized to the concurrency (raw sockets for the shapes undici cannot make), and
 * counts the requests in flight.
 *
 * @module
 */
import { Pool } from 'undici';
import type { RequestOutcome, RequestKind } from './request-outcome.js';
import type { RequestSpec } from './request-spec.js';
import { sendOnRawSocket } from './raw-socket-requests.js';
import { sendWithUndici } from './undici-requests.js';

export class LoadClient {
  readonly #spec: RequestSpec;
  readonly #pool: Pool;
  readonly #stop: AbortSignal;
  #inFlight = 0;

  /** `stop` aborts every request in flight (the run is ending). */
  constructor(spec: RequestSpec, concurrency: number, stop: AbortSignal) {
    this.#spec = spec;
    this.#stop = stop;
    // Our own timers bound each request; undici's would only race them.
    this.#pool = new Pool(spec.origin, {
      connections: concurrency,
      pipelining: 1,
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: { timeout: spec.timeoutMs },
    });
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Sends one request of `kind`; resolves with how it ended, never rejects. */
  async send(kind: RequestKind): Promise<RequestOutcome> {
    this.#inFlight++;
    try {
      if (kind === 'abort-post-body' || kind === 'pipelined-socket-death') return await sendOnRawSocket(this.#spec, kind, this.#stop);
      return await sendWithUndici(this.#pool, this.#spec, kind, this.#stop);
    } finally {
      this.#inFlight--;
    }
  }

  /** Closes the pool, cutting anything still open. */
  async close(): Promise<void> {
    await this.#pool.destroy().catch(() => undefined);
  }
}
