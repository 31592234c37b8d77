/**
 * An app's Prometheus endpoint as the source of the count: for a database the probe cannot log
 * into, or a pooler in front of it. Sums one gauge over its series (default
 * `leakproof_connections_open`; `metric` picks another, e.g. a pool's own open-connections
 * gauge). It knows no server limit, so `maxConnections()` is undefined. The count is what the
 * app reports, not what the database sees: prefer a SQL sampler when you can.
 *
 * @module
 */
import { request } from 'undici';
import type { SamplerKind } from '../probe-result.js';
import { SAMPLE_TIMEOUT_MS, type Sampler } from './sampler.js';
import { sumMetric } from './sum-metric.js';

/** Exposition pages larger than this are not metrics pages. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export class PrometheusSampler implements Sampler {
  readonly kind: SamplerKind = 'prometheus';
  readonly #url: string;
  readonly #metric: string;

  private constructor(url: string, metric: string) {
    this.#url = url;
    this.#metric = metric;
  }

  /** Reads the endpoint once, so a wrong URL or metric fails before any load. */
  static async open(url: string, metric: string): Promise<PrometheusSampler> {
    const sampler = new PrometheusSampler(url, metric);
    await sampler.sample();
    return sampler;
  }

  async sample(): Promise<number> {
    const text = await this.#fetch();
    const sum = sumMetric(text, this.#metric);
    if (sum === undefined) throw new Error(`the metrics page has no series of "${this.#metric}"`);
    return sum;
  }

  async maxConnections(): Promise<number | undefined> {
    return undefined;
  }

  async close(): Promise<void> {}

  async #fetch(): Promise<string> {
    const response = await request(this.#url, {
      method: 'GET',
      headers: { accept: 'text/plain' },
      signal: AbortSignal.timeout(SAMPLE_TIMEOUT_MS),
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new Error(`the metrics page answered HTTP ${response.statusCode}`);
    }
    const length = Number(response.headers['content-length'] ?? 0);
    if (length > MAX_BODY_BYTES) {
      response.body.destroy();
      throw new Error(`the metrics page is ${length} bytes, more than ${MAX_BODY_BYTES}`);
    }
    return response.body.text();
  }
}
