/**
 * Reads the count through a sampler, tolerating a few failed readings in a row (a reconnect, a
 * slow moment) but not more: a run without the database's count has nothing to judge by.
 *
 * @module
 */
import { ProbeError } from '../errors/errors.js';
import { scrub } from '../secrets/mask-secrets.js';
import type { Sampler, SessionReading } from './samplers/sampler.js';

/** Failed readings in a row after which the run ends with `PROBE_UNREACHABLE`. */
export const MAX_CONSECUTIVE_FAILURES = 3;

export class SampleReader {
  readonly #sampler: Sampler;
  readonly #secrets: readonly string[];
  readonly #where: string;
  #failures = 0;

  /** `where` names the source in messages (its URL, password masked). */
  constructor(sampler: Sampler, where: string, secrets: readonly string[]) {
    this.#sampler = sampler;
    this.#where = where;
    this.#secrets = secrets;
  }

  /**
   * The count, and the sessions when the source lists them; undefined after a tolerated
   * failure; throws after too many in a row.
   */
  async read(): Promise<{ count: number; reading?: SessionReading } | undefined> {
    try {
      const reading = this.#sampler.readSessions === undefined ? undefined : await this.#sampler.readSessions();
      const count = reading === undefined ? await this.#sampler.sample() : reading.sessions.length;
      this.#failures = 0;
      return reading === undefined ? { count } : { count, reading };
    } catch (error) {
      if (++this.#failures < MAX_CONSECUTIVE_FAILURES) return undefined;
      const message = scrub(error instanceof Error ? error.message : String(error), this.#secrets);
      throw new ProbeError('PROBE_UNREACHABLE', [
        `the database at ${this.#where} stopped answering the sampler (${this.#failures} readings failed in a row): ${message}`,
      ]);
    }
  }
}
