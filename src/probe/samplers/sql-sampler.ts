/**
 * A sampler over one SQL connection: lists the app's sessions with the engine's definition, bounds every
 * reading in time, and reopens the connection after it broke (a restart, `wait_timeout`), so
 * one lost connection costs one reading, not the run.
 *
 * @module
 */
import type { QueryRows, SessionReading } from '../../drivers/server-session.js';
import type { SamplerKind } from '../probe-result.js';
import { SAMPLE_TIMEOUT_MS, type Sampler, type SessionFilter } from './sampler.js';
import { withTimeout, type SqlDialect, type SqlSession } from './sql-session.js';

export class SqlSampler implements Sampler {
  readonly kind: SamplerKind;
  readonly #dialect: SqlDialect;
  readonly #url: string;
  readonly #filter: SessionFilter;
  #session: SqlSession | undefined;
  #reader: ((query: QueryRows) => Promise<SessionReading>) | undefined;
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
    return (await this.readSessions()).sessions.length;
  }

  async readSessions(): Promise<SessionReading> {
    return this.#read((session) => {
      this.#reader ??= this.#dialect.sessionReader(this.#filter);
      return this.#reader((sql, params) => session.query(sql, params));
    }, 'reading the sessions');
  }

  async maxConnections(): Promise<number | undefined> {
    const n = await this.#read((session) => this.#dialect.maxConnections(session), 'reading the connection limit');
    return Number.isFinite(n) && n > 0 ? n : undefined;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const session = this.#session;
    this.#session = undefined;
    await session?.close();
  }

  async #read<T>(reading: (session: SqlSession) => Promise<T>, what: string): Promise<T> {
    const session = await this.#live();
    try {
      return await withTimeout(reading(session), SAMPLE_TIMEOUT_MS, what);
    } catch (error) {
      // A hung or broken connection is replaced on the next reading, and what it could see found again.
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
    if (this.#session === session) {
      this.#session = undefined;
      this.#reader = undefined;
    }
    void session.close().catch(() => undefined);
  }
}
