/**
 * A sampler over one SQL connection: counts sessions with the dialect's query, bounds every
 * reading in time, and reopens the connection after it broke (a restart, `wait_timeout`), so
 * one lost connection costs one reading, not the run.
 *
 * @module
 */
import type { SamplerKind } from '../probe-result.js';
import { SAMPLE_TIMEOUT_MS, type Sampler, type SessionFilter } from './sampler.js';
import { withTimeout, type SqlDialect, type SqlSession } from './sql-session.js';

export class SqlSampler implements Sampler {
  readonly kind: SamplerKind;
  readonly #dialect: SqlDialect;
  readonly #url: string;
  readonly #filter: SessionFilter;
  #session: SqlSession | undefined;
  #closed = false;

  private constructor(kind: SamplerKind, dialect: SqlDialect, url: string, filter: SessionFilter) {
    this.kind = kind;
    this.#dialect = dialect;
    this.#url = url;
    this.#filter = filter;
  }

  /** Opens the connection now, so an unreachable database fails before any load. */
  static async open(kind: SamplerKind, dialect: SqlDialect, url: string, filter: SessionFilter): Promise<SqlSampler> {
    const sampler = new SqlSampler(kind, dialect, url, filter);
    sampler.#session = await dialect.open(url, SAMPLE_TIMEOUT_MS);
    return sampler;
  }

  async sample(): Promise<number> {
    return this.#read((session) => this.#dialect.count(session, this.#filter));
  }

  async maxConnections(): Promise<number | undefined> {
    const n = await this.#read((session) => this.#dialect.maxConnections(session));
    return Number.isFinite(n) && n > 0 ? n : undefined;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const session = this.#session;
    this.#session = undefined;
    await session?.close();
  }

  async #read(reading: (session: SqlSession) => Promise<number>): Promise<number> {
    const session = await this.#live();
    try {
      return await withTimeout(reading(session), SAMPLE_TIMEOUT_MS, 'reading the connection count');
    } catch (error) {
      // A hung or broken connection is replaced on the next reading.
      this.#drop(session);
      throw error;
    }
  }

  async #live(): Promise<SqlSession> {
    if (this.#closed) throw new Error('the sampler is closed');
    if (this.#session !== undefined && !this.#session.dead) return this.#session;
    if (this.#session !== undefined) this.#drop(this.#session);
    const session = await this.#dialect.open(this.#url, SAMPLE_TIMEOUT_MS);
    // close() may have run while this connection was opening: it must not outlive the sampler.
    if (this.#closed) {
      await session.close();
      throw new Error('the sampler is closed');
    }
    this.#session = session;
    return session;
  }

  #drop(session: SqlSession): void {
    if (this.#session === session) this.#session = undefined;
    void session.close().catch(() => undefined);
  }
}
